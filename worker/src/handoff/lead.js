// @ts-check
// A lead's handoff state, kept in its visitor's Durable Object next to the
// score (state.handoff), and every change to it: qualification and routing,
// the follow-up timer (recycling), the outcomes sales reports back, and the
// programs. Everything here is synchronous over the state: the object calls
// it between loading its state and writing it, like the rest of an update.
//
// Signals and their ids (the collector's idempotency keys), each fixed by
// what it is about, never by when it was computed, so one computed again
// (an alarm retried after a crash, a message resent) is dropped by the
// collector's dedup (<epoch>: when this state began, base 36):
//   Lead Qualified       as before (sig_<visitor>_<update>_lead-qualified), with `route`
//   Lead Recycled        sig_<visitor>_<epoch>_recycle-<n>: the n-th recycling
//   Returned to Nurture  sig_<visitor>_<epoch>_outcome-<digest of the outcome id>
//   Program Entered      sig_<visitor>_<epoch>_program-<name>-<entry>-entered
//   Program Exited       sig_<visitor>_<epoch>_program-<name>-<entry>-exited

import { signal } from "../enrich.js";
import { sha256Hex } from "../digest.js";
import { routeLead } from "./routing.js";
import { attributesOf, evaluatePrograms } from "./programs.js";

/**
 * @typedef {import("./config.js").Handoff} Handoff
 * @typedef {import("./routing.js").Route} Route
 * @typedef {import("./programs.js").Membership} Membership
 * @typedef {import("../enrich.js").Summary} Summary
 * @typedef {import("../enrich.js").Signal} Signal
 * @typedef {import("nurture").TargetingCondition} TargetingCondition
 * @typedef {"accepted" | "rejected" | "returned" | "opportunity" | "won" | "lost"} OutcomeKind
 * @typedef {"nurture" | "routed" | "sales" | "opportunity" | "won" | "lost"} Status
 */

/**
 * An outcome as stored: as sales reported it, and when it arrived.
 * @typedef {object} Outcome
 * @property {string} id
 * @property {OutcomeKind} outcome
 * @property {number} at
 * @property {string} [owner]
 * @property {string} [reason]
 * @property {number} receivedAt
 */

/**
 * @typedef {object} HandoffState
 * @property {Status} status
 * @property {number} firstSeen
 * @property {number | null} knownAt when the profile first had an e-mail address
 * @property {string | null} emailHash SHA-256 hex of the trimmed, lower-cased address
 * @property {number | null} qualifiedAt
 * @property {string | null} grade the grade when last updated
 * @property {Route | null} route
 * @property {number | null} routedAt
 * @property {number | null} dueAt when the route's SLA runs out without an `accepted` (null: no timer)
 * @property {string[]} timedOut rules whose SLA ran out for this lead
 * @property {string[]} [segments] the visitor's segments when it qualified (with its address: a named account's IP range), for routing it again
 * @property {number} recycles
 * @property {number | null} acceptedAt the first `accepted` outcome's time
 * @property {OutcomeKind | null} lastOutcome
 * @property {string | null} nurtureReason why the lead is back in nurture (an outcome's reason, or "sla")
 * @property {Outcome[]} outcomes oldest first, at most MAX_OUTCOMES
 * @property {Record<string, Membership>} programs
 * @property {number} evaluatedAt when programs were last evaluated
 * @property {number} engagementRise
 * @property {string | null} indexed what the lead index last stored for this lead (leads.js)
 * @property {{next: number, chunks: [number, number][]}} [log] the export's event log: storage keys `log:<n>`, one per batch, with their event counts (object.js)
 */

/**
 * What `afterUpdate` and the others read of the visitor's state.
 * @typedef {object} Lead
 * @property {string} [visitorId]
 * @property {Record<string, import("nurture").Json>} profile
 * @property {Summary | null} last
 * @property {number} lastActivity
 * @property {number} seq
 * @property {HandoffState} [handoff]
 */

export const MAX_OUTCOMES = 200;
const EXCLUDED = new Set(["sales", "opportunity", "won", "lost"]);
/** @type {Record<OutcomeKind, Status>} */
const STATUS_OF = { accepted: "sales", opportunity: "opportunity", won: "won", lost: "lost", rejected: "nurture", returned: "nurture" };

/**
 * @param {number} now
 * @returns {HandoffState}
 */
function fresh(now) {
  return {
    status: "nurture", firstSeen: now, knownAt: null, emailHash: null, qualifiedAt: null, grade: null,
    route: null, routedAt: null, dueAt: null, timedOut: [], recycles: 0, acceptedAt: null, lastOutcome: null,
    nurtureReason: null, outcomes: [], programs: {}, evaluatedAt: now, engagementRise: 0, indexed: null,
  };
}

/**
 * The lead's handoff state, made on first use.
 * @param {Lead} st
 * @param {number} now
 */
export function handoffOf(st, now) {
  st.handoff ??= fresh(st.lastActivity > 0 ? Math.min(st.lastActivity, now) : now);
  return st.handoff;
}

/** @param {HandoffState} h */
export const excluded = (h) => EXCLUDED.has(h.status);

/** @param {unknown} email */
export function emailHashOf(email) {
  return typeof email === "string" && email.includes("@") ? sha256Hex(email.trim().toLowerCase()) : null;
}

/**
 * A signal with an id fixed by what it is about.
 * @param {Lead} st
 * @param {number} now
 * @param {string} key
 * @param {string} name
 * @param {Record<string, unknown>} properties
 * @param {{segments?: string[], primarySegment?: string | null}} [seg]
 * @returns {Signal}
 */
function keyed(st, now, key, name, properties, seg = {}) {
  const visitorId = /** @type {string} */ (st.visitorId);
  const msg = signal({ visitorId, now, seq: st.seq, summary: st.last, profile: st.profile, ...seg }, name, properties);
  // The state's start (base 36) keeps ids apart from those of an earlier
  // state under the same visitor id (one deleted by retention).
  const epoch = (st.handoff?.firstSeen ?? 0).toString(36);
  return { ...msg, id: `sig_${visitorId}_${epoch}_${key}` };
}

/**
 * Program transitions now, as signals; none while the lead is excluded.
 * @param {Handoff} cfg
 * @param {Lead} st
 * @param {number} now
 * @param {(attributes: Record<string, unknown>, condition: TargetingCondition) => boolean} holds
 * @param {{segments?: string[], primarySegment?: string | null}} [seg]
 */
export function runPrograms(cfg, st, now, holds, seg) {
  const h = handoffOf(st, now);
  h.evaluatedAt = now;
  if (excluded(h) || cfg.programs.length === 0) return [];
  const attributes = attributesOf({ summary: st.last, profile: st.profile, h, lastActivity: st.lastActivity, now });
  return evaluatePrograms(cfg.programs, h.programs, attributes, holds, now).map((t) =>
    keyed(st, now, `program-${t.program}-${t.entry}-${t.change}`, t.change === "entered" ? "Program Entered" : "Program Exited", {
      program: t.program,
      entry: t.entry,
      ...(t.change === "exited" ? { enteredAt: new Date(t.since).toISOString() } : {}),
    }, seg));
}

/**
 * After a scored update (a batch, a form): remembers when the lead became
 * known, routes it when this update qualified it (the Lead Qualified signal
 * gets `route` and `acceptBy`), and runs the programs. `st.last` is still
 * the previous summary; `summary` and `profile` the new ones.
 * @param {Handoff} cfg
 * @param {Lead} st
 * @param {object} u
 * @param {Summary} u.summary
 * @param {Record<string, import("nurture").Json>} u.profile
 * @param {Signal[]} u.signals the update's lifecycle signals
 * @param {{segments: string[], primarySegment: string | null}} u.seg
 * @param {number} u.now
 * @param {(attributes: Record<string, unknown>, condition: TargetingCondition) => boolean} u.holds
 * @returns {Signal[]} the program signals to send as well
 */
export function afterUpdate(cfg, st, { summary, profile, signals, seg, now, holds }) {
  const h = handoffOf(st, now);
  h.engagementRise = Math.round((summary.engagement - (st.last?.engagement ?? 0)) * 100) / 100;
  h.grade = summary.grade;
  const hash = emailHashOf(profile.email);
  if (hash !== null) {
    h.emailHash = hash;
    h.knownAt ??= now;
  }
  const qualified = signals.find((x) => x.event.event === "Lead Qualified");
  if (qualified) {
    h.qualifiedAt ??= now;
    h.segments = seg.segments;
    if (cfg.routing && !excluded(h)) {
      const r = routeLead(cfg.routing, { profile, grade: summary.grade, segments: seg.segments });
      if (r) {
        setRoute(h, r, now);
        qualified.event.properties = { ...qualified.event.properties, route: r.route, acceptBy: h.dueAt !== null ? new Date(h.dueAt).toISOString() : null };
      }
    }
  }
  // The programs read the new score: what `st` will hold once written.
  const view = { ...st, last: summary, profile, lastActivity: now };
  return runPrograms(cfg, view, now, holds, seg);
}

/**
 * @param {HandoffState} h
 * @param {{route: Route, slaMs: number | null}} r
 * @param {number} now
 */
function setRoute(h, r, now) {
  h.route = r.route;
  h.routedAt = now;
  h.dueAt = r.slaMs !== null ? now + r.slaMs : null;
  h.status = "routed";
  h.nurtureReason = null;
}

/**
 * When the handoff next needs the alarm: the SLA's end for a routed lead,
 * the next program evaluation for a known lead not excluded; null: never.
 * @param {Handoff | null} cfg
 * @param {Lead} st
 */
export function handoffDue(cfg, st) {
  const h = st.handoff;
  if (!cfg || !h) return null;
  const due = [];
  if (h.status === "routed" && h.dueAt !== null) due.push(h.dueAt);
  if (cfg.programs.length && !excluded(h) && (h.knownAt !== null || h.qualifiedAt !== null)) due.push(h.evaluatedAt + cfg.evaluateEveryMs);
  return due.length ? Math.min(...due) : null;
}

/**
 * The alarm's part for the handoff, when it is due: a routed lead whose
 * SLA ran out is recycled (Lead Recycled; routed again past the rules that
 * timed out, or back to nurture, as configured; counted), and the programs
 * are evaluated (time passing is what changes their conditions here).
 * @param {Handoff} cfg
 * @param {Lead} st
 * @param {number} now
 * @param {(attributes: Record<string, unknown>, condition: TargetingCondition) => boolean} holds
 * @param {(route: Route | null) => {segments: string[], grade: string | null}} lead what routing reads besides the profile
 * @returns {Signal[]}
 */
export function onAlarm(cfg, st, now, holds, lead) {
  const h = handoffOf(st, now);
  /** @type {Signal[]} */
  const out = [];
  if (cfg.routing && h.status === "routed" && h.dueAt !== null && h.dueAt <= now && h.route) {
    const from = h.route;
    h.recycles += 1;
    h.timedOut = [...new Set([...h.timedOut, from.rule])];
    const { segments, grade } = lead(from);
    const next = cfg.routing.onTimeout === "reroute" && h.recycles <= cfg.routing.maxRecycles
      ? routeLead(cfg.routing, { profile: st.profile, grade, segments }, h.timedOut)
      : null;
    const slaMs = h.dueAt - (h.routedAt ?? h.dueAt);
    if (next) setRoute(h, next, now);
    else {
      h.status = "nurture";
      h.dueAt = null;
      h.nurtureReason = "sla";
    }
    out.push(keyed(st, now, `recycle-${h.recycles}`, "Lead Recycled", {
      from,
      to: next ? next.route : null,
      action: next ? "rerouted" : "nurture",
      recycles: h.recycles,
      slaSeconds: slaMs / 1000,
      routedAt: h.routedAt !== null ? new Date(h.routedAt).toISOString() : null,
      acceptBy: next && h.dueAt !== null ? new Date(h.dueAt).toISOString() : null,
    }));
  }
  if (h.evaluatedAt + cfg.evaluateEveryMs <= now || out.length) out.push(...runPrograms(cfg, st, now, holds));
  return out;
}

/**
 * Outcomes sales reported for this lead, each taken once by its id. The
 * lead's status follows its latest outcome (by `at`, then arrival):
 * `accepted`, `opportunity`, `won` and `lost` exclude it from programs (no
 * program signal from then on, and its memberships end without one);
 * `rejected` and `returned` put it back into nurture with the reason
 * (`Returned to Nurture`) and its programs are evaluated again.
 * @param {Handoff | null} cfg
 * @param {Lead} st
 * @param {Omit<Outcome, "receivedAt">[]} items
 * @param {number} now
 * @param {(attributes: Record<string, unknown>, condition: TargetingCondition) => boolean} holds
 * @returns {{results: ("accepted" | "duplicate")[], forward: Signal[]}}
 */
export function applyOutcomes(cfg, st, items, now, holds) {
  const h = handoffOf(st, now);
  const have = new Set(h.outcomes.map((o) => o.id));
  /** @type {("accepted" | "duplicate")[]} */
  const results = [];
  /** @type {Outcome[]} */
  const added = [];
  for (const item of items) {
    if (have.has(item.id)) {
      results.push("duplicate");
      continue;
    }
    have.add(item.id);
    const o = { ...item, receivedAt: now };
    added.push(o);
    results.push("accepted");
  }
  if (added.length === 0) return { results, forward: [] };
  h.outcomes = h.outcomes.concat(added).sort((a, b) => a.at - b.at || a.receivedAt - b.receivedAt).slice(-MAX_OUTCOMES);
  for (const o of added) if (o.outcome === "accepted") h.acceptedAt = h.acceptedAt === null ? o.at : Math.min(h.acceptedAt, o.at);
  const latest = /** @type {Outcome} */ (h.outcomes.at(-1));
  const wasExcluded = excluded(h);
  h.lastOutcome = latest.outcome;
  h.status = STATUS_OF[latest.outcome];
  /** @type {Signal[]} */
  const forward = [];
  if (excluded(h)) {
    h.dueAt = null;
    h.nurtureReason = null;
    // Sales owns the lead: its programs end here, silently (the outcome
    // itself, from the CRM, is what stops the other systems' nurturing).
    for (const m of Object.values(h.programs)) m.in = false;
  } else if (added.includes(latest)) {
    h.dueAt = null;
    h.nurtureReason = latest.reason ?? latest.outcome;
    forward.push(keyed(st, now, `outcome-${sha256Hex(latest.id).slice(0, 24)}`, "Returned to Nurture", {
      outcome: latest.outcome,
      reason: h.nurtureReason,
      owner: latest.owner ?? null,
      route: h.route,
      at: new Date(latest.at).toISOString(),
    }));
    if (cfg) forward.push(...runPrograms(cfg, st, now, holds));
  } else if (wasExcluded) {
    h.dueAt = null;
  }
  return { results, forward };
}

/**
 * A lead's `converted` label for calibration (the export): true once an
 * `opportunity` or `won` outcome was reported; false otherwise (`lost`,
 * `rejected`, `returned`, or accepted and nothing since).
 * @param {HandoffState | undefined} h
 */
export function convertedOf(h) {
  return !!h && h.outcomes.some((o) => o.outcome === "opportunity" || o.outcome === "won");
}
