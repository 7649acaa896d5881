// @ts-check
// POST /v1/events: a batch of browser events for the visitor named by the
// signed token: the x-nurture-visitor header, else the body's `visitorToken`
// (a beacon from a page on another origin), else the cookie. Validated here (shape, size, depth) and by the core (event
// schema), deduplicated and re-scored by the visitor's Durable Object, then
// forwarded in the background (ctx.waitUntil).

import { HttpError, unwrap } from "../errors.js";
import { json, readJson, depthExceeds, segmentIp, cfAttributes } from "../http.js";
import { limitClient } from "../ratelimit.js";
import { b64url, VISITOR_ID } from "../token.js";
import { resolveVisitor, visitorHeaders, visitorStub } from "../identity.js";
import { eventMessages, wireCandidate } from "../visitor.js";
import { forwardSoon } from "../forward.js";
import { forwardIdOf } from "../exposure.js";
import { sha256 } from "../digest.js";
import { authorize } from "./admin.js";

/**
 * @typedef {import("../config.js").Env} Env
 * @typedef {import("../config.js").Settings} Settings
 * @typedef {import("../visitor.js").Candidate} Candidate
 * @typedef {import("../visitor.js").Channel} Channel
 * @typedef {import("../visitor.js").Ingested} Ingested
 * @typedef {{index: number, reason: string}} Rejected
 */

const TOP_LEVEL = new Set(["events", "consent", "sentAt", "context", "visitorToken"]);
// A score computed in the browser is never trusted; a body that carries one
// is refused outright so the mistake (or the forgery) is visible.
const SCORE_FIELDS = new Set(["score", "scores", "grade", "fit", "engagement", "tier", "stage", "mql"]);

/**
 * @param {unknown} v
 * @returns {v is Record<string, unknown>}
 */
function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * @param {unknown} body
 * @param {Settings} s
 * @returns {asserts body is {events: unknown[], consent?: boolean, sentAt?: string | number, context?: Record<string, unknown>, visitorToken?: string}}
 */
function checkBody(body, s) {
  if (!isPlainObject(body)) throw new HttpError("invalid_body", "the body must be a JSON object {events: [...]}");
  for (const key of Object.keys(body)) {
    if (SCORE_FIELDS.has(key)) throw new HttpError("client_score_rejected", `"${key}" is computed by the server; do not send it`);
    if (!TOP_LEVEL.has(key)) throw new HttpError("unknown_field", `unknown field "${key.slice(0, 40)}"`);
  }
  if (!("events" in body)) throw new HttpError("invalid_body", "the body has no events list");
  if (!Array.isArray(body.events)) throw new HttpError("invalid_field", "events: expected a list", { field: "events" });
  if (body.events.length === 0) throw new HttpError("empty_batch", "events: the list is empty");
  if (body.events.length > s.maxEvents) throw new HttpError("too_many_events", `events: at most ${s.maxEvents} per batch`);
  if (body.consent !== undefined && typeof body.consent !== "boolean") {
    throw new HttpError("invalid_field", "consent: expected true or false", { field: "consent" });
  }
  if (body.sentAt !== undefined && typeof body.sentAt !== "string" && typeof body.sentAt !== "number") {
    throw new HttpError("invalid_field", "sentAt: expected a timestamp", { field: "sentAt" });
  }
  if (body.visitorToken !== undefined && typeof body.visitorToken !== "string") {
    throw new HttpError("invalid_field", "visitorToken: expected the x-nurture-visitor token as a string", { field: "visitorToken" });
  }
  if (body.context !== undefined && (!isPlainObject(body.context) || depthExceeds(body.context, s.maxDepth))) {
    throw new HttpError("invalid_field", "context: expected a small object", { field: "context" });
  }
}

/**
 * Shape checks one batch's events and stamps who reported them: Segment's
 * `channel`, "browser" for what a page sent (whatever the page wrote there:
 * the model's back-office rules never count a browser's word) or "server"
 * for an authenticated back-office source. Returns the events refused here
 * and the candidates for the visitor's Durable Object. `indices`: each
 * event's index in the request, when `events` is part of it (the Segment
 * routes split a batch by visitor); `maxEventBytes`: the per-event cap
 * (default `MAX_EVENT_BYTES`).
 * @param {unknown[]} events
 * @param {string} visitorId
 * @param {Channel} channel
 * @param {Pick<Settings, "maxEventBytes" | "maxDepth">} s
 * @param {number} now
 * @param {number[]} [indices]
 * @param {boolean} [parsed] `events` are as JSON.parse gave them (the body of /v1/events), no copy through text needed
 */
export function prepare(events, visitorId, channel, s, now, indices, parsed = false) {
  /** @type {Rejected[]} */
  const rejected = [];
  /** @type {Candidate[]} */
  const candidates = [];
  for (const [at, raw] of events.entries()) {
    const index = indices?.[at] ?? at;
    if (!isPlainObject(raw)) {
      rejected.push({ index, reason: "event: expected an object" });
      continue;
    }
    const text = JSON.stringify(raw);
    // The cap is on bytes, as stored and forwarded; a string of CJK text is
    // three bytes a character.
    if (text.length * 3 > s.maxEventBytes && utf8Length(text) > s.maxEventBytes) {
      rejected.push({ index, reason: `event: larger than ${s.maxEventBytes} bytes` });
      continue;
    }
    if (depthExceeds(raw, s.maxDepth)) {
      rejected.push({ index, reason: `event: nested deeper than ${s.maxDepth} levels` });
      continue;
    }
    // A plain copy, prototype-free keys included: the text read back, or a
    // shallow copy when that gives the same (the events came straight from
    // JSON.parse, and the text holds no null, which is also what a number
    // out of range such as 1e999, Infinity once parsed, is written as).
    const shallow = parsed && !text.includes("null");
    const event = shallow ? { ...raw } : JSON.parse(text);
    // Segment's servers stamp an event that comes without a time; so do we.
    const stamped = event.timestamp === undefined || event.timestamp === null;
    if (stamped) event.timestamp = now;
    // The stamped event's text, which the visitor's object hands the core
    // (wireCandidate), made from the text above when the copy was shallow
    // and only `channel` comes last: JSON.stringify(event) would give the
    // same (the copy keeps the keys' order; the new key goes after them).
    const stampedText = shallow && !stamped && !Object.hasOwn(raw, "channel")
      ? `${text.length > 2 ? `${text.slice(0, -1)},` : "{"}"channel":"${channel}"}`
      : undefined;
    event.channel = channel;
    const given = event.messageId ?? event.id;
    // The core accepts a string or a number as messageId; anything else it
    // rejects (with the content hash standing in as the id meanwhile).
    const id = typeof given === "string" && given !== "" && given.length <= 200
      ? given
      : typeof given === "number" && Number.isFinite(given)
        ? String(given)
        : `h_${b64url(sha256(text)).slice(0, 27)}`;
    // The collector's Idempotency-Key: unique per visitor and event, so one
    // visitor cannot collide with (or suppress) another's messageIds.
    const forwardId = forwardIdOf(visitorId, id);
    candidates.push(stampedText === undefined ? { index, id, forwardId, event } : { index, id, forwardId, event, text: stampedText });
  }
  return { rejected, candidates };
}

const encoder = new TextEncoder();

/** @param {string} text */
function utf8Length(text) {
  return encoder.encode(text).byteLength;
}

/**
 * Stores, scores and forwards the candidates in the visitor's object; the batch's answer.
 * `outbox`: when given, the messages to forward are added to it instead of
 * sent here, so a request with many visitors' batches (the Segment routes)
 * forwards them in one go.
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 * @param {{visitorId: string, channel: Channel, rejected: Rejected[], candidates: Candidate[], now: number, trap: boolean}} batch
 * @param {import("../enrich.js").ForwardMessage[]} [outbox]
 */
export async function ingest(request, env, ctx, s, { visitorId, channel, rejected, candidates, now, trap }, outbox) {
  /** @type {Omit<Ingested, "ok" | "coreRestarts"> & {coreRestarts?: number}} */
  let out = { accepted: [], rejected: [], duplicates: [], unscored: [], score: null, forward: [], segments: null, signals: [] };
  if (candidates.length) {
    // The collector's keys stay here, where the messages are built.
    const sent = candidates.map(wireCandidate);
    out = unwrap(await visitorStub(env, visitorId).ingest({ visitorId, channel, candidates: sent, now, trap, ip: segmentIp(request, s), cf: cfAttributes(request) }));
  }
  const allRejected = rejected.concat(out.rejected).sort((a, b) => a.index - b.index);
  if (out.accepted.length === 0 && out.duplicates.length === 0) {
    throw new HttpError("no_valid_events", "no event in the batch is valid", { rejected: allRejected });
  }
  const forward = eventMessages(candidates, out, visitorId, now).concat(out.forward);
  if (outbox) outbox.push(...forward);
  else if (forward.length) ctx.waitUntil(forwardSoon(env, forward));
  const score = out.score && {
    grade: out.score.grade, tier: out.score.tier, stage: out.score.stage,
    fit: out.score.fit, engagement: out.score.engagement, mql: out.score.mql,
  };
  return {
    visitorId,
    accepted: out.accepted,
    rejected: allRejected,
    duplicates: out.duplicates,
    // Accepted, stored and forwarded, but worth no points from this source
    // (a back-office action reported by a browser), each with the reason.
    unscored: out.unscored,
    score,
    signals: out.signals,
    coreRestarts: out.coreRestarts,
  };
}

/**
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 */
export async function events(request, env, ctx, s) {
  limitClient(request, s);
  const body = await readJson(request, s);
  checkBody(body, s);
  const consent = body.consent === true || (!s.consentRequired && body.consent !== false);
  if (!consent) {
    // Nothing is stored, forwarded or set (not even the visitor cookie).
    return json({ consent: false, stored: false, forwarded: false, accepted: [], rejected: [], duplicates: [], ignored: body.events.length });
  }
  const who = await resolveVisitor(request, env, s, { bodyToken: body.visitorToken });
  const now = Date.now();
  const { rejected, candidates } = prepare(body.events, who.visitorId, "browser", s, now, undefined, true);
  const trap = s.testHooks && request.headers.get("x-nurture-test-trap") === "1";
  const answer = await ingest(request, env, ctx, s, { visitorId: who.visitorId, channel: "browser", rejected, candidates, now, trap });
  return json(answer, 200, visitorHeaders(who, s));
}

/**
 * POST /v1/admin/events {visitorId, events}: events a back-office system
 * reports for a visitor (the CRM's "Webinar Attended", the e-mail tool's
 * "Email Clicked", a badge scan at a trade show), behind INGEST_TOKEN or
 * ADMIN_TOKEN. The only way a rule marked `"source": "server"` scores, and
 * `identify` traits from here count for fit as a validated form's fields do.
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 */
export async function serverEvents(request, env, ctx, s) {
  await authorize(request, env, ["INGEST_TOKEN", "ADMIN_TOKEN"]);
  const body = await readJson(request, s);
  if (!isPlainObject(body)) throw new HttpError("invalid_body", "the body must be a JSON object {visitorId, events: [...]}");
  for (const key of Object.keys(body)) {
    if (key !== "visitorId" && key !== "events") throw new HttpError("unknown_field", `unknown field "${key.slice(0, 40)}"`);
  }
  if (typeof body.visitorId !== "string" || !VISITOR_ID.test(body.visitorId)) {
    throw new HttpError("invalid_field", "visitorId: expected a visitor id (22 characters of [A-Za-z0-9_-])", { field: "visitorId" });
  }
  const batch = { events: body.events };
  checkBody(batch, s);
  const now = Date.now();
  const { rejected, candidates } = prepare(batch.events, body.visitorId, "server", s, now, undefined, true);
  return json(await ingest(request, env, ctx, s, { visitorId: body.visitorId, channel: "server", rejected, candidates, now, trap: false }));
}
