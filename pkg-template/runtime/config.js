// @ts-check
// The runtime's configuration as `start({config})` gives it: the site's
// personalization config or the edge's config document (`{version, site,
// model}`), compiled (bytes, their base64 text starting `iU5S`) or raw
// JSON, given as it is, as a URL, or as a promise of any of these. A
// compiled config goes through the core's `loadCompiled`; raw JSON through
// `new Personalizer(site)` and `new Model(model)`, which only the builds
// whose entries bundle json.js read (pkg/, pkg/browser): pkg/page refuses
// it as `raw_config_unsupported`. A refused config leaves the runtime
// running with the slots at their defaults and the outbox as it was;
// `state().configError` says why.
import { fail } from "./errors.js";

const RAW = "raw_config_unsupported";
const RAW_MESSAGE =
  "this page build (nurture/page) reads compiled configs only, not JSON: compile it with `npx nurture compile site.json > site.nrc`, ask the worker for `GET /v1/config?format=compiled`, or load nurture/browser, which reads JSON";
const CORRUPT = "compiled_config_corrupt";
const NOT_SITE = "a compiled model where a site config was expected: compile the site config or the edge's document";

/** A config, loaded. @typedef {{personalizer: any, model: any, version: string | null}} Loaded */
/** Why a config was refused. @typedef {{code: string, message: string}} ConfigError */

/**
 * Compiled bytes from a `Uint8Array`, an `ArrayBuffer` or base64 text,
 * standard or URL-safe, padding and whitespace allowed (it starts `iU5S`,
 * as no URL a page means does); null for anything else (JSON, a URL, a
 * promise).
 * @param {unknown} v @returns {Uint8Array | null}
 */
function compiled(v) {
  if (v instanceof Uint8Array) return v;
  if (v instanceof ArrayBuffer) return new Uint8Array(v);
  if (typeof v === "string" && v.startsWith("iU5S")) {
    try {
      // atob reads the standard alphabet and skips whitespace itself.
      return Uint8Array.from(atob(v.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
    } catch {
      // Not base64: fails below as "not a compiled config".
      return new Uint8Array();
    }
  }
  return null;
}

/** @param {any} e @param {string} [path] */
const rethrow = (e, path = "") => fail(e?.code ?? CORRUPT, path, e?.message ?? String(e));

/** Reads configs with one core. */
export class Configs {
  /**
   * @param {any} core
   * @param {typeof import("./json.js").loadJson} [json] the JSON reader (pkg/, pkg/browser)
   */
  constructor(core, json) {
    this.core = core;
    this.json = json ?? null;
  }

  /**
   * The model `start` scores with, and `options.model` as given: the
   * built-in model when the page gave none.
   * @param {unknown} given @returns {{model: any, explicit: any}}
   */
  startModel(given) {
    const { core } = this;
    // The built-in model.
    if (given == null) return { model: new core.Model(), explicit: null };
    const bytes = compiled(given);
    if (bytes === null) {
      if (this.json === null) throw fail(RAW, "options.model", RAW_MESSAGE);
      return { model: new core.Model(given), explicit: given };
    }
    let loaded;
    try {
      loaded = core.loadCompiled(bytes);
    } catch (e) {
      throw rethrow(e, "options.model");
    }
    if (!loaded.model || loaded.personalizer) throw fail(CORRUPT, "options.model", "expected a compiled model (`npx nurture compile model.json`)");
    return { model: loaded.model, explicit: given };
  }

  /**
   * A compiled config loaded; `explicit` (`options.model`) wins over its model.
   * @param {Uint8Array} bytes @param {any} explicit @returns {Loaded}
   */
  loadBytes(bytes, explicit) {
    let loaded;
    try {
      loaded = this.core.loadCompiled(bytes);
    } catch (e) {
      throw rethrow(e);
    }
    if (!loaded.personalizer) throw fail(CORRUPT, "", NOT_SITE);
    return { personalizer: loaded.personalizer, model: explicit == null ? loaded.model : null, version: loaded.version ?? null };
  }

  /**
   * What a config that arrived later (a promise's value, a URL's answer)
   * is: loaded, or refused with `{code, message}`.
   * @param {unknown} value @param {any} explicit @returns {Loaded | ConfigError}
   */
  arrived(value, explicit) {
    const bytes = compiled(value);
    if (bytes !== null && !(this.json === null && isJsonText(bytes))) {
      try {
        return this.loadBytes(bytes, explicit);
      } catch (e) {
        return { code: /** @type {any} */ (e).code, message: /** @type {any} */ (e).message };
      }
    }
    if (this.json === null || bytes !== null) return { code: RAW, message: RAW_MESSAGE };
    try {
      return this.json(this.core, value, explicit);
    } catch (e) {
      const first = /** @type {any} */ (e).errors?.[0];
      return { code: "invalid_config", message: first ? `${first.path}: ${first.message}` : /** @type {any} */ (e).message };
    }
  }

  /**
   * The body of the config URL's answer: JSON as JSON (pkg/browser), any
   * other answer as bytes; pkg/page reads every answer as bytes.
   * @param {Response} resp
   */
  read(resp) {
    if (!resp.ok) return Promise.reject(new Error("config request failed"));
    return this.json !== null && (resp.headers.get("content-type") ?? "").includes("json") ? resp.json() : resp.arrayBuffer();
  }

  /** The error for JSON handed to pkg/page. @returns {ConfigError} */
  static raw() {
    return { code: RAW, message: RAW_MESSAGE };
  }
}

/** An answer that is JSON text (an object) rather than a compiled config. @param {Uint8Array} b */
function isJsonText(b) {
  const first = b.find((c) => c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12);
  return first === 0x7b;
}

export { compiled };
