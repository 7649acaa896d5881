// @ts-check
import { withCore } from "./core.js";
import { settings } from "./config.js";
import { documents } from "./source.js";

// What the collector receives: the event as the browser sent it plus the
// server's own score, and lifecycle signals as their own events.

/**
 * @typedef {import("./config.js").Env} Env
 */

/**
 * The score as stored and forwarded: small enough to ride along with every
 * forwarded event. Its first fields are the core's `ScoreSummary`, what
 * decisions read, built in Rust exactly as the page builds its own; the
 * explanation (`fitGrade`, `breakdown`, `model`) rides along. The core
 * builds it whole (`model.forwardedScore`, src/score/forwarded.rs).
 * @typedef {object} Summary
 * @property {number} fit
 * @property {import("nurture").FitGrade} fitGrade
 * @property {number} engagement
 * @property {import("nurture").Grade} grade
 * @property {import("nurture").Tier} tier
 * @property {import("nurture").Stage} stage
 * @property {boolean} mql
 * @property {{tag: string, share: number}[]} interests every tag with its share, strongest first
 * @property {{fit: RulePoints[], engagement: RulePoints[]}} breakdown
 * @property {string} [model]
 * @typedef {{rule: string, points: number}} RulePoints
 */

/**
 * What the collector receives, one per accepted event or signal; `id` is
 * its idempotency key.
 * @typedef {object} ForwardMessage
 * @property {"event" | "signal"} kind
 * @property {string} id
 * @property {string} visitorId
 * @property {number} receivedAt
 * @property {{[key: string]: unknown, type?: unknown}} event
 * @property {Summary | null} score
 * @property {Record<string, unknown>} [profile]
 * @property {string[]} [segments]
 * @property {string | null} [primarySegment]
 */

/**
 * A lifecycle signal: a message of its own, a track event named after it.
 * @typedef {ForwardMessage & {kind: "signal", event: import("nurture").TrackEvent}} Signal
 */

/**
 * What every signal of one update shares.
 * @typedef {object} SignalBase
 * @property {string} visitorId
 * @property {number} now
 * @property {number} seq the update's number (the visitor's Durable Object counts them)
 * @property {Summary | null} summary
 * @property {Record<string, unknown>} profile
 * @property {string[]} [segments]
 * @property {string | null} [primarySegment]
 */

/**
 * A lifecycle signal. Its id is fixed by the visitor and the update that
 * caused it (updates are numbered by the visitor's Durable Object), so a
 * retried delivery carries the same id (the collector's idempotency key).
 * @param {SignalBase} base
 * @param {string} name
 * @param {Record<string, unknown>} properties
 * @returns {Signal}
 */
export function signal({ visitorId, now, seq, summary, profile, segments, primarySegment }, name, properties) {
  const slug = name.toLowerCase().replace(/[^a-z]+/g, "-");
  return {
    kind: "signal",
    id: `sig_${visitorId}_${seq}_${slug}`,
    visitorId,
    receivedAt: now,
    event: { type: "track", event: name, timestamp: new Date(now).toISOString(), properties },
    profile,
    score: summary,
    ...(segments ? { segments, primarySegment: primarySegment ?? null } : {}),
  };
}

/**
 * Lifecycle signals of one update: what changed since the last summary.
 * @param {SignalBase & {summary: Summary}} base
 * @param {Summary | null} prev
 * @param {string} mqlReason why the visitor qualifies (`model.forwardedScore`'s)
 */
export function lifecycle(base, prev, mqlReason) {
  const { summary } = base;
  const out = [];
  if (summary.mql && !(prev && prev.mql)) out.push(signal(base, "Lead Qualified", { reason: mqlReason }));
  if (prev && prev.stage !== summary.stage) out.push(signal(base, "Stage Changed", { from: prev.stage, to: summary.stage }));
  if (prev && prev.grade !== summary.grade) out.push(signal(base, "Grade Changed", { from: prev.grade, to: summary.grade }));
  return out;
}

/** @param {{timestamp?: unknown} | null | undefined} event */
export function tsOf(event) {
  const t = event?.timestamp;
  return typeof t === "number" ? t : Date.parse(/** @type {string} */ (t)) || 0;
}

/** @type {Map<string, number>} model text → its inactivity period in ms */
const inactivityMs = new Map();

/**
 * REENGAGE_AFTER_MS, else the model's inactivity period (afterDays).
 * @param {Env} env
 */
export function reengageAfterMs(env) {
  const set = settings(env).reengageAfterMs;
  if (set > 0) return set;
  const text = documents(env).model;
  let ms = inactivityMs.get(text);
  if (ms !== undefined) return ms;
  /** @type {import("nurture").ModelConfig | null} */
  let doc = null;
  if (text !== "") {
    try {
      doc = JSON.parse(text);
    } catch {
      return 0;
    }
  }
  if (doc === null) doc = withCore(env, ({ glue }) => glue.defaultModel());
  const days = Number(doc?.engagement?.inactivity?.afterDays ?? 0);
  ms = Number.isFinite(days) && days > 0 ? days * 86_400_000 : 0;
  inactivityMs.set(text, ms);
  return ms;
}
