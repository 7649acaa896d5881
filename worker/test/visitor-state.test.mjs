// The visitor's incremental engagement state in the Durable Object: a
// visitor stored by the previous worker (format 2: the newest 250 events)
// keeps its score when upgraded, and a long history keeps a small state.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startWorker, startCollector, backOffice, ok } from "./harness.mjs";
import nurture from "../../tests/js/load.mjs";

let mf;
let col;
before(async () => {
  col = await startCollector();
  mf = await startWorker({ vars: { COLLECTOR_URL: col.url, MAX_EVENTS: "500", VISITOR_RATE_BURST: "100000", IP_RATE_BURST: "100000", ADMIN_RATE_BURST: "100000" } });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

const stub = async (visitorId) => {
  const ns = await mf.getDurableObjectNamespace("VISITORS");
  return ns.get(ns.idFromName(visitorId));
};

const DAY = 86_400_000;

/** 120 events over 40 days: pages, pricing, downloads, a webinar, e-mail. */
function history(now) {
  const events = [];
  for (let i = 0; i < 120; i++) {
    const timestamp = now - 40 * DAY + i * (40 * DAY / 120);
    const e = i % 30 === 0
      ? { type: "track", event: "Webinar Attended", channel: "server" }
      : i % 10 === 0
        ? { type: "track", event: "Download", channel: "browser", properties: { tags: ["oil-gas"] } }
        : i % 7 === 0
          ? { type: "track", event: "Email Clicked", channel: "server" }
          : { type: "page", channel: "browser", properties: { path: ["/", "/pricing", "/case-studies/oil-gas"][i % 3], dwellSeconds: (i * 11) % 120 } };
    events.push({ ...e, timestamp, messageId: `h-${i}` });
  }
  return events;
}

test("a visitor stored by the previous worker keeps its score when upgraded", async () => {
  const now = Date.now();
  const events = history(now);
  const latest = { type: "track", event: "Demo Requested", timestamp: now, messageId: "demo-1" };

  // The same visitor, twice: one stored in format 2 with its history, the
  // other sent the whole history now.
  const old = await stub("migrated-visitor-00001");
  await old.restore({ v: 2, profile: {}, claimed: {}, events, seen: events.map((e) => e.messageId), forms: [], last: null, seq: 1, lastActivity: now - DAY, reengagedFor: 0 });
  const upgraded = await ok(await backOffice(mf, "migrated-visitor-00001", [latest]));

  const fresh = await ok(await backOffice(mf, "fresh-visitor-00000001", [...events, latest]));
  assert.deepEqual(upgraded.score, fresh.score);
  // And what the previous worker computed: a full re-score of the stored
  // events and the new one (the clocks differ by milliseconds).
  const full = nurture.score(null, {}, [...events, latest], now, { breakdown: false });
  assert.ok(Math.abs(upgraded.score.engagement - full.engagement.score) <= 0.01, `${upgraded.score.engagement} vs ${full.engagement.score}`);
  assert.equal(upgraded.score.grade, full.grade);
  const kept = await (await stub("migrated-visitor-00001")).inspect();
  assert.equal(kept.events, events.length + 1);
  assert.ok(kept.stateBytes > 0 && kept.stateBytes < 16 * 1024, `${kept.stateBytes} B`);
});

test("a long history is all counted and keeps a small state", async () => {
  const now = Date.now();
  const visitorId = "long-visitor-000000001";
  // 2,000 events over 200 days, sent in batches of 100 as they happen.
  const all = [];
  for (let i = 0; i < 2000; i++) {
    all.push({ type: "page", channel: "server", timestamp: now - 200 * DAY + i * (200 * DAY / 2000), messageId: `l-${i}`, properties: { path: i % 2 ? "/pricing" : "/", dwellSeconds: 70 } });
  }
  let last;
  for (let i = 0; i < all.length; i += 100) last = await ok(await backOffice(mf, visitorId, all.slice(i, i + 100)));
  const kept = await (await stub(visitorId)).inspect();
  assert.equal(kept.events, 2000);
  // The score's state and the dedup window (1,000 ids as 8-byte hashes)
  // together stay under 16 KiB.
  assert.equal(kept.seen, 1000);
  assert.ok(kept.stateBytes + kept.seenBytes < 16 * 1024, `${kept.stateBytes} + ${kept.seenBytes} B`);
  assert.ok(last.score.engagement > 0);
});

test("a state stored under another model starts again from its newest events", async () => {
  const now = Date.now();
  // A capped rule keeps its matches open (whole) for two windows: those are
  // the events a restart can carry over to the new model.
  const other = new nurture.Model({ engagement: { rules: [{ id: "view", event: "page", points: 1, cap: { count: 100, windowDays: 30 } }] } });
  const recent = [0, 1, 2].map((i) => ({ type: "page", channel: "browser", timestamp: now - (i + 1) * 3_600_000, messageId: `o-${i}`, properties: { path: "/pricing" } }));
  const { state } = other.ingest(null, JSON.stringify(recent), now);
  const visitor = await stub("other-model-visitor-01");
  await visitor.restore({ v: 3, profile: {}, claimed: {}, engagement: state, eventsTotal: 3, seen: new Float64Array(0), forms: [], last: null, seq: 1, lastActivity: now, reengagedFor: 0 });
  const latest = { type: "page", channel: "browser", timestamp: now, messageId: "o-3", properties: { path: "/pricing" } };
  const body = await ok(await backOffice(mf, "other-model-visitor-01", [latest]));
  // Under the worker's (default) model: the three kept page views and the new one.
  const full = nurture.score(null, {}, [...recent, latest], now, { breakdown: false });
  assert.ok(Math.abs(body.score.engagement - full.engagement.score) <= 0.01, `${body.score.engagement} vs ${full.engagement.score}`);
});
