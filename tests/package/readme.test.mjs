// Runs every ```js block of the package README (the copy inside the installed
// tarball) in Node, in a fresh project. A line `expr; //=> value` becomes an
// assertion that `expr` deep-equals `value`, and a block passes only when
// every such line ran (a `//=>` inside a catch that never ran fails it).
import test from "node:test";
import assert from "node:assert/strict";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { freshProject, root, run } from "./helpers.mjs";

const dir = freshProject("readme");
copyFileSync(path.join(root, "tests", "data", "maxmind", "GeoLite2-ASN-Test.mmdb"), path.join(dir, "GeoLite2-ASN.mmdb"));
const readme = readFileSync(path.join(dir, "node_modules", "nurture", "README.md"), "utf8");

export function blocks(markdown) {
  const out = [];
  const re = /^```js\n([\s\S]*?)^```$/gm;
  for (let m; (m = re.exec(markdown));) {
    out.push({ line: markdown.slice(0, m.index).split("\n").length + 1, code: m[1] });
  }
  return out;
}

const prelude = `import { isDeepStrictEqual as __eq } from "node:util";
let __ran = 0;
function __expect(actual, expected, where) {
  __ran++;
  // Numbers in the README are rounded to what a reader needs.
  const round = (v) => typeof v === "number" && !Number.isInteger(v) ? Number(v.toFixed(4)) : v;
  const norm = (v) => Array.isArray(v) ? v.map(norm) : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, norm(x)])) : round(v);
  if (!__eq(norm(actual), norm(expected))) {
    throw new Error(where + "\\n  actual:   " + JSON.stringify(actual) + "\\n  expected: " + JSON.stringify(expected));
  }
}
`;

export function instrument(code, startLine) {
  let expected = 0;
  const lines = code.split("\n").map((line, i) => {
    const m = /^(\s*)(.+?);?\s*\/\/=>\s*(.+)$/.exec(line);
    if (!m) return line;
    expected++;
    const where = `README.md:${startLine + i}: ${m[2].trim()}`;
    return `${m[1]}__expect((${m[2]}), (${m[3]}), ${JSON.stringify(where)});`;
  });
  return { code: lines.join("\n"), expected };
}

const all = blocks(readme);
test("the README has a js example for every export", async () => {
  const nurture = await import(path.join(dir, "node_modules", "nurture", "node.js"));
  const text = all.map((b) => b.code).join("\n");
  const missing = Object.keys(nurture).filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
  assert.deepEqual(missing, []);
});

for (const [i, block] of all.entries()) {
  test(`README example ${i + 1} (line ${block.line})`, () => {
    const { code, expected } = instrument(block.code, block.line);
    const file = path.join(dir, `example-${i + 1}.mjs`);
    writeFileSync(file, `${prelude}${code}\nif (__ran !== ${expected}) throw new Error("only " + __ran + " of ${expected} checks ran");\n`);
    const r = run(process.execPath, [file], { cwd: dir });
    assert.equal(r.status, 0, r.stderr);
  });
}
