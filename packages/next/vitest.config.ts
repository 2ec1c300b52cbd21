import { defineProjectConfig } from "../../vitest.shared.ts";

export default defineProjectConfig({ testTimeout: 30_000 });
