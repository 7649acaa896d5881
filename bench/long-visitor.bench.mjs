// Long-lived visitors on the edge worker in local workerd (Miniflare): each
// of VISITORS visitors sends a year of history, 10,000 events in 1,000
// batches of 10 through POST /v1/admin/events, as it happens (in time
// order). Per batch number, the median latency across the visitors: the
// 1,000th batch against the 10th says whether a batch's cost stays flat as
// the history grows (the visitor's Durable Object keeps the incremental
// state, not the events). Then the stored state's size, and the score
// against a full re-score of all 10,000 events in the package.
// Prints key=value lines (worker.long_*) for scripts/bench.sh.
// Usage: node bench/long-visitor.bench.mjs (after scripts/build-pkg.sh and
// node worker/build.mjs). LONG_VISITORS (default 16), LONG_BATCHES (1000).
import { startWorker, startCollector, ADMIN_TOKEN } from "../worker/test/harness.mjs";
import nurture from "../tests/js/load.mjs";

const VISITORS = Number(process.env.LONG_VISITORS ?? 16);
const BATCHES = Number(process.env.LONG_BATCHES ?? 1000);
const BATCH = 10;
const DAY = 86_400_000;
const out = (k, v) => console.log(`worker.long_${k}=${v}`);

/** The year of one visitor (the same shape as benches/common/year.rs). */
function year(end, count, visitor) {
  const paths = ["/", "/pricing", "/case-studies/oil-gas", "/blog/edge-scoring"];
  const events = [];
  for (let i = 0; i < count; i++) {
    const timestamp = end - 365 * DAY + i * Math.floor((365 * DAY) / count) + ((i * 7919) % 3_600_000);
    let e;
    if (i % 50 === 0) e = { type: "track", event: "Download", properties: { tags: ["oil-gas"] } };
    else if (i % 50 === 1 && i % 1000 === 1) e = { type: "track", event: "Event Attended" };
    else if (i % 50 === 2 && i % 400 === 2) e = { type: "track", event: "Webinar Attended" };
    else if (i % 50 === 3 || i % 50 === 4) e = { type: "track", event: "Email Opened" };
    else e = { type: "page", properties: { path: paths[i % 4], dwellSeconds: (i * 13) % 120 } };
    events.push({ ...e, timestamp, messageId: `${visitor}-${i}` });
  }
  return events;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const col = await startCollector({ keep: false });
const mf = await startWorker({
  vars: { COLLECTOR_URL: col.url, VISITOR_RATE_BURST: "1000000", VISITOR_RATE_PER_SECOND: "1000000", IP_RATE_BURST: "1000000" },
});
// Two hours back, so that no event's jitter (up to an hour) puts it past
// the worker's clock skew while the run lasts.
const end = Date.now() - 2 * 3_600_000;
const name = (prefix, v) => `${prefix}-${String(v).padStart(21 - prefix.length, "0")}`;
const ids = Array.from({ length: VISITORS }, (_, v) => name("long", v));
const histories = ids.map((id) => year(end, BATCHES * BATCH, id));
/** latencies[b] = the VISITORS latencies (ms) of batch b+1. */
const latencies = Array.from({ length: BATCHES }, () => []);
let last = null;

/** Sends `count` batches of `events` for `visitorId`; `record(b, ms)` each. */
async function run(visitorId, events, count, record) {
  for (let b = 0; b < count; b++) {
    const batch = events.slice(b * BATCH, (b + 1) * BATCH);
    const start = performance.now();
    const res = await mf.dispatchFetch("http://worker.test/v1/admin/events", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ visitorId, events: batch }),
    });
    const body = await res.json();
    record(b, performance.now() - start, body);
    if (res.status !== 200) throw new Error(`batch ${b + 1}: ${res.status} ${JSON.stringify(body)}`);
  }
}

// Warm-up: as many other visitors, 50 batches each, so the 10th batch of
// the measured ones does not pay for a cold isolate and fresh objects.
await Promise.all(ids.map((_, v) => run(name("warm", v), year(end, 50 * BATCH, `w${v}`), 50, () => {})));
await Promise.all(ids.map((visitorId, v) =>
  run(visitorId, histories[v], BATCHES, (b, ms, body) => {
    latencies[b].push(ms);
    if (v === 0 && b === BATCHES - 1) last = body;
  })));

// Around the 10th and the 1,000th batch: batches 6–15 and the last ten.
const around = (from, to) => median(latencies.slice(from, to).flat());
const early = around(5, 15);
const late = around(BATCHES - 10, BATCHES);
out("visitors", VISITORS);
out("batches", BATCHES);
out("batch10_p50_ms", early.toFixed(2));
out("batch1000_p50_ms", late.toFixed(2));
out("flat_ratio", (late / early).toFixed(2));

const ns = await mf.getDurableObjectNamespace("VISITORS");
const kept = await ns.get(ns.idFromName(ids[0])).inspect();
out("events_total", kept.events);
out("state_bytes", kept.stateBytes);
out("seen_ids", kept.seen);
out("seen_bytes", kept.seenBytes);

// The edge's score against a full re-score of all 10,000 events.
const full = nurture.score(null, {}, histories[0], Date.now(), { breakdown: false });
out("engagement", last.score.engagement);
out("full_rescore_engagement", full.engagement.score);

await mf.dispose();
await col.close();
