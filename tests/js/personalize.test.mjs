// Segments and slot decisions from JavaScript, against the built package,
// with the sample site config and named-account table in tests/data.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import nurture, { loadBuild, pkgDir } from "./load.mjs";

const data = (name) => readFileSync(new URL(`../data/${name}`, import.meta.url));
const config = JSON.parse(data("site-config.json"));
const accounts = nurture.CidrTable.fromCsv(data("accounts.csv").toString());
const asn = new nurture.MaxMindDb(new Uint8Array(data("maxmind/GeoLite2-ASN-Test.mmdb")));
const personalizer = new nurture.Personalizer(config);
const slot = (decisions, id) => decisions.decisions.find((d) => d.slot === id);

test("a visitor from a named account's range gets the account's industry hero and menu", () => {
  // Pick an id outside the 10% hero holdout: the holdout is part of the config.
  let decisions;
  for (let i = 0; i < 50; i++) {
    decisions = personalizer.decide({ id: `visitor-${i}`, ip: "203.0.113.77" }, { cidr: accounts });
    if (slot(decisions, "hero").reason.kind !== "holdout") break;
  }
  assert.equal(decisions.primarySegment, "key-account");
  assert.ok(decisions.segments.includes("oil-gas"));
  assert.equal(slot(decisions, "hero").variant, "oil-gas-hero");
  assert.equal(slot(decisions, "menu").variant, "oil-gas-menu");
});

test("a retail-interested visitor sees the retail menu; an unknown one the default", () => {
  const score = nurture.score(null, {}, [{ type: "page", timestamp: Date.now(),
    properties: { path: "/industries/retail", tags: ["retail"], dwellSeconds: 90 } }]);
  const retail = personalizer.decide({ id: "r-1", score });
  assert.equal(slot(retail, "menu").variant, "retail-menu");
  const nobody = personalizer.decide({ id: "n-1", ip: "198.51.100.1" }, { cidr: accounts });
  assert.equal(slot(nobody, "menu").reason.kind, "fallback");
});

test("a full score() result decides exactly like the fields decisions read, and is left as given", () => {
  const now = Date.now();
  const events = Array.from({ length: 300 }, (_, i) => ({ type: "page", messageId: `m-${i}`,
    timestamp: now - i * 3_600_000,
    properties: { path: i % 3 ? "/industries/retail" : "/pricing", tags: i % 3 ? ["retail"] : ["pricing"], dwellSeconds: 60 } }));
  const profile = { email: "ana@example-retail.com", industry: "Retail", company: "Example Retail" };
  const full = nurture.score(null, profile, events, now);
  assert.ok(full.engagement.breakdown.length > 0);
  const read = { fit: { score: full.fit.score }, engagement: { score: full.engagement.score }, grade: full.grade,
    tier: full.tier, stage: full.stage, mql: { qualified: full.mql.qualified }, interests: full.interests };
  const before = JSON.stringify(full);
  for (let i = 0; i < 40; i++) {
    const visitor = { id: `full-${i}`, profile, score: full, page: { path: "/" } };
    const a = personalizer.decide(visitor);
    const b = personalizer.decide({ ...visitor, score: read });
    assert.deepEqual(a, b);
    assert.deepEqual(personalizer.context(visitor), personalizer.context({ ...visitor, score: read }));
    assert.equal(visitor.score, full);
  }
  assert.equal(JSON.stringify(full), before, "the caller's score is not modified");
  // Scores given as plain numbers and bad shapes still behave as before.
  const plain = personalizer.context({ id: "p", score: { fit: 12, engagement: 3, tier: "warm" } });
  assert.deepEqual(plain.score, { fit: 12, engagement: 3 });
  assert.throws(() => personalizer.decide({ id: "x", score: [1, 2] }), (e) => e.code === "invalid_argument" && e.path === "visitor.score");
});

test("segments() gives the segments context() and decide() find, without the context", () => {
  const visitors = [
    { id: "a", ip: "203.0.113.77" },
    { id: "b", ip: "1.128.0.1" },
    { id: "c", request: { country: "CN" }, profile: { industry: "Retail" } },
    { id: "d" },
  ];
  for (const v of visitors) {
    const tables = { cidr: accounts, maxmind: asn };
    const ctx = personalizer.context(v, tables);
    const decided = personalizer.decide(v, tables);
    const got = personalizer.segments(v, tables);
    assert.deepEqual(got, { segments: ctx.segments, primarySegment: ctx.segment ?? null });
    assert.deepEqual(got.segments, decided.segments);
  }
  assert.ok(personalizer.segments(visitors[0], { cidr: accounts }).segments.includes("key-account"));
  assert.throws(() => personalizer.segments({ id: "x", seen: "nope" }), { code: "invalid_argument", path: "visitor.seen" });
});

test("the A/B slot splits 50/50 within 2% and is sticky per visitor", () => {
  let own = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) {
    const d = slot(personalizer.decide({ id: `ab-${i}` }), "cta");
    if (d.variant === "own-data") own++;
    if (i < 50) assert.deepEqual(slot(personalizer.decide({ id: `ab-${i}` }), "cta"), d);
  }
  assert.ok(Math.abs(own / n - 0.5) < 0.02, `share ${own / n}`);
});

test("MaxMind ASN records and org rules yield an industry without a named account", () => {
  assert.equal(asn.lookup("53.0.0.1").autonomous_system_number, 31399);
  const ctx = nurture.segmentOf("53.0.0.1", { country: "DE" }, { maxmind: asn }, config);
  assert.ok(ctx.segments.includes("manufacturing"), JSON.stringify(ctx.segments));
});

test("tables report bad lines and bad configs throw with a path", () => {
  const partial = nurture.CidrTable.fromCsv("cidr,company\n10.0.0.0/8,A\n10.0.0.0/33,B\nnot-an-ip,C\n");
  assert.equal(partial.size, 1);
  assert.deepEqual(partial.rejected.map((r) => r.line), [3, 4]);
  assert.throws(() => new nurture.MaxMindDb(new Uint8Array([1, 2, 3])), (e) => e instanceof Error && typeof e.code === "string");
  const bad = structuredClone(config);
  bad.segments[1].when = { industry: { $regex: "(" } };
  assert.throws(() => new nurture.Personalizer(bad), (e) => e.code === "invalid_config" && e.path.startsWith("segments[1].when"));
});

test("the page build has no lookup tables: decide refuses them, and decides without", async () => {
  const page = await loadBuild(path.join(pkgDir, "browser"));
  assert.equal(page.CidrTable, undefined);
  assert.equal(page.MaxMindDb, undefined);
  assert.equal(page.segmentOf, undefined);
  const site = new page.Personalizer(config);
  const visitor = { id: "v-1", request: { country: "CN" }, profile: { industry: "Oil & Gas" } };
  assert.deepEqual(site.decide(visitor), personalizer.decide(visitor));
  assert.deepEqual(site.decide(visitor, null), personalizer.decide(visitor));
  assert.throws(() => site.decide(visitor, { cidr: accounts }), { code: "invalid_argument", path: "tables" });
  assert.throws(() => page.decide(config, visitor, {}), { code: "invalid_argument", path: "tables" });
});
