// The freshness panel: per source, share fresh/stale and age percentiles vs maxAge, ingest lag and
// the last materialization with the guard's verdict. Anything not measured says so, in words.
import type { FreshnessSnapshot, SourceFreshness } from "../../freshness/snapshot.js";
import { age, percent } from "./format.js";

function Unknown({ value }: { value: { unavailable: string } | undefined }) {
  if (value === undefined) return <span class="muted">-</span>;
  const reason = value.unavailable;
  const [word, ...rest] = reason.split(": ");
  return (
    <span class="unknown" data-testid="freshness-unknown">
      <strong>{word === "not applicable" ? "n/a" : reason.startsWith("never") ? "never" : "unknown"}</strong>{" "}
      {rest.length > 0 ? rest.join(": ") : word}
    </span>
  );
}

function Row({ source }: { source: SourceFreshness }) {
  const { sample, ingestLagMs, lastMaterialization: last } = source;
  return (
    <tr data-testid="freshness-row" data-source={source.source}>
      <th scope="row">{source.source}</th>
      <td>{source.tier}</td>
      <td>{age(source.maxAgeMs)}</td>
      <td>
        {!("unavailable" in sample) ? (
          `${percent(sample.freshShare)} fresh / ${percent(sample.staleShare)} stale (${sample.values} sampled); age p50 ${age(sample.ageMs.p50)}, p90 ${age(sample.ageMs.p90)}, p99 ${age(sample.ageMs.p99)}`
        ) : (
          <Unknown value={sample} />
        )}
      </td>
      <td>{typeof ingestLagMs === "number" ? age(ingestLagMs) : <Unknown value={ingestLagMs} />}</td>
      <td>
        {last !== undefined && !("unavailable" in last) ? (
          <span>
            {new Date(last.finishedAt).toISOString().replace("T", " ").slice(0, 19)} UTC:{" "}
            <span class={`badge ${last.status === "held" ? "status-error" : "status-ok"}`}>
              {last.status}
              {last.forced ? " (forced)" : ""}
            </span>{" "}
            zero share {percent(last.zeroRate)}
          </span>
        ) : (
          <Unknown value={last === undefined ? undefined : last} />
        )}
      </td>
    </tr>
  );
}

export function FreshnessPanel({
  snapshot,
}: {
  snapshot: FreshnessSnapshot | { unavailable: string } | undefined;
}) {
  return (
    <div class="panel" data-testid="freshness">
      <h2>Freshness per source</h2>
      {snapshot === undefined ? <p class="muted">Loading…</p> : null}
      {snapshot && "unavailable" in snapshot ? <p class="muted">{snapshot.unavailable}</p> : null}
      {snapshot && "sources" in snapshot ? (
        <table>
          <thead>
            <tr>
              <th scope="col">source</th>
              <th scope="col">tier</th>
              <th scope="col">maxAge</th>
              <th scope="col">stored values</th>
              <th scope="col">ingest lag</th>
              <th scope="col">last materialization</th>
            </tr>
          </thead>
          <tbody>
            {snapshot.sources.map((source) => (
              <Row key={source.source} source={source} />
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
