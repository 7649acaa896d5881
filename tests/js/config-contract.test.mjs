// One contract for the three config documents, as JavaScript sees it: every
// error is reported, not the first, both by the check* functions (which
// never throw) and on the Error a constructor throws (`err.errors`).
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import nurture from "./load.mjs";

const siteConfig = () => JSON.parse(readFileSync(new URL("../data/site-config.json", import.meta.url), "utf8"));
const paths = (issues) => issues.map((e) => e.path);

test("a model with shape errors in three rules reports all three", () => {
  const doc = nurture.defaultModel();
  doc.engagement.rules[1].points = "ten"; // a string where a number belongs
  doc.engagement.rules[3].evnt = "page"; // an unknown key
  doc.fit.rules[0].op = "contians"; // a misspelled operator
  const report = nurture.checkModel(doc);
  assert.deepEqual(paths(report.errors), ["engagement.rules[1].points", "engagement.rules[3].evnt", "fit.rules[0].op"]);
  assert.ok(report.errors.every((e) => e.severity === "error"));
  assert.throws(() => new nurture.Model(doc), (err) => {
    assert.equal(err.code, "invalid_config");
    assert.equal(err.path, "engagement.rules[1].points");
    assert.match(err.message, /and 2 more in err\.errors/);
    assert.deepEqual(err.errors, report.errors);
    return true;
  });
});

test("a site config with an error in each of three segments reports all three", () => {
  const doc = siteConfig();
  doc.segments[1].priority = "high";
  doc.segments[2].when = { industry: { $inn: ["Manufacturing"] } };
  doc.segments[4].whn = {};
  const report = nurture.checkPersonalization(doc);
  assert.deepEqual(paths(report.errors), ["segments[1].priority", "segments[4].whn", "segments[2].when.industry.$inn"]);
  assert.throws(() => new nurture.Personalizer(doc), (err) => {
    assert.equal(err.code, "invalid_config");
    assert.deepEqual(paths(err.errors), paths(report.errors));
    return true;
  });
});

test("a form definition reports every bad field", () => {
  const form = {
    fields: [
      { name: "size", type: "number", min: "ten" },
      { name: "notes", type: "text", pattern: "(" },
      { name: "role", type: "text", colour: "red" },
    ],
  };
  assert.throws(() => new nurture.Form(form), (err) => {
    assert.equal(err.code, "invalid_config");
    assert.deepEqual(paths(err.errors), ["fields[0].min", "fields[2].colour", "fields[1].pattern"]);
    return true;
  });
});

test("a clean document has no errors and keeps its warnings", () => {
  const report = nurture.checkPersonalization({
    segments: [{ id: "unused", when: {} }],
    slots: [{ id: "s", default: { content: "x" } }],
  });
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.warnings.map((w) => [w.path, w.severity]), [["segments[0]", "warning"]]);
});
