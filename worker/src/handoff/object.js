// @ts-check
// What the visitor's Durable Object (visitor.js) calls for the handoff, so
// that it only has to call: after each scored update, on its alarm, for
// outcomes and the export, and to keep the lead index current.

import { withCore } from "../core.js";
import { handoffOrNull } from "./config.js";
import { settings } from "../config.js";
import { tsOf } from "../enrich.js";
import { afterUpdate, handoffDue, onAlarm, applyOutcomes, convertedOf, excluded, handoffOf } from "./lead.js";
import { leadIndex, rowOf } from "./leads.js";

/**
 * @typedef {import("../config.js").Env} Env
 * @typedef {import("./lead.js").Lead} Lead
 * @typedef {import("./lead.js").Outcome} Outcome
 * @typedef {import("../enrich.js").Signal} Signal
 * @typedef {import("../enrich.js").Summary} Summary
 */

/**
 * Program conditions, each compiled once by the core and evaluated here.
 * @param {Env} env
 * @returns {(attributes: Record<string, unknown>, condition: import("nurture").TargetingCondition) => boolean}
 */
export function conditions(env) {
  return (attributes, condition) => withCore(env, (core) => core.condition(condition).eval(attributes));
}

/**
 * After a scored update, before `st.last` becomes `u.summary`: the program
 * signals to send as well (Lead Qualified, in `u.signals`, gets its route).
 * @param {Env} env
 * @param {Lead} st
 * @param {{summary: Summary, profile: Record<string, import("nurture").Json>, signals: Signal[], seg: {segments: string[], primarySegment: string | null}, now: number}} u
 * @returns {Signal[]}
 */
export function handoffAfterUpdate(env, st, u) {
  const cfg = handoffOrNull(env);
  if (!cfg) return [];
  return afterUpdate(cfg, st, { ...u, holds: conditions(env) });
}

/**
 * @param {Env} env
 * @param {Lead} st
 */
export function handoffDueOf(env, st) {
  return handoffDue(handoffOrNull(env), st);
}

/**
 * Whether automated nurturing has stopped for this lead (sales owns it):
 * the re-engagement signal is not sent either.
 * @param {Lead} st
 */
export function nurtureStopped(st) {
  return !!st.handoff && excluded(st.handoff);
}

/**
 * The alarm's handoff signals (recycling, programs over time), if due.
 * @param {Env} env
 * @param {Lead} st
 * @param {number} now
 * @param {() => string[]} segments the visitor's segments now (routing reads them)
 * @returns {Signal[]}
 */
export function handoffAlarm(env, st, now, segments) {
  const cfg = handoffOrNull(env);
  const due = handoffDue(cfg, st);
  if (!cfg || due === null || due > now) return [];
  // The segments it qualified with: an alarm has no request, so no address
  // to match a named account's range with.
  return onAlarm(cfg, st, now, conditions(env), () => ({ segments: st.handoff?.segments ?? segments(), grade: st.last?.grade ?? null }));
}

/**
 * @param {Env} env
 * @param {Lead} st
 * @param {Omit<Outcome, "receivedAt">[]} items
 * @param {number} now
 */
export function outcomesFor(env, st, items, now) {
  return applyOutcomes(handoffOrNull(env), st, items, now, conditions(env));
}

/** @type {WeakMap<Lead, Promise<void>>} the index update under way, per state */
const syncing = new WeakMap();

/**
 * Sends the lead's row to the lead index when it changed since the last
 * one sent (a failure is logged and the row sent again next time). One at
 * a time per state, each reading the state when it runs: two updates that
 * overlap cannot leave the older row in the index.
 * @param {Env} env
 * @param {Lead} st
 */
export function syncLeadIndex(env, st) {
  const next = (syncing.get(st) ?? Promise.resolve()).then(() => sendRow(env, st));
  syncing.set(st, next);
  return next;
}

/**
 * @param {Env} env
 * @param {Lead} st
 */
async function sendRow(env, st) {
  const h = st.handoff;
  if (!h || !st.visitorId) return;
  const row = rowOf(st.visitorId, h, convertedOf(h));
  if (row === null) return;
  const text = JSON.stringify(row);
  if (text === h.indexed) return;
  try {
    await leadIndex(env).indexPut(row);
    h.indexed = text;
  } catch (err) {
    console.error("lead index", err instanceof Error ? err.message : String(err));
  }
}

/**
 * Removes a visitor from the lead index (erasure, retention).
 * @param {Env} env
 * @param {string | undefined} visitorId
 */
export async function unindexLead(env, visitorId) {
  if (!visitorId) return;
  try {
    await leadIndex(env).indexRemove(visitorId);
  } catch (err) {
    // Erasure goes on: the row holds no address, only its hash and the
    // pipeline figures; the failure is logged for the operator.
    console.error("lead index: could not remove", visitorId, err instanceof Error ? err.message : String(err));
  }
}

// The export's event log. The score keeps running sums, not the history
// (visitor.js), so with a handoff document the object also keeps the
// accepted events of each batch under a storage key of its own (`log:<n>`),
// the newest LOG_EVENTS at most, for the labelled export. They go with the
// rest of the storage on erasure and at the end of retention, and events
// older than RETENTION_DAYS are left out of the export.
export const LOG_EVENTS = 500;

/**
 * Logs a batch's accepted events; returns the storage keys to delete (the
 * oldest chunks beyond LOG_EVENTS). Nothing without a handoff document.
 * @param {Env} env
 * @param {Lead} st
 * @param {DurableObjectStorage} storage
 * @param {unknown[]} events
 * @param {number} now
 */
export function logEvents(env, st, storage, events, now) {
  if (events.length === 0 || !handoffOrNull(env)) return;
  const h = handoffOf(st, now);
  const log = (h.log ??= { next: 0, chunks: [] });
  storage.put(`log:${log.next}`, events);
  log.chunks.push([log.next, events.length]);
  log.next += 1;
  let total = log.chunks.reduce((n, [, c]) => n + c, 0);
  /** @type {string[]} */
  const drop = [];
  while (log.chunks.length > 1 && total - log.chunks[0][1] >= LOG_EVENTS) {
    const [n, c] = /** @type {[number, number]} */ (log.chunks.shift());
    drop.push(`log:${n}`);
    total -= c;
  }
  if (drop.length) storage.delete(drop);
}

/**
 * The lead record calibration reads, `{id, profile, events, converted,
 * now}`: the visitor id, the stored profile, the logged events within retention (oldest first),
 * and `converted` from the outcomes (convertedOf). Null without state.
 * @param {Env} env
 * @param {Lead} st
 * @param {DurableObjectStorage} storage
 * @param {number} now
 */
export async function leadRecord(env, st, storage, now) {
  const chunks = st.handoff?.log?.chunks ?? [];
  /** @type {Map<string, unknown[]>} */
  const got = chunks.length ? await storage.get(chunks.map(([n]) => `log:${n}`)) : new Map();
  const keep = settings(env).retentionMs;
  const events = chunks.flatMap(([n]) => got.get(`log:${n}`) ?? [])
    .filter((e) => keep === 0 || tsOf(/** @type {{timestamp?: unknown}} */ (e)) >= now - keep);
  return { id: st.visitorId ?? null, profile: st.profile, events, converted: convertedOf(st.handoff), now };
}
