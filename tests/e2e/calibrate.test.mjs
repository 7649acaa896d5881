// End to end: the playground's Calibrate tab in Chromium. Leads from the
// synthetic population of known effects (tests/support/synthetic.rs, written
// by `cargo run --example synthetic-leads`) are loaded as JSON Lines and as a
// CSV with a column mapping; the wasm calibrate build learns the points in a
// Web Worker while a timer probe checks that the page keeps answering; the
// charts and the points table appear with the planted effects' signs, the
// leaked field is flagged, and the downloaded model.json loads as a model.
// Needs pkg/ with pkg/calibrate/ (scripts/build-pkg.sh).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, readFile } from "node:fs/promises";
import { launchChromium } from "./browser.mjs";
import { serve } from "./server.mjs";
import { checkModel, Model } from "../../pkg/node.js";

const SHOTS = new URL("../../target/screenshots/", import.meta.url).pathname;
const repo = new URL("../..", import.meta.url).pathname;
let server, browser, jsonl;

before(async () => {
  await mkdir(SHOTS, { recursive: true });
  // 1,000 leads, seed 7: the generator is the one the Rust calibrate tests use.
  jsonl = execFileSync("cargo", ["run", "--quiet", "--example", "synthetic-leads", "--", "1000", "7"],
    { cwd: repo, maxBuffer: 1 << 28, encoding: "utf8" });
  server = await serve();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await server?.close();
});

async function openCalibrate() {
  const context = await browser.newContext({ viewport: { width: 1320, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(server.origin + "/playground.html#calibrate");
  await page.waitForSelector("#calibrate:not([hidden])");
  assert.equal(await page.isVisible("#score"), false);
  assert.equal(await page.isVisible("#cal-result"), false);
  return { context, page, errors };
}

/** Clicks Calibrate with a 10 ms timer probe running; returns how long it took and the probe's longest gap. */
async function calibrate(page) {
  await page.evaluate(() => {
    const probe = (window.probe = { last: performance.now(), gaps: [], stop: false, atStep: [] });
    const tick = () => {
      const t = performance.now();
      probe.gaps.push(t - probe.last);
      probe.last = t;
      if (!probe.stop) setTimeout(tick, 10);
    };
    tick();
    // The timer's count at each progress step.
    new MutationObserver(() => probe.atStep.push(probe.gaps.length))
      .observe(document.getElementById("cal-progress"), { attributeFilter: ["data-steps"] });
  });
  const before = await page.evaluate(() => Number(document.documentElement.dataset.calibrated ?? 0));
  const started = Date.now();
  await page.click("#cal-run");
  await page.waitForFunction((n) => Number(document.documentElement.dataset.calibrated ?? 0) > n, before, { timeout: 120_000 });
  const took = Date.now() - started;
  const probe = await page.evaluate(() => {
    const p = window.probe;
    p.stop = true;
    return { gaps: p.gaps.length, max: Math.max(...p.gaps), duringSteps: p.atStep.at(-1) - p.atStep[1] };
  });
  return { took, probe, steps: Number(await page.getAttribute("#cal-progress", "data-steps")) };
}

const rules = (page) => page.$$eval("#cal-rules tr[data-rule]", (rows) =>
  Object.fromEntries(rows.map((r) => [r.dataset.rule, Number(r.cells[4].textContent)])));

test("JSON Lines of leads: calibrated in a worker, charts, planted signs, model.json loads", async (t) => {
  const { context, page, errors } = await openCalibrate();
  await page.setInputFiles("#cal-file", { name: "leads.jsonl", mimeType: "application/x-ndjson", buffer: Buffer.from(jsonl) });
  await page.waitForFunction(() => /1000 lines/.test(document.getElementById("cal-loaded").textContent));
  assert.equal(await page.isHidden("#cal-mapping"), true);

  const { took, probe, steps } = await calibrate(page);
  // The work ran off the main thread: the 10 ms timer kept firing between
  // the progress steps (on the main thread, all steps would come in one
  // task, with no tick between them, and leave one gap as long as the run).
  t.diagnostic(`calibrated 1000 leads in ${took} ms; ${probe.gaps} timer ticks, longest gap ${probe.max.toFixed(0)} ms; ${steps} progress steps, ${probe.duringSteps} ticks between them`);
  assert.ok(steps >= 10, `the progress bar moved ${steps} times`);
  assert.ok(probe.duringSteps >= 5, `${probe.duringSteps} timer ticks between the progress steps`);
  assert.ok(probe.max < 250, `the main thread stalled for ${probe.max.toFixed(0)} ms during a ${took} ms run`);

  // Charts drawn: a ROC polyline from (0,0) to (1,1), ten gains points, reliability bins.
  assert.ok(await page.$$eval("#cal-roc polyline", (p) => p[0].getAttribute("points").split(" ").length) > 10);
  assert.equal(await page.$$eval("#cal-gains circle", (c) => c.length), 10);
  assert.ok(await page.$$eval("#cal-reliability circle", (c) => c.length) >= 3);
  const auc = Number((await page.textContent("#cal-roc")).match(/AUC (0\.\d+)/)[1]);
  assert.ok(auc > 0.65, `AUC ${auc}`);

  // The planted effects' signs (tests/support/synthetic.rs).
  const points = await rules(page);
  assert.ok(points["industry=energy"] > 0, JSON.stringify(points));
  assert.ok(points["industry=energy"] > (points["industry=retail"] ?? 0), JSON.stringify(points));
  assert.ok(points["title=vp operations"] > 0, JSON.stringify(points));
  assert.ok(points["event:demo requested"] > 0, JSON.stringify(points));
  assert.ok(points["title=student"] < 0 || points["negative.student"] < 0, JSON.stringify(points));
  assert.ok(points["page:/careers"] < 0, JSON.stringify(points));
  // The rare value earns nothing; the leaked CRM field is flagged and left out.
  assert.equal(Object.keys(points).some((id) => /aerospace|salesStage/i.test(id)), false, JSON.stringify(points));
  const leaks = await page.$$eval("#cal-warnings li.leak", (li) => li.map((l) => l.textContent));
  assert.ok(leaks.some((w) => w.startsWith("salesStage left out as a likely leak")), JSON.stringify(leaks));

  await page.screenshot({ path: SHOTS + "calibrate.png", fullPage: true });

  // model.json: a Blob download that the package loads as a model with a probability.
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#cal-download")]);
  assert.equal(download.suggestedFilename(), "model.json");
  const model = JSON.parse(await readFile(await download.path(), "utf8"));
  assert.deepEqual(checkModel(model).errors, []);
  const lead = JSON.parse(jsonl.slice(0, jsonl.indexOf("\n")));
  const scored = new Model(model).score(lead.profile, lead.events, lead.now ?? Date.UTC(2026, 10, 1));
  assert.ok(scored.probability > 0 && scored.probability < 1, JSON.stringify(scored.probability));

  // "Score with it" hands the model to the scoring tab.
  await page.click("#cal-try");
  await page.waitForSelector("#score:not([hidden])");
  assert.equal(JSON.parse(await page.inputValue("#model")).calibration.slope, model.calibration.slope);
  // The page's own build scores with it: the default model's rules are gone
  // from the explanation, and a probability is shown.
  await page.waitForFunction(() => !document.getElementById("breakdown").textContent.includes("decision-maker"));
  assert.equal(await page.getAttribute("#model-status", "class"), "pg-status");
  assert.match(await page.textContent("#summary"), /probability\d+\.\d%/);
  await page.screenshot({ path: SHOTS + "calibrate-scored.png" });
  assert.deepEqual(errors, []);
  await context.close();
});

test("a CSV with a column mapping: label column, renamed fields, an ignored column", async () => {
  const leads = jsonl.trim().split("\n").map((l) => JSON.parse(l));
  const quote = (v) => (v === undefined ? "" : /[",]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  const csv = ["Lead ID,Industry,\"Job title\",Employees,Country,CRM stage,Won",
    ...leads.map((l, i) => [`L${i}`, l.profile.industry, l.profile.title, l.profile.companySize, l.profile.country, l.profile.salesStage, l.converted ? "yes" : "no"].map(quote).join(","))].join("\r\n");
  const { context, page, errors } = await openCalibrate();
  await page.setInputFiles("#cal-file", { name: "leads.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.waitForSelector("#cal-mapping:not([hidden])");
  assert.match(await page.textContent("#cal-loaded"), /1000 rows, 7 columns/);
  // Guessed: the id ignored, "Won" the label, the rest profile fields.
  assert.deepEqual(await page.$$eval("#cal-mapping select", (s) => s.map((x) => x.value)),
    ["ignore", "profile", "profile", "profile", "profile", "profile", "label"]);
  await page.fill('input[data-field="1"]', "industry");
  await page.fill('input[data-field="2"]', "title");
  await page.fill('input[data-field="3"]', "companySize");
  await page.selectOption('select[data-column="5"]', "ignore");

  await calibrate(page);
  const points = await rules(page);
  assert.ok(points["industry=energy"] > 0, JSON.stringify(points));
  assert.ok(points["title=student"] < 0 || points["negative.student"] < 0, JSON.stringify(points));
  // Numbers in the CSV became numbers: companySize is binned.
  assert.ok(Object.keys(points).some((id) => id.startsWith("companySize")), JSON.stringify(points));
  // No events: no engagement rules; the ignored CRM column is not flagged.
  assert.equal(Object.keys(points).some((id) => id.startsWith("event:")), false);
  assert.deepEqual(await page.$$eval("#cal-warnings li.leak", (li) => li.length), 0);
  await page.screenshot({ path: SHOTS + "calibrate-csv.png", fullPage: true });

  // A label the mapping cannot read is named by its CSV line.
  await page.setInputFiles("#cal-file", { name: "bad.csv", mimeType: "text/csv", buffer: Buffer.from("Industry,Won\nEnergy,yes\nRetail,maybe\n") });
  await page.waitForFunction(() => /2 rows/.test(document.getElementById("cal-loaded").textContent));
  await page.click("#cal-run");
  assert.match(await page.textContent("#cal-status"), /CSV line 3: Won = "maybe" is not a label/);
  await page.setInputFiles("#cal-file", { name: "events.csv", mimeType: "text/csv", buffer: Buffer.from('Industry,events,Won\nEnergy,"[{""type"":""page""}]",yes\nRetail,[oops,no\n') });
  await page.waitForFunction(() => /2 rows, 3 columns/.test(document.getElementById("cal-loaded").textContent));
  assert.equal(await page.inputValue('select[data-column="1"]'), "events");
  await page.click("#cal-run");
  assert.match(await page.textContent("#cal-status"), /CSV line 3: events is not a JSON array of events/);
  // The core's own errors come back from the worker with the lead's path.
  await page.setInputFiles("#cal-file", { name: "bad.jsonl", mimeType: "application/x-ndjson",
    buffer: Buffer.from('{"profile":{},"converted":true}\n{"profile":{},"converted":"yes"}\n') });
  await page.waitForFunction(() => /2 lines/.test(document.getElementById("cal-loaded").textContent));
  await page.click("#cal-run");
  await page.waitForFunction(() => document.getElementById("cal-status").classList.contains("bad"));
  assert.match(await page.textContent("#cal-status"), /^leads\[1\]\.converted: /);
  assert.equal(await page.isEnabled("#cal-run"), true);
  assert.deepEqual(errors, []);
  await context.close();
});
