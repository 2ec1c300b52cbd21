// The request form: a preset picker (the config's named requests), one field per entity key field,
// the query, the budget, the tenant, the deadline, the prompt format and the purpose to preview.
// Plain labelled form controls, so it works by keyboard alone (Tab between fields, Enter submits).
import type { SampleRequest } from "../../config/types.js";
import type { InspectorConfigResponse } from "../handler.js";
import { EMPTY_FORM, type FormState } from "./url-state.js";

/** Offered in the purpose field; a purpose the config declares can be typed in too. */
const KNOWN_PURPOSES = ["inspection", "serving", "training"];

export function formFromSample(sample: SampleRequest): FormState {
  const keys: Record<string, string> = {};
  for (const [entity, key] of Object.entries(sample.keys))
    for (const [field, value] of Object.entries(key as Record<string, unknown>))
      keys[`${entity}.${field}`] = String(value);
  return { ...EMPTY_FORM, keys, query: sample.query ?? "", maxTokens: String(sample.maxTokens) };
}

export function RequestForm(props: {
  id: string;
  title: string;
  config: InspectorConfigResponse;
  value: FormState;
  onChange: (value: FormState) => void;
  onSubmit: () => void;
  busy: boolean;
}) {
  const { id, config, value, onChange } = props;
  const presets = Object.entries(config.requests);
  return (
    <form
      class="request panel"
      data-testid={`request-form-${id}`}
      aria-label={props.title}
      onSubmit={(event) => {
        event.preventDefault();
        props.onSubmit();
      }}
    >
      <h2 class="wide">{props.title}</h2>
      {presets.length > 0 ? (
        <div class="wide">
          <label for={`${id}-preset`}>Named request (from the config)</label>
          <select
            id={`${id}-preset`}
            data-testid={`preset-${id}`}
            onChange={(event) => {
              const sample = config.requests[(event.target as HTMLSelectElement).value];
              if (sample) onChange(formFromSample(sample));
            }}
          >
            <option value="">choose a request…</option>
            {presets.map(([name, sample]) => (
              <option key={name} value={name}>
                {name}
                {sample.title ? `: ${sample.title}` : ""}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {config.entities.flatMap((entity) =>
        entity.fields.map((field) => {
          const name = `${entity.name}.${field}`;
          return (
            <div key={name}>
              <label for={`${id}-key-${name}`}>{name}</label>
              <input
                id={`${id}-key-${name}`}
                name={name}
                value={value.keys[name] ?? ""}
                autocomplete="off"
                onInput={(event) =>
                  onChange({
                    ...value,
                    keys: { ...value.keys, [name]: (event.target as HTMLInputElement).value },
                  })
                }
              />
            </div>
          );
        }),
      )}
      <div class="wide">
        <label for={`${id}-query`}>Query (the user's question)</label>
        <input
          id={`${id}-query`}
          name="query"
          value={value.query}
          onInput={(event) => onChange({ ...value, query: (event.target as HTMLInputElement).value })}
        />
      </div>
      <div>
        <label for={`${id}-max-tokens`}>Budget (max tokens)</label>
        <input
          id={`${id}-max-tokens`}
          name="maxTokens"
          type="number"
          min={1}
          step={1}
          value={value.maxTokens}
          onInput={(event) => onChange({ ...value, maxTokens: (event.target as HTMLInputElement).value })}
        />
      </div>
      <div>
        <label for={`${id}-tenant`}>Tenant (optional)</label>
        <input
          id={`${id}-tenant`}
          name="tenant"
          value={value.tenant}
          onInput={(event) => onChange({ ...value, tenant: (event.target as HTMLInputElement).value })}
        />
      </div>
      <div>
        <label for={`${id}-deadline`}>Deadline (optional, e.g. 2s)</label>
        <input
          id={`${id}-deadline`}
          name="deadline"
          value={value.deadline}
          placeholder="the store's"
          onInput={(event) => onChange({ ...value, deadline: (event.target as HTMLInputElement).value })}
        />
      </div>
      <div>
        <label for={`${id}-format`}>Prompt format</label>
        <select
          id={`${id}-format`}
          name="format"
          value={value.format}
          onChange={(event) => onChange({ ...value, format: (event.target as HTMLSelectElement).value })}
        >
          <option value="">the store's</option>
          <option value="markdown">markdown</option>
          <option value="xml">xml</option>
        </select>
      </div>
      <div>
        <label for={`${id}-purpose`}>Preview as purpose</label>
        <input
          id={`${id}-purpose`}
          name="purpose"
          list={`${id}-purposes`}
          value={value.purpose}
          placeholder="inspection"
          autocomplete="off"
          aria-describedby={`${id}-purpose-help`}
          onInput={(event) => onChange({ ...value, purpose: (event.target as HTMLInputElement).value })}
        />
        <datalist id={`${id}-purposes`}>
          {KNOWN_PURPOSES.map((purpose) => (
            <option key={purpose} value={purpose} />
          ))}
        </datalist>
      </div>
      <div>
        <button type="submit" data-testid={`submit-${id}`} disabled={props.busy}>
          {props.busy ? "Assembling…" : "Assemble"}
        </button>
      </div>
      <p class="help wide" id={`${id}-purpose-help`}>
        Preview as purpose: that purpose's prompt, with values still masked as inspection masks them unless
        your role may see them unredacted.
      </p>
    </form>
  );
}
