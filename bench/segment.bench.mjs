// Segment's batch route (POST /v1/batch, routes/segment.js) on the edge
// worker in local workerd (Miniflare): 100-message batches from a server
// write key, spread over 1, 10 or 50 visitors per batch (each visitor's
// messages are one call to its Durable Object, so the cost follows the
// visitors more than the messages), against the same 100 events for one
// visitor through POST /v1/admin/events (the same ingest path without the
// adapter); and 10 visitors whose userIds a server identify linked to
// anonymousIds first (src/links.js: the links are read once, then cached
// in the isolate; an unlinked userId costs a call to the link index each
// batch). Median latency of a batch over BATCHES batches after a
// warm-up, and the messages per second that makes, one batch at a time.
// Prints key=value lines (worker.segment_*) for scripts/bench.sh.
// Usage: node bench/segment.bench.mjs (after scripts/build-pkg.sh and
// node worker/build.mjs). SEGMENT_BATCHES (default 20).
import { startWorker, startCollector, ADMIN_TOKEN } from "../worker/test/harness.mjs";

const BATCHES = Number(process.env.SEGMENT_BATCHES ?? 20);
const SIZE = 100;
const KEY = "wk_bench_server_0123456789";
const out = (k, v) => console.log(`worker.segment_${k}=${v}`);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const collector = await startCollector({ keep: false });
const mf = await startWorker({
  vars: { COLLECTOR_URL: collector.url, WRITE_KEYS: `server:${KEY}`, VISITOR_RATE_BURST: "1000000", SHARED_RATE_BURST: "1000000", ADMIN_RATE_BURST: "1000000" },
});
const auth = `Basic ${Buffer.from(`${KEY}:`).toString("base64")}`;

/** One batch's messages: page views, downloads and identifies, for `people` users. */
function messages(label, round, people) {
  return Array.from({ length: SIZE }, (_, i) => {
    const common = { userId: `${label}-${i % people}`, messageId: `${label}-${round}-${i}`, timestamp: new Date().toISOString() };
    if (i % 10 === 0) return { ...common, type: "identify", traits: { title: "VP Engineering" } };
    if (i % 3 === 0) return { ...common, type: "track", event: "File Downloaded", properties: { tags: ["scoring"] } };
    return { ...common, type: "page", properties: { path: "/pricing" } };
  });
}

async function timed(request) {
  const t0 = performance.now();
  const res = await request();
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${res.status} ${text}`);
  return performance.now() - t0;
}

async function segment(label, people, { link = false } = {}) {
  if (link) {
    const batch = Array.from({ length: people }, (_, i) => ({ type: "identify", userId: `${label}-${i}`, anonymousId: `anon-${label}-${i}`, messageId: `link-${label}-${i}` }));
    await timed(() => mf.dispatchFetch("http://worker.test/v1/batch", { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body: JSON.stringify({ batch }) }));
  }
  const times = [];
  for (let round = -3; round < BATCHES; round++) {
    const body = JSON.stringify({ sentAt: new Date().toISOString(), batch: messages(label, round, people) });
    const ms = await timed(() => mf.dispatchFetch("http://worker.test/v1/batch", { method: "POST", headers: { authorization: auth, "content-type": "application/json" }, body }));
    if (round >= 0) times.push(ms);
  }
  const p50 = median(times);
  const name = `batch${people}${link ? "_linked" : ""}`;
  out(`${name}_p50_ms`, p50.toFixed(1));
  out(`${name}_per_s`, Math.round((SIZE * 1000) / p50));
}

async function adminEvents() {
  const times = [];
  const visitorId = "B".repeat(22);
  for (let round = -3; round < BATCHES; round++) {
    const events = messages("admin", round, 1).map(({ userId, ...e }) => e);
    const body = JSON.stringify({ visitorId, events });
    const ms = await timed(() => mf.dispatchFetch("http://worker.test/v1/admin/events", { method: "POST", headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" }, body }));
    if (round >= 0) times.push(ms);
  }
  out("admin1_p50_ms", median(times).toFixed(1));
}

try {
  out("batch_size", SIZE);
  out("batches", BATCHES);
  await adminEvents();
  for (const people of [1, 10, 50]) await segment(`p${people}`, people);
  await segment("l10", 10, { link: true });
} finally {
  await mf.dispose();
  await collector.close();
}
