// @ts-check
// Segment's HTTP Tracking API, as Segment's and RudderStack's SDKs speak it:
// POST /v1/batch (and /v1/import), /v1/track, /v1/page, /v1/identify,
// /v1/group, /v1/alias, /v1/screen, and the one-letter paths analytics.js
// posts to (/v1/t, /v1/p, /v1/i, /v1/g, /v1/a, /v1/s, /v1/b). A thin
// adapter in front of the same ingest path as /v1/events: the write key
// decides whether the messages are a browser's word or a back-office
// source's, the identity (anonymousId / userId) decides the visitor, the
// clock skew is corrected, and each visitor's messages go through
// routes/events.js `prepare` and `ingest` (validation with reasons, dedup
// by messageId, scoring, signals, forwarding) like any other batch.
//
// The answers follow what the SDKs retry: 2xx is delivered, 400-range is
// dropped, 429 and 5xx are sent again. So bad input is always 4xx, and a
// batch with some bad messages keeps the good ones: 200 with the bad ones
// listed in `rejected` (the SDKs would drop a 4xx batch whole). A failure
// worth retrying (a visitor's rate limit, the core) answers the whole
// request with its 429 / 5xx after every other visitor's messages are in:
// the SDK sends the batch again and the messages already taken are
// duplicates by messageId.

import { HttpError } from "../errors.js";
import { json, readBytes, decodeUtf8, depthExceeds, concatBytes } from "../http.js";
import { limitClient } from "../ratelimit.js";
import { b64url, VISITOR_ID } from "../token.js";
import { resolveVisitor } from "../identity.js";
import { sha256, sha256Hex } from "../digest.js";
import { prepare, ingest } from "./events.js";
import { forwardMessages } from "../forward.js";
import { linkUsers, unlinkVisitors } from "../links.js";

/**
 * @typedef {import("../config.js").Env} Env
 * @typedef {import("../config.js").Settings} Settings
 * @typedef {import("../config.js").WriteKey} WriteKey
 * @typedef {import("../visitor.js").Channel} Channel
 * @typedef {"batch" | "track" | "page" | "identify" | "group" | "alias" | "screen"} Kind
 * @typedef {{index: number, reason: string}} Rejected
 * @typedef {{index: number, id?: string, rule: string, reason: string}} Unscored
 */

/** @type {[string, Kind][]} path → what it takes; Segment's names, then analytics.js's letters. */
export const SEGMENT_PATHS = [
  ["/v1/batch", "batch"], ["/v1/import", "batch"], ["/v1/b", "batch"],
  ["/v1/track", "track"], ["/v1/t", "track"],
  ["/v1/page", "page"], ["/v1/p", "page"],
  ["/v1/identify", "identify"], ["/v1/i", "identify"],
  ["/v1/group", "group"], ["/v1/g", "group"],
  ["/v1/alias", "alias"], ["/v1/a", "alias"],
  ["/v1/screen", "screen"], ["/v1/s", "screen"],
];

/**
 * What a browser SDK sends besides a simple request's headers: analytics.js
 * Basic auth and X-Retry-Count; RudderStack's JavaScript SDK also an
 * AnonymousId header (read by nothing here: the body's anonymousId counts).
 */
export const SEGMENT_ALLOW_HEADERS = "content-type, authorization, x-retry-count, anonymousid";

const TYPES = new Set(["track", "page", "identify", "group", "alias", "screen"]);
// A score from the client is never read; one at the top of a batch is
// refused as on /v1/events, one inside a message ignored.
const SCORE_FIELDS = new Set(["score", "scores", "grade", "fit", "engagement", "tier", "stage", "mql"]);
const MAX_ID_LENGTH = 200;
// ISO 8601 date-time with a zone, as the SDKs send it (JSON of a Date).
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
// Numbers are taken as milliseconds since 1970 from here on (1973), as the
// core does: smaller ones would be seconds read as milliseconds.
const MIN_TIMESTAMP_MS = 1e11;

/**
 * @param {unknown} v
 * @returns {v is Record<string, unknown>}
 */
function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * The handler of one Segment path.
 * @param {Kind} kind
 */
export function segmentRoute(kind) {
  /**
   * @param {Request} request
   * @param {Env} env
   * @param {ExecutionContext} ctx
   * @param {Settings} s
   */
  return (request, env, ctx, s) => segment(request, env, ctx, s, kind);
}

/**
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 * @param {Kind} kind
 */
async function segment(request, env, ctx, s, kind) {
  // Before the key is looked at: guessing a server key is as slow as
  // flooding the route.
  limitClient(request, s);
  if (s.writeKeys.size === 0) throw new HttpError("write_keys_unset", "WRITE_KEYS is not set: the Segment routes are off");
  // A key in the header is checked before the body is read (and unpacked).
  const fromHeader = basicKey(request);
  if (fromHeader !== null) lookUp(fromHeader, s);
  const body = await readBody(request, s, kind === "batch" ? s.segmentMaxBatchBytes : s.segmentMaxMessageBytes);
  if (!isPlainObject(body)) throw new HttpError("invalid_body", kind === "batch" ? "the body must be a JSON object {batch: [...]}" : "the body must be one JSON message object");
  const key = writeKeyOf(fromHeader, body, s);
  if (key.source === "server" && request.headers.get("origin") !== null) {
    throw new HttpError("origin_not_allowed", "a server write key is not for browsers: pages use a browser key");
  }
  const receivedAt = Date.now();
  const { messages, sentAt, context, integrations } = kind === "batch" ? batchOf(body, s) : single(body, kind);
  const channel = key.source;

  // The visitor a browser key writes to: the one its verified token names
  // (same-origin pages send the cookie), else one per anonymousId (below).
  // A bad token counts as none: the SDK would drop the batch on a 401.
  let tokenVisitor = null;
  if (channel === "browser") {
    const who = await resolveVisitor(request, env, s, { mint: false, lenient: true });
    tokenVisitor = who.visitorId;
  }

  /** @type {Rejected[]} */
  const rejected = [];
  /** @type {Rejected[]} */
  const ignored = [];
  /** @type {{index: number, visitorId: string, event: Record<string, unknown>, lookup?: string}[]} */
  const taken = [];
  // The identity links a server key's messages make (links.js), in order.
  /** @type {import("../links.js").LinkPut[]} */
  const puts = [];
  /** @type {{index: number, alias: boolean}[]} */
  const putAt = [];
  for (const [index, raw] of messages.entries()) {
    const m = normalize(raw, { sentAt, context, integrations, receivedAt, channel, tokenVisitor, consentRequired: s.consentRequired });
    if ("reject" in m) rejected.push({ index, reason: m.reject });
    else if ("ignore" in m) ignored.push({ index, reason: m.ignore });
    else {
      if (m.link) puts.push(m.link), putAt.push({ index, alias: !("event" in m) });
      if ("event" in m) taken.push({ index, ...m });
    }
  }
  // One index call for the request: the links first, then the visitor of
  // each message with only a userId (its link, else its own hashed one).
  const links = { linked: 0, refused: /** @type {Rejected[]} */ ([]) };
  let aliased = 0;
  const gets = taken.flatMap((t) => (t.lookup ? [t.lookup] : []));
  if (puts.length || gets.length) {
    const { outcomes, found } = await linkUsers(env, puts, gets);
    outcomes.forEach((o, i) => {
      const { index, alias } = putAt[i];
      if (o === "linked") links.linked++;
      if (o !== "conflict") aliased += alias ? 1 : 0;
      else (alias ? rejected : links.refused).push({ index, reason: "userId: already linked to another visitor; the first link stands" });
    });
    for (const t of taken) if (t.lookup) t.visitorId = found.get(t.lookup) ?? t.visitorId;
  }
  /** @type {Map<string, {events: Record<string, unknown>[], indices: number[]}>} */
  const groups = new Map();
  for (const t of taken) {
    let g = groups.get(t.visitorId);
    if (!g) groups.set(t.visitorId, (g = { events: [], indices: [] }));
    g.events.push(t.event);
    g.indices.push(t.index);
  }

  const limits = { maxEventBytes: s.segmentMaxMessageBytes, maxDepth: s.maxDepth };
  let accepted = 0;
  let duplicates = 0;
  /** @type {Unscored[]} */
  const unscored = [];
  // A visitor's failure that answers the whole request: one worth a retry
  // (429, 5xx), or the page's own token naming an erased visitor.
  /** @type {unknown} */
  let failure = null;
  // What every visitor's batch forwards, sent together (one collector
  // request per 100 messages, not one per visitor).
  /** @type {import("../enrich.js").ForwardMessage[]} */
  const outbox = [];
  /** @type {string[]} erased visitors a server key reached: no userId stays linked to them */
  const erased = [];
  await Promise.all([...groups].map(async ([visitorId, g]) => {
    const prepared = prepare(g.events, visitorId, channel, limits, receivedAt, g.indices);
    try {
      const out = await ingest(request, env, ctx, s, { visitorId, channel, ...prepared, now: receivedAt, trap: false }, outbox);
      accepted += out.accepted.length;
      duplicates += out.duplicates.length;
      rejected.push(...out.rejected);
      unscored.push(...out.unscored);
    } catch (err) {
      if (err instanceof HttpError && err.code === "visitor_erased" && visitorId === tokenVisitor) {
        // The page's own token names an erased visitor: answered as
        // /v1/events answers it (401, the cookie expired), so the next
        // request starts afresh.
        failure ??= err;
      } else if (err instanceof HttpError && err.code === "no_valid_events") {
        rejected.push(.../** @type {{rejected: Rejected[]}} */ (err.details).rejected);
      } else if (err instanceof HttpError && err.status < 500 && err.status !== 429 && err.status !== 408) {
        // This visitor's refusal (erased): its messages only.
        if (channel === "server" && err.code === "visitor_erased") erased.push(visitorId);
        for (const index of g.indices) rejected.push({ index, reason: `${err.code}: ${err.message}` });
      } else {
        failure ??= err;
      }
    }
  }));
  // Forwarded even when the answer is a retry: what was taken is stored,
  // and the resent batch finds it as duplicates (nothing forwarded twice).
  if (outbox.length) ctx.waitUntil(forwardMessages(env, outbox));
  // A link made to (or read for) an erased visitor after its erasure goes:
  // the userId names its own visitor again.
  if (erased.length && (puts.length || gets.length)) await unlinkVisitors(env, erased);
  if (failure !== null) throw failure;
  rejected.sort((a, b) => a.index - b.index);
  if (accepted === 0 && duplicates === 0 && ignored.length === 0 && aliased === 0) {
    throw new HttpError("no_valid_events", "no message in the request is valid", { rejected });
  }
  // Segment answers {success: true}; the rest says what became of each message.
  return json({ success: true, accepted, duplicates, rejected, ignored, unscored, visitors: groups.size, links });
}

// The body is JSON whatever the type says: analytics.js sends text/plain
// (to stay a simple request), RudderStack's Node SDK its gzip-compressed
// JSON as application/x-www-form-urlencoded (axios's default for a
// buffer), curl without -H the same.
const BODY_TYPES = new Set(["", "application/json", "text/plain", "application/x-www-form-urlencoded"]);

/**
 * The body as JSON (any of BODY_TYPES); gzip-compressed when
 * `Content-Encoding: gzip` (RudderStack's SDK compresses by default), the
 * size cap counting the bytes as sent and again as unpacked.
 * @param {Request} request
 * @param {Settings} s
 * @param {number} maxBytes
 */
async function readBody(request, s, maxBytes) {
  const type = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (!BODY_TYPES.has(type)) {
    throw new HttpError("unsupported_media_type", "send the body as JSON (application/json or text/plain)");
  }
  const encoding = (request.headers.get("content-encoding") ?? "").trim().toLowerCase();
  if (encoding !== "" && encoding !== "identity" && encoding !== "gzip") {
    throw new HttpError("unsupported_media_type", "the body may be gzip-compressed, nothing else");
  }
  const limits = { maxBodyBytes: maxBytes, bodyTimeoutMs: s.bodyTimeoutMs };
  let bytes = await readBytes(request, limits);
  if (encoding === "gzip") bytes = await gunzip(bytes, maxBytes);
  try {
    return JSON.parse(decodeUtf8(bytes));
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError("invalid_json", "the body is not valid JSON");
  }
}

/**
 * @param {Uint8Array} bytes
 * @param {number} maxBytes the cap on the unpacked size (a small bomb must not unpack to gigabytes)
 */
async function gunzip(bytes, maxBytes) {
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  /** @type {Uint8Array[]} */
  const chunks = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new HttpError("body_too_large", `the body unpacks to more than ${maxBytes} bytes`);
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError("invalid_encoding", "the body is not valid gzip");
  }
  if (size === 0) throw new HttpError("empty_body", "the body unpacks to nothing");
  return concatBytes(chunks, size);
}

/**
 * The write key of an `Authorization: Basic` header (the key as user name,
 * the password empty, as every Segment SDK sends it), or null without one.
 * @param {Request} request
 */
function basicKey(request) {
  const header = request.headers.get("authorization");
  if (header === null || header.trim() === "") return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,400})$/i.exec(header.trim());
  let decoded = null;
  try {
    decoded = m ? atob(m[1]) : null;
  } catch {
    decoded = null;
  }
  if (decoded === null) throw new HttpError("unknown_write_key", "Authorization: expected Basic with the write key as user name");
  const at = decoded.indexOf(":");
  return at < 0 ? decoded : decoded.slice(0, at);
}

/**
 * The configured key, compared by digest; 401 when it is not listed.
 * @param {string} key
 * @param {Settings} s
 * @returns {WriteKey}
 */
function lookUp(key, s) {
  const found = key === "" ? undefined : s.writeKeys.get(sha256Hex(key));
  if (!found) throw new HttpError("unknown_write_key", "this write key is not in WRITE_KEYS");
  return found;
}

/**
 * The request's write key: the header's, or `writeKey` in the body; both
 * may come, and must then agree.
 * @param {string | null} fromHeader
 * @param {Record<string, unknown>} body
 * @param {Settings} s
 * @returns {WriteKey}
 */
function writeKeyOf(fromHeader, body, s) {
  const given = body.writeKey;
  if (given !== undefined && given !== null && typeof given !== "string") {
    throw new HttpError("invalid_field", "writeKey: expected a string", { field: "writeKey" });
  }
  const fromBody = typeof given === "string" && given !== "" ? given : null;
  if (fromHeader !== null && fromBody !== null && fromHeader !== fromBody) {
    throw new HttpError("invalid_field", "writeKey: the body and the Authorization header name different keys", { field: "writeKey" });
  }
  const key = fromHeader ?? fromBody;
  if (key === null) {
    throw new HttpError("write_key_required", "no write key: send it as Basic auth (the key as user name) or as writeKey in the body");
  }
  return lookUp(key, s);
}

/**
 * @param {Record<string, unknown>} body
 * @param {Settings} s
 */
function batchOf(body, s) {
  for (const key of Object.keys(body)) {
    if (SCORE_FIELDS.has(key)) throw new HttpError("client_score_rejected", `"${key}" is computed by the server; do not send it`);
  }
  if (!("batch" in body)) throw new HttpError("invalid_body", "the body has no batch list");
  if (!Array.isArray(body.batch)) throw new HttpError("invalid_field", "batch: expected a list of messages", { field: "batch" });
  if (body.batch.length === 0) throw new HttpError("empty_batch", "batch: the list is empty");
  if (body.batch.length > s.segmentMaxEvents) throw new HttpError("too_many_events", `batch: at most ${s.segmentMaxEvents} messages per request`);
  const sentAt = timeOf(body.sentAt);
  if (sentAt === undefined) throw new HttpError("invalid_field", "sentAt: expected an ISO 8601 date-time", { field: "sentAt" });
  for (const field of ["context", "integrations"]) {
    const v = body[field];
    if (v !== undefined && v !== null && (!isPlainObject(v) || depthExceeds(v, s.maxDepth))) {
      throw new HttpError("invalid_field", `${field}: expected a small object`, { field });
    }
  }
  return {
    messages: body.batch,
    sentAt,
    context: isPlainObject(body.context) ? body.context : null,
    integrations: isPlainObject(body.integrations) ? body.integrations : null,
  };
}

/**
 * A single-message route: the body is the message, of the route's type.
 * @param {Record<string, unknown>} body
 * @param {Kind} kind
 */
function single(body, kind) {
  const type = body.type;
  if (type !== undefined && type !== null && (typeof type !== "string" || type.toLowerCase() !== kind)) {
    throw new HttpError("invalid_field", `type: this route takes ${kind} messages`, { field: "type" });
  }
  return { messages: [{ ...body, type: kind }], sentAt: null, context: null, integrations: null };
}

/**
 * A time as milliseconds: null when absent, undefined when malformed.
 * @param {unknown} v
 * @returns {number | null | undefined}
 */
function timeOf(v) {
  if (v === undefined || v === null) return null;
  if (typeof v === "number") return Number.isFinite(v) && v >= MIN_TIMESTAMP_MS && v < 8.64e15 ? v : undefined;
  if (typeof v !== "string" || !ISO_TIME.test(v)) return undefined;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * An id the SDKs send: a string, or a number they would stringify.
 * @param {unknown} v
 * @returns {string | null | undefined} null when absent, undefined when malformed
 */
function idOf(v) {
  if (v === undefined || v === null || v === "") return null;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  if (typeof v === "string" && v.length <= MAX_ID_LENGTH) return v;
  return undefined;
}

/**
 * The visitor of a Segment identity: a nurture visitor id given as the
 * anonymousId (a server key only), else one derived from the anonymousId,
 * else from the userId, each in its own name space, so no identity of one
 * kind can name a visitor of another.
 * @param {"anonymousId" | "userId"} kind
 * @param {string} id
 */
export function visitorOfIdentity(kind, id) {
  return b64url(sha256(`nurture/segment\n${kind}\n${id}`)).slice(0, 22);
}

/**
 * @typedef {object} Batch
 * @property {number | null} sentAt
 * @property {Record<string, unknown> | null} context
 * @property {Record<string, unknown> | null} integrations
 * @property {number} receivedAt
 * @property {Channel} channel
 * @property {string | null} tokenVisitor
 * @property {boolean} consentRequired
 */

/**
 * One message, checked and turned into the event the ingest path takes,
 * with its visitor; or the reason it is refused or ignored.
 * @param {unknown} raw
 * @param {Batch} b
 * @returns {{visitorId: string, event: Record<string, unknown>, link?: import("../links.js").LinkPut, lookup?: string} | {link: import("../links.js").LinkPut} | {reject: string} | {ignore: string}}
 */
function normalize(raw, b) {
  if (!isPlainObject(raw)) return { reject: "message: expected an object" };
  const type = typeof raw.type === "string" ? raw.type.toLowerCase() : raw.type;
  if (typeof type !== "string" || !TYPES.has(type)) {
    return { reject: `type: expected one of ${[...TYPES].join(", ")}` };
  }
  const anonymousId = idOf(raw.anonymousId);
  if (anonymousId === undefined) return { reject: `anonymousId: expected a string of at most ${MAX_ID_LENGTH} characters` };
  const userId = idOf(raw.userId);
  if (userId === undefined) return { reject: `userId: expected a string of at most ${MAX_ID_LENGTH} characters` };
  if (anonymousId === null && userId === null) return { reject: "anonymousId or userId is required" };

  /** @type {string} */
  let visitorId;
  // A server key's userId: its link (links.js) is keyed by its own visitor.
  const userKey = userId === null ? null : visitorOfIdentity("userId", userId);
  if (b.channel === "browser") {
    // A page's userId is its word, not an identity: it never picks the
    // visitor (anyone could name someone else's). The anonymousId the SDK
    // minted for this browser does, as the cookie does for /v1/events.
    if (b.tokenVisitor !== null) visitorId = b.tokenVisitor;
    else if (anonymousId !== null) visitorId = visitorOfIdentity("anonymousId", anonymousId);
    else return { reject: "anonymousId: a browser write key's messages need one (a page's userId does not name a visitor)" };
  } else if (anonymousId !== null) {
    visitorId = VISITOR_ID.test(anonymousId) ? anonymousId : visitorOfIdentity("anonymousId", anonymousId);
  } else {
    visitorId = /** @type {string} */ (userKey);
  }

  if (type === "alias") {
    if (b.channel === "browser") return { ignore: "alias: a page's alias links nothing (only a server write key's does); nothing is stored" };
    // alias(previousId, userId): userId joins previousId's visitor, that of
    // the userId previousId is linked to, else of previousId as an anonymousId.
    const previousId = idOf(raw.previousId);
    if (!previousId) return { reject: `previousId: expected a string of at most ${MAX_ID_LENGTH} characters` };
    if (userKey === null || userId === previousId) return { reject: "userId: an alias needs a userId other than previousId" };
    const to = VISITOR_ID.test(previousId) ? previousId : visitorOfIdentity("anonymousId", previousId);
    return { link: { key: userKey, to, via: visitorOfIdentity("userId", previousId) } };
  }
  if (b.channel === "browser" && b.consentRequired && !consented(raw.context, b.context)) {
    return { ignore: "no consent: CONSENT_REQUIRED needs context.consent.categoryPreferences.nurture = true" };
  }

  // Clock skew (Segment's rule): the SDK's clock may be off, the worker's
  // is not; what counts is how long before sending the event happened.
  // timestamp := receivedAt - (sentAt - timestamp); without sentAt the
  // timestamp is taken as it is, without one the time it arrived.
  const givenTime = raw.timestamp ?? raw.originalTimestamp;
  const client = timeOf(givenTime);
  if (client === undefined) return { reject: `${raw.timestamp == null ? "originalTimestamp" : "timestamp"}: expected an ISO 8601 date-time` };
  const ownSent = timeOf(raw.sentAt);
  if (ownSent === undefined) return { reject: "sentAt: expected an ISO 8601 date-time" };
  const sentAt = ownSent ?? b.sentAt;
  const at = client === null ? b.receivedAt : sentAt === null ? client : b.receivedAt - (sentAt - client);
  if (!Number.isFinite(at) || Math.abs(at) > 8.64e15) return { reject: "timestamp: out of range" };

  /** @type {Record<string, unknown>} */
  const event = { ...raw, type };
  // The write key is a credential: it is never stored or forwarded.
  delete event.writeKey;
  if (b.context !== null) event.context = { ...b.context, ...(isPlainObject(raw.context) ? raw.context : {}) };
  if (b.integrations !== null) event.integrations = { ...b.integrations, ...(isPlainObject(raw.integrations) ? raw.integrations : {}) };
  if (givenTime !== undefined && givenTime !== null) event.originalTimestamp = raw.originalTimestamp ?? givenTime;
  event.timestamp = new Date(at).toISOString();
  event.receivedAt = new Date(b.receivedAt).toISOString();
  if (sentAt !== null) event.sentAt = new Date(sentAt).toISOString();
  if (b.channel === "browser" || userKey === null) return { visitorId, event };
  return anonymousId === null ? { visitorId, event, lookup: userKey } : { visitorId, event, link: { key: userKey, to: visitorId } };
}

/**
 * Segment's consent object (`context.consent.categoryPreferences`) with a
 * `nurture` category that is true, in the message's context or the batch's.
 * @param {unknown} own
 * @param {Record<string, unknown> | null} shared
 */
function consented(own, shared) {
  for (const context of [own, shared]) {
    if (!isPlainObject(context) || !isPlainObject(context.consent)) continue;
    const prefs = context.consent.categoryPreferences;
    if (isPlainObject(prefs) && prefs.nurture === true) return true;
  }
  return false;
}
