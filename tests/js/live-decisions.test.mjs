// LiveVisitor.decisions: a visitor held in wasm, decided from its own score
// and the context set once (setContext), must get exactly what
// Personalizer.decide answers for the same visitor given as a document with
// its score() result. Also: the events tracked since are read, a score does
// not outlive a new event, and each answer's content is its own copy.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import nurture from "./load.mjs";
import { heavyVisitor } from "../../bench/visitor.json.mjs";

const DAY = 86_400_000;
const NOW = Math.floor(Date.now() / 1000) * 1000 - DAY;
const skip = typeof nurture.Model.prototype.visitor !== "function" && "page build";
const site = JSON.parse(readFileSync(new URL("../data/site-config.json", import.meta.url)));

function fields(e) {
  const p = e.properties ?? {};
  return [e.type === "track" ? e.event : e.type, p.path ?? null, e.timestamp, p.tags ?? null, p.dwellSeconds ?? null];
}

const contexts = [
  { id: "v-1", request: { country: "CN", asOrganization: "PetroChina" }, page: { path: "/pricing" },
    profile: { email: "li.wei@petrochina.com.cn", title: "VP of Operations", company: "PetroChina", industry: "Oil & Gas", companySize: 5000 } },
  { id: "v-2", request: { country: "US" }, profile: { title: "Store Manager", industry: "Retail", companySize: "201-500" } },
  { id: "v-3", request: { country: "DE", asn: 3320 }, seen: ["og-refinery-case"] },
  { id: 42, profile: { industry: "Education" }, page: { path: "/", utm: { source: "ad" } } },
  {},
];

test("decisions are Personalizer.decide's for the same visitor", { skip }, () => {
  const model = new nurture.Model(null);
  const personalizer = new nurture.Personalizer(site);
  contexts.forEach((context, i) => {
    for (const count of [0, 3, 20, 200]) {
      const events = heavyVisitor(NOW, count + i).sort((a, b) => a.timestamp - b.timestamp);
      const live = model.visitor(null, "server");
      for (const e of events) live.track(...fields(e));
      live.setContext(context);
      const score = model.score(context.profile ?? null, events, NOW);
      const expected = personalizer.decide({ ...context, score });
      // Twice: the second from the kept score and context.
      for (let k = 0; k < 2; k++) {
        assert.equal(JSON.stringify(live.decisions(personalizer, NOW)), JSON.stringify(expected), `${i}/${count}`);
      }
      live.free();
    }
  });
  personalizer.free();
  model.free();
});

test("an event tracked after a decision changes the next", { skip }, () => {
  const model = new nurture.Model(null);
  const personalizer = new nurture.Personalizer(site);
  const live = model.visitor(null, "server");
  const context = contexts[1];
  live.setContext(context);
  const before = live.decisions(personalizer, NOW);
  const events = [];
  for (let i = 0; i < 30; i++) events.push({ type: "track", event: "Demo Requested", timestamp: NOW - i * 3_600_000 });
  events.sort((a, b) => a.timestamp - b.timestamp);
  for (const e of events) live.track(...fields(e));
  const after = live.decisions(personalizer, NOW);
  const expected = personalizer.decide({ ...context, score: model.score(context.profile, events, NOW) });
  assert.deepEqual(after, expected);
  assert.notDeepEqual(after, before);
  // A new context's profile is scored again (its fit is kept per context).
  const other = { ...contexts[0], id: "v-9" };
  live.setContext(other);
  assert.deepEqual(live.decisions(personalizer, NOW), personalizer.decide({ ...other, score: model.score(other.profile, events, NOW) }));
  // Another config is decided with its own slots.
  const small = new nurture.Personalizer({ slots: [{ id: "only", default: { content: { a: 1 } } }] });
  assert.deepEqual(live.decisions(small, NOW), small.decide({ ...other, score: model.score(other.profile, events, NOW) }));
  small.free();
  personalizer.free();
  model.free();
});

test("content objects are each answer's own; a bad context is refused", { skip }, () => {
  const model = new nurture.Model(null);
  const personalizer = new nurture.Personalizer(site);
  const live = model.visitor();
  live.setContext(contexts[0]);
  const first = live.decisions(personalizer, NOW);
  const menu = first.decisions.find((d) => d.slot === "menu");
  menu.content.items.push("changed");
  const second = live.decisions(personalizer, NOW);
  assert.notDeepEqual(second.decisions.find((d) => d.slot === "menu").content, menu.content);
  assert.throws(() => live.setContext({ id: "x", request: "CN" }), (e) => e.code === "invalid_argument" && e.path === "visitor.request");
  assert.throws(() => live.setContext(7), (e) => e.code === "invalid_argument");
  // Nothing changed by a refused context.
  assert.deepEqual(live.decisions(personalizer, NOW), second);
  live.free();
  personalizer.free();
  model.free();
});

test("score(now) with the profile left out is the context's, and decisions follow it", { skip }, () => {
  const model = new nurture.Model(null);
  const personalizer = new nurture.Personalizer(site);
  const events = heavyVisitor(NOW, 40).sort((a, b) => a.timestamp - b.timestamp);
  const live = model.visitor(null, "server");
  for (const e of events) live.track(...fields(e));
  // No context yet: no profile.
  assert.deepEqual(live.score(NOW), live.score(NOW, null));
  for (const context of contexts) {
    live.setContext(context);
    const profile = context.profile ?? null;
    const kept = live.score(NOW);
    assert.deepEqual(kept, live.score(NOW, profile));
    const full = model.score(profile, events, NOW);
    assert.equal(kept.fit, full.fit.score);
    assert.equal(kept.engagement, full.engagement.score);
    // Decided from the score just kept, as from a document with its score.
    assert.equal(JSON.stringify(live.decisions(personalizer, NOW)), JSON.stringify(personalizer.decide({ ...context, score: full })));
  }
  // An event after the kept score: both are worked out again.
  live.track("Demo Requested", null, NOW - 1000);
  events.push({ type: "track", event: "Demo Requested", timestamp: NOW - 1000 });
  const last = contexts[contexts.length - 1];
  const again = model.score(last.profile ?? null, events, NOW);
  assert.equal(live.score(NOW).engagement, again.engagement.score);
  assert.deepEqual(live.decisions(personalizer, NOW), personalizer.decide({ ...last, score: again }));
  live.free();
  personalizer.free();
  model.free();
});
