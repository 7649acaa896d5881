// @ts-check
// Raw JSON configs (pkg/browser and pkg/): the site config, or the edge's
// config document, whose parts are each compiled by the core's
// `new Personalizer(site)` and `new Model(model)`, with paths from the top
// of the document. pkg/page's entry does not bundle this: there JSON is
// `raw_config_unsupported`.
import { fail, warn } from "./errors.js";

/**
 * Structural equality of two JSON values (object keys in any order).
 * @param {any} a @param {any} b @returns {boolean}
 */
function same(a, b) {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || !a || !b || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => k in b && same(a[k], b[k]));
}

/**
 * A raw JSON config compiled and loaded: the site config, or the edge's
 * document, whose parts are compiled each with paths from the top of the
 * document. Throws `invalid_config` with the first error's path.
 * @param {any} core @param {any} doc @param {any} explicit
 * @returns {import("./config.js").Loaded}
 */
export function loadJson(core, doc, explicit) {
  /** @param {any} value @param {"Personalizer" | "Model"} kind @param {string} part */
  const load = (value, kind, part) => {
    try {
      return new core[kind](value);
    } catch (/** @type {any} */ e) {
      if (!part) throw e;
      const issue = e?.errors?.[0] ?? { path: e?.path ?? "", message: e?.message };
      const path = part + (issue.path && !issue.path.startsWith("[") ? "." : "") + issue.path;
      const out = fail("invalid_config", path, issue.message);
      /** @type {any} */ (out).errors = e?.errors;
      throw out;
    }
  };
  // A site config has no `site` field: a document with one is the edge's.
  const edge = typeof doc === "object" && doc !== null && !Array.isArray(doc) && "site" in doc;
  if (!edge) return { personalizer: load(doc, "Personalizer", ""), model: null, version: null };
  const unknown = Object.keys(doc).find((k) => !["version", "site", "model"].includes(k));
  if (unknown !== undefined) {
    throw fail("invalid_config", unknown, "unknown field in the edge's config document, expected `version`, `site`, `model`");
  }
  if (typeof doc.version !== "string") throw fail("invalid_config", "version", "expected a string");
  const personalizer = load(doc.site ?? null, "Personalizer", "site");
  let model = null;
  if (doc.model != null) {
    if (explicit != null) {
      if (!same(explicit, doc.model)) {
        warn("nurture: options.model differs from the model in the edge's config document; options.model is used");
      }
    } else model = load(doc.model, "Model", "model");
  }
  return { personalizer, model, version: doc.version };
}

