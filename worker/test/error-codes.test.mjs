// worker/README.md's table of error codes is src/errors.js's ERROR_STATUS:
// the same codes, statuses and order, and every code is one the worker
// answers with somewhere (no stale row). Plain Node, no workerd.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ERROR_STATUS } from "../src/errors.js";

const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), "..");

test("the README's error table is ERROR_STATUS, row for row", () => {
  const readme = readFileSync(path.join(worker, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Error codes"), readme.indexOf("\n## ", readme.indexOf("## Error codes") + 1));
  const rows = [...section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| \S.* \|$/gm)].map(([, code, status]) => [code, Number(status)]);
  assert.deepEqual(rows, Object.entries(ERROR_STATUS));
});

test("every code in the table is answered somewhere in src/", () => {
  const sources = readdirSync(path.join(worker, "src"), { recursive: true })
    .filter((f) => f.endsWith(".js") && f !== "errors.js")
    .map((f) => readFileSync(path.join(worker, "src", f), "utf8"))
    .join("\n");
  const unused = Object.keys(ERROR_STATUS).filter((code) => !sources.includes(`"${code}"`));
  assert.deepEqual(unused, []);
});
