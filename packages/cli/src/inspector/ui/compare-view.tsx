// Two requests side by side: what changed in the prompt (sections, per-source status, outcome and
// tokens) and why (request B's reasons).
import type { InspectionResult } from "../../inspection/inspect.js";
import { outcomeText, whyText } from "./format.js";
import { StatusBadge } from "./result-view.js";

export function CompareView({ a, b }: { a: InspectionResult; b: InspectionResult }) {
  const names = [
    ...new Set([...a.sources.map((source) => source.source), ...b.sources.map((source) => source.source)]),
  ];
  const sectionsA = new Set(a.sections.map((section) => section.title));
  const sectionsB = new Set(b.sections.map((section) => section.title));
  const onlyA = [...sectionsA].filter((title) => !sectionsB.has(title));
  const onlyB = [...sectionsB].filter((title) => !sectionsA.has(title));
  const rows = names.map((name) => {
    const left = a.sources.find((source) => source.source === name);
    const right = b.sources.find((source) => source.source === name);
    const changed =
      left?.status !== right?.status || left?.outcome !== right?.outcome || left?.tokens !== right?.tokens;
    return { name, left, right, changed };
  });
  const changedCount = rows.filter((row) => row.changed).length;
  return (
    <div class="panel" data-testid="compare">
      <h2>What changed from A to B</h2>
      <p>
        Tokens {a.tokens} → {b.tokens} ({b.tokens - a.tokens >= 0 ? "+" : ""}
        {b.tokens - a.tokens}); {changedCount} of {rows.length} sources changed.
        {onlyA.length > 0 ? ` Sections only in A: ${onlyA.join(", ")}.` : ""}
        {onlyB.length > 0 ? ` Sections only in B: ${onlyB.join(", ")}.` : ""}
        {a.text === b.text ? " The packed prompts are identical." : ""}
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">source</th>
            <th scope="col">status A → B</th>
            <th scope="col">outcome A → B</th>
            <th scope="col">tokens A → B</th>
            <th scope="col">why (B)</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(({ name, left, right, changed }) => (
            <tr
              key={name}
              data-testid="diff-row"
              data-source={name}
              data-changed={String(changed)}
              class={changed ? "changed" : ""}
            >
              <th scope="row">
                {name}
                {changed ? " (changed)" : ""}
              </th>
              <td>
                {left ? <StatusBadge status={left.status} /> : "-"} →{" "}
                {right ? <StatusBadge status={right.status} /> : "-"}
              </td>
              <td>
                {left ? outcomeText(left) : "-"} → {right ? outcomeText(right) : "-"}
              </td>
              <td class="num">
                {left?.tokens ?? "-"} → {right?.tokens ?? "-"}
              </td>
              <td>{right ? whyText(right) : "not requested in B"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
