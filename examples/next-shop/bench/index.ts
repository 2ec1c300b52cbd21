// route.next: the chat route under load on loopback, with ctxstore (context from a local Redis, the
// help-center vector search, realtime lookups, packing) and without it (the same route minus context),
// in the same run against the same `next start` production server. The model is the offline mock with
// a fixed answer and no delay, and the demo's simulated services answer at once, so the figures are
// the framework's and ctxstore's own cost, not a model's or a fake service's.
// Bounded: a fixed number of requests per route and a time cap. BENCH_QUICK=1 runs a smaller count.
import { type BenchFigure, percentile, report, round } from "@ctxstore/bench-fixtures";
import { buildShop, startShop } from "../test/shop-server.ts";

const QUICK = process.env.BENCH_QUICK === "1";
const REQUESTS_PER_ROUTE = QUICK ? 240 : 1600;
const BLOCK = 40; // requests per alternating block: ctxstore and baseline take turns, so drift hits both
const CONCURRENCY = 4;
const SERIAL_REQUESTS = QUICK ? 80 : 400; // one request at a time: latency with the least scheduling noise
const TIME_CAP_MS = QUICK ? 40_000 : 180_000;
const WARMUP = QUICK ? 40 : 120;

interface RouteSamples {
  latencies: number[];
  wallMs: number;
  assembleMs: number[];
}

const body = (index: number) =>
  JSON.stringify({
    id: `bench-${index}`,
    messages: [
      {
        id: `m-${index}`,
        role: "user",
        parts: [{ type: "text", text: "Do you have the Trail Runner X in my size, and can I return it?" }],
      },
    ],
    trigger: "submit-message",
    productId: "trail-runner-x",
  });

async function chat(
  baseUrl: string,
  path: string,
  session: string,
  index: number,
  samples?: RouteSamples,
): Promise<void> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie: `shop_user=ana; shop_session=${session}` },
    body: body(index),
  });
  const text = await response.text();
  const elapsed = performance.now() - started;
  if (response.status !== 200 || !text.includes('"type":"finish"')) {
    throw new Error(`${path} answered ${response.status} without a finished stream: ${text.slice(0, 300)}`);
  }
  if (!samples) return;
  samples.latencies.push(elapsed);
  const metadata = text.split("\n").find((line) => line.includes('"message-metadata"'));
  if (metadata) {
    const trace = (
      JSON.parse(metadata.slice("data: ".length)) as {
        messageMetadata?: { ctxstore?: { phases?: { totalMs?: number } } };
      }
    ).messageMetadata?.ctxstore;
    if (trace?.phases?.totalMs !== undefined) samples.assembleMs.push(trace.phases.totalMs);
  }
}

/** `count` requests over `workers` concurrent workers (one session each); returns the block's wall time. */
async function block(
  baseUrl: string,
  path: string,
  count: number,
  offset: number,
  samples?: RouteSamples,
  workers = CONCURRENCY,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (next < count) {
        const index = offset + next++;
        await chat(baseUrl, path, `bench-session-${worker}`, index, samples);
      }
    }),
  );
  return performance.now() - started;
}

async function main(): Promise<void> {
  await buildShop();
  const shop = await startShop({
    NEXT_SHOP_BENCH: "1",
    MOCK_MODEL_DELAY_MS: "0",
    MOCK_MODEL_ANSWER: "fixed",
    SHOP_INVENTORY_LATENCY_MS: "0",
    SHOP_LOYALTY_LATENCY_MS: "0",
  });
  try {
    // Each worker's session has a few product views, as a browsing shopper's would.
    for (let worker = 0; worker < CONCURRENCY; worker++) {
      const response = await fetch(`${shop.baseUrl}/api/events`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          cookie: `shop_user=ana; shop_session=bench-session-${worker}`,
        },
        body: JSON.stringify({
          events: [
            { type: "view", productId: "summit-gtx", label: "Summit GTX" },
            { type: "view", productId: "trail-runner-x", label: "Trail Runner X" },
            { type: "click", productId: "trail-runner-x", label: "size guide on Trail Runner X" },
          ],
        }),
      });
      if (response.status !== 202)
        throw new Error(`seeding session events failed: ${response.status} ${await response.text()}`);
    }
    await block(shop.baseUrl, "/api/chat", WARMUP, 0);
    await block(shop.baseUrl, "/api/bench/baseline", WARMUP, 0);

    const withContext: RouteSamples = { latencies: [], wallMs: 0, assembleMs: [] };
    const baseline: RouteSamples = { latencies: [], wallMs: 0, assembleMs: [] };
    const started = performance.now();
    let done = 0;
    while (done < REQUESTS_PER_ROUTE && performance.now() - started < TIME_CAP_MS) {
      const count = Math.min(BLOCK, REQUESTS_PER_ROUTE - done);
      withContext.wallMs += await block(shop.baseUrl, "/api/chat", count, done, withContext);
      baseline.wallMs += await block(shop.baseUrl, "/api/bench/baseline", count, done, baseline);
      done += count;
    }

    // The same comparison one request at a time, again in alternating blocks.
    const serialContext: RouteSamples = { latencies: [], wallMs: 0, assembleMs: [] };
    const serialBaseline: RouteSamples = { latencies: [], wallMs: 0, assembleMs: [] };
    for (
      let serialDone = 0;
      serialDone < SERIAL_REQUESTS && performance.now() - started < TIME_CAP_MS * 1.25;
      serialDone += BLOCK / 2
    ) {
      serialContext.wallMs += await block(shop.baseUrl, "/api/chat", BLOCK / 2, serialDone, serialContext, 1);
      serialBaseline.wallMs += await block(
        shop.baseUrl,
        "/api/bench/baseline",
        BLOCK / 2,
        serialDone,
        serialBaseline,
        1,
      );
    }

    const p99 = (samples: RouteSamples) => percentile(samples.latencies, 99);
    const rps = (samples: RouteSamples) => (samples.latencies.length / samples.wallMs) * 1000;
    const common = {
      requests: withContext.latencies.length,
      concurrency: CONCURRENCY,
      machine: "2 cores, Node 24",
      model: "mock, fixed answer, no delay",
    };
    const figures: BenchFigure[] = [
      { bench: "route.next", metric: "rps", value: round(rps(withContext), 1), unit: "req/s", ...common },
      {
        bench: "route.next",
        metric: "p50_ms",
        value: round(percentile(withContext.latencies, 50), 2),
        unit: "ms",
        ...common,
      },
      { bench: "route.next", metric: "p99_ms", value: round(p99(withContext), 2), unit: "ms", ...common },
      {
        bench: "route.next",
        metric: "baseline_rps",
        value: round(rps(baseline), 1),
        unit: "req/s",
        ...common,
      },
      {
        bench: "route.next",
        metric: "baseline_p50_ms",
        value: round(percentile(baseline.latencies, 50), 2),
        unit: "ms",
        ...common,
      },
      {
        bench: "route.next",
        metric: "baseline_p99_ms",
        value: round(p99(baseline), 2),
        unit: "ms",
        ...common,
      },
      {
        bench: "route.next",
        metric: "overhead_ratio",
        value: round(p99(withContext) / p99(baseline), 3),
        unit: "x",
        target: "<= 1.5",
        ...common,
      },
      {
        bench: "route.next",
        metric: "serial_p99_ms",
        value: round(p99(serialContext), 2),
        unit: "ms",
        requests: serialContext.latencies.length,
        concurrency: 1,
      },
      {
        bench: "route.next",
        metric: "serial_baseline_p99_ms",
        value: round(p99(serialBaseline), 2),
        unit: "ms",
        requests: serialBaseline.latencies.length,
        concurrency: 1,
      },
      {
        bench: "route.next",
        metric: "serial_overhead_ratio",
        value: round(p99(serialContext) / p99(serialBaseline), 3),
        unit: "x",
        target: "<= 1.5",
        requests: serialContext.latencies.length,
        concurrency: 1,
      },
      {
        bench: "route.next",
        metric: "assemble_p50_ms",
        value: round(percentile(withContext.assembleMs, 50), 2),
        unit: "ms",
        ...common,
      },
      {
        bench: "route.next",
        metric: "assemble_p99_ms",
        value: round(percentile(withContext.assembleMs, 99), 2),
        unit: "ms",
        ...common,
      },
    ];
    report(figures);
  } finally {
    await shop.stop();
  }
}

await main();
