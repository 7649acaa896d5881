// The visitor's dedup window (the newest SEEN_IDS_CAP event ids) stored in
// chunks of its own (src/seen.js): the same window after the object
// starts again from storage, as before the chunks; a state that held its
// ids itself moves them into chunks and keeps deduplicating them; and
// restore() replaces the chunks.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startWorker, startCollector, backOffice, ok } from "./harness.mjs";
import { seenKey, SEEN_CHUNK, SEEN_INLINE } from "../src/seen.js";

const CAP = 300;
let mf;
let col;
const persist = mkdtempSync(path.join(tmpdir(), "nurture-seen-"));
const start = () => startWorker({
  durableObjectsPersist: persist,
  vars: { COLLECTOR_URL: col.url, MAX_EVENTS: "500", SEEN_IDS_CAP: String(CAP), VISITOR_RATE_BURST: "100000", IP_RATE_BURST: "100000", ADMIN_RATE_BURST: "100000" },
});
before(async () => {
  col = await startCollector();
  mf = await start();
});
after(async () => {
  await mf?.dispose();
  await col?.close();
  rmSync(persist, { recursive: true, force: true });
});

/** A new workerd process on the same storage: every object reads its state again. */
async function restart() {
  await mf.dispose();
  mf = await start();
}

const stub = async (visitorId) => {
  const ns = await mf.getDurableObjectNamespace("VISITORS");
  return ns.get(ns.idFromName(visitorId));
};
const page = (id, now) => ({ type: "page", channel: "server", timestamp: now, messageId: id, properties: { path: "/" } });
const batch = (ids, now) => ids.map((id) => page(id, now));
const range = (prefix, from, to) => Array.from({ length: to - from }, (_, i) => `${prefix}${from + i}`);

test("the window is the newest SEEN_IDS_CAP ids, before and after the object starts again", async () => {
  const now = Date.now();
  const visitorId = "seen-chunks-visitor-01";
  // 11 batches of 47: 517 ids, across chunk bounds.
  for (let i = 0; i < 11; i++) await ok(await backOffice(mf, visitorId, batch(range("c-", i * 47, (i + 1) * 47), now)));
  assert.equal((await (await stub(visitorId)).inspect()).seen, CAP);
  const probe = async () => {
    // c-217 is the oldest id in the window (517 - 300 = 217 ids older); c-216 fell out.
    const body = await ok(await backOffice(mf, visitorId, batch(["c-217", "c-516", "c-216"], now)));
    return { duplicates: body.duplicates.map((d) => d.id), accepted: body.accepted.map((a) => a.id) };
  };
  await restart();
  assert.equal((await (await stub(visitorId)).inspect()).seen, CAP, "the window read back from the chunks");
  assert.deepEqual(await probe(), { duplicates: ["c-217", "c-516"], accepted: ["c-216"] });
  // c-216 is now the newest id, and survives another start.
  await restart();
  const again = await ok(await backOffice(mf, visitorId, batch(["c-216", "c-new"], now)));
  assert.deepEqual(again.duplicates.map((d) => d.id), ["c-216"]);
  assert.deepEqual(again.accepted.map((a) => a.id), ["c-new"]);
  assert.equal((await (await stub(visitorId)).inspect()).seen, CAP);
});

test("a state that holds its ids itself moves them to chunks and keeps them", async () => {
  const now = Date.now();
  const visitorId = "seen-inline-visitor-01";
  // Past SEEN_INLINE: the next batch moves them into chunks.
  const old = range("i-", 0, SEEN_INLINE + 5);
  await (await stub(visitorId)).restore({ v: 3, profile: {}, claimed: {}, engagement: null, eventsTotal: 0, seen: Float64Array.from(old.map(seenKey)), forms: [], last: null, seq: 0, lastActivity: now, reengagedFor: 0 });
  const first = await ok(await backOffice(mf, visitorId, batch(["i-0", "i-new"], now)));
  assert.deepEqual(first.duplicates.map((d) => d.id), ["i-0"]);
  await restart();
  const second = await ok(await backOffice(mf, visitorId, batch(["i-1", `i-${SEEN_INLINE + 4}`, "i-new", "i-newer"], now)));
  assert.deepEqual(second.duplicates.map((d) => d.id), ["i-1", `i-${SEEN_INLINE + 4}`, "i-new"]);
  assert.deepEqual(second.accepted.map((a) => a.id), ["i-newer"]);
  assert.equal((await (await stub(visitorId)).inspect()).seen, old.length + 2);

  // restore() puts its own ids in place of the chunks, also after a start.
  await (await stub(visitorId)).restore({ v: 3, profile: {}, claimed: {}, engagement: null, eventsTotal: 0, seen: Float64Array.from(["r-0"].map(seenKey)), forms: [], last: null, seq: 0, lastActivity: now, reengagedFor: 0 });
  await restart();
  const third = await ok(await backOffice(mf, visitorId, batch(["r-0", "i-1"], now)));
  assert.deepEqual(third.duplicates.map((d) => d.id), ["r-0"]);
  assert.deepEqual(third.accepted.map((a) => a.id), ["i-1"]);
});

test("a batch writes the chunk it appends to and any it starts, and drops what fell out (storeSeen)", async () => {
  const { storeSeen, loadSeen, remember } = await import("../src/seen.js");
  /** A storage that keeps what is written and counts the keys each call writes. */
  const kv = new Map();
  let written = [];
  const storage = {
    put: (entries) => { for (const [k, v] of Object.entries(entries)) { kv.set(k, v); written.push(k); } },
    delete: (keys) => { for (const k of keys) kv.delete(k); },
    get: async (keys) => new Map(keys.filter((k) => kv.has(k)).map((k) => [k, kv.get(k)])),
  };
  let seen = new Float64Array(0);
  let stored = null;
  let next = 0;
  for (let b = 0; b < 200; b++) {
    const added = Array.from({ length: 1 + (b * 7) % 40 }, () => next++);
    seen = remember(seen, added, CAP);
    written = [];
    stored = storeSeen(stored?.chunks, stored?.tail ?? null, seen, added, CAP);
    storage.put(stored.puts);
    storage.delete(stored.drop);
    assert.ok(written.length <= 1 + Math.ceil(added.length / SEEN_CHUNK), `batch ${b}: ${written.length} chunks written`);
    const { seen: back } = await loadSeen(storage, stored.chunks);
    assert.ok(back.length >= seen.length && back.length < CAP + SEEN_CHUNK, `batch ${b}: ${back.length} ids held`);
    assert.deepEqual([...back.slice(back.length - seen.length)], [...seen], `batch ${b}`);
    assert.equal(kv.size, stored.chunks.to - stored.chunks.from);
  }
});
