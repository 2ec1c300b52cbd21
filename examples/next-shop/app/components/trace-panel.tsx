"use client";
// "What the assistant saw": the trace of the last answer. Tokens used of the budget, every source's
// tier, status and age, and the packed sections. A source that is not a fact (error, timeout, stale,
// missing...) is called out as unavailable: the shopper sees "we could not read your session", never
// an empty history.
import type { AssemblyTrace } from "@ctxstore/core";
import type { ContextUIMessage } from "@ctxstore/next/chat";

const FACTS = new Set(["ok", "empty"]);

function age(milliseconds: number | undefined): string {
  if (milliseconds === undefined) return "–";
  if (milliseconds < 1_000) return `${Math.round(milliseconds)} ms`;
  if (milliseconds < 60_000) return `${Math.round(milliseconds / 1_000)} s`;
  if (milliseconds < 3_600_000) return `${Math.round(milliseconds / 60_000)} min`;
  return `${Math.round(milliseconds / 3_600_000)} h`;
}

export function TracePanel({ message }: { message: ContextUIMessage | undefined }) {
  const trace: AssemblyTrace | undefined = message?.metadata?.ctxstore;
  if (!trace) {
    return (
      <section className="trace" data-testid="trace-panel" data-state="empty">
        <h3>What the assistant saw</h3>
        <p className="muted">Ask something: the context behind the answer shows up here.</p>
      </section>
    );
  }
  const tierOf = new Map(trace.sources.map((source) => [source.source, source.tier]));
  const unavailable = trace.sources.filter(
    (source) => !FACTS.has(source.status) && source.status !== "skipped",
  );
  const sections = message?.metadata?.context?.sections ?? [];
  const share = Math.min(100, Math.round((trace.totals.tokens / trace.budget.maxTokens) * 100));
  return (
    <section className="trace" data-testid="trace-panel" data-state="trace" data-trace-id={trace.id}>
      <h3>What the assistant saw</h3>
      <p data-testid="trace-tokens">
        <strong>{trace.totals.tokens}</strong> of {trace.budget.maxTokens} tokens · assembled in{" "}
        {trace.phases.totalMs.toFixed(1)} ms
      </p>
      <div className="bar" aria-hidden>
        <span style={{ width: `${share}%` }} />
      </div>
      {unavailable.length > 0 ? (
        <p className="bad" data-testid="context-unavailable">
          Context unavailable:{" "}
          {unavailable.map((source) => `${source.source.replaceAll("_", " ")} (${source.status})`).join(", ")}
          . The assistant was told this is unknown — not that there is none.
        </p>
      ) : null}
      <table>
        <thead>
          <tr>
            <th>source</th>
            <th>tier</th>
            <th>status</th>
            <th>age</th>
            <th>tokens</th>
          </tr>
        </thead>
        <tbody>
          {trace.sources.map((source) => (
            <tr
              key={source.source}
              data-testid={`source-${source.source}`}
              data-status={source.status}
              data-tier={source.tier}
              title={source.reason ?? source.outcomeReason ?? ""}
            >
              <td>{source.source}</td>
              <td>{source.tier}</td>
              <td className={FACTS.has(source.status) ? "ok" : source.status === "skipped" ? "muted" : "bad"}>
                {source.status}
              </td>
              <td>{age(source.ageMs)}</td>
              <td>{source.tokens}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {sections.map((section) => {
        const tiers = [...new Set(section.sources.map((source) => tierOf.get(source) ?? "?"))];
        return (
          <details
            key={section.title}
            open={tiers.includes("stream")}
            data-testid="trace-section"
            data-tiers={tiers.join(" ")}
          >
            <summary>
              {section.title} · {tiers.join(", ")} · {section.tokens} tokens
            </summary>
            <pre>{section.text}</pre>
          </details>
        );
      })}
    </section>
  );
}
