#!/usr/bin/env node
// npx nurture keygen [--kid NAME] [--token]
//   prints a key for NURTURE_KEYS (kid:secret, 32 random bytes as base64url),
//   or with --token a bearer token for ADMIN_TOKEN / INGEST_TOKEN.
// npx nurture init-worker [DIR]
//   writes a deployable Worker project into DIR (default .): wrangler.toml
//   and src/index.js, which re-exports "nurture/worker". Existing files are
//   never overwritten.
// npx nurture calibrate LEADS [--base MODEL] [--report FILE] [--folds N]
//     [--keep FIELD]... [--pdo POINTS] [--name NAME] > model.json
//   learns a model's points from labelled leads (JSON Lines or a JSON array
//   of {profile, events, converted, now?}); the model goes to stdout, the
//   report to --report FILE (or a summary to stderr).
// npx nurture compile SITE [--model MODEL] > site.nrc
//   checks a site config (and a model; without one, the page uses the
//   built-in model) and writes their compiled form, which
//   `start({config})` reads without parsing JSON; errors name the path
//   (`site.slots[1].variants: ...`). `--model` alone: a compiled model.
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const USAGE = `usage:
  nurture keygen [--kid NAME] [--token]   a key for NURTURE_KEYS (kid:secret), or --token: one for ADMIN_TOKEN / INGEST_TOKEN
  nurture init-worker [DIR]               wrangler.toml and src/index.js for deploying the edge worker
  nurture calibrate LEADS [--base MODEL] [--report FILE] [--folds N] [--keep FIELD]... [--pdo POINTS] [--name NAME]
                                          learn points from labelled leads (JSON Lines or array); model.json to stdout
  nurture compile SITE [--model MODEL]    the compiled form of a site config (and model) for start({config}), to stdout`;

const [command, ...args] = process.argv.slice(2);

/** @param {string} message */
function fail(message) {
  console.error(`nurture: ${message}\n${USAGE}`);
  process.exit(2);
}

function keygen() {
  let kid = `k${new Date().toISOString().slice(0, 10).replaceAll("-", "")}`;
  let token = false;
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === "--token") token = true;
    else if (args[i] === "--kid") {
      kid = args[i + 1] ?? "";
      i += 1;
      if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid)) fail("--kid takes 1-32 of A-Z a-z 0-9 _ -");
    } else fail(`unknown option ${args[i]}`);
  }
  const secret = randomBytes(32).toString("base64url");
  console.log(token ? secret : `${kid}:${secret}`);
}

function initWorker() {
  if (args.length > 1) fail("init-worker takes one directory");
  const dir = path.resolve(args[0] ?? ".");
  const template = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "worker", "template");
  for (const file of ["wrangler.toml", "src/index.js"]) {
    const to = path.join(dir, file);
    if (existsSync(to)) {
      console.log(`kept ${path.relative(process.cwd(), to) || to} (it exists)`);
      continue;
    }
    mkdirSync(path.dirname(to), { recursive: true });
    copyFileSync(path.join(template, file), to);
    console.log(`wrote ${path.relative(process.cwd(), to)}`);
  }
  console.log("next: edit wrangler.toml (routes, ORIGIN_URL, the KV namespace id), then follow \"Deploying the edge worker\" in node_modules/nurture/README.md");
}

/** @param {string} file */
function readText(file) {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    fail(`cannot read ${file}: ${/** @type {Error} */ (err).message}`);
    return "";
  }
}

async function calibrateCommand() {
  /** @type {Record<string, unknown>} */
  const options = {};
  /** @type {string[]} */
  const keep = [];
  let leadsFile = "";
  let reportFile = "";
  for (let i = 0; i < args.length; i += 1) {
    const value = args[i + 1];
    const flag = args[i];
    const next = () => {
      if (value === undefined) fail(`${flag} takes a value`);
      i += 1;
      return /** @type {string} */ (value);
    };
    if (flag === "--base") {
      const file = next();
      try {
        options.base = JSON.parse(readText(file));
      } catch (err) {
        fail(`${file} is not JSON: ${/** @type {Error} */ (err).message}`);
      }
    } else if (flag === "--report") reportFile = next();
    else if (flag === "--folds") options.folds = Number(next());
    else if (flag === "--pdo") options.pointsToDoubleOdds = Number(next());
    else if (flag === "--keep") keep.push(next());
    else if (flag === "--name") options.name = next();
    else if (flag.startsWith("--")) fail(`unknown option ${flag}`);
    else if (leadsFile) fail("calibrate takes one file of leads");
    else leadsFile = flag;
  }
  if (!leadsFile) fail("calibrate needs a file of leads");
  if (keep.length) options.keepFields = keep;
  const { calibrate } = await import("../calibrate/node.js");
  let result;
  try {
    result = calibrate(readText(leadsFile), options);
  } catch (err) {
    const e = /** @type {Error & {path?: string}} */ (err);
    console.error(`nurture calibrate: ${e.message}`);
    process.exit(1);
  }
  process.stdout.write(`${JSON.stringify(result.model, null, 2)}\n`);
  const r = result.report;
  if (reportFile) writeFileSync(reportFile, `${JSON.stringify(r, null, 2)}\n`);
  const cv = r.crossValidated;
  console.error(
    `calibrated ${r.leads} leads (${r.converted} converted): ${r.folds}-fold AUC ${cv.auc.toFixed(3)}, ` +
      `log loss ${cv.logLoss.toFixed(3)}, ECE ${cv.expectedCalibrationError.toFixed(3)}; ` +
      `${r.rules.length} rules, half-life ${r.halfLifeDays ?? "none"} days`,
  );
  for (const warning of r.warnings) console.error(`warning: ${warning}`);
}

/** @param {string} file */
function readJson(file) {
  try {
    return JSON.parse(readText(file));
  } catch (err) {
    fail(`${file} is not JSON: ${/** @type {Error} */ (err).message}`);
    return null;
  }
}

async function compileCommand() {
  let siteFile = "";
  let modelFile = "";
  for (let i = 0; i < args.length; i += 1) {
    if (args[i] === "--model") {
      const value = args[i + 1];
      if (value === undefined) fail("--model takes a file");
      modelFile = String(value);
      i += 1;
    } else if (args[i].startsWith("--")) fail(`unknown option ${args[i]}`);
    else if (siteFile) fail("compile takes one site config");
    else siteFile = args[i];
  }
  if (!siteFile && !modelFile) fail("compile needs a site config (or --model MODEL)");
  if (process.stdout.isTTY) fail("the compiled form is binary: redirect it to a file (> site.nrc)");
  const { compileConfig } = await import("../node.js");
  const model = modelFile ? readJson(modelFile) : null;
  let bytes;
  try {
    bytes = siteFile ? compileConfig({ site: readJson(siteFile), model }, "edge") : compileConfig(model, "model");
  } catch (err) {
    const e = /** @type {Error & {errors?: {path: string, message: string}[]}} */ (err);
    for (const issue of e.errors ?? [{ path: "", message: e.message }]) console.error(`nurture compile: ${issue.path ? `${issue.path}: ` : ""}${issue.message}`);
    process.exit(1);
  }
  process.stdout.write(bytes);
  console.error(`compiled ${siteFile || modelFile}${siteFile && modelFile ? ` and ${modelFile}` : ""}: ${bytes.length} bytes`);
}

if (command === "keygen") keygen();
else if (command === "compile") await compileCommand();
else if (command === "calibrate") await calibrateCommand();
else if (command === "init-worker") initWorker();
else if (command === undefined || command === "--help" || command === "-h") console.log(USAGE);
else fail(`unknown command ${command}`);
