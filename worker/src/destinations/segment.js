// @ts-check
// The `segment` destination: Segment-spec calls POSTed to a Segment-compatible
// HTTP API's batch endpoint (Segment, RudderStack, Jitsu): `{"batch": [call,
// ...], "sentAt"}` with the source's write key as HTTP Basic user name.
//
// - A scored event goes out as itself (track, page, screen, identify, group,
//   alias) with `context.nurture` holding the score summary: grade, tier,
//   stage, fit, fitGrade, engagement, mql, interests (the five strongest),
//   segments, primarySegment, the visitor id, the channel and the event's own
//   messageId as sent to nurture (`sourceMessageId`).
// - A signal (Lead Qualified, Stage Changed, Grade Changed, Form Submitted,
//   Re-engagement Due, Visitor Erased, ...) is a `track` named after it, its
//   properties as in the envelope, the summary in `context.nurture`.
// - With a signal of a score change (and a form submission), an `identify`
//   carries the score as traits (`nurture_grade`, `nurture_fit`,
//   `nurture_engagement`, `nurture_mql`, `nurture_stage`, `nurture_tier`,
//   `nurture_fit_grade`, plus `email` when the stored profile has one in
//   clear), so
//   CRMs synced from Segment see them. Its messageId is `idt_<visitor>_<update>`:
//   the signals of one update share it, and only one per request is sent.
// - `messageId` is the message's nurture id (`evt_…`, `sig_…`, `era_…`),
//   stable across retries and replays, so the API drops a resend.
//   `anonymousId` is the event's own, else nurture's visitor id; `userId`
//   the event's own (for signals: the profile's `userId`, if any).
// - A call is checked against the spec (segment-spec.js) and Segment's 32 KB
//   per call; one that fails is refused here (dead-lettered with the
//   reason), not sent to be dropped after a 200. Requests stay under 500 KB.

import { MAX_BATCH_BYTES, MAX_CALL_BYTES, isObject, specProblems } from "./segment-spec.js";

/**
 * @typedef {import("../enrich.js").ForwardMessage} ForwardMessage
 * @typedef {import("./config.js").Destination} Destination
 * @typedef {import("./nurture.js").Format} Format
 * @typedef {Record<string, unknown>} Call
 */

/** Signals after which CRMs should see the score (an identify goes with them). */
const SCORE_SIGNALS = new Set(["Lead Qualified", "Stage Changed", "Grade Changed", "Form Submitted"]);
const PAGE_PROPERTIES = ["path", "referrer", "search", "title", "url"];

/** @param {unknown} v */
const text = (v) => (typeof v === "string" && v !== "" ? v : undefined);
/** @param {unknown} v */
const obj = (v) => (isObject(v) ? /** @type {Record<string, unknown>} */ (v) : undefined);

/**
 * An ISO-8601 string for a timestamp given as ms or as a date string.
 * @param {unknown} t
 */
function iso(t) {
  const ms = typeof t === "number" ? t : typeof t === "string" ? Date.parse(t) : NaN;
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : undefined;
}

/**
 * `context.nurture`: what the score says, small enough for every call.
 * @param {ForwardMessage} msg
 * @param {{full?: boolean}} [o] `full: false` leaves out the lists (a call near 32 KB)
 */
function scoreContext(msg, { full = true } = {}) {
  const s = msg.score;
  /** @type {Record<string, unknown>} */
  const out = { visitorId: msg.visitorId, kind: msg.kind };
  if (s) {
    Object.assign(out, { grade: s.grade, tier: s.tier, stage: s.stage, fit: s.fit, fitGrade: s.fitGrade, engagement: s.engagement, mql: s.mql });
    if (full) out.interests = (s.interests ?? []).slice(0, 5);
  }
  if (full && msg.segments) Object.assign(out, { segments: msg.segments, primarySegment: msg.primarySegment ?? null });
  const e = msg.event;
  if (typeof e?.channel === "string") out.channel = e.channel;
  if (typeof e?.messageId === "string") out.sourceMessageId = e.messageId;
  return out;
}

/**
 * The calls of one message (the event or signal, and an identify after a
 * score change).
 * @param {Destination} dest
 * @param {ForwardMessage} msg
 * @param {{full?: boolean}} [o]
 * @returns {Call[]}
 */
export function toCalls(dest, msg, o = {}) {
  const e = msg.event ?? {};
  const profile = obj(msg.profile) ?? {};
  const userId = msg.kind === "event" ? text(e.userId) : text(profile.userId);
  const anonymousId = (msg.kind === "event" ? text(e.anonymousId) : undefined) ?? msg.visitorId;
  const timestamp = iso(e.timestamp) ?? new Date(msg.receivedAt).toISOString();
  const context = { ...(obj(e.context) ?? {}), nurture: scoreContext(msg, o) };
  // The spec's integrations map a tool to true, false or its options; other
  // values are left out rather than failing the call.
  const given = obj(e.integrations);
  const integrations = given ? Object.fromEntries(Object.entries(given).filter(([, v]) => typeof v === "boolean" || isObject(v))) : undefined;
  /** @type {Call} */
  const base = {
    messageId: msg.id,
    timestamp,
    ...(userId !== undefined ? { userId } : {}),
    anonymousId,
    context,
    ...(integrations ? { integrations } : {}),
  };
  const properties = obj(e.properties);
  const traits = obj(e.traits);
  /** @type {Call} */
  let call;
  const type = msg.kind === "signal" ? "track" : typeof e.type === "string" ? e.type : text(e.event) ? "track" : "";
  if (type === "track") call = { type, event: e.event, ...base, properties: properties ?? {} };
  else if (type === "page" || type === "screen") {
    const props = { ...(properties ?? {}) };
    // The spec's page properties are strings; a number sent as one is kept as its text.
    for (const k of PAGE_PROPERTIES) {
      if (props[k] === undefined || typeof props[k] === "string") continue;
      if (typeof props[k] === "number" || typeof props[k] === "boolean") props[k] = String(props[k]);
      else delete props[k];
    }
    call = { type, ...(text(e.name) ? { name: e.name } : {}), ...base, properties: props };
  } else if (type === "identify") call = { type, ...base, traits: { ...(properties ?? {}), ...(traits ?? {}) } };
  else if (type === "group" && text(e.groupId)) call = { type, groupId: e.groupId, ...base, traits: { ...(properties ?? {}), ...(traits ?? {}) } };
  // A group without an id (nurture takes firmographics that way): the
  // spec's place for a user's company is the identify trait `company`.
  else if (type === "group") call = { type: "identify", ...base, traits: { company: { ...(properties ?? {}), ...(traits ?? {}) } } };
  else if (type === "alias") call = { type, previousId: e.previousId, ...base, userId: e.userId };
  else call = { type: String(e.type), ...base };
  const calls = [call];
  if (msg.kind === "signal" && dest.identify !== false && msg.score && SCORE_SIGNALS.has(String(e.event))) {
    const s = msg.score;
    // sig_<visitor>_<update>_<slug>: the update, shared by its signals.
    const m = /^sig_(.+)_(\d+)_[a-z-]+$/.exec(msg.id);
    /** @type {Record<string, unknown>} */
    const scoreTraits = {
      nurture_grade: s.grade,
      nurture_fit: s.fit,
      nurture_engagement: s.engagement,
      nurture_mql: s.mql,
      nurture_stage: s.stage,
      nurture_tier: s.tier,
      nurture_fit_grade: s.fitGrade,
    };
    // The address CRMs match contacts on; a hashed one (HASH_EMAIL) would
    // be taken for an address and match nothing, so it is left out.
    if (typeof profile.email === "string" && !profile.email.startsWith("sha256:")) scoreTraits.email = profile.email;
    calls.push({
      type: "identify",
      messageId: m ? `idt_${m[1]}_${m[2]}` : `idt_${msg.id}`,
      timestamp,
      ...(userId !== undefined ? { userId } : {}),
      anonymousId,
      context: { nurture: scoreContext(msg, { full: false }) },
      traits: scoreTraits,
    });
  }
  return calls;
}

/**
 * UTF-8 length of a string (what Segment's limits count).
 * @param {string} s
 */
export function utf8Bytes(s) {
  // Most texts are ASCII: one native scan says so.
  if (!NON_ASCII.test(s)) return s.length;
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : c >= 0xd800 && c <= 0xdbff ? 0 : 1;
  }
  return n;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** @type {Format} */
export const segment = {
  encode(dest, msg) {
    /** @type {{key: string, text: string}[]} */
    const parts = [];
    const calls = toCalls(dest, msg);
    for (let i = 0; i < calls.length; i++) {
      let call = calls[i];
      let json = JSON.stringify(call);
      if (utf8Bytes(json) > MAX_CALL_BYTES) {
        // Over 32 KB: without the summary's lists first.
        call = toCalls(dest, msg, { full: false })[i];
        json = JSON.stringify(call);
      }
      const bytes = utf8Bytes(json);
      if (bytes > MAX_CALL_BYTES) return { refused: `a ${call.type} call of ${bytes} bytes: over the 32 KB a Segment call may take` };
      const problems = specProblems(call);
      if (problems.length) return { refused: `not a Segment ${String(call.type)} call: ${problems.join("; ")}` };
      parts.push({ key: String(call.messageId), text: json });
    }
    return { parts };
  },
  wrap: (_dest, parts, now) => `{"batch":[${parts.join(",")}],"sentAt":"${new Date(now).toISOString()}"}`,
  headers: (dest) => ({ authorization: `Basic ${btoa(`${dest.writeKey ?? ""}:`)}` }),
  // Segment's 500 KB, less room for the wrapper.
  maxBytes: MAX_BATCH_BYTES - 1024,
};
