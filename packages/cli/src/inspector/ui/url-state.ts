// The page's state in its URL, so a request can be shared: request A's parameters as the API takes
// them (`user.userId=ana&query=...&maxTokens=600`), request B's with a `b:` prefix when comparing.
export interface FormState {
  readonly keys: Readonly<Record<string, string>>; // "entity.field" -> value
  readonly query: string;
  readonly maxTokens: string;
  readonly tenant: string;
  /** Whole-request deadline ("2s"); empty: the context store's. */
  readonly deadline: string;
}

export interface PageState {
  readonly a: FormState;
  readonly b: FormState | undefined;
}

export const EMPTY_FORM: FormState = { keys: {}, query: "", maxTokens: "1500", tenant: "", deadline: "" };

const RESERVED = new Set(["query", "maxTokens", "tenant", "deadline"]);

export function formToParams(form: FormState, prefix = ""): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(form.keys))
    if (value !== "") params.set(`${prefix}${name}`, value);
  if (form.query !== "") params.set(`${prefix}query`, form.query);
  params.set(`${prefix}maxTokens`, form.maxTokens);
  if (form.tenant !== "") params.set(`${prefix}tenant`, form.tenant);
  if (form.deadline !== "") params.set(`${prefix}deadline`, form.deadline);
  return params;
}

function formFrom(params: URLSearchParams, prefix: string): FormState | undefined {
  const keys: Record<string, string> = {};
  let query = "";
  let maxTokens = "1500";
  let tenant = "";
  let deadline = "";
  let seen = false;
  for (const [rawName, value] of params) {
    if (prefix === "" ? rawName.includes(":") : !rawName.startsWith(prefix)) continue;
    const name = rawName.slice(prefix.length);
    seen = true;
    if (name === "query") query = value;
    else if (name === "maxTokens") maxTokens = value;
    else if (name === "tenant") tenant = value;
    else if (name === "deadline") deadline = value;
    else if (!RESERVED.has(name) && name !== "compare") keys[name] = value;
  }
  return seen ? { keys, query, maxTokens, tenant, deadline } : undefined;
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
