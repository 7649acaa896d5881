// The JSON Schemas in schema/ against the Rust config types, through the
// built package (the wasm that users run):
//
// - every sample config (the built-in model, tests/data, bench/, the
//   fixtures here that use every key) validates with ajv, and Rust loads it;
// - for every object in those samples, the set of keys the schema allows is
//   the set serde accepts. That set comes from Rust itself: a probe key is
//   added to the object and serde's `deny_unknown_fields` error lists every
//   field it expected (`unknown field `__probe__`, expected one of `id`, ...`).
//   Objects the schema leaves open must be open in Rust too;
// - a key is `required` in the schema exactly when serde reports
//   `missing field` without it;
// - every object schema is reached by some sample, and every one of its
//   properties appears in one, so the checks above cover the whole schema.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import Ajv from "ajv";
import { freshProject, root } from "./helpers.mjs";

const dir = freshProject("schema");
const pkg = path.join(dir, "node_modules", "nurture");
const n = await import(path.join(pkg, "node.js"));
const json = (...p) => JSON.parse(readFileSync(path.join(...p), "utf8"));
const fixture = (name) => json(root, "tests", "package", "fixtures", name);

// What Rust says about a document: the first error, as {path, message}, or null.
const rust = {
  model: (doc) => n.checkModel(doc).errors[0] ?? null,
  site: (doc) => n.checkPersonalization(doc).errors[0] ?? null,
  form: (doc) => {
    try {
      n.nextFields(doc, {});
      return null;
    } catch (e) {
      assert.equal(e.code, "invalid_config", e.message);
      const p = e.path ?? "";
      return { path: p, message: p ? e.message.slice(p.length + 2) : e.message };
    }
  },
};

const kinds = {
  model: {
    schema: json(pkg, "schema", "model.schema.json"),
    samples: {
      "defaultModel()": n.defaultModel(),
      "src/score/default_model.json": json(root, "src", "score", "default_model.json"),
      "fixtures/model.full.json": fixture("model.full.json"),
    },
  },
  site: {
    schema: json(pkg, "schema", "site.schema.json"),
    samples: {
      "tests/data/site-config.json": json(root, "tests", "data", "site-config.json"),
      "fixtures/site.full.json": fixture("site.full.json"),
    },
  },
  form: {
    schema: json(pkg, "schema", "form.schema.json"),
    samples: {
      "bench/contact-form.json": json(root, "bench", "contact-form.json"),
      "fixtures/form.full.json": fixture("form.full.json"),
    },
  },
};

const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false });
const typeOf = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);
const pathOf = (segs) => segs.reduce((s, k) => (typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${k}` : k), "");

function deref(schema, rootSchema) {
  let ptr = null;
  while (schema.$ref) {
    ptr = schema.$ref;
    schema = schema.$ref.slice(2).split("/").reduce((o, k) => o[k], rootSchema);
  }
  return { schema, ptr };
}

// The branch of an anyOf that describes `value` (by JSON type).
function branchFor(schema, value, rootSchema) {
  const { schema: s, ptr } = deref(schema, rootSchema);
  if (!s.anyOf && !s.oneOf) return { schema: s, ptr };
  for (const b of s.anyOf ?? s.oneOf) {
    const r = branchFor(b, value, rootSchema);
    const types = [r.schema.type ?? []].flat();
    const t = typeOf(value);
    if (types.includes(t) || (t === "integer" && types.includes("number"))) return r;
    if (!r.schema.type && r.schema.enum?.includes(value)) return r;
  }
  return { schema: {}, ptr: null };
}

function mutate(doc, segs, f) {
  const copy = structuredClone(doc);
  f(segs.reduce((o, k) => o[k], copy));
  return copy;
}

function expectedFields(message) {
  const m = /unknown field `__probe__`, (?:expected (?:one of )?(.*)|there are no fields)$/.exec(message);
  assert.ok(m, `not serde's unknown-field message: ${message}`);
  return [...(m[1] ?? "").matchAll(/`([^`]*)`/g)].map((x) => x[1]).sort();
}

for (const [kind, { schema, samples }] of Object.entries(kinds)) {
  const validate = ajv.compile(schema);

  for (const [name, doc] of Object.entries(samples)) {
    test(`${kind}: ${name} validates against the schema, and Rust loads it`, () => {
      assert.ok(validate(doc), JSON.stringify(validate.errors, null, 1));
      assert.equal(rust[kind](doc), null);
    });
  }

  test(`${kind}: the schema's keys, closed objects and required keys are those of the Rust types`, () => {
    const seen = new Map(); // schema node -> Set of property names met in samples
    const problems = [];
    const walk = (doc, value, segs, schemaNode) => {
      const { schema: s, ptr } = branchFor(schemaNode, value, schema);
      const where = `${pathOf(segs) || "(root)"}${ptr ? ` (${ptr})` : ""}`;
      if (Array.isArray(value)) {
        value.forEach((item, i) => {
          const itemSchema = Array.isArray(s.items) ? s.items[i] : s.items;
          if (itemSchema) walk(doc, item, [...segs, i], itemSchema);
        });
        return;
      }
      if (typeOf(value) !== "object" || !s.properties) return; // a free-form value (condition, content, set)
      if (!seen.has(s)) seen.set(s, new Set());
      const schemaKeys = Object.keys(s.properties).sort();
      const closed = s.additionalProperties === false;
      const probe = rust[kind](mutate(doc, segs, (o) => { o.__probe__ = 1; }));
      if (closed) {
        if (!probe || probe.path !== pathOf([...segs, "__probe__"])) {
          problems.push(`${where}: the schema is closed but Rust accepts unknown keys (${JSON.stringify(probe)})`);
        } else {
          const rustKeys = expectedFields(probe.message);
          if (JSON.stringify(rustKeys) !== JSON.stringify(schemaKeys)) {
            problems.push(`${where}: schema keys ${schemaKeys} but Rust accepts ${rustKeys}`);
          }
        }
      } else if (probe) {
        problems.push(`${where}: the schema allows unknown keys but Rust refuses them: ${probe.message}`);
      }
      for (const key of Object.keys(value)) {
        seen.get(s).add(key);
        if (closed) {
          const err = rust[kind](mutate(doc, segs, (o) => { delete o[key]; }));
          const rustRequired = !!err && err.path === pathOf(segs) && err.message.includes(`missing field \`${key}\``);
          const schemaRequired = (s.required ?? []).includes(key);
          if (rustRequired !== schemaRequired) {
            problems.push(`${where}.${key}: required in ${rustRequired ? "Rust" : "the schema"} only`);
          }
        }
        if (s.properties[key]) walk(doc, value[key], [...segs, key], s.properties[key]);
      }
    };
    for (const doc of Object.values(samples)) walk(doc, doc, [], schema);

    // Coverage: every object schema was met, with every one of its keys.
    const all = [];
    const collect = (s, at) => {
      if (!s || typeof s !== "object") return;
      if (s.properties && s.type !== undefined) all.push([s, at]);
      for (const [k, v] of Object.entries(s)) {
        if (k === "enum" || k === "const" || k === "default" || k === "examples") continue;
        if (Array.isArray(v)) v.forEach((x, i) => collect(x, `${at}/${k}/${i}`));
        else if (typeof v === "object") collect(v, `${at}/${k}`);
      }
    };
    collect(schema, "#");
    for (const [s, at] of all) {
      if (!seen.has(s)) { problems.push(`${at}: no sample has this object`); continue; }
      const missing = Object.keys(s.properties).filter((k) => !seen.get(s).has(k));
      if (missing.length) problems.push(`${at}: no sample uses ${missing}`);
    }
    assert.deepEqual(problems, []);
  });
}

test("a typo is an error in both the schema and Rust, at the same place", () => {
  const cases = [
    ["model", { engagement: { rules: [{ id: "x", points: 1, minDwelSeconds: 3 }] } }, "engagement.rules[0].minDwelSeconds", "/engagement/rules/0"],
    ["site", { slots: [{ id: "hero", variants: [{ id: "v", segmnet: "x" }] }] }, "slots[0].variants[0].segmnet", "/slots/0/variants/0"],
    ["form", { fields: [{ name: "email", type: "email", requried: true }] }, "fields[0].requried", "/fields/0"],
  ];
  for (const [kind, doc, rustPath, schemaPath] of cases) {
    const validate = ajv.compile(kinds[kind].schema);
    assert.equal(validate(doc), false);
    assert.ok(validate.errors.some((e) => e.instancePath === schemaPath && e.keyword === "additionalProperties"),
      JSON.stringify(validate.errors));
    assert.equal(rust[kind](doc)?.path, rustPath);
  }
});
