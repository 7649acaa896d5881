// The LiveVisitor class: a visitor's state held inside wasm, events tracked one
// by one as strings and numbers, scored without any history crossing the
// boundary. It must give what model.score gives for the same events, and
// keep the state model.ingest keeps.
import test from "node:test";
import assert from "node:assert/strict";
import nurture from "./load.mjs";

const DAY = 86_400_000;
// A day behind the clock: track() refuses events ahead of it.
const NOW = Math.floor(Date.now() / 1000) * 1000 - DAY;
const hasVisitor = typeof nurture.Model.prototype.visitor === "function";
const skip = !hasVisitor && "page build";

/** 400 events over 90 days: pages with tags and dwell, downloads, webinars, e-mail. */
function history(count = 400) {
  const paths = ["/", "/pricing", "/case-studies/oil-gas", "/blog/edge", "/careers", "/demo?ref=ad"];
  const tracks = ["Download", "Webinar Attended", "Email Opened", "Email Clicked", "Demo Requested"];
  const events = [];
  for (let i = 0; i < count; i++) {
    const timestamp = NOW - 90 * DAY + Math.floor((i * 90 * DAY) / count);
    if (i % 5 === 4) {
      events.push({ type: "track", event: tracks[i % tracks.length], timestamp, properties: { tags: ["Retail"] } });
    } else {
      events.push({ type: "page", timestamp, properties: { path: paths[i % paths.length], dwellSeconds: (i * 13) % 150, tags: i % 3 ? ["retail", "Edge AI"] : [] } });
    }
  }
  return events;
}

function trackAll(visitor, events) {
  for (const e of events) {
    const p = e.properties ?? {};
    visitor.track(e.type === "track" ? e.event : e.type, p.path ?? null, e.timestamp, p.tags ?? null, p.dwellSeconds ?? null);
  }
}

const profile = { email: "anna@shopwise.example", title: "Marketing Manager", industry: "Retail", companySize: "201-500" };

for (const source of ["server", "browser"]) {
  test(`tracked one by one (${source}), the visitor scores as model.score does`, { skip }, () => {
    const model = new nurture.Model();
    const events = history();
    const visitor = model.visitor(null, source);
    trackAll(visitor, events);
    assert.equal(visitor.events, events.length);
    const full = model.score(profile, events, NOW, { breakdown: false, source });
    const got = visitor.score(NOW, profile);
    assert.deepEqual(got, {
      now: NOW,
      fit: full.fit.score,
      fitGrade: full.fit.grade,
      engagement: full.engagement.score,
      level: full.engagement.level,
      grade: full.grade,
      tier: full.tier,
      stage: full.stage,
      mql: full.mql.qualified,
      interests: full.interests,
      events: events.length,
      rules: full.engagement.rules,
    });
    assert.ok(full.engagement.score !== 0 && full.interests.length > 0, "a visitor that scores");
    // The stored bytes score the same through the batch path.
    const stored = model.scoreState(visitor.toBytes(), profile, NOW, { breakdown: false });
    const { summary, ...result } = stored;
    assert.deepEqual({ ...result, unscored: [] }, { ...full, unscored: [] });
    assert.equal(summary.grade, full.grade);
  });
}

test("a few events leave the state model.ingest leaves for the same batch", { skip }, () => {
  const model = new nurture.Model();
  const events = history(200).slice(-20);
  const visitor = model.visitor(null, "server");
  trackAll(visitor, events);
  const bytes = visitor.toBytes();
  const batch = model.ingest(null, JSON.stringify(events), Date.now(), "server");
  assert.deepEqual(bytes, batch.state);
});

test("a state goes to storage and back, and tracking goes on", { skip }, () => {
  const model = new nurture.Model();
  const events = history();
  let visitor = model.visitor(null, "server");
  trackAll(visitor, events.slice(0, 150));
  // The batch path takes the visitor's bytes, and the visitor takes its.
  const { state } = model.ingest(visitor.toBytes(), JSON.stringify(events.slice(150, 250)), Date.now(), "server");
  visitor.free();
  visitor = model.visitor(state, "server");
  assert.equal(visitor.events, 250);
  trackAll(visitor, events.slice(250));
  const full = model.score(null, events, NOW, { breakdown: false });
  const got = visitor.score(NOW);
  assert.equal(got.engagement, full.engagement.score);
  assert.deepEqual(got.rules, full.engagement.rules);
  assert.deepEqual(got.interests, full.interests);
});

test("page(), a Date, a single tag and the clock as defaults", { skip }, () => {
  const model = new nurture.Model();
  const a = model.visitor();
  const b = model.visitor();
  const at = NOW - 3 * DAY;
  a.page("/pricing", new Date(at), "Pricing", 90);
  b.track("page", "/pricing", at, ["pricing"], 90);
  assert.deepEqual(a.score(NOW), b.score(NOW));
  assert.equal(a.score(NOW).interests[0].tag, "pricing");
  const c = model.visitor();
  c.page("/");
  const before = Date.now();
  assert.equal(c.events, 1);
  assert.ok(c.score().now >= before - 1000);
});

test("a bad field is refused with its name, and nothing is added", { skip }, () => {
  const model = new nurture.Model();
  const visitor = model.visitor();
  const refused = (fn, path, words) =>
    assert.throws(fn, (err) => {
      assert.equal(err.code, "invalid_argument");
      assert.equal(err.path, path);
      assert.match(err.message, words);
      return true;
    });
  refused(() => visitor.track("  ", "/", NOW), "action", /event name/);
  refused(() => visitor.track("x".repeat(201), "/", NOW), "action", /longer than 200/);
  refused(() => visitor.track("page", "/" + "x".repeat(5000), NOW), "url", /longer than 4096/);
  refused(() => visitor.track("page", "/", NOW / 1000), "timestamp", /looks like seconds/);
  refused(() => visitor.track("page", "/", NaN), "timestamp", /./);
  refused(() => visitor.track("page", "/", Date.now() + 3_600_000), "timestamp", /seconds in the future/);
  refused(() => visitor.track("page", "/", NOW, [1]), "tags", /strings/);
  refused(() => visitor.track("page", "/", NOW, { a: 1 }), "tags", /strings/);
  refused(() => visitor.track("page", "/", NOW, Array(51).fill("t")), "tags", /more than 50/);
  refused(() => visitor.track("page", "/", NOW, ["x".repeat(101)]), "tags", /longer than 100/);
  refused(() => visitor.track("page", "/", NOW, null, -1), "dwellSeconds", /≥ 0/);
  assert.equal(visitor.events, 0);
  refused(() => model.visitor(null, "mobile"), "source", /server/);
  refused(() => model.visitor(new Uint8Array([1, 2, 3])), "state", /not a visitor state/);
  refused(() => model.visitor("bytes"), "state", /Uint8Array/);
  refused(() => visitor.track(42, "/", NOW), "action", /expected a string/);
  refused(() => visitor.track("page", 7, NOW), "url", /expected a string/);
  refused(() => visitor.track("page", "/", "soon"), "timestamp", /./);
  refused(() => visitor.track("page", "/", NOW, null, "long"), "dwellSeconds", /≥ 0/);
  refused(() => visitor.page(undefined, NOW), "url", /expected a string/);
  const other = new nurture.Model({ engagement: { rules: [{ id: "x", event: "page", points: 1 }] } });
  const { state } = model.ingest(null, JSON.stringify(history(5)), Date.now());
  refused(() => other.visitor(state), "state", /another model/);
});

test("tags with commas, quotes, escapes and non-ASCII read as scoring reads them", { skip }, () => {
  const model = new nurture.Model();
  const lists = [["Oil, Gas"], ['say "hi"', "a\\b"], ["Ünïcode", "tab\there"], ["x", "X", " x "], [], "Single"];
  const events = lists.map((tags, i) => ({ type: "page", timestamp: NOW - i * 60_000, properties: { path: "/pricing", tags: [].concat(tags) } }));
  const visitor = model.visitor(null, "server");
  for (const [i, tags] of lists.entries()) visitor.track("page", "/pricing", NOW - i * 60_000, tags);
  const full = model.score(null, events, NOW, { breakdown: false });
  assert.deepEqual(visitor.score(NOW).interests, full.interests);
  assert.ok(full.interests.some((t) => t.tag === "oil, gas"));
});

test("tags read as JSON.stringify writes them; a lone surrogate as scoring reads it", { skip }, () => {
  const model = new nurture.Model();
  const at = NOW - DAY;
  const date = new Date(at);
  const a = model.visitor(null, "server");
  a.track("page", "/pricing", at, [date]);
  const b = model.visitor(null, "server");
  b.track("page", "/pricing", at, [date.toISOString()]);
  assert.deepEqual(a.score(NOW), b.score(NOW));
  const lone = ["x\ud800y"];
  const c = model.visitor(null, "server");
  c.track("page", "/pricing", at, lone);
  const full = model.score(null, [{ type: "page", timestamp: at, properties: { path: "/pricing", tags: lone } }], NOW, { breakdown: false });
  assert.deepEqual(c.score(NOW).interests, full.interests);
});

test("the typed way and the general way keep the same state, past the texts a visitor keeps", { skip }, () => {
  const model = new nurture.Model();
  // 1,100 distinct URLs and tag lists: past the 1,024 of each kind a
  // visitor numbers, the rest cross as text every time.
  const events = [];
  for (let i = 0; i < 1100; i++) {
    const timestamp = NOW - 60 * DAY + i * 60_000;
    const tags = i % 3 === 0 ? [`t${i}`, "Retail"] : i % 3 === 1 ? `solo${i % 7}` : [];
    events.push({ type: i % 5 ? "page" : "track", event: "Download", timestamp, path: `/pricing/${i}`, tags, dwell: i % 120 });
  }
  // Tags holding U+001F (what joins a list as it crosses) and tags as Dates
  // take the general way; a separator-free list shared with them stays typed.
  events.push({ type: "page", timestamp: NOW - DAY, path: "/demo", tags: ["a\u001fb", "c"], dwell: 70 });
  events.push({ type: "page", timestamp: NOW - DAY + 1, path: "/demo", tags: ["a", "b\u001fc"], dwell: 70 });
  events.push({ type: "page", timestamp: NOW - DAY + 2, path: "/demo", tags: [new Date(NOW)], dwell: "70" });
  const typed = model.visitor(null, "server");
  // A Date for a time sends every event the general way.
  const general = model.visitor(null, "server");
  for (const e of events) {
    const action = e.type === "track" ? e.event : "page";
    typed.track(action, e.path, e.timestamp, e.tags, e.dwell);
    general.track(action, e.path, new Date(e.timestamp), e.tags, e.dwell);
  }
  assert.deepEqual(typed.toBytes(), general.toBytes());
  const objects = events.map((e) => ({
    type: e.type, event: e.type === "track" ? e.event : undefined, timestamp: e.timestamp,
    properties: { path: e.path, tags: [].concat(e.tags).map((t) => (t instanceof Date ? t.toISOString() : t)), dwellSeconds: Number(e.dwell) },
  }));
  const full = model.score(null, objects, NOW, { breakdown: false });
  const got = typed.score(NOW);
  assert.equal(got.engagement, full.engagement.score);
  assert.deepEqual(got.interests, full.interests);
  // A tag holding the separator stays one tag.
  const one = model.visitor(null, "server");
  one.page("/pricing", NOW - DAY, ["a\u001fb"], 90);
  assert.deepEqual(one.score(NOW).interests.map((t) => t.tag).sort(), ["a\u001fb", "pricing"]);
});

test("a call with two bad fields is refused for the first, as before", { skip }, () => {
  const model = new nurture.Model();
  const visitor = model.visitor();
  const pathOf = (fn) => {
    try {
      fn();
    } catch (err) {
      return err.path;
    }
    return null;
  };
  // Types before values: the tags' type, then the action's value.
  assert.equal(pathOf(() => visitor.track("  ", "/", NOW, [1])), "tags");
  assert.equal(pathOf(() => visitor.track("  ", "/" + "x".repeat(5000), NOW, ["x".repeat(101)])), "action");
  assert.equal(pathOf(() => visitor.track("page", "/" + "x".repeat(5000), NOW, ["x".repeat(101)])), "url");
  assert.equal(pathOf(() => visitor.track("page", "/", NaN, ["x".repeat(101)])), "tags");
  assert.equal(pathOf(() => visitor.track("page", "/", NaN, null, -1)), "dwellSeconds");
  assert.equal(visitor.events, 0);
});
