// Fills in `expected` in scoring.json from the core, through the full build
// of the package (pkg/, built by scripts/build-pkg.sh):
//
//   node tests/data/vectors/generate-scoring.mjs            # only cases whose expected is null
//   node tests/data/vectors/generate-scoring.mjs --all      # every case (review the diff!)
//
// The file is a spec, not a mirror: add a case with `"expected": null`, run
// this, then read what it wrote and check it against the model by hand
// before committing (README.md lists the cases checked so far). Regenerating
// every case after a change to the core makes every difference a decision
// to take, not a test that silently follows the code.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const file = path.join(here, "scoring.json");
const pkgDir = process.env.NURTURE_PKG ?? path.join(here, "..", "..", "..", "pkg");
const nurture = await import(path.join(pkgDir, "nurture.js"));
nurture.initSync({ module: readFileSync(path.join(pkgDir, "nurture_bg.wasm")) });

const all = process.argv.includes("--all");
const doc = JSON.parse(readFileSync(file, "utf8"));
let filled = 0;
for (const c of doc.cases) {
  if (!all && c.expected != null) continue;
  c.expected = nurture.score(c.model ?? null, c.profile, c.events, c.now, c.options);
  filled += 1;
}

function oneLine(value) {
  if (typeof value !== "object" || value === null) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(oneLine).join(", ")}]`;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v)}`).join(", ")}}`;
}

// JSON with short objects and arrays on one line, so a case reads as a table.
function format(value, indent = "") {
  const flat = JSON.stringify(value);
  if (flat === undefined || typeof value !== "object" || value === null) return flat;
  if (indent.length + flat.length <= 110) return oneLine(value);
  const inner = indent + "  ";
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    return `[\n${value.map((v) => inner + format(v, inner)).join(",\n")}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return "{}";
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${format(v, inner)}`).join(",\n")}\n${indent}}`;
}

writeFileSync(file, format(doc) + "\n");
console.log(`${filled} of ${doc.cases.length} cases filled in ${path.relative(process.cwd(), file)}`);
