// @ts-check
// The site's form definitions (the FORMS document), read once per text: the
// form routes check a post against its form, and the visitor's Durable
// Object compiles it, each looking it up by id (the definition does not
// cross the object's RPC with every post).

import { HttpError } from "./errors.js";
import { documents } from "./source.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("nurture").FormConfig} FormConfig
 * @typedef {Record<string, FormConfig>} Forms
 */

export const FORM_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** @type {Map<string, Forms>} forms text → {formId: definition} */
const formsCache = new Map();

/**
 * @param {Env} env
 * @returns {Forms}
 */
function forms(env) {
  const { forms: text, source } = documents(env);
  let all = formsCache.get(text);
  if (all) return all;
  if (text === "") all = {};
  else {
    try {
      all = JSON.parse(text);
    } catch {
      throw new HttpError("server_misconfigured", `the forms (${source}) are not valid JSON`);
    }
    if (!all || typeof all !== "object" || Array.isArray(all)) throw new HttpError("server_misconfigured", `the forms (${source}) must be an object {formId: form}`);
  }
  formsCache.set(text, all);
  return all;
}

/**
 * @param {Env} env
 * @param {string} formId
 */
export function formFor(env, formId) {
  const all = forms(env);
  if (!FORM_ID.test(formId) || !Object.hasOwn(all, formId)) throw new HttpError("unknown_form", "no form with this id");
  return all[formId];
}
