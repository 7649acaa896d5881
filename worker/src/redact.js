// @ts-check
// Redaction: what every forwarded message goes through before it leaves the
// worker, whatever its destination (collector, queue, dead letters).

import { settings } from "./config.js";
import { sha256Hex } from "./digest.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("./config.js").Settings} Settings
 * @typedef {import("./enrich.js").ForwardMessage} ForwardMessage
 */

// ---- redaction ------------------------------------------------------------------
//
// What a client or a form sent can hide personal data under any key, at any
// depth, in any case ("Email", "email ", "contact.email", "E_Mail", a userId
// that is an address). So keys are compared normalized, whole subtrees are
// walked, and with HASH_EMAIL an address is recognised by its value as well
// as by its key. The walk is bounded: beyond REDACT_DEPTH levels, or past
// REDACT_NODES values in one message, a subtree is dropped, not forwarded
// unread (what the redactor has not read it cannot vouch for). Requests are
// parsed at most MAX_JSON_DEPTH (12) deep and 4 KiB an event by default, so
// a real message comes nowhere near either bound; they are there for a
// stored profile or raised limits, and to keep one message's cost bounded.

const REDACT_DEPTH = 16;
const REDACT_NODES = 20_000;

// A score is the server's to compute: one a client sent (identify traits,
// context traits) must not reach the collector next to msg.score, where it
// could pass for the server's. visitor.js keeps the same keys out of stored
// profiles with this very set; profiles stored before it may still hold them.
export const SCORE_KEYS = new Set(["score", "scores", "grade", "fit", "engagement", "tier", "stage", "mql", "leadscore", "leadgrade"]);

/** @type {Map<string, string>} */
const NORMAL_KEYS = new Map();
const NORMAL_KEYS_CAP = 4096;

/**
 * A key as compared: NFKC (full-width letters fold to ASCII), lower-case,
 * and nothing but letters and digits, so "E_Mail", "e-mail", "email " and
 * "ｅｍａｉｌ" are all "email", and "first_name" is "firstName"'s "firstname".
 * @param {string} key
 */
export function normalKey(key) {
  let norm = NORMAL_KEYS.get(key);
  if (norm === undefined) {
    norm = key.normalize("NFKC").toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
    // The same few dozen keys come in every message ("type", "properties",
    // "path"...): remembered per isolate, up to a bound, since normalizing
    // each again was a good part of redacting a batch.
    if (NORMAL_KEYS.size >= NORMAL_KEYS_CAP) NORMAL_KEYS.clear();
    NORMAL_KEYS.set(key, norm);
  }
  return norm;
}

/**
 * "email", "mail", "e-mail", "workEmail", "email_address", "personalEmailAddress"...
 * @param {string} norm
 */
function namesEmail(norm) {
  return norm === "email" || norm === "mail" || norm.endsWith("email") || norm.endsWith("emailaddress");
}

const HASHED = /^sha256:[0-9a-f]{64}$/;
// A value that *is* an address (trimmed). Only tried on short strings (an
// address is at most 254 characters), so its backtracking stays bounded.
const WHOLE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const LOCAL_CHAR = /[\p{L}\p{N}._+'-]/u;
const DOMAIN_CHAR = /[\p{L}\p{N}.-]/u;
const TLD = /^(?:\p{L}{2,}|xn--[\p{L}\p{N}-]+)$/iu;

/**
 * The addresses inside free text ("write to boss@acme.com", a URL's
 * `?email=boss%40acme.com`): [{start, end, address}]. A scan from each "@"
 * (or "%40") outward rather than one regular expression over the string:
 * an e-mail regex backtracks quadratically on a long run of letters, and a
 * string here is whatever a client sent. Each character is read at most
 * twice, so this is linear. It finds what looks like local@domain.tld; an
 * address written to dodge it ("boss at acme dot com") is not found.
 * @param {string} text
 */
function addressesIn(text) {
  /** @type {{start: number, end: number, address: string}[]} */
  const found = [];
  const sep = /@|%40/gi;
  let floor = 0;
  for (let m; (m = sep.exec(text)); ) {
    let start = m.index;
    while (start > floor && LOCAL_CHAR.test(text[start - 1])) start -= 1;
    let end = m.index + m[0].length;
    while (end < text.length && DOMAIN_CHAR.test(text[end])) end += 1;
    // Quotes and sentence dots around an address are not part of it.
    while (start < m.index && /['.]/.test(text[start])) start += 1;
    while (end > m.index + m[0].length && /[.-]/.test(text[end - 1])) end -= 1;
    const local = text.slice(start, m.index);
    const domain = text.slice(m.index + m[0].length, end);
    const labels = domain.split(".");
    if (local && labels.length >= 2 && labels.every(Boolean) && TLD.test(/** @type {string} */ (labels.at(-1)))) {
      found.push({ start, end, address: `${local}@${domain}` });
      floor = end;
      sep.lastIndex = end;
    }
  }
  return found;
}

/**
 * HASH_FIELDS and DROP_FIELDS normalized, once per settings object.
 * @type {WeakMap<Settings, {hash: Set<string>, drop: Set<string>}>}
 */
const FIELD_RULES = new WeakMap();

/**
 * What one redaction of one message needs: the configured field names
 * (normalized), the node budget, and one digest per distinct value.
 * @param {Settings} s
 */
function redactor(s) {
  /** @type {Map<string, string>} */
  const digests = new Map();
  /**
   * @param {string | number} text
   * @returns {string}
   */
  const hashed = (text) => {
    const key = String(text).trim().toLowerCase();
    let digest = digests.get(key);
    if (digest === undefined) {
      digest = `sha256:${sha256Hex(key)}`;
      digests.set(key, digest);
    }
    return digest;
  };
  let fields = FIELD_RULES.get(s);
  if (!fields) {
    fields = { hash: new Set(s.hashFields.map(normalKey)), drop: new Set(s.dropFields.map(normalKey)) };
    FIELD_RULES.set(s, fields);
  }
  return {
    email: s.hashEmail,
    hash: fields.hash,
    drop: fields.drop,
    nodes: 0,
    exhausted: false, // the node budget is spent
    overflow: false, // something was dropped unread (too deep, or exhausted)
    /** One more value read; false once the budget is spent. */
    spend() {
      if (++this.nodes <= REDACT_NODES) return true;
      this.exhausted = true;
      this.overflow = true;
      return false;
    },
    hashed,
    /**
     * A value under a hashed key: its digest, or nothing (DROP).
     * @param {unknown} value
     * @returns {string | typeof DROP}
     */
    hashValue(value) {
      if (typeof value === "string" && HASHED.test(value)) return value;
      // Not a value a collector could join on: nothing of it is kept.
      if (typeof value !== "string" && typeof value !== "number") return DROP;
      // E-mail addresses and other identifiers compare case-insensitively.
      return hashed(value);
    },
    /**
     * Whether scrub could change `text`: the cheap test, done first.
     * @param {unknown} text
     * @returns {text is string}
     */
    mayScrub(text) {
      return this.email && typeof text === "string" && (text.includes("@") || /%40/i.test(text)) && !HASHED.test(text);
    },
    /**
     * With HASH_EMAIL, a string that is an address becomes its digest (the
     * same as under an `email` key, so joins work); addresses inside free
     * text are replaced by theirs in place, the rest of the text kept.
     * Residual: an address written to dodge the pattern, or percent-encoded
     * beyond its "@" ("first%2Elast%40acme.com" keeps "first%2E"), passes.
     * @template T
     * @param {T} text
     * @returns {T | string}
     */
    scrub(text) {
      if (!this.mayScrub(text)) return text;
      const t = text.trim();
      if (t.length <= 320 && WHOLE_EMAIL.test(t)) return hashed(t);
      const found = addressesIn(text);
      if (found.length === 0) return text;
      let out = "";
      let at = 0;
      for (const { start, end, address } of found) {
        out += text.slice(at, start) + hashed(address);
        at = end;
      }
      return out + text.slice(at);
    },
  };
}

/** @typedef {ReturnType<typeof redactor>} Redactor */

const DROP = Symbol("drop");

// Where the rules apply. `fields`: HASH_FIELDS and DROP_FIELDS (personal
// parts only: the same names elsewhere, such as context.page.title, are
// not the visitor's); `scores`: client-sent score keys are dropped. The
// e-mail rules (HASH_EMAIL) apply everywhere in the profile and the event.
// `children` gives a direct child its own rules; deeper down, a node
// inherits its parent's.
/** @typedef {{fields: boolean, scores: boolean, children?: Record<string, Rules>}} Rules */
/** @type {Rules} */
const NONE = { fields: false, scores: false };
/** @type {Rules} */
const PERSONAL = { fields: true, scores: true };
/** @type {Rules} */
const PROPERTIES = { fields: true, scores: false };
/** @type {Rules} */
const CONTEXT = { ...NONE, children: { traits: PERSONAL } };
/**
 * @param {unknown} type
 * @returns {Rules}
 */
const eventRules = (type) => ({
  ...NONE,
  children: {
    traits: PERSONAL,
    // identify and group properties are traits by another name.
    properties: type === "identify" || type === "group" ? PERSONAL : PROPERTIES,
    context: CONTEXT,
  },
});

/**
 * Sets a key even if it is "__proto__" (an own key in parsed JSON).
 * @param {object} obj
 * @param {string} key
 * @param {unknown} value
 */
function put(obj, key, value) {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * `value` redacted under `rules`: the same value when nothing changed (so
 * an untouched message is not copied), a new one when something did, or
 * DROP.
 * @param {Redactor} r
 * @param {unknown} value
 * @param {Rules} rules
 * @param {number} depth
 * @returns {unknown}
 */
function walk(r, value, rules, depth) {
  if (value === null || typeof value !== "object") return r.scrub(value);
  // Nothing to do below here (no rule applies and e-mail is off): the
  // subtree is forwarded as it is, unread, however deep.
  if (!r.email && !rules.fields && !rules.scores && !rules.children) return value;
  if (depth > REDACT_DEPTH) {
    r.overflow = true;
    return DROP;
  }
  const inherited = rules.children ? { fields: rules.fields, scores: rules.scores } : rules;
  if (Array.isArray(value)) {
    /** @type {unknown[]} */
    const out = [];
    let changed = false;
    for (const item of value) {
      if (!r.spend()) {
        changed = true; // the rest of the array is dropped
        break;
      }
      const v = typeof item === "object" && item !== null ? walk(r, item, inherited, depth + 1) : r.scrub(item);
      if (v === DROP) changed = true;
      else {
        if (v !== item) changed = true;
        out.push(v);
      }
    }
    return changed ? out : value;
  }
  // Copied only from the first change on: most objects have nothing to
  // redact, and they are passed on as they are.
  const obj = /** @type {Record<string, unknown>} */ (value);
  const keys = Object.keys(obj);
  /** @type {Record<string, unknown> | null} */
  let out = null;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const item = obj[key];
    /** @type {unknown} */
    let v;
    let k = key;
    if (!r.spend()) v = DROP;
    else {
      const norm = rules.fields || rules.scores || r.email ? normalKey(key) : "";
      if ((rules.scores && SCORE_KEYS.has(norm)) || (rules.fields && r.drop.has(norm))) v = DROP;
      else if ((rules.fields && r.hash.has(norm)) || (r.email && namesEmail(norm))) v = r.hashValue(item);
      else if (typeof item === "object" && item !== null) {
        // hasOwn: a key such as "constructor" must not pick up Object's.
        const own = rules.children && Object.hasOwn(rules.children, key) ? rules.children[key] : inherited;
        v = walk(r, item, own, depth + 1);
      } else v = r.scrub(item);
      // A key can be an address too ({"boss@acme.com": true}).
      k = r.scrub(key);
    }
    if (!out && (v === DROP || k !== key || v !== item)) {
      out = {};
      for (let j = 0; j < i; j++) put(out, keys[j], obj[keys[j]]);
    }
    if (out && v !== DROP) put(out, k, v);
    // Past the budget the remaining keys are dropped, unread.
    if (r.exhausted) break;
  }
  return out ?? value;
}

/**
 * Before a message leaves the worker (collector, queue, dead letters):
 * - score keys a client sent (SCORE_KEYS, at any depth) are dropped from
 *   event.traits, event.context.traits, the properties of identify and group
 *   events, and msg.profile; msg.score, the server's, is left;
 * - fields named in DROP_FIELDS are removed and those in HASH_FIELDS become
 *   `sha256:<hex of the trimmed, lower-cased value>`, in msg.profile,
 *   event.traits, event.properties and event.context.traits, at any depth;
 * - with HASH_EMAIL, keys that name an e-mail are hashed the same way
 *   anywhere in msg.profile and msg.event, and so is every string that is an
 *   address whatever its key (userId, anonymousId, {"contact": "x@y.com"});
 *   an address inside free text is replaced by its hash in place.
 * Keys are matched normalized (normalKey). A value already in the
 * `sha256:<64 hex>` form is left; anything else under a hashed key that is
 * not a string or number is removed. The message itself is never changed;
 * one with nothing to redact is returned as it is.
 * @param {Env} env
 * @param {ForwardMessage} msg
 * Synchronous: the digests are (digest.js), so a message costs no promise.
 * @returns {ForwardMessage}
 */
export function redact(env, msg) {
  if (!msg || typeof msg !== "object") return msg;
  const r = redactor(settings(env));
  const profile = msg.profile && typeof msg.profile === "object" ? walk(r, msg.profile, PERSONAL, 1) : msg.profile;
  const event = msg.event && typeof msg.event === "object" && !Array.isArray(msg.event)
    ? walk(r, msg.event, eventRules(msg.event.type), 1)
    : msg.event;
  if (r.overflow) console.warn("forward: redaction dropped a part of message", String(msg.id).slice(0, 80), "too deep or too large to read");
  if (profile === msg.profile && event === msg.event) return msg;
  /** @type {Partial<ForwardMessage>} */
  const m = { ...msg };
  if (profile === DROP) delete m.profile;
  else m.profile = /** @type {Record<string, unknown>} */ (profile);
  if (event === DROP) delete m.event;
  else m.event = /** @type {ForwardMessage["event"]} */ (event);
  return /** @type {ForwardMessage} */ (m);
}
