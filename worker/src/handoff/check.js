// @ts-check
// The handoff document's validator: plain JavaScript with no import of the
// core, so that Node tests can run it against the JSON Schema
// (schema/handoff.schema.json, test/handoff-config.test.mjs). config.js
// reads the document and compiles its conditions.

import { DEFAULT_PROGRAMS } from "./programs.js";

/**
 * @typedef {import("nurture").TargetingCondition} TargetingCondition
 */

/**
 * A routing rule: every criterion given must hold (an absent one holds);
 * the first rule that holds wins.
 * @typedef {object} Rule
 * @property {string} name
 * @property {string[]} [region] the profile's `region`, compared case-insensitively
 * @property {string[]} [country] the profile's `country`
 * @property {string[]} [industry] the profile's `industry`
 * @property {{min?: number, max?: number}} [companySize] the profile's `companySize` (a number), bounds included
 * @property {string[]} [grade] the score's grade, A1 to D4
 * @property {string[]} [account] named accounts: the profile's `account` or `company`
 * @property {string[]} [segment] the visitor's segments (site config), e.g. a named account matched by IP
 * @property {string} [queue]
 * @property {string} [owner] a named owner; "manual" for routing by hand
 * @property {number | null} [slaMs] the time sales has to accept (null: no timer)
 */

/**
 * @typedef {object} Routing
 * @property {Rule[]} rules
 * @property {{queue: string, owner?: string, slaMs?: number | null}} fallback when no rule holds
 * @property {number | null} slaMs the default for rules without `sla`
 * @property {"reroute" | "nurture"} onTimeout
 * @property {number} maxRecycles
 */

/**
 * @typedef {object} Program
 * @property {string} name
 * @property {TargetingCondition} entry
 * @property {TargetingCondition | null} exit null: the entry condition no longer holds
 */

/**
 * @typedef {object} Handoff
 * @property {Routing | null} routing
 * @property {Program[]} programs
 * @property {number} evaluateEveryMs how often a known lead's programs are evaluated without activity (time conditions)
 */

/** @typedef {{path: string, message: string}} ConfigError */

export const TOP_KEYS = ["$schema", "routing", "programs", "evaluateEvery"];
export const ROUTING_KEYS = ["rules", "fallback", "sla", "onTimeout", "maxRecycles"];
export const RULE_KEYS = ["name", "region", "country", "industry", "companySize", "grade", "account", "segment", "queue", "owner", "sla"];
export const FALLBACK_KEYS = ["queue", "owner", "sla"];
export const PROGRAM_KEYS = ["name", "entry", "exit"];
const LIST_CRITERIA = ["region", "country", "industry", "grade", "account", "segment"];
const GRADES = new Set(["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4", "D1", "D2", "D3", "D4"]);
export const NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)$/;
const UNIT = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * "48h", "30m", "2s", "3d", "500ms" in milliseconds; "none" is null.
 * @param {unknown} v
 * @returns {number | null | undefined} undefined: not a duration
 */
export function duration(v) {
  if (v === "none") return null;
  if (typeof v !== "string") return undefined;
  const m = DURATION.exec(v);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT[/** @type {keyof typeof UNIT} */ (m[2])];
  return ms > 0 && ms <= 400 * 86_400_000 ? ms : undefined;
}

/** @param {unknown} v */
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * Validates the document; every error names the path of the bad field.
 * @param {unknown} doc
 * @returns {{handoff: Handoff | null, errors: ConfigError[]}}
 */
export function checkHandoff(doc) {
  /** @type {ConfigError[]} */
  const errors = [];
  const err = (/** @type {string} */ path, /** @type {string} */ message) => errors.push({ path, message });
  /**
   * @param {Record<string, unknown>} o
   * @param {string[]} keys
   * @param {string} at
   */
  const known = (o, keys, at) => {
    for (const k of Object.keys(o)) if (!keys.includes(k)) err(at ? `${at}.${k}` : k, `unknown field (expected one of ${keys.join(", ")})`);
  };
  /**
   * @param {unknown} v
   * @param {string} at
   */
  const text = (v, at) => {
    if (typeof v !== "string" || v.trim() === "" || v.length > 200) {
      err(at, "a non-empty string of at most 200 characters");
      return "";
    }
    return v;
  };
  /**
   * @param {unknown} v
   * @param {string} at
   * @returns {number | null | undefined}
   */
  const sla = (v, at) => {
    if (v === undefined) return undefined;
    const ms = duration(v);
    if (ms === undefined) err(at, 'a duration such as "48h", "30m", "2s", "3d" (at most 400 days), or "none"');
    return ms;
  };
  if (!isObject(doc)) return { handoff: null, errors: [{ path: "", message: "the handoff document must be a JSON object" }] };
  const d = /** @type {Record<string, unknown>} */ (doc);
  known(d, TOP_KEYS, "");

  /** @type {Routing | null} */
  let routing = null;
  if (d.routing !== undefined) {
    if (!isObject(d.routing)) err("routing", "an object {rules, fallback?, sla?, onTimeout?, maxRecycles?}");
    else {
      const r = /** @type {Record<string, unknown>} */ (d.routing);
      known(r, ROUTING_KEYS, "routing");
      /** @type {Rule[]} */
      const rules = [];
      if (!Array.isArray(r.rules)) err("routing.rules", "a list of rules");
      else {
        const names = new Set();
        r.rules.forEach((raw, i) => {
          const at = `routing.rules[${i}]`;
          if (!isObject(raw)) {
            err(at, "a rule object {name, criteria..., queue | owner, sla?}");
            return;
          }
          const o = /** @type {Record<string, unknown>} */ (raw);
          known(o, RULE_KEYS, at);
          /** @type {Rule} */
          const rule = { name: "" };
          if (typeof o.name !== "string" || !NAME.test(o.name)) err(`${at}.name`, "lower-case letters, digits and dashes, at most 40");
          else if (names.has(o.name) || o.name === "fallback") err(`${at}.name`, `"${o.name}" is already the name of another rule (or of the fallback)`);
          else {
            names.add(o.name);
            rule.name = o.name;
          }
          for (const key of LIST_CRITERIA) {
            const v = o[key];
            if (v === undefined) continue;
            if (!Array.isArray(v) || v.length === 0 || v.length > 500) {
              err(`${at}.${key}`, "a non-empty list of strings");
              continue;
            }
            const items = v.map((x, j) => text(x, `${at}.${key}[${j}]`));
            if (key === "grade") items.forEach((g, j) => g && !GRADES.has(g) && err(`${at}.grade[${j}]`, `"${g}" is not a grade (A1 to D4)`));
            /** @type {Record<string, unknown>} */ (rule)[key] = items;
          }
          if (o.companySize !== undefined) {
            const cs = /** @type {Record<string, unknown>} */ (o.companySize);
            if (!isObject(cs) || (cs.min === undefined && cs.max === undefined)) err(`${at}.companySize`, "an object {min?, max?} with at least one bound");
            else {
              known(cs, ["min", "max"], `${at}.companySize`);
              for (const b of /** @type {const} */ (["min", "max"])) {
                if (cs[b] !== undefined && (typeof cs[b] !== "number" || !Number.isFinite(cs[b]) || /** @type {number} */ (cs[b]) < 0)) err(`${at}.companySize.${b}`, "a number of at least 0");
              }
              if (typeof cs.min === "number" && typeof cs.max === "number" && cs.min > cs.max) err(`${at}.companySize`, "min is greater than max");
              rule.companySize = { ...(typeof cs.min === "number" ? { min: cs.min } : {}), ...(typeof cs.max === "number" ? { max: cs.max } : {}) };
            }
          }
          if (o.queue === undefined && o.owner === undefined) err(at, "names no queue and no owner");
          if (o.queue !== undefined) rule.queue = text(o.queue, `${at}.queue`);
          if (o.owner !== undefined) rule.owner = text(o.owner, `${at}.owner`);
          const ms = sla(o.sla, `${at}.sla`);
          if (ms !== undefined) rule.slaMs = ms;
          rules.push(rule);
        });
      }
      /** @type {Routing["fallback"]} */
      let fallback = { queue: "unassigned" };
      if (r.fallback !== undefined) {
        if (!isObject(r.fallback)) err("routing.fallback", "an object {queue, owner?, sla?}");
        else {
          const f = /** @type {Record<string, unknown>} */ (r.fallback);
          known(f, FALLBACK_KEYS, "routing.fallback");
          fallback = { queue: text(f.queue, "routing.fallback.queue") };
          if (f.owner !== undefined) fallback.owner = text(f.owner, "routing.fallback.owner");
          const ms = sla(f.sla, "routing.fallback.sla");
          if (ms !== undefined) fallback.slaMs = ms;
        }
      }
      const slaMs = sla(r.sla, "routing.sla");
      if (r.onTimeout !== undefined && r.onTimeout !== "reroute" && r.onTimeout !== "nurture") err("routing.onTimeout", '"reroute" or "nurture"');
      const max = r.maxRecycles ?? 1;
      if (typeof max !== "number" || !Number.isInteger(max) || max < 0 || max > 10) err("routing.maxRecycles", "a whole number from 0 to 10");
      routing = {
        rules,
        fallback,
        slaMs: slaMs ?? null,
        onTimeout: r.onTimeout === "nurture" ? "nurture" : "reroute",
        maxRecycles: typeof max === "number" ? max : 1,
      };
    }
  }

  /** @type {Program[]} */
  let programs = DEFAULT_PROGRAMS;
  if (d.programs !== undefined) {
    programs = [];
    if (!Array.isArray(d.programs) || d.programs.length > 50) err("programs", "a list of at most 50 programs");
    else {
      const names = new Set();
      d.programs.forEach((raw, i) => {
        const at = `programs[${i}]`;
        if (!isObject(raw)) {
          err(at, "a program object {name, entry, exit?}");
          return;
        }
        const p = /** @type {Record<string, unknown>} */ (raw);
        known(p, PROGRAM_KEYS, at);
        if (typeof p.name !== "string" || !NAME.test(p.name)) err(`${at}.name`, "lower-case letters, digits and dashes, at most 40");
        else if (names.has(p.name)) err(`${at}.name`, `"${p.name}" is already the name of another program`);
        else names.add(p.name);
        if (!isObject(p.entry)) err(`${at}.entry`, "a condition object (the condition language of the site config)");
        if (p.exit !== undefined && !isObject(p.exit)) err(`${at}.exit`, "a condition object, or leave it out: exit when the entry condition no longer holds");
        programs.push({
          name: String(p.name),
          entry: /** @type {TargetingCondition} */ (p.entry),
          exit: p.exit === undefined ? null : /** @type {TargetingCondition} */ (p.exit),
        });
      });
    }
  }
  let evaluateEveryMs = 86_400_000;
  if (d.evaluateEvery !== undefined) {
    const ms = duration(d.evaluateEvery);
    if (ms === undefined || ms === null) err("evaluateEvery", 'a duration such as "1d", "12h" or "2s"');
    else evaluateEveryMs = ms;
  }
  if (errors.length) return { handoff: null, errors };
  return { handoff: { routing, programs, evaluateEveryMs }, errors };
}

