// @ts-check
// Where forwarded messages go: the DESTINATIONS variable, read with the other
// variables (src/config.js) on an isolate's first request. A JSON list:
//
//   [{"id": "crm", "type": "nurture", "url": "https://collector.example.com/nurture"},
//    {"id": "segment", "type": "segment", "url": "https://api.segment.io",
//     "writeKey": {"secret": "SEGMENT_WRITE_KEY"}},
//    {"id": "hooks", "type": "webhook", "url": "https://hooks.example.com/nurture",
//     "secret": {"secret": "WEBHOOK_SECRET"}}]
//
// A value that is a credential (writeKey, secret), or a URL that is one, may
// be given inline or as {"secret": "NAME"}: the value of another variable or
// secret, so DESTINATIONS itself can stay a plain [vars] entry. Without
// DESTINATIONS, COLLECTOR_URL alone is the single destination `nurture` (the
// worker's own envelope), as before destinations existed. Every problem is
// reported with the path of the bad field (`DESTINATIONS[1].writeKey`), and
// never with a credential's value.

import { isObject } from "./segment-spec.js";

/**
 * @typedef {"nurture" | "segment" | "webhook"} DestinationType
 * @typedef {object} Destination
 * @property {string} id the label of its queue messages and dead letters
 * @property {DestinationType} type
 * @property {string} url where requests are POSTed (for segment: the batch endpoint)
 * @property {number} timeoutMs
 * @property {number} batchSize messages (nurture, webhook) or calls (segment) per request at most
 * @property {string} [writeKey] segment: the source's write key (HTTP Basic user name)
 * @property {boolean} [identify] segment: an identify with the score traits on each score change (default true)
 * @property {string[]} [secrets] webhook: every secret signs (one `v1` each); the first is the current one
 * @typedef {{name: string, value: string, problem: string}} BadVariable
 */

export const DESTINATION_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,63}$/;
// A destination must not be handed the worker's own credentials.
const NOT_FORWARDABLE = new Set(["NURTURE_KEYS", "ADMIN_TOKEN", "INGEST_TOKEN", "DESTINATIONS"]);
const TYPES = /** @type {const} */ (["nurture", "segment", "webhook"]);
const FIELDS = {
  nurture: ["id", "type", "url", "timeoutMs", "batchSize"],
  segment: ["id", "type", "url", "timeoutMs", "batchSize", "writeKey", "identify"],
  webhook: ["id", "type", "url", "timeoutMs", "batchSize", "secret"],
};
// Per request: the envelope's 100 (src/forward.js); Segment's batch endpoint
// takes up to 2,500 calls, but a retry should not resend more than this.
const MAX_BATCH = 100;
export const MIN_WEBHOOK_SECRET = 16;


/**
 * @param {unknown} raw
 * @returns {string}
 */
function shown(raw) {
  const text = typeof raw === "string" ? raw : JSON.stringify(raw) ?? String(raw);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Reads DESTINATIONS (and COLLECTOR_URL), recording each problem in `bad`.
 * @param {Record<string, unknown>} env
 * @param {BadVariable[]} bad
 * @param {number} defaultTimeoutMs COLLECTOR_TIMEOUT_MS
 * @returns {Destination[]}
 */
export function readDestinations(env, bad, defaultTimeoutMs) {
  const raw = env.DESTINATIONS;
  const collector = env.COLLECTOR_URL;
  const has = (/** @type {unknown} */ v) => v !== undefined && v !== null && v !== "";
  if (!has(raw)) {
    if (!has(collector)) return [];
    const url = httpUrl(collector);
    if (url === null) {
      bad.push({ name: "COLLECTOR_URL", value: shown(collector), problem: "not an http(s) URL" });
      return [];
    }
    return [{ id: "nurture", type: "nurture", url, timeoutMs: defaultTimeoutMs, batchSize: MAX_BATCH }];
  }
  /** @type {unknown} */
  let list = raw;
  if (typeof raw === "string") {
    try {
      list = JSON.parse(raw);
    } catch (err) {
      bad.push({ name: "DESTINATIONS", value: shown(raw), problem: `not JSON (${err instanceof Error ? err.message : String(err)})` });
      return [];
    }
  }
  if (!Array.isArray(list)) {
    bad.push({ name: "DESTINATIONS", value: shown(raw), problem: "not a JSON list of destinations" });
    return [];
  }
  const used = new Set(); // the variables named by {"secret": NAME}
  /** @type {Destination[]} */
  const out = [];
  const ids = new Set();
  list.forEach((item, i) => {
    const at = `DESTINATIONS[${i}]`;
    const before = bad.length;
    /**
     * @param {string} field
     * @param {unknown} value
     * @param {string} problem
     */
    const fail = (field, value, problem) => bad.push({ name: `${at}${field ? `.${field}` : ""}`, value: shown(value), problem });
    if (!isObject(item)) {
      fail("", item, "not an object {id, type, url, ...}");
      return;
    }
    const d = /** @type {Record<string, unknown>} */ (item);
    const type = /** @type {DestinationType} */ (d.type);
    if (!TYPES.includes(type)) {
      fail("type", d.type, `one of ${TYPES.join(", ")}`);
      return;
    }
    for (const key of Object.keys(d)) {
      if (!FIELDS[type].includes(key)) fail(key, "", `not a field of a ${type} destination (${FIELDS[type].join(", ")})`);
    }
    const id = d.id;
    if (typeof id !== "string" || !DESTINATION_ID.test(id)) fail("id", id, "1 to 32 of a-z, 0-9, _ and -, starting with a letter or digit");
    else if (ids.has(id)) fail("id", id, "used by another destination");
    else ids.add(id);
    /**
     * A string given inline or as {"secret": NAME}; `hidden` keeps its value
     * out of error messages.
     * @param {string} field
     * @param {boolean} hidden
     * @param {unknown} [v] the value (default: the field's)
     * @returns {string | null}
     */
    const value = (field, hidden, v = d[field]) => {
      if (typeof v === "string" && v.trim() !== "") return v.trim();
      if (isObject(v) && Object.keys(/** @type {object} */ (v)).length === 1 && typeof (/** @type {{secret?: unknown}} */ (v)).secret === "string") {
        const name = /** @type {string} */ ((/** @type {{secret: string}} */ (v)).secret);
        if (!SECRET_NAME.test(name) || NOT_FORWARDABLE.has(name)) {
          fail(`${field}.secret`, name, NOT_FORWARDABLE.has(name) ? "the worker's own credential cannot be sent to a destination" : "a variable name such as SEGMENT_WRITE_KEY");
          return null;
        }
        used.add(name);
        const got = env[name];
        if (typeof got !== "string" || got.trim() === "") {
          fail(`${field}.secret`, name, `names ${name}, which is not set`);
          return null;
        }
        return got.trim();
      }
      fail(field, hidden ? "(hidden)" : v, v === undefined || typeof v === "string" ? `required for a ${type} destination` : 'a string, or {"secret": "NAME"} naming a variable or secret');
      return null;
    };
    let url = value("url", false);
    if (url !== null) {
      const parsed = httpUrl(url);
      if (parsed === null) fail("url", typeof d.url === "string" ? d.url : "(from a secret)", "not an http(s) URL");
      url = parsed;
    }
    if (url !== null && type === "segment") url = batchEndpoint(url);
    /**
     * @param {string} field
     * @param {number} fallback
     * @param {number} min
     * @param {number} max
     */
    const count = (field, fallback, min, max) => {
      const v = d[field];
      if (v === undefined) return fallback;
      if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
        fail(field, v, `a whole number from ${min} to ${max}`);
        return fallback;
      }
      return v;
    };
    const timeoutMs = count("timeoutMs", defaultTimeoutMs, 1, 60_000);
    const batchSize = count("batchSize", MAX_BATCH, 1, MAX_BATCH);
    /** @type {Destination} */
    const dest = { id: /** @type {string} */ (id), type, url: url ?? "", timeoutMs, batchSize };
    if (type === "segment") {
      const writeKey = value("writeKey", true);
      if (writeKey !== null) dest.writeKey = writeKey;
      if (d.identify !== undefined && typeof d.identify !== "boolean") fail("identify", d.identify, "true or false");
      dest.identify = d.identify !== false;
    }
    if (type === "webhook") {
      // One secret, a list of them, or a variable holding "new,old": each
      // signs, so receivers can rotate (docs/destinations.md).
      const given = Array.isArray(d.secret) ? d.secret : [d.secret];
      /** @type {string[]} */
      const secrets = [];
      given.forEach((item, j) => {
        const field = Array.isArray(d.secret) ? `secret[${j}]` : "secret";
        const v = value(field, true, item);
        if (v === null) return;
        for (const one of v.split(",").map((x) => x.trim()).filter(Boolean)) {
          if (one.length < MIN_WEBHOOK_SECRET) fail(field, "(hidden)", `a secret of at least ${MIN_WEBHOOK_SECRET} characters`);
          else secrets.push(one);
        }
      });
      if (given.length === 0) fail("secret", "[]", "at least one secret");
      dest.secrets = secrets;
    }
    if (bad.length === before) out.push(dest);
  });
  if (list.length === 0) bad.push({ name: "DESTINATIONS", value: "[]", problem: "an empty list: leave it unset to forward nowhere" });
  if (has(collector) && !used.has("COLLECTOR_URL")) {
    bad.push({
      name: "COLLECTOR_URL",
      value: shown(collector),
      problem: 'set next to DESTINATIONS, which does not name it: give the nurture destination "url": {"secret": "COLLECTOR_URL"}, or unset COLLECTOR_URL',
    });
  }
  return out;
}

/**
 * The URL if it is an http(s) one, else null.
 * @param {unknown} raw
 */
function httpUrl(raw) {
  try {
    const u = new URL(String(raw).trim());
    return u.protocol === "https:" || u.protocol === "http:" ? u.toString() : null;
  } catch {
    return null;
  }
}

/**
 * A Segment-compatible API's batch endpoint: the URL as given when its path
 * ends in /batch, else its base with `/v1/batch` (Segment's
 * https://api.segment.io, RudderStack's data plane URL).
 * @param {string} url
 */
export function batchEndpoint(url) {
  const u = new URL(url);
  if (/\/batch\/?$/.test(u.pathname)) return u.toString();
  u.pathname = `${u.pathname.replace(/\/+$/, "")}/v1/batch`;
  return u.toString();
}
