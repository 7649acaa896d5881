// @ts-check
// Where the worker's documents come from: the site config, the scoring
// model, the forms and the named accounts. Each is read, in this order, from
//   1. the KV namespace bound as NURTURE_CONFIG, keys `site`, `model`,
//      `forms`, `accounts`, `handoff` (a KV value may be up to 25 MiB);
//   2. the config bundled into the Worker at build time (bundleConfig(), see
//      worker/README.md, "Deploying"; counted in the script's size limit);
//   3. the variables SITE_CONFIG_JSON, MODEL_JSON, FORMS_JSON, ACCOUNTS_CSV,
//      HANDOFF_JSON (small configs only: a variable or secret is at most 5 KB);
//   4. with NURTURE_DEMO only, the demo's (demo.js).
// One document given in two places is an error, not a silent choice.
// Without a site config (or without NURTURE_KEYS) and without NURTURE_DEMO
// every request is refused (503 config_missing): a production worker never
// decides from the demo's templates.
//
// The documents are read once per isolate (env) and kept; a failed or
// incomplete read is not kept, so the next request reads again. Their
// version is a hash of the four texts: GET /v1/health reports it and
// GET /v1/config serves it with the site config and model, so the page and
// the edge decide from the same documents.

import { DEMO } from "./demo.js";
import { HttpError } from "./errors.js";
import { settings } from "./config.js";
import { parseKeys } from "./token.js";
import { sha256Hex } from "./digest.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {"site" | "model" | "forms" | "accounts" | "handoff"} DocKey
 * @typedef {object} Documents
 * @property {string} version 16 hex digits of SHA-256 over the four texts
 * @property {string} source where the documents came from: "kv", "bundled", "vars", "demo", or a mix ("kv+vars")
 * @property {string} site the site config's JSON text
 * @property {string} model the model's JSON text; "" for the built-in model
 * @property {string} forms the forms' JSON text; "" for none
 * @property {string} accounts the named accounts (CSV, or JSON); "" for none
 * @property {string} handoff routing, follow-up timers and programs (handoff/config.js); "" for none: those are off
 */

/** @type {{key: DocKey, variable: "SITE_CONFIG_JSON" | "MODEL_JSON" | "FORMS_JSON" | "ACCOUNTS_CSV" | "HANDOFF_JSON"}[]} */
const DOCS = [
  { key: "site", variable: "SITE_CONFIG_JSON" },
  { key: "model", variable: "MODEL_JSON" },
  { key: "forms", variable: "FORMS_JSON" },
  { key: "accounts", variable: "ACCOUNTS_CSV" },
  // Never served to pages (it names owners and key accounts): not in
  // GET /v1/config, and in the version only when there is one.
  { key: "handoff", variable: "HANDOFF_JSON" },
];

/** @type {Partial<Record<DocKey, string>>} set by bundleConfig() */
let bundled = {};

/**
 * Bundles documents into the Worker at build time: call it at the top of the
 * Worker's entry, before anything is served. Objects are taken as JSON
 * documents, strings as their text (`accounts`: CSV or JSON).
 * @param {{site?: unknown, model?: unknown, forms?: unknown, accounts?: unknown, handoff?: unknown}} docs
 */
export function bundleConfig(docs) {
  /** @type {Partial<Record<DocKey, string>>} */
  const next = {};
  for (const [key, value] of Object.entries(docs ?? {})) {
    if (!DOCS.some((d) => d.key === key)) throw new TypeError(`bundleConfig: unknown document "${key}" (site, model, forms, accounts, handoff)`);
    if (value === undefined || value === null) continue;
    next[/** @type {DocKey} */ (key)] = typeof value === "string" ? value : JSON.stringify(value);
  }
  bundled = next;
  loaded = new WeakMap();
}

/** @type {WeakMap<Env, Documents>} */
let loaded = new WeakMap();

/**
 * The documents of `env`, read once and kept (see above); throws the
 * HttpError that every request answers while they cannot be had.
 * @param {Env} env
 * @returns {Promise<Documents>}
 */
export async function loadDocuments(env) {
  const have = loaded.get(env);
  if (have) return have;
  const docs = await read(env);
  loaded.set(env, docs);
  return docs;
}

/**
 * The documents already loaded for `env` (by loadDocuments, which every
 * entry point awaits first).
 * @param {Env} env
 * @returns {Documents}
 */
export function documents(env) {
  const have = loaded.get(env);
  if (!have) throw new HttpError("config_unavailable", "the configuration has not been read yet; retry the request");
  return have;
}

/** @param {unknown} v */
function text(v) {
  return typeof v === "string" ? v.trim() : "";
}

/** @param {Env} env */
async function read(env) {
  const s = settings(env);
  const kv = env.NURTURE_CONFIG;
  /** @type {(string | null)[]} */
  let fromKv = DOCS.map(() => null);
  if (kv) {
    try {
      fromKv = await Promise.all(DOCS.map((d) => kv.get(d.key, "text")));
    } catch (err) {
      console.error("config", err instanceof Error ? err.message : String(err));
      throw new HttpError("config_unavailable", "the KV namespace NURTURE_CONFIG could not be read; retry the request");
    }
  }
  /** @type {Record<DocKey, string>} */
  const texts = { site: "", model: "", forms: "", accounts: "", handoff: "" };
  /** @type {Set<string>} */
  const sources = new Set();
  /** @type {string[]} */
  const twice = [];
  DOCS.forEach((d, i) => {
    const given = [
      ["kv", text(fromKv[i]), `NURTURE_CONFIG key "${d.key}"`],
      ["bundled", text(bundled[d.key]), `bundleConfig({${d.key}})`],
      ["vars", text(env[d.variable]), d.variable],
    ].filter(([, t]) => t !== "");
    if (given.length > 1) twice.push(`${d.key}: ${given.map(([, , where]) => where).join(" and ")}`);
    if (given.length > 0) {
      texts[d.key] = given[0][1];
      sources.add(given[0][0]);
    }
  });
  if (twice.length) {
    throw new HttpError("invalid_variable", `a document is given twice, keep one: ${twice.join("; ")}`);
  }
  if (s.demo && DEMO) {
    if (!texts.site) texts.site = DEMO.site;
    if (!texts.forms) texts.forms = DEMO.forms;
    if (!texts.accounts) texts.accounts = DEMO.accounts;
    sources.add("demo");
  }
  /** @type {{what: string, how: string}[]} */
  const missing = [];
  if (!texts.site) {
    missing.push({ what: "the site config", how: `the key "site" of the KV namespace bound as NURTURE_CONFIG (wrangler kv key put site --path site-config.json --binding NURTURE_CONFIG --remote), or the variable SITE_CONFIG_JSON (at most 5 KB)` });
  }
  const keysSet = text(env.NURTURE_KEYS) !== "" || Array.isArray(env.NURTURE_KEYS);
  // Malformed keys are refused here, at start-up, not on the first route
  // that signs (server_misconfigured, naming NURTURE_KEYS).
  if (keysSet) parseKeys(env.NURTURE_KEYS);
  if (!s.demo && !keysSet) missing.push({ what: "NURTURE_KEYS", how: "wrangler secret put NURTURE_KEYS; npx nurture keygen prints a key" });
  if (missing.length) {
    const demo = s.demo && !DEMO ? " (NURTURE_DEMO is set, but this build has no demo configuration)" : "";
    const set = missing.map((m) => `${m.what}: ${m.how}`).join("; and ");
    throw new HttpError("config_missing", `the worker is not configured${demo}: set ${set}`, { missing: missing.map((m) => m.what) });
  }
  const versioned = DOCS.filter((d) => d.key !== "handoff" || texts.handoff !== "");
  const version = (sha256Hex(versioned.map((d) => `${d.key}\u0000${texts[d.key]}`).join("\u0000"))).slice(0, 16);
  return { version, source: sources.size ? [...sources].join("+") : "vars", ...texts };
}
