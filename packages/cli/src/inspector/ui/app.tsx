// The inspector page: one request (or two side by side), its packed prompt, token bar and trace, and
// the freshness panel. The URL always holds the requests shown, so it can be shared.
import { useEffect, useState } from "preact/hooks";
import type { FreshnessSnapshot } from "../../freshness/snapshot.js";
import type { InspectionResult } from "../../inspection/inspect.js";
import type { InspectorConfigResponse } from "../handler.js";
import { type ApiError, assemble, type Loaded, loadConfig, loadFreshness } from "./api.js";
import { CompareView } from "./compare-view.js";
import { FreshnessPanel } from "./freshness-panel.js";
import { RequestForm } from "./request-form.js";
import { ResultView } from "./result-view.js";
import { type FormState, pageFromSearch, pageToSearch } from "./url-state.js";

function ErrorPanel({ error }: { error: ApiError }) {
  return (
    <div class="panel error" role="alert" data-testid="error" data-code={error.code}>
      <strong>{error.code}</strong> {error.message.replace(`${error.code}: `, "")}
    </div>
  );
}

export function App() {
  const initial = pageFromSearch(location.search);
  const [config, setConfig] = useState<Loaded<InspectorConfigResponse> | undefined>();
  const [freshness, setFreshness] = useState<FreshnessSnapshot | { unavailable: string } | undefined>();
  const [formA, setFormA] = useState<FormState>(initial.a);
  const [formB, setFormB] = useState<FormState | undefined>(initial.b);
  const [resultA, setResultA] = useState<Loaded<InspectionResult> | undefined>();
  const [resultB, setResultB] = useState<Loaded<InspectionResult> | undefined>();
  const [busy, setBusy] = useState(false);
  const [share, setShare] = useState(location.href);

  const run = async (a: FormState, b: FormState | undefined) => {
    setBusy(true);
    history.replaceState(null, "", pageToSearch({ a, b }));
    setShare(location.href);
    const [left, right] = await Promise.all([assemble(a), b ? assemble(b) : Promise.resolve(undefined)]);
    setResultA(left);
    setResultB(right);
    setBusy(false);
    document.getElementById("results")?.focus();
  };

  useEffect(() => {
    void loadConfig().then(setConfig);
    void loadFreshness().then((loaded) =>
      setFreshness(
        loaded.ok ? loaded.value : { unavailable: `${loaded.error.code}: ${loaded.error.message}` },
      ),
    );
    if (initial.hasRequest) void run(initial.a, initial.b);
  }, []);

  if (!config) return <p class="loading">Loading the inspector…</p>;
  if (!config.ok) return <ErrorPanel error={config.error} />;
  const comparing = formB !== undefined;
  const submit = () => void run(formA, formB);
  return (
    <>
      <header>
        <h1>ctxstore inspector</h1>
        <p>
          {config.value.sources.length} sources · {config.value.encoding} · every value's status and
          freshness, inside the prompt
        </p>
      </header>
      <main>
        <div class="toolbar">
          <label class="inline" for="compare-toggle">
            <input
              id="compare-toggle"
              type="checkbox"
              data-testid="compare-toggle"
              checked={comparing}
              onChange={(event) =>
                setFormB((event.target as HTMLInputElement).checked ? { ...formA } : undefined)
              }
            />
            Compare two requests side by side
          </label>
          {comparing ? (
            <button type="button" data-testid="submit-both" onClick={submit} disabled={busy}>
              Assemble both
            </button>
          ) : null}
          <span class="share">
            Shareable link:{" "}
            <a href={share} data-testid="share-link">
              {share}
            </a>
          </span>
        </div>
        <div class={`columns${comparing ? " compare" : ""}`}>
          <RequestForm
            id="a"
            title={comparing ? "Request A" : "Request"}
            config={config.value}
            value={formA}
            onChange={setFormA}
            onSubmit={submit}
            busy={busy}
          />
          {formB ? (
            <RequestForm
              id="b"
              title="Request B"
              config={config.value}
              value={formB}
              onChange={setFormB}
              onSubmit={submit}
              busy={busy}
            />
          ) : null}
        </div>
        <div id="results" tabIndex={-1} aria-live="polite" aria-busy={busy}>
          {comparing && resultA?.ok && resultB?.ok ? (
            <CompareView a={resultA.value} b={resultB.value} />
          ) : null}
          <div class={`columns${comparing ? " compare" : ""}`}>
            <div data-testid="result-a">
              {resultA && !resultA.ok ? <ErrorPanel error={resultA.error} /> : null}
              {resultA?.ok ? (
                <ResultView result={resultA.value} label={comparing ? "Request A" : "Request"} />
              ) : null}
            </div>
            {comparing ? (
              <div data-testid="result-b">
                {resultB && !resultB.ok ? <ErrorPanel error={resultB.error} /> : null}
                {resultB?.ok ? <ResultView result={resultB.value} label="Request B" /> : null}
              </div>
            ) : null}
          </div>
        </div>
        <FreshnessPanel snapshot={freshness} />
      </main>
    </>
  );
}
