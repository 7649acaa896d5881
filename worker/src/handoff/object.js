// @ts-check
// What the visitor's Durable Object (visitor.js) calls for the handoff, so
// that it only has to call: after each scored update, on its alarm, for
// outcomes and the export, and to keep the lead index current.

import { withCore } from "../core.js";
import { handoffOrNull } from "./config.js";
import { afterUpdate, handoffDue, onAlarm, applyOutcomes, convertedOf, excluded } from "./lead.js";
import { leadIndex, rowOf } from "./leads.js";

/**
 * @typedef {import("../config.js").Env} Env
 * @typedef {import("./lead.js").Lead} Lead
 * @typedef {import("./lead.js").Outcome} Outcome
 * @typedef {import("../enrich.js").Signal} Signal
 * @typedef {import("../enrich.js").Summary} Summary
 */

/**
 * The core's evalCondition, for program conditions.
 * @param {Env} env
 * @returns {(attributes: Record<string, unknown>, condition: import("nurture").TargetingCondition) => boolean}
 */
export function conditions(env) {
  return (attributes, condition) => withCore(env, ({ glue }) => glue.evalCondition(attributes, condition));
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
  return onAlarm(cfg, st, now, conditions(env), () => ({ segments: segments(), grade: st.last?.grade ?? null }));
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

/**
 * Sends the lead's row to the lead index when it changed since the last
 * one sent (a failure is logged and the row sent again next time).
 * @param {Env} env
 * @param {Lead} st
 */
export async function syncLeadIndex(env, st) {
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

/**
 * The lead record calibration reads: `{visitorId, profile, events,
 * converted, now}`. `events`: the events this visitor's object still holds
 * whole (see visitor.js: the score keeps running sums, not the history).
 * @param {Lead} st
 * @param {unknown[]} events
 * @param {number} now
 */
export function leadRecord(st, events, now) {
  return { visitorId: st.visitorId ?? null, profile: st.profile, events, converted: convertedOf(st.handoff), now };
}
