// Governance definitions: who asks (principal), for what (purpose), on whose behalf (tenant), and
// what personal data a source holds (PII tags). `createContextStore` checks them once with
// `compileGovernance`; the assembly's governance phase (resolve/governance.ts) applies them.
import { CtxError } from "../errors.js";

/** Who is asking. `roles` feed source `readers` lists; a predicate may read anything else. */
export interface Principal {
  readonly id: string;
  readonly roles?: readonly string[];
}

/**
 * Personal data a source holds. `category` tags the whole value (e.g. a free-text summary of a
 * person); `fields` tags top-level fields of the value (of each event, for a stream) by category.
 */
export interface PiiTags {
  readonly category?: string;
  readonly fields?: Readonly<Record<string, string>>;
}

/** Who may read a source: any of these roles, or a predicate over the principal. */
export type Readers = readonly string[] | ((principal: Principal) => boolean);

/**
 * What a purpose does with a tagged value:
 * - `keep`: unchanged;
 * - `mask`: replaced by `[redacted <category>]`;
 * - `pseudonymize`: replaced by a stable keyed hash (`pii_<hex>`): the same value gives the same
 *   pseudonym for the same key, so training rows stay joinable without holding the value;
 * - `drop`: the whole source is `skipped` ("redacted for purpose ..."), never rendered as empty.
 */
export type RedactionAction = "keep" | "mask" | "pseudonymize" | "drop";

/** What one purpose does with personal data: an action per PII category (docs/governance.md). */
export interface PurposePolicy {
  /** Action per PII category. */
  readonly redact?: Readonly<Record<string, RedactionAction>>;
  /** Action for a category the policy does not name. */
  readonly otherwise?: RedactionAction;
  /** Principals for whom this purpose keeps every value (e.g. inspection by a privacy officer). */
  readonly unredactedFor?: Readers;
}

/** The purposes every context store knows: model prompts, training datasets, the inspector. */
export const BUILT_IN_PURPOSES = ["serving", "training", "inspection"] as const;

/** Defaults: serving keeps, training pseudonymises, inspection masks. */
const DEFAULT_POLICIES: Readonly<Record<(typeof BUILT_IN_PURPOSES)[number], PurposePolicy>> = {
  serving: { otherwise: "keep" },
  training: { otherwise: "pseudonymize" },
  inspection: { otherwise: "mask" },
};

/** What one assembly was: sent to the audit sink, without any value. */
export interface AuditRecord {
  readonly operation: "assemble" | "forget";
  readonly time: number;
  readonly principal: Principal | undefined;
  readonly purpose: string;
  readonly tenant: string | undefined;
  readonly sources: ReadonlyArray<{
    readonly source: string;
    readonly status: string;
    readonly reason?: string;
  }>;
}

/** `createContextStore({ governance })`: purposes, their redaction policies and PII categories. */
export interface GovernanceOptions {
  /** Purposes beyond the built-in ones, and overrides of those (serving, training, inspection). */
  readonly purposes?: Readonly<Record<string, PurposePolicy>>;
  /** Extra PII categories that policies may name before any source uses them. */
  readonly categories?: readonly string[];
  /** HMAC key for pseudonyms (at least 16 bytes). Required when any purpose pseudonymises a tag in use. */
  readonly pseudonymKey?: string | Uint8Array;
  /** Receives one record per assembly and per forget; a failing sink fails the call (audits are not optional once asked for). */
  readonly audit?: (record: AuditRecord) => void | Promise<void>;
}

export interface CompiledGovernance {
  readonly multiTenant: boolean;
  readonly purposes: ReadonlyMap<string, PurposePolicy>;
  readonly pseudonymKey: Uint8Array | undefined;
  readonly audit: GovernanceOptions["audit"];
}

const TENANT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/**
 * Tenant ids are refused, not encoded, unless they are 1..64 of `A-Z a-z 0-9 _ . -` starting with a
 * letter or digit: every store puts them in keys, hash tags, file rows and filters, and one id that
 * means the same thing everywhere is easier to audit than an encoding each store must get right.
 */
export function checkTenantId(tenant: unknown, operation: string): string {
  if (typeof tenant !== "string" || !TENANT.test(tenant)) {
    throw new CtxError(
      "CTX_INVALID_TENANT",
      `${operation}: tenant ${typeof tenant === "string" ? JSON.stringify(tenant.slice(0, 80)) : String(tenant)} is not a valid tenant id; use 1..64 characters of A-Z a-z 0-9 _ . - starting with a letter or digit (":", "{", "}", "%" and spaces are refused).`,
      { operation },
    );
  }
  return tenant;
}

/** The tenant of one operation: required (and checked) on a multi-tenant store, refused on a single-tenant one. */
export function requestTenant(multiTenant: boolean, tenant: unknown, operation: string): string | undefined {
  if (!multiTenant) {
    if (tenant === undefined) return undefined;
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${operation}: this context store is single-tenant, so a tenant would be ignored; declare createContextStore({ tenancy: "multi" }) or leave tenant out.`,
      { operation },
    );
  }
  if (tenant === undefined) {
    throw new CtxError(
      "CTX_TENANT_REQUIRED",
      `${operation}: this context store is multi-tenant; pass the tenant of the caller (from its identity, never from user input) with the request.`,
      { operation },
    );
  }
  return checkTenantId(tenant, operation);
}

export function checkPrincipal(principal: unknown, operation: string): Principal | undefined {
  if (principal === undefined) return undefined;
  const candidate = principal as Principal;
  if (
    candidate === null ||
    typeof candidate !== "object" ||
    typeof candidate.id !== "string" ||
    candidate.id.length === 0 ||
    (candidate.roles !== undefined &&
      (!Array.isArray(candidate.roles) || candidate.roles.some((role) => typeof role !== "string")))
  ) {
    throw new CtxError(
      "CTX_INVALID_REQUEST",
      `${operation}: principal must be { id: string, roles?: string[] }.`,
      { operation },
    );
  }
  return candidate;
}

export function isReader(readers: Readers, principal: Principal): boolean {
  if (typeof readers === "function") return readers(principal) === true;
  const roles = principal.roles ?? [];
  return readers.some((role) => roles.includes(role));
}

/** Categories used by a set of tags. */
export function tagCategories(tags: PiiTags | undefined): string[] {
  if (!tags) return [];
  return [...(tags.category === undefined ? [] : [tags.category]), ...Object.values(tags.fields ?? {})];
}

const ACTIONS: readonly RedactionAction[] = ["keep", "mask", "pseudonymize", "drop"];

export function compileGovernance(options: {
  readonly tenancy: "single" | "multi" | undefined;
  readonly governance: GovernanceOptions | undefined;
  /** Every category a source or field is tagged with. */
  readonly categoriesInUse: ReadonlySet<string>;
}): CompiledGovernance {
  const governance = options.governance ?? {};
  const fail = (message: string): never => {
    throw new CtxError("CTX_INVALID_DEFINITION", `governance: ${message}`, {});
  };
  if (options.tenancy !== undefined && options.tenancy !== "single" && options.tenancy !== "multi")
    fail(`tenancy must be "single" or "multi"; got ${JSON.stringify(options.tenancy)}.`);
  const known = new Set([...options.categoriesInUse, ...(governance.categories ?? [])]);
  const purposes = new Map<string, PurposePolicy>(Object.entries(DEFAULT_POLICIES));
  for (const [name, policy] of Object.entries(governance.purposes ?? {})) {
    if (!/^[a-z][a-z0-9_-]{0,62}$/.test(name))
      fail(`purpose name ${JSON.stringify(name)} must be lower-case (a-z, 0-9, _ -).`);
    if (policy.otherwise !== undefined && !ACTIONS.includes(policy.otherwise))
      fail(`purpose "${name}": otherwise must be one of ${ACTIONS.join(", ")}.`);
    for (const [category, action] of Object.entries(policy.redact ?? {})) {
      if (!known.has(category)) {
        fail(
          `purpose "${name}" names PII category "${category}", which no source or field is tagged with (known: ${[...known].join(", ") || "none"}); fix the name or list it in governance.categories.`,
        );
      }
      if (!ACTIONS.includes(action))
        fail(
          `purpose "${name}", category "${category}": ${JSON.stringify(action)} is not one of ${ACTIONS.join(", ")}.`,
        );
    }
    const base = purposes.get(name);
    purposes.set(name, base ? { ...base, ...policy } : { otherwise: "keep", ...policy });
  }
  let pseudonymKey: Uint8Array | undefined;
  if (governance.pseudonymKey !== undefined) {
    pseudonymKey =
      typeof governance.pseudonymKey === "string"
        ? new TextEncoder().encode(governance.pseudonymKey)
        : governance.pseudonymKey;
    if (pseudonymKey.length < 16)
      fail("pseudonymKey must be at least 16 bytes (a secret, kept out of the code).");
  }
  if (pseudonymKey === undefined && known.size > 0) {
    for (const [name, policy] of purposes) {
      const used = [...known].some((category) => actionFor(policy, category) === "pseudonymize");
      if (used) {
        fail(
          `purpose "${name}" pseudonymises PII (training does by default) but no governance.pseudonymKey is set; pass a secret of at least 16 bytes, or give the purpose another action.`,
        );
      }
    }
  }
  return {
    multiTenant: options.tenancy === "multi",
    purposes,
    pseudonymKey,
    audit: governance.audit,
  };
}

export function actionFor(policy: PurposePolicy, category: string): RedactionAction {
  return policy.redact?.[category] ?? policy.otherwise ?? "keep";
}

/** How much of a value each action reveals, least first: previews take the stricter of two. */
const STRICTNESS: Readonly<Record<RedactionAction, number>> = { keep: 0, pseudonymize: 1, mask: 2, drop: 3 };

function stricter(a: RedactionAction, b: RedactionAction): RedactionAction {
  return STRICTNESS[a] >= STRICTNESS[b] ? a : b;
}

/**
 * The policy for previewing purpose `preview`'s prompt during an operation run for `floor` (the
 * inspector previewing `serving` while it runs for `inspection`). A principal the floor keeps
 * everything for (`unredactedFor`) sees the preview purpose's policy as it is. Anyone else gets,
 * per category, the stricter of the two actions (keep < pseudonymize < mask < drop) and no
 * `unredactedFor`: a preview can show that a purpose drops or pseudonymises a category, never
 * reveal what the floor would mask.
 */
export function previewPolicy(
  floor: PurposePolicy,
  preview: PurposePolicy,
  principal: Principal | undefined,
): PurposePolicy {
  if (
    floor.unredactedFor !== undefined &&
    principal !== undefined &&
    isReader(floor.unredactedFor, principal)
  )
    return preview;
  const categories = new Set([...Object.keys(floor.redact ?? {}), ...Object.keys(preview.redact ?? {})]);
  const redact: Record<string, RedactionAction> = {};
  for (const category of categories)
    redact[category] = stricter(actionFor(floor, category), actionFor(preview, category));
  return { redact, otherwise: stricter(floor.otherwise ?? "keep", preview.otherwise ?? "keep") };
}

export function purposePolicy(
  governance: CompiledGovernance,
  purpose: unknown,
  operation: string,
): PurposePolicy {
  const policy = typeof purpose === "string" ? governance.purposes.get(purpose) : undefined;
  if (!policy) {
    throw new CtxError(
      "CTX_UNKNOWN_PURPOSE",
      `${operation}: purpose ${JSON.stringify(purpose)} is not declared; use one of ${[...governance.purposes.keys()].join(", ")} or add it to createContextStore({ governance: { purposes } }).`,
      { operation },
    );
  }
  return policy;
}
