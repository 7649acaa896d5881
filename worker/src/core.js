// @ts-check
// The wasm core, instantiated once per isolate and re-instantiated when it
// traps. A trap (WebAssembly.RuntimeError) or a stack overflow inside wasm
// leaves the instance in an unknown state (a RefCell left borrowed, the
// shadow stack pointer not restored), so, like workers-rs, the instance is
// thrown away and a fresh one built from the same compiled module.
//
// `nurture:glue` is pkg/nurture.js (wasm-bindgen --target web) and
// `nurture:wasm` the compiled module; worker/build.mjs maps both and adds a
// `__nurtureReset` export to the glue that forgets the dead instance.

import wasmModule from "nurture:wasm";
import * as glue from "nurture:glue";
import { HttpError } from "./errors.js";
// The documents (site config, model, forms, accounts) as source.js read
// them: from KV, the bundle or the variables (the demo's only with
// NURTURE_DEMO).
import { documents } from "./source.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("nurture").Tables} Tables
 * @typedef {import("nurture").FormConfig} FormConfig
 */

/**
 * What `withCore` hands its callback: the glue and the compiled configs of
 * `env`, each built on first use.
 * @typedef {object} Core
 * @property {typeof glue} glue
 * @property {glue.Model} model the scoring model (source.js's `model`, else the built-in one)
 * @property {glue.Personalizer} site the site config (source.js's `site`)
 * @property {Tables} tables
 * @property {(formId: string, definition: FormConfig) => glue.Form} form
 * @property {(condition: import("nurture").TargetingCondition) => glue.Condition} condition
 *   a condition of a config document, compiled once per instance (keyed by
 *   the object: pass the parsed, cached document's own conditions)
 */

let ready = false;
let restarts = 0;
// The live instance's exports, for its linear memory size in coreStats().
/** @type {{memory?: unknown} | null} */
let instanceExports = null;
/** @type {Map<string, glue.Model>} model text ("" for the default) → Model */
const models = new Map();
/** @type {Map<string, glue.Personalizer>} site config text → Personalizer */
const sites = new Map();
// forms text → Map(formId → Form). Compiling
// a form is most of what validating one costs in wasm, so each definition is
// compiled once per instance.
/** @type {Map<string, Map<string, glue.Form>>} */
const forms = new Map();
let formCompiles = 0; // forms compiled since the isolate started (coreStats)
/** @type {{key: string | null, cidr: glue.CidrTable | null, maxmind: glue.MaxMindDb | null, bytes: Uint8Array | null}} */
const tableCache = { key: null, cidr: null, maxmind: null, bytes: null };
/** @type {Map<object, glue.Condition>} a config's condition object → Condition */
const conditions = new Map();
// Handles that callers keep between requests (a visitor's engagement held
// by its object: visitor.js), weakly: an object that goes frees its handle
// through the glue's finalizer, and a reset unregisters the live ones as it
// does the caches'. Pruned of the dead now and then.
/** @type {Set<WeakRef<object>>} glue class instances (their __destroy_into_raw) */
const held = new Set();
let heldSincePrune = 0;

function ensure() {
  if (!ready) {
    instanceExports = /** @type {{memory?: unknown}} */ (glue.initSync({ module: wasmModule }));
    ready = true;
  }
}

/** @param {unknown} err */
export function isFatal(err) {
  return err instanceof WebAssembly.RuntimeError || (err instanceof RangeError && /call stack/i.test(err.message));
}

function reset() {
  // Handles into the dead instance must not be freed into the new one: the
  // glue's FinalizationRegistry would call __wbg_model_free(oldPtr) on the
  // fresh instance. __destroy_into_raw unregisters them without freeing.
  for (const model of models.values()) model.__destroy_into_raw();
  models.clear();
  for (const site of sites.values()) site.__destroy_into_raw();
  sites.clear();
  for (const byId of forms.values()) for (const form of byId.values()) form.__destroy_into_raw();
  forms.clear();
  tableCache.cidr?.__destroy_into_raw();
  tableCache.maxmind?.__destroy_into_raw();
  Object.assign(tableCache, { key: null, cidr: null, maxmind: null, bytes: null });
  for (const condition of conditions.values()) condition.__destroy_into_raw();
  conditions.clear();
  for (const ref of held) /** @type {{__destroy_into_raw(): unknown} | undefined} */ (ref.deref())?.__destroy_into_raw();
  held.clear();
  glue.__nurtureReset();
  instanceExports = null;
  ready = false;
  restarts += 1;
}

/**
 * An error of the core's (a NurtureError: `path`, `message`), for a message.
 * @param {unknown} err
 */
function described(err) {
  const e = /** @type {{path?: string, message?: string}} */ (err);
  return `${e.path ?? ""} ${e.message}`.trim();
}

/** @param {Env} env */
function compiledModel(env) {
  const { model: text, source } = documents(env);
  let model = models.get(text);
  if (model) return model;
  /** @type {import("nurture").ModelConfig | null} */
  let doc = null;
  if (text !== "") {
    try {
      doc = JSON.parse(text);
    } catch {
      throw new HttpError("model_invalid", `the model (${source}) is not valid JSON`);
    }
  }
  try {
    model = new glue.Model(doc);
  } catch (err) {
    if (isFatal(err)) throw err;
    throw new HttpError("model_invalid", `the model (${source}): ${described(err)}`);
  }
  models.set(text, model);
  return model;
}

/**
 * A config document's condition, compiled on first use. Keyed by the
 * object, which the documents' caches keep (handoff/config.js parses each
 * text once), so a condition is parsed once per instance, not per visit.
 * @param {import("nurture").TargetingCondition} condition
 */
function compiledCondition(condition) {
  let compiled = conditions.get(condition);
  if (!compiled) {
    compiled = new glue.Condition(condition);
    conditions.set(condition, compiled);
  }
  return compiled;
}

/**
 * The compiled site config (source.js: never missing once loaded).
 * @param {Env} env
 */
function compiledSite(env) {
  const { site: text, source } = documents(env);
  let site = sites.get(text);
  if (site) return site;
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new HttpError("site_config_invalid", `the site config (${source}) is not valid JSON`);
  }
  try {
    site = new glue.Personalizer(doc);
  } catch (err) {
    if (isFatal(err)) throw err;
    throw new HttpError("site_config_invalid", `the site config (${source}): ${described(err)}`);
  }
  sites.set(text, site);
  return site;
}

/**
 * The compiled form `formId` of the forms document, whose
 * definition the caller looked up: `definition` is only read the first time.
 * A bad definition throws the core's `invalid_config` error and is not
 * cached (every request reports it).
 * @param {Env} env
 * @param {string} formId
 * @param {FormConfig} definition
 */
function compiledForm(env, formId, definition) {
  const text = documents(env).forms;
  let byId = forms.get(text);
  if (!byId) {
    byId = new Map();
    forms.set(text, byId);
  }
  let form = byId.get(formId);
  if (form) return form;
  form = new glue.Form(definition);
  formCompiles += 1;
  byId.set(formId, form);
  return form;
}

/** @param {Env} env */
function maxmindBytes(env) {
  const b = env.MAXMIND_DB;
  if (b instanceof Uint8Array) return b;
  if (b instanceof ArrayBuffer) return new Uint8Array(b);
  return null;
}

/**
 * The lookup tables: the named-account CIDR table (the accounts document:
 * CSV, or JSON when it starts with "[" or "{"; none when empty)
 * and an optional MaxMind DB (MAXMIND_DB: the bytes of an .mmdb, from a Data
 * module or a data binding). Built once per isolate and text.
 * @param {Env} env
 * @returns {Tables}
 */
function lookupTables(env) {
  const csv = documents(env).accounts;
  const bytes = maxmindBytes(env);
  if (tableCache.key !== csv || tableCache.bytes !== bytes) {
    tableCache.cidr?.__destroy_into_raw();
    tableCache.maxmind?.__destroy_into_raw();
    Object.assign(tableCache, { key: null, cidr: null, maxmind: null, bytes: null });
    const text = csv.trim();
    let cidr = null;
    try {
      cidr = text === "" ? null : /^[[{]/.test(text) ? glue.CidrTable.fromJson(text) : glue.CidrTable.fromCsv(text);
    } catch (err) {
      if (isFatal(err)) throw err;
      throw new HttpError("server_misconfigured", `the named accounts (ACCOUNTS_CSV or the key "accounts"): ${/** @type {Error} */ (err).message}`);
    }
    let maxmind = null;
    if (bytes) {
      try {
        maxmind = new glue.MaxMindDb(bytes);
      } catch (err) {
        cidr?.free();
        if (isFatal(err)) throw err;
        throw new HttpError("server_misconfigured", `MAXMIND_DB: ${/** @type {Error} */ (err).message}`);
      }
    }
    Object.assign(tableCache, { key: csv, cidr, maxmind, bytes });
  }
  /** @type {Tables} */
  const tables = {};
  if (tableCache.cidr) tables.cidr = tableCache.cidr;
  if (tableCache.maxmind) tables.maxmind = tableCache.maxmind;
  return tables;
}

/**
 * Runs `fn({model, site, tables, form, glue})` against a live instance
 * (`form(formId, definition)` answers the compiled `Form`). If the instance traps,
 * it is replaced and `fn` runs once more on the new one; a second trap is
 * reported as 503 core_unavailable (the request may be retried).
 * @template T
 * @param {Env} env
 * @param {(core: Core) => T} fn
 * @returns {T}
 */
export function withCore(env, fn) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      ensure();
      // model, site and tables are built on first use (a route that only
      // scores never compiles the site config, and the other way round).
      /** @type {Core} */
      const core = {
        glue,
        get model() { return compiledModel(env); },
        get site() { return compiledSite(env); },
        get tables() { return lookupTables(env); },
        form: (formId, definition) => compiledForm(env, formId, definition),
        condition: compiledCondition,
      };
      return fn(core);
    } catch (err) {
      if (!isFatal(err)) throw err;
      reset();
      if (attempt >= 1) {
        throw new HttpError("core_unavailable", "the scoring core failed twice in a row; retry the request");
      }
    }
  }
}

/**
 * Registers a handle into the live instance that its caller keeps between
 * requests, so that a reset (a trap) unregisters it from the glue's
 * finalizer instead of letting it free its pointer into the next instance.
 * The caller must not use it once `coreStats().restarts` has moved.
 * @template {object} H a glue class instance
 * @param {H} handle
 * @returns {H}
 */
export function holdHandle(handle) {
  if (++heldSincePrune >= 256) {
    heldSincePrune = 0;
    for (const ref of held) if (ref.deref() === undefined) held.delete(ref);
  }
  held.add(new WeakRef(handle));
  return handle;
}

/**
 * The core's restart count and what it holds: the wasm linear memory in
 * bytes (it only ever grows while an instance lives, so a leak inside the
 * core shows here as steps that never stop) and how many compiled configs
 * are cached. The soak samples these through GET /v1/health.
 */
export function coreStats() {
  const memory = instanceExports?.memory;
  return {
    restarts,
    ready,
    wasmMemoryBytes: memory instanceof WebAssembly.Memory ? memory.buffer.byteLength : 0,
    cachedModels: models.size,
    cachedSites: sites.size,
    cachedForms: [...forms.values()].reduce((n, byId) => n + byId.size, 0),
    formCompiles,
  };
}

/**
 * Test hook (env.TEST_HOOKS only): makes the live instance trap for real, by
 * handing it a pointer far outside its memory. Used to prove the recovery.
 */
export function trapForTest() {
  ensure();
  const m = new glue.Model(null);
  const ptr = m.__wbg_ptr;
  m.__wbg_ptr = 0xfffffff0;
  try {
    m.score({}, [], 0);
  } finally {
    m.__wbg_ptr = ptr;
    m.__destroy_into_raw();
  }
}
