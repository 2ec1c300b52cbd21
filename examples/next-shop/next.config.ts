// Next.js configuration for the example. The @ctxstore packages are consumed from their TypeScript
// sources inside this monorepo (no build step), so webpack aliases each one to its `src` entry and
// resolves the `.js` import specifiers of those sources to their `.ts` files. Turbopack (Next 16's
// default bundler) cannot map `.js` specifiers to `.ts` files yet, so the scripts pass `--webpack`.
// An app that installs @ctxstore/* from npm needs none of this: the published packages ship `dist`.
import { fileURLToPath } from "node:url";
import type { NextConfig } from "next";

const sourceEntries: Record<string, string> = {
  "@ctxstore/core": "packages/core/src/index.ts",
  "@ctxstore/core/store": "packages/core/src/store-kit.ts",
  "@ctxstore/next": "packages/next/src/index.ts",
  "@ctxstore/next/chat": "packages/next/src/chat/index.ts",
  "@ctxstore/redis": "packages/redis/src/index.ts",
  "@ctxstore/ai-sdk": "packages/ai-sdk/src/index.ts",
};

const repositoryRoot = fileURLToPath(new URL("../../", import.meta.url));

const config: NextConfig = {
  // The end-to-end test and the benchmark build into their own directory, so they never collide
  // with a `next dev` or `next build` you are running here.
  distDir: process.env.NEXT_SHOP_DIST_DIR ?? ".next",
  transpilePackages: [
    "@ctxstore/core",
    "@ctxstore/next",
    "@ctxstore/redis",
    "@ctxstore/ai-sdk",
    "@ctxstore-examples/quickstart",
  ],
  // ioredis opens TCP sockets: keep it a plain Node require rather than bundling it.
  serverExternalPackages: ["ioredis"],
  // The end-to-end test sets this: it type-checks separately (`pnpm typecheck`) and saves ~15 s per build.
  typescript: { ignoreBuildErrors: process.env.NEXT_SHOP_SKIP_TYPECHECK === "1" },
  experimental: { externalDir: true, extensionAlias: { ".js": [".ts", ".tsx", ".js"] } },
  webpack: (webpackConfig) => {
    for (const [name, entry] of Object.entries(sourceEntries)) {
      webpackConfig.resolve.alias[`${name}$`] = `${repositoryRoot}${entry}`;
    }
    return webpackConfig;
  },
};

export default config;
