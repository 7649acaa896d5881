// @ts-check
// The Segment Spec's fields, as its pages document them, and a check of one
// call against them: what the `segment` destination checks before it sends
// (a call Segment would drop after answering 200 is dead-lettered here with
// the reason instead), and what test/destinations.test.mjs checks on what a
// Segment-compatible API received.
//
// Sources (Segment's documentation, now under Twilio's):
// - Common fields: https://www.twilio.com/docs/segment/connections/spec/common
//   every call: `type` (identify, track, page, screen, group, alias),
//   `userId` ("required; optional if anonymousId is set instead") or
//   `anonymousId`, both strings; `context` and `integrations` optional
//   objects; `messageId` a string ("implicit": SDKs set it, and Segment
//   deduplicates on it); `timestamp` and `sentAt` ISO-8601 date strings;
//   `receivedAt` and `version` are set by Segment, not by the sender.
// - Track: https://www.twilio.com/docs/segment/connections/spec/track
//   `event` required (String), `properties` optional (Object).
// - Identify: https://www.twilio.com/docs/segment/connections/spec/identify
//   `traits` optional (Object), `userId` or `anonymousId`.
// - Page: https://www.twilio.com/docs/segment/connections/spec/page
//   `name` optional (String), `properties` optional (Object; reserved
//   `path`, `referrer`, `search`, `title`, `url` are strings).
// - Screen: https://www.twilio.com/docs/segment/connections/spec/screen
//   `name` optional (String), `properties` optional (Object).
// - Group: https://www.twilio.com/docs/segment/connections/spec/group
//   `groupId` required (String), `traits` optional (Object).
// - Alias: https://www.twilio.com/docs/segment/connections/spec/alias
//   `previousId` required (String), `userId` required (String).
// - The HTTP Tracking API's limits:
//   https://www.twilio.com/docs/segment/connections/sources/catalog/libraries/server/http-api
//   32 KB per call, 500 KB per batch request, 2,500 calls per batch.
//
// Stricter than Segment in two ways, because the worker controls what it
// sends: `messageId` and `timestamp` are required (idempotency, and the time
// the visitor acted rather than the time of a retry), and a top-level field
// the spec does not list for the type is an error (a misplaced score or a
// typo would otherwise reach every downstream tool).

export const SPEC_URLS = {
  common: "https://www.twilio.com/docs/segment/connections/spec/common",
  track: "https://www.twilio.com/docs/segment/connections/spec/track",
  identify: "https://www.twilio.com/docs/segment/connections/spec/identify",
  page: "https://www.twilio.com/docs/segment/connections/spec/page",
  screen: "https://www.twilio.com/docs/segment/connections/spec/screen",
  group: "https://www.twilio.com/docs/segment/connections/spec/group",
  alias: "https://www.twilio.com/docs/segment/connections/spec/alias",
  httpApi: "https://www.twilio.com/docs/segment/connections/sources/catalog/libraries/server/http-api",
};

// "32 KB" and "500 KB", read as the smaller, decimal kilobytes: a call or
// a request at the limit is accepted whichever the API meant.
export const MAX_CALL_BYTES = 32_000;
export const MAX_BATCH_BYTES = 500_000;
export const MAX_BATCH_CALLS = 2500;

/** @typedef {"required" | "optional"} Need */
/** @typedef {"string" | "object" | "date"} Kind */
/** @typedef {Record<string, [Need, Kind]>} Fields */

/** @type {Fields} common fields the sender may set (userId / anonymousId: see below) */
const COMMON = {
  type: ["required", "string"],
  userId: ["optional", "string"],
  anonymousId: ["optional", "string"],
  context: ["optional", "object"],
  integrations: ["optional", "object"],
  messageId: ["required", "string"],
  timestamp: ["required", "date"],
  sentAt: ["optional", "date"],
};

/** @type {Record<string, Fields>} each type's own fields */
export const TYPE_FIELDS = {
  track: { event: ["required", "string"], properties: ["optional", "object"] },
  identify: { traits: ["optional", "object"] },
  page: { name: ["optional", "string"], properties: ["optional", "object"] },
  screen: { name: ["optional", "string"], properties: ["optional", "object"] },
  group: { groupId: ["required", "string"], traits: ["optional", "object"] },
  alias: { previousId: ["required", "string"], userId: ["required", "string"] },
};

const PAGE_PROPERTIES = ["path", "referrer", "search", "title", "url"];
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** @param {unknown} v */
export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * What is wrong with `call` as a Segment call: [] when nothing.
 * @param {unknown} call
 * @returns {string[]}
 */
export function specProblems(call) {
  if (!isObject(call)) return ["a call is a JSON object"];
  const c = /** @type {Record<string, unknown>} */ (call);
  const type = c.type;
  if (typeof type !== "string" || !Object.hasOwn(TYPE_FIELDS, type)) {
    return [`type: one of ${Object.keys(TYPE_FIELDS).join(", ")} (${SPEC_URLS.common})`];
  }
  /** @type {Fields} */
  const fields = { ...COMMON, ...TYPE_FIELDS[type] };
  /** @type {string[]} */
  const out = [];
  for (const [name, [need, kind]] of Object.entries(fields)) {
    const v = c[name];
    if (v === undefined) {
      if (need === "required") out.push(`${name}: required in a ${type} call`);
      continue;
    }
    if (kind === "object" && !isObject(v)) out.push(`${name}: an object`);
    if (kind === "string" && (typeof v !== "string" || v === "")) out.push(`${name}: a non-empty string`);
    if (kind === "date" && (typeof v !== "string" || !ISO_8601.test(v) || Number.isNaN(Date.parse(v)))) out.push(`${name}: an ISO-8601 date string`);
  }
  for (const name of Object.keys(c)) {
    if (!Object.hasOwn(fields, name)) out.push(`${name}: not a field of a ${type} call (${name === "receivedAt" || name === "version" ? "set by the API" : "unknown"})`);
  }
  const hasId = (/** @type {unknown} */ v) => typeof v === "string" && v !== "";
  if (!hasId(c.userId) && !hasId(c.anonymousId)) out.push("userId or anonymousId: one is required");
  if (isObject(c.integrations)) {
    for (const [k, v] of Object.entries(/** @type {object} */ (c.integrations))) {
      if (typeof v !== "boolean" && !isObject(v)) out.push(`integrations.${k}: true, false or an object of options`);
    }
  }
  if (type === "page" && isObject(c.properties)) {
    const p = /** @type {Record<string, unknown>} */ (c.properties);
    for (const k of PAGE_PROPERTIES) if (p[k] !== undefined && typeof p[k] !== "string") out.push(`properties.${k}: a string`);
  }
  return out;
}
