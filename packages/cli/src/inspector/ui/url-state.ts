// The page's state in its URL, so a request can be shared: request A's parameters as the API takes
// them (`user.userId=ana&query=...&maxTokens=600`), request B's with a `b:` prefix when comparing.
export interface FormState {
  readonly keys: Readonly<Record<string, string>>; // "entity.field" -> value
  readonly query: string;
  readonly maxTokens: string;
  readonly tenant: string;
  /** Whole-request deadline ("2s"); empty: the context store's. */
  readonly deadline: string;
  /** "markdown" or "xml"; empty: the context store's. */
  readonly format: string;
  /** The purpose to preview; empty: "inspection" (docs/governance.md says what a preview reveals). */
  readonly purpose: string;
}

export interface PageState {
  readonly a: FormState;
  readonly b: FormState | undefined;
}

export const EMPTY_FORM: FormState = {
  keys: {},
  query: "",
  maxTokens: "1500",
  tenant: "",
  deadline: "",
  format: "",
  purpose: "",
};

/** The form's fields other than entity keys, as URL parameter names. */
const OPTIONAL_FIELDS = ["query", "tenant", "deadline", "format", "purpose"] as const;

export function formToParams(form: FormState, prefix = ""): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(form.keys))
    if (value !== "") params.set(`${prefix}${name}`, value);
  params.set(`${prefix}maxTokens`, form.maxTokens);
  for (const field of OPTIONAL_FIELDS) if (form[field] !== "") params.set(`${prefix}${field}`, form[field]);
  return params;
}

function formFrom(params: URLSearchParams, prefix: string): FormState | undefined {
  const keys: Record<string, string> = {};
  const form: { -readonly [Field in keyof FormState]: FormState[Field] } = { ...EMPTY_FORM, keys };
  let seen = false;
  for (const [rawName, value] of params) {
    if (prefix === "" ? rawName.includes(":") : !rawName.startsWith(prefix)) continue;
    const name = rawName.slice(prefix.length);
    seen = true;
    if (name === "maxTokens") form.maxTokens = value;
    else if ((OPTIONAL_FIELDS as readonly string[]).includes(name))
      form[name as (typeof OPTIONAL_FIELDS)[number]] = value;
    else if (name !== "compare") keys[name] = value;
  }
  return seen ? form : undefined;
}

export function pageFromSearch(search: string): PageState & { hasRequest: boolean } {
  const params = new URLSearchParams(search);
  const a = formFrom(params, "");
  const compare = params.get("compare") === "1";
  const b = compare ? (formFrom(params, "b:") ?? a ?? EMPTY_FORM) : undefined;
  return { a: a ?? EMPTY_FORM, b, hasRequest: a !== undefined && Object.keys(a.keys).length > 0 };
}

export function pageToSearch(state: PageState): string {
  const params = formToParams(state.a);
  if (state.b) {
    params.set("compare", "1");
    for (const [name, value] of formToParams(state.b, "b:")) params.set(name, value);
  }
  return `?${params.toString()}`;
}
