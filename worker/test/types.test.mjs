// The worker's types are checked, and a type error in a route fails the
// check: tsc on worker/tsconfig.json passes, and on a copy of the worker
// with a mistake put into three routes (an error code that is not in the
// table, a misspelt field of the identity object, a field the package's
// ScoreResult does not have) it fails, naming each. Plain Node, no workerd.
import test from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const tsc = path.join(root, "node_modules", "typescript", "bin", "tsc");

/** tsc -p <project>: {status, output}. */
function check(project) {
  const r = spawnSync(process.execPath, [tsc, "-p", project, "--pretty", "false"], { encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

// [route file, what it says, the mistake, what tsc must say about it]
const MISTAKES = [
  ["routes/events.js", 'new HttpError("empty_batch"', 'new HttpError("empty_batches"', /routes\/events\.js\(\d+,\d+\): error TS2345: Argument of type '"empty_batches"'/],
  ["routes/forms.js", "if (who.visitorId !== t.visitorId)", "if (who.visitorID !== t.visitorId)", /routes\/forms\.js\(\d+,\d+\): error TS2551: Property 'visitorID' does not exist on type 'Visitor'/],
  ["routes/health.js", "{ breakdown: false }).grade", "{ breakdown: false }).grades", /routes\/health\.js\(\d+,\d+\): error TS2551: Property 'grades' does not exist on type 'ScoreResult'/],
];

test("tsc passes on the worker", () => {
  const { status, output } = check(path.join(root, "worker", "tsconfig.json"));
  assert.equal(status, 0, output);
});

test("a type error in a route fails tsc, and says where", () => {
  // A copy of worker/ beside links to what its tsconfig and imports reach
  // (the package's types, the demo's files, node_modules).
  const dir = mkdtempSync(path.join(tmpdir(), "nurture-types-"));
  try {
    const worker = path.join(dir, "worker");
    for (const part of ["src", "types", "tsconfig.json"]) cpSync(path.join(root, "worker", part), path.join(worker, part), { recursive: true });
    for (const link of ["pkg", "pkg-template", "demo", "node_modules"]) symlinkSync(path.join(root, link), path.join(dir, link));
    const project = path.join(worker, "tsconfig.json");

    const clean = check(project);
    assert.equal(clean.status, 0, `the untouched copy must pass:\n${clean.output}`);

    for (const [file, good, bad] of MISTAKES) {
      const p = path.join(worker, "src", file);
      const text = readFileSync(p, "utf8");
      assert.ok(text.includes(good), `${file} no longer has \`${good}\`: update MISTAKES`);
      writeFileSync(p, text.replace(good, bad));
    }
    const broken = check(project);
    assert.notEqual(broken.status, 0, "tsc passed with type errors in three routes");
    for (const [, , , said] of MISTAKES) assert.match(broken.output, said);
    assert.equal(broken.output.match(/error TS/g).length, MISTAKES.length, broken.output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
