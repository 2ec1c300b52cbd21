// The events route: the browser reports session signals (view, click, add-to-cart) and they land in
// a stream source's window, where the next assembly sees them. Everything from the browser is
// untrusted, so each event is validated against the source's own zod schema and the whole request
// is refused (400, naming every invalid field) if any event fails: nothing is half-applied. Bodies
// are size-capped before they are buffered (413), the content type must be JSON (415), callers are
// rate-limited per session (429), and the event time is the server's receive time unless told otherwise.
import {
  type ContextStore,
  CtxError,
  type Duration,
  type Entity,
  isCtxError,
  parseDuration,
  type StreamSource,
  type WindowAppend,
} from "@ctxstore/core";
import { readJsonBody } from "./body.js";
import { type Identify, identitySubject, type RequestIdentity, resolveIdentity } from "./identity.js";
import { type MemoryRateLimiterOptions, memoryRateLimiter, type RateLimiter } from "./rate-limit.js";
import { ctxErrorResponse, errorResponse, jsonResponse } from "./responses.js";

/**
 * Options of `eventsRoute`: the context store, the stream source events go to, `identify`, and
 * optionally a `prepare` hook, body and event limits, the rate limit, event-time policy and a clock.
 */
export interface EventsRouteOptions<V> {
  contextStore: ContextStore;
  /** The stream source events are appended to; its entity's key comes from `identify`. */
  source: StreamSource<Entity, V>;
  identify: Identify;
  /**
   * Runs on each event as received, before validation: add server-side fields here (the path,
   * a server timestamp). Whatever it returns is validated against the source's schema.
   */
  prepare?: (
    event: unknown,
    info: { identity: RequestIdentity; receivedAt: number; request: Request },
  ) => unknown;
  /** Largest accepted body in bytes. Default 16 KiB. */
  maxBodyBytes?: number;
  /** Most events in one request. Default 25. */
  maxEvents?: number;
  /**
   * Per-session rate limit, counted in events: a `RateLimiter`, options for the in-memory one, or
   * `false` to disable. Default: 120 events per minute per session (bursts up to 120).
   */
  rateLimit?: RateLimiter | MemoryRateLimiterOptions | false;
  /**
   * `received` (default): an event's time is when the server received it (browser clocks are not
   * trusted). `event`: the source's own `eventTime(event)` accessor decides.
   */
  eventTime?: "received" | "event";
  /** The event field whose unknown values are reported as `unknown_event_type`. Default "type". */
  typeField?: string;
  /**
   * How long recording the events may take (the append and the stream heartbeat together); the
   * request's own `signal` (the client went away) ends it sooner. Past it the route answers 503 with
   * `code: "CTX_TIMEOUT"`: the events may or may not have been recorded. Default "250ms", the
   * assembly's default request deadline.
   */
  deadline?: Duration;
  /** Called with store failures (the route answers 503); for your logs. */
  onError?: (error: unknown) => void;
  /** Clock (epoch ms). */
  now?: () => number;
}

/** One rejected field in an events request's 400 answer (`invalid_event`): where it is and why. */
export interface InvalidField {
  /** Where in the body: `events[1].productId`, or `productId` for a single-event body. */
  readonly path: string;
  readonly message: string;
  /** `unknown_event_type` for a type the schema does not accept; otherwise zod's issue code. */
  readonly code: string;
}

const DEFAULT_RATE = { limit: 120, window: "1m" } as const;

/** `export const POST = eventsRoute({ contextStore, source: sessionEvents, identify })`. */
export function eventsRoute<V>(options: EventsRouteOptions<V>): (request: Request) => Promise<Response> {
  const { contextStore: context, source } = options;
  if (source?.tier !== "stream") {
    throw new CtxError(
      "CTX_CONFIG",
      `eventsRoute: \`source\` must be a stream source; got ${source ? `a ${source.tier} source "${source.name}"` : String(source)}.`,
    );
  }
  if (context.sources.get(source.name) !== source) {
    throw new CtxError(
      "CTX_UNKNOWN_SOURCE",
      `eventsRoute: source "${source.name}" is not registered in this context store. Pass the same source object to createContextStore({ sources }).`,
      {
        source: source.name,
      },
    );
  }
  const deadlineMs = parseDuration(options.deadline ?? "250ms", "eventsRoute deadline");
  const maxBodyBytes = options.maxBodyBytes ?? 16 * 1024;
  const maxEvents = options.maxEvents ?? 25;
  const typeField = options.typeField ?? "type";
  const now = options.now ?? Date.now;
  const limiter =
    options.rateLimit === false
      ? undefined
      : isRateLimiter(options.rateLimit)
        ? options.rateLimit
        : memoryRateLimiter({ ...DEFAULT_RATE, ...options.rateLimit });
  const entity = source.entity.name;

  return async (request) => {
    const identified = await resolveIdentity(options.identify, request);
    if (!identified.ok) return identified.response;
    const { identity } = identified;
    const key = identity.keys[entity];
    const subject = identitySubject(identity, entity);
    if (key === undefined || subject === undefined) {
      return errorResponse(401, {
        error: "unauthenticated",
        message: `Events for "${source.name}" belong to a ${entity}, but identify() returned no "${entity}" key for this request. Send the ${entity} cookie or header.`,
      });
    }

    // One token before reading anything, so a flood of bodies is cut off cheaply; the rest per event below.
    if (limiter) {
      const limited = await checkRate(limiter, subject, 1);
      if (limited) return limited;
    }

    const body = await readJsonBody(request, maxBodyBytes);
    if (!body.ok) return body.response;
    const batch = readBatch(body.value);
    if (!batch) {
      return errorResponse(400, {
        error: "invalid_body",
        message: 'Send one event as a JSON object, or several as { "events": [ ... ] }.',
      });
    }
    if (batch.events.length === 0) {
      return errorResponse(400, {
        error: "invalid_body",
        message: '"events" is empty: send at least one event.',
      });
    }
    if (batch.events.length > maxEvents) {
      return errorResponse(413, {
        error: "payload_too_large",
        message: `${batch.events.length} events in one request; the limit is ${maxEvents}. Split them over several requests.`,
        maxEvents,
      });
    }
    if (limiter && batch.events.length > 1) {
      const limited = await checkRate(limiter, subject, batch.events.length - 1);
      if (limited) return limited;
    }

    const receivedAt = now();
    const fields: InvalidField[] = [];
    const parsedEvents: V[] = [];
    batch.events.forEach((raw, index) => {
      const prepared = options.prepare ? options.prepare(raw, { identity, receivedAt, request }) : raw;
      const parsed = source.schema.safeParse(prepared);
      if (parsed.success) {
        parsedEvents.push(parsed.data);
        return;
      }
      for (const issue of parsed.error.issues) {
        const prefix = batch.single ? "" : `events[${index}]`;
        fields.push({
          path: formatPath(prefix, issue.path),
          message: issue.message,
          code: isUnknownType(issue, typeField, prepared) ? "unknown_event_type" : issue.code,
        });
      }
    });
    if (fields.length > 0) {
      const unknownTypesOnly = fields.every((field) => field.code === "unknown_event_type");
      return errorResponse(400, {
        error: unknownTypesOnly ? "unknown_event_type" : "invalid_event",
        message: `${fields.length} problem(s) with the event(s) for "${source.name}"; nothing was recorded. Fix the fields listed and resend.`,
        fields,
      });
    }

    const unavailable = (error: unknown) => {
      // The failure's own message names servers and addresses: it goes to onError, not to the browser.
      options.onError?.(error);
      return errorResponse(
        503,
        {
          error: "store_unavailable",
          ...(isCtxError(error) ? { code: error.code } : {}),
          message: isCtxError(error, "CTX_TIMEOUT")
            ? "The context store did not answer within the deadline, so the events may or may not have been recorded. Retry shortly."
            : "The context store is unavailable, so the events were not recorded. Retry shortly.",
        },
        { "retry-after": "1" },
      );
    };
    // Building an append renders and counts the event, which needs the tokenizer: on a freshly
    // started server the first events can arrive before anything else has loaded it.
    try {
      await context.ready();
    } catch (error) {
      return unavailable(error);
    }

    let appends: WindowAppend[];
    try {
      // The last event of a batch gets the receive time; earlier ones a millisecond apart, so their
      // order in the window is the order they were sent in.
      // On a multi-tenant store the events are the identified caller's tenant's (never the body's).
      const scope =
        context.tenancy === "multi" && identity.tenant !== undefined ? { tenant: identity.tenant } : {};
      appends = parsedEvents.map((event, index) =>
        context.toWindowAppend(
          source,
          key,
          event,
          options.eventTime === "event"
            ? scope
            : { ...scope, eventTime: receivedAt - (parsedEvents.length - 1 - index) },
        ),
      );
    } catch (error) {
      const response = ctxErrorResponse(error);
      if (response) return response;
      throw error;
    }

    try {
      // One deadline for the store's part of the request, from here: the append, then the heartbeat.
      const startedAt = performance.now();
      const signal = request.signal;
      const outcomes = await context.appendEvents(appends, { deadline: deadlineMs, signal });
      // The route is this stream's ingest pipeline: it is complete up to now, so an empty window
      // elsewhere reads as a confirmed "no activity", not as "unknown".
      const remainingMs = Math.max(1, Math.floor(deadlineMs - (performance.now() - startedAt)));
      await context.heartbeat(source, receivedAt, { deadline: remainingMs, signal });
      const accepted = outcomes.filter((outcome) => outcome.applied).length;
      return jsonResponse(
        { accepted, duplicates: outcomes.filter((outcome) => outcome.reason === "duplicate").length },
        202,
      );
    } catch (error) {
      return unavailable(error);
    }
  };
}

function isRateLimiter(value: unknown): value is RateLimiter {
  return typeof value === "object" && value !== null && typeof (value as RateLimiter).take === "function";
}

async function checkRate(limiter: RateLimiter, subject: string, cost: number): Promise<Response | undefined> {
  const decision = await limiter.take(subject, cost);
  if (decision.allowed) return undefined;
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  return errorResponse(
    429,
    {
      error: "rate_limited",
      message: `Too many events from this session; retry in ${seconds}s.`,
      retryAfterMs: decision.retryAfterMs,
    },
    { "retry-after": String(seconds) },
  );
}

function readBatch(body: unknown): { events: unknown[]; single: boolean } | undefined {
  if (body === null || typeof body !== "object") return undefined;
  if (Array.isArray(body)) return undefined;
  const { events } = body as { events?: unknown };
  if (events === undefined) return { events: [body], single: true };
  if (!Array.isArray(events)) return undefined;
  return { events, single: false };
}

function formatPath(prefix: string, path: ReadonlyArray<PropertyKey>): string {
  let formatted = prefix;
  for (const segment of path) {
    if (typeof segment === "number") formatted += `[${segment}]`;
    else formatted += formatted === "" ? String(segment) : `.${String(segment)}`;
  }
  return formatted === "" ? "(event)" : formatted;
}

/** A type value was sent but the schema accepts no such type (a missing type is an ordinary invalid field). */
function isUnknownType(
  issue: { code: string; path: ReadonlyArray<PropertyKey> },
  typeField: string,
  event: unknown,
): boolean {
  const sent =
    event !== null &&
    typeof event === "object" &&
    (event as Record<string, unknown>)[typeField] !== undefined;
  return (
    sent &&
    issue.path.length === 1 &&
    issue.path[0] === typeField &&
    (issue.code === "invalid_union" || issue.code === "invalid_value")
  );
}
