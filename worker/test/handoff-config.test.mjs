// The handoff document: its JSON Schema (schema/handoff.schema.json, by
// hand) names the fields the worker's validator (src/handoff/check.js)
// takes and, read by ajv, takes and refuses what the validator does;
// errors name the path of the bad field, and the default programs
// move a lead as the source documents say (conditions evaluated by the
// core's evalCondition). Plain Node, no workerd.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import Ajv from "ajv";
import nurture from "../../tests/js/load.mjs";
import { checkHandoff, TOP_KEYS, ROUTING_KEYS, RULE_KEYS, FALLBACK_KEYS, PROGRAM_KEYS } from "../src/handoff/check.js";
import { DEFAULT_PROGRAMS, attributesOf, evaluatePrograms } from "../src/handoff/programs.js";
import { routeLead } from "../src/handoff/routing.js";
import { HANDOFF } from "./handoff-fixture.mjs";

const schema = JSON.parse(readFileSync(new URL("../../schema/handoff.schema.json", import.meta.url), "utf8"));
const DAY = 86_400_000;

test("the schema's fields are the validator's", () => {
  const keys = (o) => Object.keys(o.properties).sort();
  assert.deepEqual(keys(schema), [...TOP_KEYS].sort());
  assert.deepEqual(keys(schema.definitions.Routing), [...ROUTING_KEYS].sort());
  assert.deepEqual(keys(schema.definitions.Rule), [...RULE_KEYS].sort());
  assert.deepEqual(keys(schema.definitions.Routing.properties.fallback), [...FALLBACK_KEYS].sort());
  assert.deepEqual(keys(schema.definitions.Program), [...PROGRAM_KEYS].sort());
  for (const o of [schema, schema.definitions.Routing, schema.definitions.Rule, schema.definitions.Program]) assert.equal(o.additionalProperties, false);
  // The test document passes, and leaving programs out gives the defaults.
  assert.deepEqual(checkHandoff(HANDOFF).errors, []);
  assert.equal(checkHandoff({ routing: { rules: [] } }).handoff.programs, DEFAULT_PROGRAMS);
});

test("every error names the path of the bad field", () => {
  const { handoff, errors } = checkHandoff({
    routing: {
      sla: "2 days",
      onTimeout: "drop",
      maxRecycles: -1,
      rules: [
        { name: "ok", region: ["EMEA"], queue: "q" },
        { name: "Bad Name", companySize: { min: 10, max: 5 }, queue: "q" },
        { name: "ok", grade: ["A5"], queue: "" },
        { name: "no-target", industry: [] },
        "rule",
        { name: "fallback", queue: "q", color: "red" },
      ],
      fallback: { owner: "x" },
    },
    programs: [{ name: "p", entry: "score > 5" }, { name: "p", entry: {}, exit: [] }],
    evaluateEvery: "soon",
    extra: 1,
  });
  assert.equal(handoff, null);
  assert.deepEqual(errors.map((e) => e.path), [
    "extra",
    "routing.rules[1].name",
    "routing.rules[1].companySize",
    "routing.rules[2].name",
    "routing.rules[2].grade[0]",
    "routing.rules[2].queue",
    "routing.rules[3].industry",
    "routing.rules[3]",
    "routing.rules[4]",
    "routing.rules[5].color",
    "routing.rules[5].name",
    "routing.fallback.queue",
    "routing.sla",
    "routing.onTimeout",
    "routing.maxRecycles",
    "programs[0].entry",
    "programs[1].name",
    "programs[1].exit",
    "evaluateEvery",
  ]);
  assert.deepEqual(checkHandoff([]).errors, [{ path: "", message: "the handoff document must be a JSON object" }]);
});

test("routing: first match wins; a recycled lead skips the rules that timed out", () => {
  const { routing } = checkHandoff(HANDOFF).handoff;
  const lead = (profile, grade = "A1") => ({ profile, grade, segments: [] });
  assert.equal(routeLead(routing, lead({ region: "emea", industry: "MANUFACTURING" })).route.queue, "emea-mfg");
  assert.deepEqual(routeLead(routing, lead({ region: "EMEA", industry: "Manufacturing" }), ["emea-manufacturing"]).route, { queue: "emea-general", rule: "emea" });
  assert.equal(routeLead(routing, lead({ region: "EMEA" }), ["emea", "fallback"]), null);
  assert.equal(routeLead(routing, lead({ companySize: "12000" })).route.rule, "enterprise");
  assert.equal(routeLead(routing, lead({ companySize: "many" })).route.rule, "fallback");
});

test("the default programs: welcome, acceleration, re-engagement, renewal 90/60/30, once per entry", () => {
  const now = Date.UTC(2026, 11, 2);
  const holds = (attributes, condition) => nurture.evalCondition(attributes, condition);
  const h = { status: "nurture", firstSeen: now - 3 * DAY, knownAt: now - DAY, route: null, recycles: 0, lastOutcome: null, nurtureReason: null, engagementRise: 12, programs: {} };
  let summary = { fit: 60, engagement: 30, grade: "B2", fitGrade: "B", tier: "warm", stage: "consideration", mql: false };
  const step = (over, at = now) => {
    const a = attributesOf({ summary, profile: {}, h, lastActivity: at - DAY, now: at, ...over });
    return evaluatePrograms(DEFAULT_PROGRAMS, h.programs, a, holds, at).map((t) => `${t.program}:${t.change}`);
  };
  // A newly known lead whose engagement rises: welcome and acceleration.
  assert.deepEqual(step({}), ["welcome:entered", "acceleration:entered"]);
  assert.deepEqual(step({}), [], "nothing twice");
  // MQL: acceleration ends; two weeks after becoming known, welcome does.
  summary = { ...summary, mql: true };
  assert.deepEqual(step({}), ["acceleration:exited"]);
  assert.deepEqual(step({ lastActivity: now + 13 * DAY }, now + 14 * DAY), ["welcome:exited"]);
  // 30 days without activity: re-engagement, left on the next activity.
  assert.deepEqual(step({ lastActivity: now }, now + 31 * DAY), ["re-engagement:entered"]);
  assert.deepEqual(step({ lastActivity: now + 32 * DAY }, now + 32 * DAY), ["re-engagement:exited"]);
  // Renewal: 90, 60 and 30 days before the date, one after the other.
  const renewal = (days) => step({ profile: { renewalDate: new Date(now + 40 * DAY + days * DAY).toISOString().slice(0, 10) }, lastActivity: now + 40 * DAY }, now + 40 * DAY);
  assert.deepEqual(renewal(100), []);
  assert.deepEqual(renewal(80), ["renewal-90:entered"]);
  assert.deepEqual(renewal(50), ["renewal-90:exited", "renewal-60:entered"]);
  assert.deepEqual(renewal(20), ["renewal-60:exited", "renewal-30:entered"]);
  assert.deepEqual(renewal(-1), ["renewal-30:exited"]);
  assert.deepEqual(Object.fromEntries(Object.entries(h.programs).map(([k, m]) => [k, m.entries])), { welcome: 1, acceleration: 1, "re-engagement": 1, "renewal-90": 1, "renewal-60": 1, "renewal-30": 1 });
});

test("the README's example handoff document is valid", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const section = readme.slice(readme.indexOf("## Handoff to sales"));
  const example = /```json\n([\s\S]*?)```/.exec(section)[1];
  const { handoff, errors } = checkHandoff(JSON.parse(example));
  assert.deepEqual(errors, []);
  assert.deepEqual(handoff.routing.rules.map((r) => r.name), ["key-accounts", "hand-routed", "emea-manufacturing", "emea", "enterprise"]);
  assert.equal(handoff.routing.rules[0].slaMs, 4 * 3_600_000);
  assert.equal(handoff.routing.rules[1].slaMs, null);
});

test("the schema, read by ajv, agrees with the validator: samples pass both, bad documents and unknown keys fail both", () => {
  const validate = new Ajv({ allErrors: true }).compile(schema);
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const example = JSON.parse(/```json\n([\s\S]*?)```/.exec(readme.slice(readme.indexOf("## Handoff to sales")))[1]);
  const samples = [HANDOFF, example, { routing: { rules: [] } }, { programs: DEFAULT_PROGRAMS.map(({ name, entry, exit }) => (exit ? { name, entry, exit } : { name, entry })) }];
  for (const doc of samples) {
    assert.ok(validate(doc), JSON.stringify(validate.errors));
    assert.deepEqual(checkHandoff(doc).errors, []);
  }
  const both = (doc, what) => {
    assert.equal(validate(doc), false, `schema takes ${what}`);
    assert.notDeepEqual(checkHandoff(doc).errors, [], `validator takes ${what}`);
  };
  const rule = { name: "r", region: ["EMEA"], queue: "q" };
  both({ routing: { rules: [{ name: "r", region: ["EMEA"] }] } }, "a rule with no queue and no owner");
  both({ routing: { rules: [{ ...rule, grade: ["A5"] }] } }, "grade A5");
  both({ routing: { rules: [{ ...rule, name: "Rule 1" }] } }, "a name with capitals");
  both({ routing: { rules: [{ ...rule, region: [] }] } }, "an empty list");
  both({ routing: { rules: [{ ...rule, companySize: {} }] } }, "companySize without bounds");
  both({ routing: { rules: [rule], sla: "2 days" } }, "a duration with a space");
  both({ routing: { rules: [rule], onTimeout: "drop" } }, "onTimeout drop");
  both({ routing: { rules: [rule], maxRecycles: 11 } }, "maxRecycles 11");
  both({ routing: { rules: [rule], fallback: { owner: "x" } } }, "a fallback without a queue");
  both({ routing: {} }, "routing without rules");
  both({ programs: [{ name: "p" }] }, "a program without entry");
  both({ programs: [{ name: "p", entry: [] }] }, "a list as condition");
  both({ evaluateEvery: "daily" }, "evaluateEvery daily");
  // A key added to any object of the sample is refused by both.
  const objects = [[], ["routing"], ["routing", "rules", 0], ["routing", "fallback"], ["routing", "rules", HANDOFF.routing.rules.findIndex((r) => r.companySize), "companySize"], ["programs", 0]];
  for (const at of objects) {
    const doc = structuredClone(HANDOFF);
    at.reduce((o, k) => o[k], doc).surprise = 1;
    both(doc, `an unknown key at ${at.join(".") || "the top"}`);
  }
});
