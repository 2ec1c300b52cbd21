// Telemetry must never break a request: a failure inside a tracer, span processor, exporter or
// meter is caught where it happens and reported here, once per process, then ignored.
let reported = false;

export function reportTelemetryFailure(error: unknown): void {
  if (reported) return;
  reported = true;
  const message = error instanceof Error ? error.message : String(error);
  process.emitWarning(
    `ctxstore telemetry failed and is ignored from now on (requests are unaffected): ${message}. Check your OpenTelemetry span processors, exporters and views.`,
    { code: "CTXSTORE_TELEMETRY" },
  );
}

/** Tests: forget that a failure was reported. */
export function resetTelemetryFailureReport(): void {
  reported = false;
}
