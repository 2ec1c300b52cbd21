#!/usr/bin/env node
// Generates the API reference with TypeDoc from the doc comments of every published package's
// public entry points (each "exports" subpath of packages/*/package.json, read here so a new entry
// point is covered without editing this file), and fails when an exported symbol has no doc
// comment (validation.notDocumented, treated as an error).
//   node scripts/api-docs.mjs            lint only (no output written)   — npm run lint:api
//   node scripts/api-docs.mjs --out DIR  lint, then write HTML to DIR     — used by npm run docs
// Required: a doc comment on every exported function (or each of its signatures), class,
// interface, type alias, variable and enum, and on the methods of exported interfaces. There is no
// list of exceptions: every undocumented export fails the lint, named with the file it is defined in.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Application, Converter, OptionDefaults, ReflectionKind } from "typedoc";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outIndex = process.argv.indexOf("--out");
const out = outIndex > 0 ? process.argv[outIndex + 1] : undefined;

/** Entry file (relative to packages/) → the specifier users import it by. */
const entries = new Map();
for (const dir of readdirSync(join(root, "packages"))) {
  const manifestPath = join(root, "packages", dir, "package.json");
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  if (manifest.private === true) continue;
  for (const [subpath, targets] of Object.entries(manifest.exports ?? {})) {
    const source = typeof targets === "object" ? targets["@ctxstore/source"] : undefined;
    if (typeof source !== "string" || !source.endsWith(".ts")) continue;
    entries.set(
      join("packages", dir, source),
      subpath === "." ? manifest.name : `${manifest.name}${subpath.slice(1)}`,
    );
  }
}

const app = await Application.bootstrapWithPlugins({
  entryPoints: [...entries.keys()].map((path) => join(root, path)),
  entryPointStrategy: "resolve",
  tsconfig: join(root, "typedoc.tsconfig.json"),
  name: "ctxstore API reference",
  readme: "none",
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  sort: ["kind", "alphabetical"],
  // protoc-gen-es marks generated members with @generated (packages/feast/src/proto).
  blockTags: [...OptionDefaults.blockTags, "@generated"],
  validation: { notExported: false, invalidLink: true, notDocumented: true },
  requiredToBeDocumented: ["Enum", "Variable", "Function", "Class", "Interface", "TypeAlias"],
  // Default: only the root package, which exports nothing; every published package must be documented.
  packagesRequiringDocumentation: [
    ...new Set([...entries.values()].map((specifier) => specifier.split("/").slice(0, 2).join("/"))),
  ],
  // No "defined in" source links: they need a git remote, which a clone without one (CI, a tarball)
  // lacks, and TypeDoc's warning about it would fail this lint.
  disableSources: true,
  treatValidationWarningsAsErrors: true,
  treatWarningsAsErrors: false,
  logLevel: "Warn",
});

// TypeDoc names a module by its path ("core/src/store-kit"); users know it by its import specifier.
app.converter.on(Converter.EVENT_CREATE_DECLARATION, (_context, reflection) => {
  if (reflection.kind !== ReflectionKind.Module) return;
  for (const [path, specifier] of entries) {
    const typedocName = relative("packages", path)
      .replace(/\.ts$/, "")
      .replace(/\/index$/, "");
    if (
      reflection.name === typedocName ||
      reflection.name === relative("packages", path).replace(/\.ts$/, "")
    ) {
      reflection.name = specifier;
    }
  }
});

const project = await app.convert();
if (!project) {
  console.error("TypeDoc could not convert the entry points (see the errors above).");
  process.exit(1);
}
app.validate(project);
if (app.logger.hasErrors() || app.logger.hasWarnings()) {
  console.error(
    `\nAPI reference: ${app.logger.errorCount} error(s), ${app.logger.warningCount} warning(s). ` +
      "Every symbol exported from a package entry point needs a /** doc comment */ saying what it is for.",
  );
  process.exit(1);
}
if (out) {
  await app.generateDocs(project, out);
  console.log(`API reference for ${entries.size} entry points written to ${out}`);
} else {
  console.log(`API reference: all ${entries.size} entry points documented.`);
}
