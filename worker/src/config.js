// @ts-check
// Reads the worker's settings from `env` once per env object. Every limit has
// a default that suits production; the tests and the demo override them
// through the same variables (wrangler.toml [vars] or Miniflare bindings).

/**
 * @typedef {import("../types/env").Env} Env
 * @typedef {import("../types/env").VarName} VarName
 * @typedef {ReturnType<typeof read>} Settings
 */

/** @type {WeakMap<Env, Settings>} */
const cache = new WeakMap();

/**
 * @param {Env} env
 * @param {VarName} name
 * @param {number} fallback
 * @param {number} [min]
 */
function int(env, name, fallback, min = 0) {
  const raw = env[name];
  if (raw === undefined || raw === null || raw === "") return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= min ? n : fallback;
}

/**
 * @param {Env} env
 * @param {VarName} name
 * @param {boolean} [fallback]
 */
function bool(env, name, fallback = false) {
  const raw = env[name];
  if (raw === undefined || raw === null || raw === "") return fallback;
  if (typeof raw === "boolean") return raw;
  return /^(1|true|yes|on)$/i.test(String(raw).trim());
}

/**
 * @param {Env} env
 * @param {VarName} name
 * @returns {string[]}
 */
function list(env, name) {
  const raw = env[name];
  if (raw === undefined || raw === null || raw === "") return [];
  if (Array.isArray(raw)) return raw.map(String);
  const text = String(raw).trim();
  if (text.startsWith("[")) {
    try {
      const parsed = JSON.parse(text);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      // fall through to the comma-separated form
    }
  }
  return text.split(",").map((s) => s.trim()).filter(Boolean);
}

/**
 * @param {Env} env
 * @returns {Settings}
 */
export function settings(env) {
  let s = cache.get(env);
  if (!s) {
    s = read(env);
    cache.set(env, s);
  }
  return s;
}

/** @param {Env} env */
function read(env) {
  return {
    maxBodyBytes: int(env, "MAX_BODY_BYTES", 64 * 1024, 1),
    maxEvents: int(env, "MAX_EVENTS", 100, 1),
    maxEventBytes: int(env, "MAX_EVENT_BYTES", 4096, 64),
    maxDepth: int(env, "MAX_JSON_DEPTH", 12, 2),
    seenCap: int(env, "SEEN_IDS_CAP", 1000, 1),
    tokenTtlSeconds: int(env, "VISITOR_TTL_DAYS", 395, 0) * 86400,
    allowedOrigins: list(env, "ALLOWED_ORIGINS"),
    consentRequired: bool(env, "CONSENT_REQUIRED", false),
    hashEmail: bool(env, "HASH_EMAIL", false),
    // Personal fields the collector must not get in clear: HASH_FIELDS are
    // replaced by their SHA-256 (joins still work), DROP_FIELDS removed;
    // field names as in the profile and traits (e.g. "phone,lastName").
    hashFields: list(env, "HASH_FIELDS"),
    dropFields: list(env, "DROP_FIELDS"),
    collectorUrl: env.COLLECTOR_URL ? String(env.COLLECTOR_URL) : "",
    collectorTimeoutMs: int(env, "COLLECTOR_TIMEOUT_MS", 5000, 1),
    forwardConcurrency: int(env, "FORWARD_CONCURRENCY", 6, 1),
    retryBaseSeconds: int(env, "RETRY_BASE_SECONDS", 5, 0),
    retryMaxSeconds: int(env, "RETRY_MAX_SECONDS", 600, 0),
    deadLetterQueue: env.DEAD_LETTER_QUEUE ? String(env.DEAD_LETTER_QUEUE) : "nurture-forward-dlq",
    ipRateBurst: int(env, "IP_RATE_BURST", 120, 1),
    ipRatePerSecond: int(env, "IP_RATE_PER_SECOND", 20, 0),
    visitorRateBurst: int(env, "VISITOR_RATE_BURST", 30, 1),
    visitorRatePerSecond: int(env, "VISITOR_RATE_PER_SECOND", 2, 0),
    reengageAfterMs: int(env, "REENGAGE_AFTER_MS", 0, 0),
    replayLimit: int(env, "REPLAY_LIMIT", 500, 1),
    testHooks: bool(env, "TEST_HOOKS", false),
    maxFormBytes: int(env, "MAX_FORM_BYTES", 16 * 1024, 1),
    formTokenTtlSeconds: int(env, "FORM_TOKEN_TTL_SECONDS", 86400, 0),
    originUrl: env.ORIGIN_URL ? String(env.ORIGIN_URL) : "",
    forwardAuthorization: bool(env, "FORWARD_AUTHORIZATION", false),
    personalizeExclude: list(env, "PERSONALIZE_EXCLUDE"),
    // Days without activity after which a visitor's state is deleted by its
    // Durable Object's alarm; 0 keeps it forever. A fraction is allowed (the
    // tests use seconds). The default matches VISITOR_TTL_DAYS: by then the
    // visitor's token has expired too, so nothing could read the state.
    retentionMs: Math.round(int(env, "RETENTION_DAYS", 395, 0) * 86_400_000),
    maxEraseIds: int(env, "MAX_ERASE_IDS", 100, 1),
    // CF-Connecting-IP is set by Cloudflare's edge and cannot be forged
    // there; anywhere else (another platform, a local run) any client can
    // send it, so it names the client (rate limits, IP segments) only when
    // the worker is configured as running behind Cloudflare.
    behindCloudflare: bool(env, "BEHIND_CLOUDFLARE", false),
    // Requests whose client cannot be told apart (no trusted address, no
    // visitor token) share one bucket, larger than a client's own.
    sharedRateBurst: int(env, "SHARED_RATE_BURST", 600, 1),
    sharedRatePerSecond: int(env, "SHARED_RATE_PER_SECOND", 100, 0),
    // Operator routes: a small budget per client, checked before the
    // credential, so guessing the admin token is slow.
    adminRateBurst: int(env, "ADMIN_RATE_BURST", 20, 1),
    adminRatePerSecond: int(env, "ADMIN_RATE_PER_SECOND", 1, 0),
    // A body that has not arrived in full by then is refused (408): a
    // client dribbling bytes must not hold a request open for ever.
    bodyTimeoutMs: int(env, "BODY_TIMEOUT_MS", 10_000, 1),
  };
}
