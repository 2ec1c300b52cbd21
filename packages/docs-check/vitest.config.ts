import { defineProjectConfig } from "../../vitest.shared.ts";

export default defineProjectConfig({ testTimeout: 600_000 });
