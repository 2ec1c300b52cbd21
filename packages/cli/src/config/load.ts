// Finds and loads `ctxstore.config.{ts,mts,js,mjs}` with jiti (TypeScript without a build step), then
// checks that it exports what the commands need. Every failure is a `CTX_CONFIG` error naming the file
// and, for syntax and runtime errors, the line, plus what the config must export.
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { CtxError, isCtxError } from "@ctxstore/core";
import { createJiti } from "jiti";
import type { CtxstoreConfig } from "./types.js";

export const CONFIG_NAMES = [
  "ctxstore.config.ts",
  "ctxstore.config.mts",
  "ctxstore.config.js",
  "ctxstore.config.mjs",
] as const;

const SHAPE_HINT =
  "A ctxstore config's default export is `defineConfig({ context, offline?, vectors?, requests? })` (or a function returning it), where `context` is the store from createContextStore(...).";

export interface LoadedConfig {
  readonly path: string;
  readonly dir: string;
  readonly config: CtxstoreConfig;
}

/** The config file to use: `explicit` (relative to cwd), else the nearest ctxstore.config.* from cwd upwards. */
export function findConfig(cwd: string, explicit?: string): string {
  if (explicit !== undefined) {
    const path = isAbsolute(explicit) ? explicit : resolve(cwd, explicit);
    if (!existsSync(path))
      throw new CtxError("CTX_CONFIG", `Config file ${path} does not exist (from --config). ${SHAPE_HINT}`, {
        path,
      });
    return path;
  }
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const path = join(dir, name);
      if (existsSync(path)) return path;
    }
    if (dirname(dir) === dir) break;
  }
  throw new CtxError(
    "CTX_CONFIG",
    `No ${CONFIG_NAMES.join(" / ")} found in ${cwd} or any parent directory. Create one, or pass --config <file>. ${SHAPE_HINT}`,
    { cwd },
  );
}

export async function loadConfig(path: string): Promise<LoadedConfig> {
  // tryNative: inside a process that already runs TypeScript (the repo's source mode) the config shares
  // the CLI's module instances (one @ctxstore/core, one tokenizer); elsewhere jiti transpiles it.
  const jiti = createJiti(import.meta.url, { tryNative: true, fsCache: false, interopDefault: true });
  let exported: unknown;
  try {
    exported = await jiti.import(pathToFileURL(path).href, { default: true });
  } catch (error) {
    if (isCtxError(error)) throw error;
    throw new CtxError(
      "CTX_CONFIG",
      `Could not load ${path}: ${describeLoadError(error, path)}. Fix the file and run again. ${SHAPE_HINT}`,
      { path },
      { cause: error },
    );
  }
  let config: unknown;
  try {
    config = typeof exported === "function" ? await (exported as () => unknown)() : await exported;
  } catch (error) {
    if (isCtxError(error)) {
      throw new CtxError("CTX_CONFIG", `${path} failed while building the config: ${error.message}`, {
        path,
        cause: error.code,
      });
    }
    throw new CtxError(
      "CTX_CONFIG",
      `${path} failed while building the config: ${describeLoadError(error, path)}. ${SHAPE_HINT}`,
      { path },
      { cause: error },
    );
  }
  return { path, dir: dirname(path), config: checkConfig(config, path) };
}

function checkConfig(config: unknown, path: string): CtxstoreConfig {
  if (config === null || typeof config !== "object")
    throw new CtxError(
      "CTX_CONFIG",
      `${path} exports ${describe(config)}, not a config object. ${SHAPE_HINT}`,
      {
        path,
      },
    );
  const candidate = config as Record<string, unknown>;
  const context = candidate.context as Record<string, unknown> | undefined;
  if (
    context === null ||
    typeof context !== "object" ||
    typeof context.assemble !== "function" ||
    !(context.sources instanceof Map)
  ) {
    throw new CtxError(
      "CTX_CONFIG",
      `${path}: \`context\` must be a context store (createContextStore(...)); got ${describe(context)}. ${SHAPE_HINT}`,
      { path, keys: Object.keys(candidate) },
    );
  }
  for (const [name, kind] of [
    ["offline", "object"],
    ["vectors", "object"],
    ["requests", "object"],
    ["stateDir", "string"],
    ["freshness", "function"],
    ["close", "function"],
  ] as const) {
    const value = candidate[name];
    if (value !== undefined && (value === null || typeof value !== kind)) {
      throw new CtxError(
        "CTX_CONFIG",
        `${path}: \`${name}\` must be ${kind === "object" ? "an object" : `a ${kind}`}; got ${describe(value)}. ${SHAPE_HINT}`,
        { path, field: name },
      );
    }
  }
  return candidate as unknown as CtxstoreConfig;
}

function describe(value: unknown): string {
  if (value === undefined) return "undefined (nothing)";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object"
    ? `an object with keys ${Object.keys(value).join(", ") || "(none)"}`
    : typeof value;
}

/** The error's message plus the `file:line` of the first stack frame inside the config file. */
function describeLoadError(error: unknown, path: string): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
  const stack = error instanceof Error ? (error.stack ?? "") : "";
  const fileUrl = pathToFileURL(path).href;
  const frame = stack
    .split("\n")
    .map((line) => line.trim())
    .find((line) => line.includes(path) || line.includes(fileUrl));
  const location = frame ? /((?:file:\/\/)?\/[^\s()]+:\d+(?::\d+)?)/.exec(frame)?.[1] : undefined;
  return location && !message.includes(location) ? `${message} (at ${location})` : message;
}
