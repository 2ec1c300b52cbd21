// VitePress config of the docs site. The pages are staged into docs/.site-src by
// scripts/docs-site.mjs (run `npm run docs`), which also writes the TypeDoc API reference to /api/.
import { readdirSync } from "node:fs";
import { defineConfig } from "vitepress";

const staged = new URL("../.site-src/", import.meta.url);
const list = (folder: string) =>
  readdirSync(new URL(`${folder}/`, staged))
    .filter((file) => file.endsWith(".md"))
    .map((file) => ({ text: file.replace(/\.md$/, ""), link: `/${folder}/${file.replace(/\.md$/, "")}` }));
const guides = readdirSync(staged)
  .filter((file) => file.endsWith(".md") && file !== "index.md")
  .map((file) => ({
    text: file.replace(/\.md$/, "").replace(/-/g, " "),
    link: `/${file.replace(/\.md$/, "")}`,
  }));

export default defineConfig({
  title: "ctxstore",
  description: "The feature-store pattern for LLM context.",
  srcDir: ".site-src",
  outDir: "../dist/site",
  cacheDir: "../node_modules/.cache/vitepress",
  cleanUrls: false,
  // Staged pages link to /repo/... copies and /api/, which VitePress does not see as pages.
  ignoreDeadLinks: [/^\/repo\//, /^\/api\//],
  markdown: { html: false },
  themeConfig: {
    nav: [
      { text: "Guides", link: "/concepts" },
      { text: "API reference", link: "/api/index.html", target: "_self" },
    ],
    sidebar: [
      { text: "Guides", items: guides },
      { text: "Packages", items: list("packages") },
      { text: "Examples", items: list("examples") },
    ],
    search: { provider: "local" },
  },
});
