// The page build (pkg/page) builds `personalizer.layout()` by hand rather
// than as JSON text (src/wasm/layout.rs): it must be the object the full
// build's JSON path makes, key order, `__proto__` keys and numbers alike.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync } from "node:fs";
import path from "node:path";
import nurture, { loadBuild, pkgDir } from "./load.mjs";

const pageDir = path.join(pkgDir, "page");
const skip = (!existsSync(path.join(pageDir, "nurture_bg.wasm")) || typeof nurture.compileConfig !== "function")
  && "needs pkg/ (full build) and pkg/page";
const page = skip ? null : await loadBuild(pageDir);
const read = (file) => JSON.parse(readFileSync(new URL(file, import.meta.url)));

// Parsed from text: an object literal's `__proto__` would set the prototype.
const nested = read("../../demo/site-config.json");
nested.version = "nested-1";
nested.slots[0].default = JSON.parse(`{"kind": "text", "content": {
  "__proto__": {"polluted": true, "list": [1, -0, 2.5, 1e21, 9007199254740993, -1.5e-7, null, true, "x"]},
  "a": {"b": {"c": [{"__proto__": "s"}, [], {}]}, "constructor": "k", "10": 1, "2": 2},
  "toString": 3, "": "", "é\u2028": "\ud83d\ude00"}}`);
nested.slots[0].variants[0].content = JSON.parse(`[{"__proto__": null}, 0.1, 123456789012, "<b>"]`);

// Same own keys in the same order, same prototypes, same values.
function same(a, b, at) {
  assert.equal(typeof a, typeof b, at);
  if (typeof a !== "object" || a === null) return assert.ok(Object.is(a, b), `${at}: ${a} vs ${b}`);
  assert.equal(Array.isArray(a), Array.isArray(b), at);
  assert.equal(Object.getPrototypeOf(a), Object.getPrototypeOf(b), `${at}: prototype`);
  assert.deepEqual(Reflect.ownKeys(a), Reflect.ownKeys(b), `${at}: keys`);
  for (const k of Reflect.ownKeys(a)) {
    const [da, db] = [Object.getOwnPropertyDescriptor(a, k), Object.getOwnPropertyDescriptor(b, k)];
    assert.deepEqual([da.writable, da.enumerable, da.configurable], [db.writable, db.enumerable, db.configurable], `${at}.${k}`);
    same(da.value, db.value, `${at}.${String(k)}`);
  }
}

for (const [name, config] of [
  ["the demo config", read("../../demo/site-config.json")],
  ["the test site config (content items)", read("../data/site-config.json")],
  ["nested content with __proto__ keys", nested],
]) {
  test(`the page build's layout is the full build's: ${name}`, { skip }, () => {
    const full = new nurture.Personalizer(config).layout();
    const mine = new page.Personalizer(nurture.compileConfig(config)).layout();
    same(mine, full, "layout");
    assert.equal(JSON.stringify(mine), JSON.stringify(full));
  });
}

test("a __proto__ key in content stays an own property", { skip }, () => {
  const layout = new page.Personalizer(nurture.compileConfig(nested)).layout();
  const content = layout.slots[0].default.content;
  assert.equal(Object.getPrototypeOf(content), Object.prototype);
  assert.ok(Object.hasOwn(content, "__proto__"));
  assert.equal(content.__proto__.polluted, true);
  assert.equal(content.polluted, undefined);
  assert.equal({}.polluted, undefined);
});
