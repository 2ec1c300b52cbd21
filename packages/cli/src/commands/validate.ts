// `ctxstore validate`: the definition checks of validate/findings.ts, printed with advice.
import { EXIT } from "../output/exit-codes.js";
import { validateConfig } from "../validate/findings.js";
import type { CommandContext } from "./run.js";

export async function validateCommand(command: CommandContext): Promise<number> {
  const { config, path } = await command.config();
  const report = await validateConfig(config);
  const { terminal } = command;
  if (terminal.json) {
    terminal.printJson({ config: path, ...report });
  } else {
    const { colors } = terminal;
    const paint = { error: colors.red, warning: colors.yellow, note: colors.cyan };
    terminal.print(
      `${path}: ${report.sources} sources, sample requests checked: ${report.requestsChecked.join(", ") || "none"}`,
    );
    for (const finding of report.findings) {
      const where = [finding.request && `request ${finding.request}`, finding.source]
        .filter(Boolean)
        .join(", ");
      terminal.print(
        `\n${paint[finding.level](finding.level)} [${finding.check}]${where ? ` (${where})` : ""}\n  ${finding.message}\n  ${colors.dim("advice:")} ${finding.advice}`,
      );
    }
    const counts = (["error", "warning", "note"] as const).map(
      (level) => `${report.findings.filter((finding) => finding.level === level).length} ${level}(s)`,
    );
    terminal.print(`\n${report.ok ? colors.green("ok") : colors.red("failed")}: ${counts.join(", ")}`);
  }
  return report.ok ? EXIT.ok : EXIT.failure;
}
