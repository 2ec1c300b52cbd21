// The page's calls to the inspector's JSON API (same origin, under the mount path).
import type { FreshnessSnapshot } from "../../freshness/snapshot.js";
import type { InspectionResult } from "../../inspection/inspect.js";
import type { InspectorConfigResponse } from "../handler.js";
import { type FormState, formToParams } from "./url-state.js";

export interface ApiError {
  readonly code: string;
  readonly message: string;
}

export type Loaded<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const base = document.getElementById("app")?.dataset.base ?? "";

async function get<T>(path: string): Promise<Loaded<T>> {
  try {
    const response = await fetch(`${base}${path}`, { headers: { accept: "application/json" } });
    const body = (await response.json()) as T & { error?: ApiError };
    if (!response.ok || body.error)
      return {
        ok: false,
        error: body.error ?? { code: String(response.status), message: response.statusText },
      };
    return { ok: true, value: body };
  } catch (error) {
    return {
      ok: false,
      error: { code: "network", message: `The inspector did not answer: ${String(error)}` },
    };
  }
}

export const loadConfig = () => get<InspectorConfigResponse>("/api/config");
export const loadFreshness = () => get<FreshnessSnapshot | { unavailable: string }>("/api/freshness");
export const assemble = (form: FormState) =>
  get<InspectionResult>(`/api/assemble?${formToParams(form).toString()}`);
