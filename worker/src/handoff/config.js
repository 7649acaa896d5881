// @ts-check
// The handoff document: how qualified leads are routed to sales, how long
// sales has to accept them, and the nurture programs leads enter and leave.
// It is a document of its own (KV key `handoff`, bundleConfig({handoff}),
// or the variable HANDOFF_JSON; source.js), not a part of the site config:
// `GET /v1/config` serves the site config to every page, and routing names
// owners and key accounts that no page should see. Without the document the
// handoff features are off (no route on Lead Qualified, no timers, no
// programs). Its JSON Schema is schema/handoff.schema.json, its validator
// check.js (test/handoff-config.test.mjs holds the two together); this file
// reads it once per text and compiles its conditions in the core.

import { HttpError } from "../errors.js";
import { documents } from "../source.js";
import { withCore } from "../core.js";
import { checkHandoff } from "./check.js";

/**
 * @typedef {import("../config.js").Env} Env
 * @typedef {import("./check.js").Handoff} Handoff
 * @typedef {import("./check.js").Routing} Routing
 * @typedef {import("./check.js").Rule} Rule
 * @typedef {import("./check.js").Program} Program
 * @typedef {import("./check.js").ConfigError} ConfigError
 */

/** @type {Map<string, Handoff | HttpError | null>} document text → checked */
const cache = new Map();

/**
 * The handoff document of `env` (documents must be loaded), checked once per
 * text; null when there is none. A bad one throws `handoff_config_invalid`
 * (500) with every error and its path.
 * @param {Env} env
 * @returns {Handoff | null}
 */
export function handoffConfig(env) {
  const text = documents(env).handoff;
  let got = cache.get(text);
  if (got === undefined) {
    got = parse(text);
    if (got && !(got instanceof HttpError)) got = compiles(env, got);
    cache.set(text, got);
  }
  if (got instanceof HttpError) throw got;
  return got;
}

/**
 * The handoff document, or null when there is none or it is invalid (the
 * Durable Object's updates go on without it, and log why; the routes that
 * need it answer the error).
 * @param {Env} env
 * @returns {Handoff | null}
 */
export function handoffOrNull(env) {
  try {
    return handoffConfig(env);
  } catch (err) {
    console.error("handoff", err instanceof Error ? err.message : String(err));
    return null;
  }
}

/**
 * The programs' conditions, compiled by the core (and kept: the programs
 * evaluate these very objects) to find the bad parts (an invalid regex)
 * with their paths.
 * @param {Env} env
 * @param {Handoff} handoff
 * @returns {Handoff | HttpError}
 */
function compiles(env, handoff) {
  /** @type {ConfigError[]} */
  const errors = [];
  withCore(env, (core) => {
    handoff.programs.forEach((p, i) => {
      for (const key of /** @type {const} */ (["entry", "exit"])) {
        const cond = p[key];
        if (cond === null) continue;
        try {
          core.condition(cond);
        } catch (err) {
          errors.push({ path: `programs[${i}].${key}`, message: err instanceof Error ? err.message : String(err) });
        }
      }
    });
  });
  return errors.length ? invalid(errors) : handoff;
}

/** @param {ConfigError[]} errors */
function invalid(errors) {
  const list = errors.slice(0, 20).map((e) => `${e.path || "(document)"}: ${e.message}`).join("; ");
  return new HttpError("handoff_config_invalid", `the handoff document is invalid: ${list}`, { errors });
}

/** @param {string} text */
function parse(text) {
  if (text === "") return null;
  /** @type {unknown} */
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    return new HttpError("handoff_config_invalid", "the handoff document is not JSON", { errors: [{ path: "", message: "not JSON" }] });
  }
  const { handoff, errors } = checkHandoff(doc);
  if (handoff === null) return invalid(errors);
  return handoff;
}
