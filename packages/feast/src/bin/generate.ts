#!/usr/bin/env node
// ctxstore-feast-generate: writes ctxstore definitions for chosen feature views of a Feast registry
// file. The ctxstore CLI's subcommand calls the same generateFeastDefinitions().
//
//   ctxstore-feast-generate data/registry.db --feature-view driver_hourly_stats [--feature-view ...]
//     [--project demo] [--online-versioning] [--nullable] [--out src/feast-sources.ts]
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { isCtxError } from "@ctxstore/core";
import { generateFeastDefinitions } from "../registry.js";

const USAGE =
  "usage: ctxstore-feast-generate <registry file> --feature-view <name> [--feature-view <name> ...] [--project <name>] [--online-versioning] [--nullable] [--out <file.ts>]";

export function main(argv: readonly string[]): number {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [registryPath] = positionals;
  const featureViews = values["feature-view"] ?? [];
  if (registryPath === undefined || positionals.length > 1 || featureViews.length === 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  try {
    const source = generateFeastDefinitions(readFileSync(registryPath), {
      featureViews,
      ...(values.project === undefined ? {} : { project: values.project }),
      onlineVersioning: values["online-versioning"] === true,
      nullable: values.nullable === true,
    });
    if (values.out === undefined) process.stdout.write(source);
    else writeFileSync(values.out, source);
    return 0;
  } catch (error) {
    const message = isCtxError(error)
      ? error.message
      : error instanceof Error && "code" in error && error.code === "ENOENT"
        ? `cannot read ${registryPath}: no such file`
        : String(error);
    process.stderr.write(`${message}\n`);
    return 1;
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      "feature-view": { type: "string", multiple: true },
      project: { type: "string" },
      "online-versioning": { type: "boolean" },
      nullable: { type: "boolean" },
      out: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("ctxstore-feast-generate")) {
  process.exitCode = main(process.argv.slice(2));
}
