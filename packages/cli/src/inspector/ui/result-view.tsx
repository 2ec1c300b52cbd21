// One inspection: the token bar by tier against the budget, the packed prompt (each section marked
// by tier, each value by status, in words as well as colour), the warnings and the trace table.
import type { InspectedSection, InspectionResult } from "../../inspection/inspect.js";
import { age, FACTS, outcomeText, TIERS, whyText } from "./format.js";

export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status}`} data-testid="status-badge" data-status={status}>
      {status}
    </span>
  );
}

export function TierBadge({ tier }: { tier: string }) {
  return (
    <span class={`badge tier tier-${tier}`} data-testid="tier-badge">
      {tier}
    </span>
  );
}

export function TokenBar({ result, label }: { result: InspectionResult; label: string }) {
  const used = TIERS.map((tier) => ({ tier, tokens: result.tokensByTier[tier] })).filter(
    (part) => part.tokens > 0,
  );
  const summary = `${result.tokens} of ${result.budget} tokens used: ${used.map((part) => `${part.tier} ${part.tokens}`).join(", ") || "none"}; ${Math.max(0, result.budget - result.tokens)} free`;
  return (
    <div data-testid="token-bar" data-tokens={result.tokens} data-budget={result.budget}>
      <div class="bar" role="img" aria-label={`${label}: ${summary}`}>
        {used.map((part) => (
          <span
            key={part.tier}
            class={`seg-${part.tier}`}
            data-testid="token-bar-segment"
            data-tier={part.tier}
            data-tokens={part.tokens}
            style={{ width: `${(part.tokens / result.budget) * 100}%` }}
            title={`${part.tier}: ${part.tokens} tokens`}
          />
        ))}
      </div>
      <div class="legend">
        {TIERS.map((tier) => (
          <span key={tier}>
            <i class={`seg-${tier}`} />
            {tier} {result.tokensByTier[tier]}
          </span>
        ))}
        <span>
          <strong>
            {result.tokens}/{result.budget}
          </strong>{" "}
          tokens ({result.trace.encoding})
        </span>
      </div>
    </div>
  );
}

function SectionView({ section }: { section: InspectedSection }) {
  const tier = section.tiers.length === 1 ? section.tiers[0] : "mixed";
  return (
    <section
      class={`sec-${tier}`}
      data-testid="section"
      data-title={section.title}
      data-tiers={section.tiers.join(" ")}
    >
      <div class="heading">
        <h3>{section.title}</h3>
        {section.tiers.map((entry) => (
          <TierBadge key={entry} tier={entry} />
        ))}
        <span class="muted">{section.tokens} tokens</span>
      </div>
      {section.blocks.map((block) => (
        <div
          key={block.source}
          class={`block${FACTS.has(block.status) ? "" : " not-fact"}`}
          data-testid="block"
          data-source={block.source}
          data-status={block.status}
        >
          <div class="meta">
            <strong>{block.source}</strong>
            <span>
              <StatusBadge status={block.status} /> {block.rendered === "value" ? "" : block.rendered}
            </span>
            <span>{block.tokens} tokens</span>
          </div>
          <pre>{block.text}</pre>
        </div>
      ))}
    </section>
  );
}

function runAs(result: InspectionResult): string {
  const { purpose = "inspection", previewPurpose } = result.request;
  if (previewPurpose === undefined) return `Purpose: ${purpose} (its redaction policy applies).`;
  return `Previewing purpose ${previewPurpose}: its prompt, with values masked as ${purpose} masks them unless your role may see them unredacted.`;
}

export function ResultView({ result, label }: { result: InspectionResult; label: string }) {
  return (
    <div data-testid="result">
      <p class="run-as" data-testid="run-as">
        {runAs(result)}
      </p>
      <div class="panel">
        <h2>Tokens by tier</h2>
        <TokenBar result={result} label={label} />
      </div>
      <div class="panel prompt">
        <h2>Packed prompt</h2>
        {result.sections.length === 0 ? <p class="muted">Nothing was packed.</p> : null}
        {result.sections.map((section) => (
          <SectionView key={section.title} section={section} />
        ))}
        <details data-testid="prompt-text">
          <summary>
            The prompt text as the model receives it ({result.request.format ?? "the store's format"})
          </summary>
          <pre>{result.text}</pre>
        </details>
        {result.warnings.length > 0 ? (
          <ul class="warnings" data-testid="warnings">
            {result.warnings.map((warning) => (
              <li key={warning}>warning: {warning}</li>
            ))}
          </ul>
        ) : null}
      </div>
      <div class="panel">
        <h2>Trace: why each value is in or out</h2>
        <table data-testid="trace">
          <thead>
            <tr>
              <th scope="col">source</th>
              <th scope="col">tier</th>
              <th scope="col">status</th>
              <th scope="col">age / maxAge</th>
              <th scope="col">latency</th>
              <th scope="col">tokens</th>
              <th scope="col">outcome</th>
              <th scope="col">why</th>
            </tr>
          </thead>
          <tbody>
            {result.sources.map((source) => (
              <tr
                key={source.source}
                data-testid="trace-row"
                data-source={source.source}
                data-status={source.status}
                data-outcome={source.outcome}
              >
                <th scope="row">{source.source}</th>
                <td>{source.tier}</td>
                <td>
                  <StatusBadge status={source.status} />
                </td>
                <td>
                  {age(source.ageMs)} / {age(source.maxAgeMs)}
                </td>
                <td class="num">{source.latencyMs.toFixed(1)}ms</td>
                <td class="num">{source.tokens}</td>
                <td>{outcomeText(source)}</td>
                <td>{whyText(source)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
