// The folder pass of `npm run lint` (see .dependency-cruiser.cjs): no two folders of any package's
// src depend on each other, directly or around a loop. Test files and fixtures are left out: a test
// beside the code may import its package's entry point, which is not a dependency of the code.
const base = require("./.dependency-cruiser.cjs");

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular-folders",
      severity: "error",
      comment:
        "Two folders depend on each other: the pipeline's stages must form a one-way flow (see docs/architecture.md).",
      scope: "folder",
      from: { path: "^packages/[^/]+/src/" },
      to: { circular: true },
    },
  ],
  options: {
    ...base.options,
    exclude: { path: `${base.options.exclude.path}|\\.(test|fixtures)\\.tsx?$` },
    includeOnly: { path: "^packages/[^/]+/src/" },
  },
};
