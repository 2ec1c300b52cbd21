// `@opentelemetry/api` is an optional peer of core: loaded once, lazily, the first time a context
// store gets ready. Absent, every telemetry hook is skipped; present but with no provider
// registered, an assembly costs two identity checks (see `isNoopProvider`).
type OpenTelemetryApi = typeof import("@opentelemetry/api");

let api: OpenTelemetryApi | null | undefined;
let loading: Promise<OpenTelemetryApi | null> | undefined;

/** Starts (once) and awaits loading the API; resolves to null when it is not installed. */
export function loadOpenTelemetry(): Promise<OpenTelemetryApi | null> {
  if (api !== undefined) return Promise.resolve(api);
  // An optional peer: bundlers must not try to resolve it at build time (absent is a valid setup).
  loading ??= import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "@opentelemetry/api").then(
    (module) => {
      api = module;
      return module;
    },
    () => {
      api = null;
      return null;
    },
  );
  return loading;
}

/** The API when it has been loaded, else undefined (not loaded yet) or null (not installed). */
export function loadedOpenTelemetry(): OpenTelemetryApi | null | undefined {
  return api;
}

/**
 * True for the API's no-op providers (what `trace`/`metrics` hand out before the SDK registers).
 * The API exports no way to ask, so the class name is compared; if it ever changes, the only cost
 * is that no-op spans and points are created, which record nothing.
 */
export function isNoopProvider(provider: object): boolean {
  const name = provider.constructor?.name;
  return name === "NoopMeterProvider" || name === "NoopTracerProvider";
}

export type { OpenTelemetryApi };
