// @ts-check
// Nurture programs: each has an entry and an exit condition in the
// condition language of the site config (GrowthBook's, evaluated by the
// core: `evalCondition`), over what is known of the lead (attributesOf).
// A lead enters a program when its entry condition holds (and its exit
// condition does not) and it is not in it, and leaves when the exit
// condition holds (by default: when the entry condition no longer holds). Each entry is numbered, and its signals carry
// ids fixed by the visitor, the program and that number, so a signal
// computed twice (an alarm retried, a message resent) reaches the collector
// once: `Program Entered` and `Program Exited` exactly once per entry.
// Leads that sales owns (an `accepted` outcome and every later one) are
// excluded: nothing is evaluated for them and no program signal is sent.

/**
 * @typedef {import("./config.js").Program} Program
 * @typedef {import("nurture").TargetingCondition} TargetingCondition
 * @typedef {{in: boolean, entries: number, since: number}} Membership
 */

const DAY = 86_400_000;

/**
 * The default set, from the source documents (seed 000): welcome for a
 * newly known lead, acceleration while engagement rises short of MQL,
 * re-engagement after 30 days without activity, renewal 90, 60 and 30 days
 * before the profile's `renewalDate` (a missing date must not compare as
 * 0: hence `$exists`).
 * @type {Program[]}
 */
export const DEFAULT_PROGRAMS = [
  {
    name: "welcome",
    entry: { "lead.known": true, "days.sinceKnown": { $lt: 14 } },
    exit: { "days.sinceKnown": { $gte: 14 } },
  },
  {
    name: "acceleration",
    entry: { "lead.known": true, "score.mql": false, engagementRise: { $gt: 0 }, "days.sinceLastActivity": { $lt: 7 } },
    exit: { $or: [{ "score.mql": true }, { "days.sinceLastActivity": { $gte: 14 } }] },
  },
  {
    name: "re-engagement",
    entry: { "lead.known": true, "days.sinceLastActivity": { $gte: 30 } },
    exit: null,
  },
  { name: "renewal-90", entry: { "daysUntil.renewalDate": { $exists: true, $gt: 60, $lte: 90 } }, exit: null },
  { name: "renewal-60", entry: { "daysUntil.renewalDate": { $exists: true, $gt: 30, $lte: 60 } }, exit: null },
  { name: "renewal-30", entry: { "daysUntil.renewalDate": { $exists: true, $gte: 0, $lte: 30 } }, exit: null },
];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * What program conditions read, as nested attributes named by dotted
 * paths (GrowthBook's): `score.*` (fit, engagement, grade, fitGrade, tier,
 * stage, mql), `profile.*` (the stored profile), `lead.*` (known, status,
 * lastOutcome, recycles, queue, owner, nurtureReason),
 * `days.sinceFirstSeen`, `days.sinceLastActivity`, `days.sinceKnown` (null
 * until known), `daysUntil.<field>` for every profile field holding a date
 * (whole days, negative once past), `engagementRise` (engagement now minus
 * at the update before).
 * @param {object} lead
 * @param {import("../enrich.js").Summary | null} lead.summary
 * @param {Record<string, unknown>} lead.profile
 * @param {import("./lead.js").HandoffState} lead.h
 * @param {number} lead.lastActivity
 * @param {number} lead.now
 * @returns {Record<string, unknown>}
 */
export function attributesOf({ summary, profile, h, lastActivity, now }) {
  /** @type {Record<string, number>} */
  const daysUntil = {};
  for (const [k, v] of Object.entries(profile)) {
    if (typeof v === "string" && ISO_DATE.test(v)) {
      const t = Date.parse(v);
      if (Number.isFinite(t)) daysUntil[k] = Math.floor((t - now) / DAY);
    }
  }
  return {
    score: summary
      ? { fit: summary.fit, engagement: summary.engagement, grade: summary.grade, fitGrade: summary.fitGrade, tier: summary.tier, stage: summary.stage, mql: summary.mql }
      : {},
    profile,
    lead: {
      known: h.knownAt !== null,
      status: h.status,
      lastOutcome: h.lastOutcome,
      recycles: h.recycles,
      queue: h.route?.queue ?? null,
      owner: h.route?.owner ?? null,
      nurtureReason: h.nurtureReason,
    },
    days: {
      sinceFirstSeen: (now - h.firstSeen) / DAY,
      sinceLastActivity: lastActivity > 0 ? (now - lastActivity) / DAY : null,
      sinceKnown: h.knownAt !== null ? (now - h.knownAt) / DAY : null,
    },
    daysUntil,
    engagementRise: h.engagementRise,
  };
}

/**
 * The program transitions for `attributes`: memberships are updated in
 * place and each change returned once, with its entry number.
 * @param {Program[]} programs
 * @param {Record<string, Membership>} memberships
 * @param {Record<string, unknown>} attributes
 * @param {(attributes: Record<string, unknown>, condition: TargetingCondition) => boolean} holds the core's evalCondition
 * @param {number} now
 * @returns {{program: string, change: "entered" | "exited", entry: number, since: number}[]}
 */
export function evaluatePrograms(programs, memberships, attributes, holds, now) {
  /** @type {{program: string, change: "entered" | "exited", entry: number, since: number}[]} */
  const out = [];
  for (const p of programs) {
    const m = memberships[p.name] ?? { in: false, entries: 0, since: 0 };
    if (!m.in) {
      // Not while the exit condition holds: it would be left at once, and
      // entered again at the next evaluation.
      if (holds(attributes, p.entry) && (p.exit === null || !holds(attributes, p.exit))) {
        m.in = true;
        m.entries += 1;
        m.since = now;
        out.push({ program: p.name, change: "entered", entry: m.entries, since: now });
      }
    } else {
      const leave = p.exit !== null ? holds(attributes, p.exit) : !holds(attributes, p.entry);
      if (leave) {
        m.in = false;
        out.push({ program: p.name, change: "exited", entry: m.entries, since: m.since });
        m.since = now;
      }
    }
    memberships[p.name] = m;
  }
  return out;
}
