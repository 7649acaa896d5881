// The JSON Schemas in schema/ against the built package (the wasm that users
// run). The schemas are generated from the Rust config types by schemars,
// from the same serde attributes the loaders use, and
// `cargo test --features schema --test schema_drift` fails when a committed
// file differs from what is generated; so here they are only checked from
// the outside, with ajv, the way editors and users' tools read them:
//
// - every sample config (the built-in model, tests/data, bench/, the
//   fixtures here that use every key) validates, and Rust loads it;
// - for every object in those samples, a key added to it is refused by the
//   schema and by Rust at the same place, or accepted by both (the free-form
//   objects: conditions, content, `set`, labels);
// - a key the schema requires is one without which Rust refuses the object;
// - every property the schema names is used by some sample;
// - each document may name its schema in `$schema`, at the top only.
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
for (const kind of Object.values(kinds)) kind.validate = ajv.compile(kind.schema);

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
const pathOf = (segs) => segs.reduce((s, k) => (typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${k}` : k), "");
const pointerOf = (segs) => segs.map((k) => `/${String(k).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

/** Every object in `value` with the path to it. */
function* objects(value, segs = []) {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* objects(item, [...segs, i]);
  } else if (isObject(value)) {
    yield segs;
    for (const [k, v] of Object.entries(value)) yield* objects(v, [...segs, k]);
  }
}

function mutate(doc, segs, f) {
  const copy = structuredClone(doc);
  f(segs.reduce((o, k) => o[k], copy));
  return copy;
}

/** The ajv errors for `doc` (none when it validates). */
function schemaErrors(validate, doc) {
  return validate(doc) ? [] : validate.errors;
}

/** Every property name the schema declares, wherever it is. */
function declaredKeys(schema, out = new Set()) {
  if (Array.isArray(schema)) schema.forEach((s) => declaredKeys(s, out));
  else if (isObject(schema)) {
    for (const [k, v] of Object.entries(schema)) {
      if (k === "default" || k === "examples" || k === "enum" || k === "const") continue;
      if (k === "properties") Object.keys(v).forEach((p) => out.add(p));
      declaredKeys(v, out);
    }
  }
  return out;
}

for (const [kind, { samples, validate, schema }] of Object.entries(kinds)) {
  for (const [name, doc] of Object.entries(samples)) {
    test(`${kind}: ${name} validates against the schema, and Rust loads it`, () => {
      assert.deepEqual(schemaErrors(validate, doc), []);
      assert.equal(rust[kind](doc), null);
    });
  }

  test(`${kind}: the schema and Rust refuse the same unknown keys and need the same keys`, () => {
    const problems = [];
    for (const doc of Object.values(samples)) {
      for (const segs of objects(doc)) {
        const at = pathOf(segs) || "(root)";
        const probe = mutate(doc, segs, (o) => { o.__probe__ = 1; });
        // Refused as an unknown key, or (in a map such as savedGroups) for its value.
        const refused = schemaErrors(validate, probe).some((e) => (e.keyword === "additionalProperties"
          && e.instancePath === pointerOf(segs) && e.params.additionalProperty === "__probe__")
          || e.instancePath === pointerOf([...segs, "__probe__"]));
        const err = rust[kind](probe);
        const rustRefused = err?.path === pathOf([...segs, "__probe__"]);
        if (refused !== rustRefused) {
          problems.push(`${at}: an unknown key is refused by ${refused ? "the schema" : "Rust"} only (${JSON.stringify(err)})`);
        }
        for (const key of Object.keys(segs.reduce((o, k) => o[k], doc))) {
          const without = mutate(doc, segs, (o) => { delete o[key]; });
          const required = schemaErrors(validate, without).some((e) => e.keyword === "required"
            && e.instancePath === pointerOf(segs) && e.params.missingProperty === key);
          if (required && rust[kind](without)?.path !== pathOf(segs)) {
            problems.push(`${at}.${key}: the schema requires it, Rust loads the object without it`);
          }
        }
      }
    }
    assert.deepEqual(problems, []);
  });

  test(`${kind}: the samples use every property the schema names`, () => {
    const used = new Set();
    for (const doc of Object.values(samples)) {
      for (const segs of objects(doc)) Object.keys(segs.reduce((o, k) => o[k], doc)).forEach((k) => used.add(k));
    }
    assert.deepEqual([...declaredKeys(schema)].filter((k) => !used.has(k)), []);
  });

  test(`${kind}: a document may name its schema, at the top only`, () => {
    const doc = { $schema: `./node_modules/nurture/schema/${kind}.schema.json`, ...Object.values(samples).at(-1) };
    assert.deepEqual(schemaErrors(validate, doc), []);
    assert.equal(rust[kind](doc), null);
    const nested = kind === "model" ? { fit: { $schema: "x" } }
      : kind === "site" ? { slots: [{ id: "a", $schema: "x" }] }
        : { fields: [{ name: "a", type: "text", $schema: "x" }] };
    assert.equal(validate(nested), false);
    assert.match(rust[kind](nested)?.path ?? "", /\.\$schema$/);
  });
}

test("a typo is an error in both the schema and Rust, at the same place", () => {
  const cases = [
    ["model", { engagement: { rules: [{ id: "x", points: 1, minDwelSeconds: 3 }] } }, "engagement.rules[0].minDwelSeconds", "/engagement/rules/0"],
    ["site", { slots: [{ id: "hero", variants: [{ id: "v", segmnet: "x" }] }] }, "slots[0].variants[0].segmnet", "/slots/0/variants/0"],
    ["form", { fields: [{ name: "email", type: "email", requried: true }] }, "fields[0].requried", "/fields/0"],
  ];
  for (const [kind, doc, rustPath, schemaPath] of cases) {
    const { validate } = kinds[kind];
    assert.equal(validate(doc), false);
    assert.ok(validate.errors.some((e) => e.instancePath === schemaPath && e.keyword === "additionalProperties"),
      JSON.stringify(validate.errors));
    assert.equal(rust[kind](doc)?.path, rustPath);
  }
});
