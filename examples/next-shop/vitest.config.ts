import { defineProjectConfig } from "../../vitest.shared.ts";

// The end-to-end test builds the app once (about a minute on 2 cores) before it drives the browser.
export default defineProjectConfig({
  include: ["test/**/*.test.ts", "lib/**/*.test.ts"],
  testTimeout: 180_000,
});
