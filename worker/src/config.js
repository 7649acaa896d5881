// @ts-check
// Reads the worker's settings from `env` once per env object. Every limit has
// a default that suits production; the tests and the demo override them
// through the same variables (wrangler.toml [vars] or Miniflare bindings).
// A variable that is set but malformed (a number that is not one, a boolean
// spelled otherwise than true/false, 1/0, yes/no, on/off, a URL that does
// not parse) is an error naming it and its value, never its default.

import { HttpError } from "./errors.js";
import { sha256Hex } from "./digest.js";
import { readDestinations } from "./destinations/config.js";

/**
 * @typedef {import("../types/env").Env} Env
 * @typedef {import("../types/env").VarName} VarName
 * @typedef {ReturnType<typeof read>["values"]} Settings
 */

/** @type {WeakMap<Env, Settings | HttpError>} */
const cache = new WeakMap();

/**
 * A variable that cannot be read: its name, the value as given and why.
 * @typedef {{name: string, value: string, problem: string}} BadVariable
 */

/** @param {unknown} raw */
function shown(raw) {
  const text = typeof raw === "string" ? raw : JSON.stringify(raw) ?? String(raw);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

const INTEGER = /^[0-9]+$/;
const DECIMAL = /^[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?$/i;
const TRUE = /^(1|true|yes|on)$/i;
const FALSE = /^(0|false|no|off)$/i;

/**
 * Reads the variables once, recording every one that is malformed (never
 * replacing it with its default: a typo in a limit must not pass unnoticed).
 * @param {Env} env
 */
function reader(env) {
  /** @type {BadVariable[]} */
  const bad = [];
  /**
   * A whole number (or, with `fraction`, any decimal) of at least `min`.
   * @param {VarName} name
   * @param {number} fallback
   * @param {number} [min]
   * @param {{fraction?: boolean}} [o]
   */
  function num(name, fallback, min = 0, { fraction = false } = {}) {
    const raw = env[name];
    if (raw === undefined || raw === null || raw === "") return fallback;
    const text = String(raw).trim();
    const n = Number(text);
    if (typeof raw === "number" ? !Number.isFinite(raw) || (!fraction && !Number.isInteger(raw)) : !(fraction ? DECIMAL : INTEGER).test(text)) {
      bad.push({ name, value: shown(raw), problem: fraction ? "not a number" : "not a whole number" });
      return fallback;
    }
    if (n < min) {
      bad.push({ name, value: shown(raw), problem: `less than ${min}` });
      return fallback;
    }
    return n;
  }
  /**
   * true / false (also 1 / 0, yes / no, on / off); any other spelling is
   * an error, not "false".
   * @param {VarName} name
   * @param {boolean} [fallback]
   */
  function bool(name, fallback = false) {
    const raw = env[name];
    if (raw === undefined || raw === null || raw === "") return fallback;
    if (typeof raw === "boolean") return raw;
    const text = String(raw).trim();
    if (TRUE.test(text)) return true;
    if (FALSE.test(text)) return false;
    bad.push({ name, value: shown(raw), problem: "not true or false" });
    return fallback;
  }
  /**
   * An http(s) URL, or "" when unset.
   * @param {VarName} name
   */
  function url(name) {
    const raw = env[name];
    if (raw === undefined || raw === null || raw === "") return "";
    const text = String(raw).trim();
    let parsed = null;
    try {
      parsed = new URL(text);
    } catch {
      // reported below
    }
    if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
      bad.push({ name, value: shown(raw), problem: "not an http(s) URL" });
      return "";
    }
    return text;
  }
  /**
   * A comma-separated list, or a JSON list of strings.
   * @param {VarName} name
   * @returns {string[]}
   */
  function list(name) {
    const raw = env[name];
    if (raw === undefined || raw === null || raw === "") return [];
    if (Array.isArray(raw)) return raw.map(String);
    const text = String(raw).trim();
    if (text.startsWith("[")) {
      /** @type {unknown} */
      let parsed = null;
      try {
        parsed = JSON.parse(text);
      } catch {
        // reported below
      }
      if (Array.isArray(parsed)) return parsed.map(String);
      bad.push({ name, value: shown(raw), problem: "starts with [ but is not a JSON list" });
      return [];
    }
    return text.split(",").map((s) => s.trim()).filter(Boolean);
  }
  return { num, bool, url, list, bad };
}

/**
 * The settings of `env`; a malformed variable is a 500 `invalid_variable`
 * naming each bad one and its value, on every request (start-up has no other
 * way to refuse in Workers: the first request is the start).
 * @param {Env} env
 * @returns {Settings}
 */
export function settings(env) {
  let s = cache.get(env);
  if (!s) {
    const { values, bad } = read(env);
    s = bad.length === 0
      ? values
      : new HttpError("invalid_variable", `malformed variable${bad.length > 1 ? "s" : ""}: ${bad.map((b) => `${b.name} = ${JSON.stringify(b.value)} (${b.problem})`).join("; ")}`, { variables: bad });
    cache.set(env, s);
  }
  if (s instanceof HttpError) throw s;
  return s;
}

/** @param {Env} env */
function read(env) {
  const { num, bool, url, list, bad } = reader(env);
  const values = {
    maxBodyBytes: num("MAX_BODY_BYTES", 64 * 1024, 1),
    maxEvents: num("MAX_EVENTS", 100, 1),
    maxEventBytes: num("MAX_EVENT_BYTES", 4096, 64),
    maxDepth: num("MAX_JSON_DEPTH", 12, 2),
    seenCap: num("SEEN_IDS_CAP", 1000, 1),
    tokenTtlSeconds: num("VISITOR_TTL_DAYS", 395, 0, { fraction: true }) * 86400,
    allowedOrigins: list("ALLOWED_ORIGINS"),
    consentRequired: bool("CONSENT_REQUIRED", false),
    // Personalized pages carry the compiled config (base64, about 11 KB for
    // the demo's), so the page's runtime needs no request for it.
    embedConfig: bool("EMBED_CONFIG", false),
    hashEmail: bool("HASH_EMAIL", false),
    // Personal fields the collector must not get in clear: HASH_FIELDS are
    // replaced by their SHA-256 (joins still work), DROP_FIELDS removed;
    // field names as in the profile and traits (e.g. "phone,lastName").
    hashFields: list("HASH_FIELDS"),
    dropFields: list("DROP_FIELDS"),
    collectorTimeoutMs: num("COLLECTOR_TIMEOUT_MS", 5000, 1),
    forwardConcurrency: num("FORWARD_CONCURRENCY", 6, 1),
    // How long the messages a request forwards wait for other requests' in
    // the same isolate, to go out in one request (forward.js, forwardSoon);
    // 0: each request forwards its own at once.
    forwardCoalesceMs: num("FORWARD_COALESCE_MS", 100, 0),
    retryBaseSeconds: num("RETRY_BASE_SECONDS", 5, 0, { fraction: true }),
    retryMaxSeconds: num("RETRY_MAX_SECONDS", 600, 0, { fraction: true }),
    deadLetterQueue: env.DEAD_LETTER_QUEUE ? String(env.DEAD_LETTER_QUEUE) : "nurture-forward-dlq",
    ipRateBurst: num("IP_RATE_BURST", 120, 1),
    ipRatePerSecond: num("IP_RATE_PER_SECOND", 20, 0, { fraction: true }),
    visitorRateBurst: num("VISITOR_RATE_BURST", 30, 1),
    visitorRatePerSecond: num("VISITOR_RATE_PER_SECOND", 2, 0, { fraction: true }),
    reengageAfterMs: num("REENGAGE_AFTER_MS", 0, 0),
    replayLimit: num("REPLAY_LIMIT", 500, 1),
    testHooks: bool("TEST_HOOKS", false),
    maxFormBytes: num("MAX_FORM_BYTES", 16 * 1024, 1),
    formTokenTtlSeconds: num("FORM_TOKEN_TTL_SECONDS", 86400, 0),
    originUrl: url("ORIGIN_URL"),
    forwardAuthorization: bool("FORWARD_AUTHORIZATION", false),
    personalizeExclude: list("PERSONALIZE_EXCLUDE"),
    // Days without activity after which a visitor's state is deleted by its
    // Durable Object's alarm; 0 keeps it forever. A fraction is allowed (the
    // tests use seconds). The default matches VISITOR_TTL_DAYS: by then the
    // visitor's token has expired too, so nothing could read the state.
    retentionMs: Math.round(num("RETENTION_DAYS", 395, 0, { fraction: true }) * 86_400_000),
    maxEraseIds: num("MAX_ERASE_IDS", 100, 1),
    // CF-Connecting-IP is set by Cloudflare's edge and cannot be forged
    // there; anywhere else (another platform, a local run) any client can
    // send it, so it names the client (rate limits, IP segments) only when
    // the worker is configured as running behind Cloudflare.
    behindCloudflare: bool("BEHIND_CLOUDFLARE", false),
    // Requests whose client cannot be told apart (no trusted address, no
    // visitor token) share one bucket, larger than a client's own.
    sharedRateBurst: num("SHARED_RATE_BURST", 600, 1),
    sharedRatePerSecond: num("SHARED_RATE_PER_SECOND", 100, 0, { fraction: true }),
    // Operator routes: a small budget per client, checked before the
    // credential, so guessing the admin token is slow.
    adminRateBurst: num("ADMIN_RATE_BURST", 20, 1),
    adminRatePerSecond: num("ADMIN_RATE_PER_SECOND", 1, 0, { fraction: true }),
    // A body that has not arrived in full by then is refused (408): a
    // client dribbling bytes must not hold a request open for ever.
    bodyTimeoutMs: num("BODY_TIMEOUT_MS", 10_000, 1),
    // The demo's bundled site config, forms and accounts stand in for the
    // missing ones only when this says so (worker/dev.mjs, the tests, the
    // benches): production without a site config refuses every request.
    demo: bool("NURTURE_DEMO", false),
    // The Segment-protocol routes (routes/segment.js): the write keys, and
    // the limits of Segment's HTTP Tracking API (32 KB a message, 500 KB a
    // request), which its SDKs enforce on their side too.
    writeKeys: writeKeys(env.WRITE_KEYS, bad),
    segmentMaxBatchBytes: num("SEGMENT_MAX_BATCH_BYTES", 500 * 1024, 1),
    segmentMaxMessageBytes: num("SEGMENT_MAX_MESSAGE_BYTES", 32 * 1024, 64),
    segmentMaxEvents: num("SEGMENT_MAX_EVENTS", 500, 1),
  };
  // Where messages are forwarded: DESTINATIONS, else COLLECTOR_URL alone
  // (src/destinations/config.js).
  const destinations = readDestinations(/** @type {Record<string, unknown>} */ (/** @type {unknown} */ (env)), bad, values.collectorTimeoutMs);
  for (const origin of values.allowedOrigins) {
    if (origin !== "*" && !isOrigin(origin)) {
      bad.push({ name: "ALLOWED_ORIGINS", value: shown(origin), problem: "neither * nor an origin such as https://host[:port] without a path" });
    }
  }
  return { values: { ...values, destinations }, bad };
}

/** @param {string} text */
function isOrigin(text) {
  try {
    return new URL(text).origin === text;
  } catch {
    return false;
  }
}

/**
 * Where a write key's messages come from: a page (analytics.js, RudderStack
 * JS: the key is public, so its messages are a browser's word) or a server
 * SDK of the site's own back office (the key is a secret).
 * @typedef {"browser" | "server"} WriteKeySource
 * @typedef {{source: WriteKeySource, name: string}} WriteKey
 */

const WRITE_KEY = /^[A-Za-z0-9._~-]{8,200}$/;

/**
 * WRITE_KEYS: `source:key` entries, comma-separated (`browser:wk_site,
 * server:wk_backend`), or a JSON list of those strings or of `{key, source,
 * name?}` objects. Each key is 8 to 200 characters of `[A-Za-z0-9._~-]`
 * (no `:`, which Basic auth would split on); a key listed twice is an
 * error. Kept by the SHA-256 of the key, so a lookup compares digests, not
 * the secret itself.
 * @param {unknown} raw
 * @param {BadVariable[]} bad
 * @returns {Map<string, WriteKey>}
 */
function writeKeys(raw, bad) {
  /** @type {Map<string, WriteKey>} */
  const keys = new Map();
  if (raw === undefined || raw === null || raw === "") return keys;
  /** @param {string} problem */
  const fail = (problem) => {
    bad.push({ name: "WRITE_KEYS", value: "(not shown: it holds secrets)", problem });
    return new Map();
  };
  /** @type {unknown[]} */
  let entries;
  const text = typeof raw === "string" ? raw.trim() : "";
  if (Array.isArray(raw)) entries = raw;
  else if (typeof raw !== "string") return fail("expected a string");
  else if (text.startsWith("[")) {
    try {
      const parsed = JSON.parse(text);
      if (!Array.isArray(parsed)) return fail("starts with [ but is not a JSON list");
      entries = parsed;
    } catch {
      return fail("starts with [ but is not a JSON list");
    }
  } else entries = text.split(",").map((e) => e.trim()).filter(Boolean);
  for (const [i, entry] of entries.entries()) {
    let source;
    let key;
    let name;
    if (typeof entry === "string") {
      const at = entry.indexOf(":");
      source = at < 0 ? "" : entry.slice(0, at).trim();
      key = at < 0 ? entry : entry.slice(at + 1).trim();
      name = `${source}#${i + 1}`;
    } else if (entry !== null && typeof entry === "object" && !Array.isArray(entry)) {
      const e = /** @type {Record<string, unknown>} */ (entry);
      source = e.source;
      key = e.key;
      name = e.name === undefined ? `${String(source)}#${i + 1}` : e.name;
      if (typeof name !== "string" || name.length > 100) return fail(`entry ${i + 1}: name must be a short string`);
    } else return fail(`entry ${i + 1}: expected "source:key" or {key, source, name?}`);
    if (source !== "browser" && source !== "server") return fail(`entry ${i + 1}: the source must be browser or server ("browser:KEY")`);
    if (typeof key !== "string" || !WRITE_KEY.test(key)) return fail(`entry ${i + 1}: a key is 8 to 200 characters of A-Z a-z 0-9 . _ ~ -`);
    const digest = sha256Hex(key);
    if (keys.has(digest)) return fail(`entry ${i + 1}: the key is listed twice`);
    keys.set(digest, { source, name });
  }
  return keys;
}
