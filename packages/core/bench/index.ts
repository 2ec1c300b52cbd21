// `pnpm bench` for @ctxstore/core: assemble, pack and vector figures in one report.
import { report } from "@ctxstore/bench-fixtures";
import { runAssembleBench } from "./assemble.js";

const figures = [...(await runAssembleBench())];
try {
  const { runPackBench } = await import("./pack.js");
  figures.push(...(await runPackBench()));
} catch (error) {
  if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
}
try {
  const { runVectorBench } = await import("./vector.js");
  figures.push(...(await runVectorBench()));
} catch (error) {
  if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
}
try {
  const { runAnnBench } = await import("./ann.js");
  figures.push(...(await runAnnBench()));
} catch (error) {
  if ((error as { code?: string }).code !== "ERR_MODULE_NOT_FOUND") throw error;
}
const { runTelemetryBench } = await import("./telemetry.js");
figures.push(...(await runTelemetryBench()));
const { runCurveBench } = await import("./curves.js");
figures.push(...(await runCurveBench()));
const { runPromptCacheBench } = await import("./prompt-cache.js");
figures.push(...(await runPromptCacheBench()));
report(figures);
