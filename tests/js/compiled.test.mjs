// Compiled configs from JavaScript, against the built package:
// compileConfig() checks a document with path-precise errors and returns
// the bytes a page loads; inspectCompiled() reads them back as the page
// does and refuses another format version, a truncated or a damaged one
// with a code that says which.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import nurture from "./load.mjs";

const site = JSON.parse(readFileSync(new URL("../data/site-config.json", import.meta.url), "utf8"));
const model = nurture.defaultModel();
const MAGIC = [0x89, 0x4e, 0x52, 0x43];

const refused = (bytes) => {
  try {
    nurture.inspectCompiled(bytes);
  } catch (err) {
    return { code: err.code, message: err.message };
  }
  return null;
};

test("a site config, a model and the edge document compile and read back", () => {
  const bytes = nurture.compileConfig(site);
  assert.ok(bytes instanceof Uint8Array);
  assert.deepEqual([...bytes.subarray(0, 4)], MAGIC);
  assert.equal(bytes[4], 2, "format version");
  const info = nurture.inspectCompiled(bytes);
  assert.deepEqual({ ...info, version: undefined }, { formatVersion: 2, kind: "site", version: undefined, site: true, model: false });
  assert.match(info.version, /^[0-9a-f]{16}$/);
  // The same document gives the same bytes, however its keys are ordered.
  const reordered = Object.fromEntries(Object.entries(site).reverse());
  assert.deepEqual(nurture.compileConfig(reordered), bytes);

  assert.equal(nurture.inspectCompiled(nurture.compileConfig(model, "model")).kind, "model");
  const edge = nurture.inspectCompiled(nurture.compileConfig({ version: "00112233aabbccdd", site, model }));
  assert.deepEqual(edge, { formatVersion: 2, kind: "edge", version: "00112233aabbccdd", site: true, model: true });
});

test("bad documents throw invalid_config with the path of the bad field", () => {
  const bad = structuredClone(site);
  bad.slots[1].variants = "none";
  assert.throws(() => nurture.compileConfig(bad), (err) => err.code === "invalid_config" && err.path === "slots[1].variants");
  assert.throws(() => nurture.compileConfig({ site: bad, model: null }),
    (err) => err.code === "invalid_config" && err.path === "site.slots[1].variants");
  const badModel = structuredClone(model);
  badModel.fit.grades.A = "high";
  assert.throws(() => nurture.compileConfig({ site, model: badModel }), (err) => err.code === "invalid_config" && err.path === "model.fit.grades.A");
  assert.throws(() => nurture.compileConfig(site, "sites"), (err) => err.code === "invalid_argument" && err.path === "kind");
});

test("another format version, a truncated or a damaged compiled config is refused, saying what was expected", () => {
  const bytes = nurture.compileConfig({ site, model });
  const newer = bytes.slice();
  newer[4] = 3;
  const v = refused(newer);
  assert.equal(v.code, "compiled_config_version");
  assert.match(v.message, /format version 3, this build reads version 2/);
  // Version 1 (the documents only, before compiled structures) alike.
  const older = bytes.slice();
  older[4] = 1;
  assert.match(refused(older)?.message ?? "", /format version 1, this build reads version 2/);
  for (const length of [0, 3, 10, 21, 22, bytes.length - 1]) {
    assert.equal(refused(bytes.subarray(0, length))?.code, "compiled_config_corrupt", `length ${length}`);
  }
  for (const at of [0, 5, 9, 15, 20, 22, Math.floor(bytes.length / 2), bytes.length - 1]) {
    const damaged = bytes.slice();
    damaged[at] ^= 0x10;
    assert.equal(refused(damaged)?.code, "compiled_config_corrupt", `byte ${at}`);
  }
  assert.match(refused(bytes.slice().fill(0x7b, 0, 1)).message, /not a compiled config/);
  assert.match(refused(new TextEncoder().encode(JSON.stringify(site))).message, /not a compiled config/);
});
