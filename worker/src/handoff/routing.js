// @ts-check
// Lead routing (seed 002): the rules of the handoff document's `routing`,
// in order, over the lead's region, country, industry, company size, grade,
// named account and segments; the first rule whose every criterion holds
// wins, else the fallback. A rule names a queue, an owner, or both (a rule
// naming only an owner routes to the queue "owner"; key accounts name their
// owner, or "manual" for routing by hand).

/**
 * @typedef {import("./config.js").Routing} Routing
 * @typedef {import("./config.js").Rule} Rule
 * @typedef {{queue: string, owner?: string, rule: string}} Route
 */

/** @param {unknown} v */
const norm = (v) => (typeof v === "string" || typeof v === "number" ? String(v).trim().toLowerCase() : null);

/**
 * @param {string[] | undefined} list
 * @param {unknown[]} values what the lead has (any may match)
 */
function listHolds(list, values) {
  if (list === undefined) return true;
  const have = values.map(norm).filter((v) => v !== null && v !== "");
  return list.some((x) => have.includes(/** @type {string} */ (norm(x))));
}

/**
 * @param {Rule} rule
 * @param {{profile: Record<string, unknown>, grade: string | null, segments: string[]}} lead
 */
export function ruleHolds(rule, { profile, grade, segments }) {
  if (!listHolds(rule.region, [profile.region])) return false;
  if (!listHolds(rule.country, [profile.country])) return false;
  if (!listHolds(rule.industry, [profile.industry])) return false;
  if (!listHolds(rule.grade, [grade])) return false;
  if (!listHolds(rule.account, [profile.account, profile.company])) return false;
  if (!listHolds(rule.segment, segments)) return false;
  if (rule.companySize) {
    const n = typeof profile.companySize === "number" ? profile.companySize : Number(profile.companySize);
    if (profile.companySize === undefined || profile.companySize === "" || !Number.isFinite(n)) return false;
    if (rule.companySize.min !== undefined && n < rule.companySize.min) return false;
    if (rule.companySize.max !== undefined && n > rule.companySize.max) return false;
  }
  return true;
}

/**
 * The lead's route and its SLA (ms, null: no timer). `skip`: rules whose
 * SLA already ran out for this lead (a recycled lead goes to the next rule
 * that holds); null when every rule that holds, and the fallback, were
 * skipped.
 * @param {Routing} routing
 * @param {{profile: Record<string, unknown>, grade: string | null, segments: string[]}} lead
 * @param {string[]} [skip]
 * @returns {{route: Route, slaMs: number | null} | null}
 */
export function routeLead(routing, lead, skip = []) {
  for (const rule of routing.rules) {
    if (skip.includes(rule.name) || !ruleHolds(rule, lead)) continue;
    /** @type {Route} */
    const route = { queue: rule.queue ?? "owner", rule: rule.name };
    if (rule.owner !== undefined) route.owner = rule.owner;
    return { route, slaMs: rule.slaMs !== undefined ? rule.slaMs : routing.slaMs };
  }
  if (skip.includes("fallback")) return null;
  const f = routing.fallback;
  /** @type {Route} */
  const route = { queue: f.queue, rule: "fallback" };
  if (f.owner !== undefined) route.owner = f.owner;
  return { route, slaMs: f.slaMs !== undefined ? f.slaMs : routing.slaMs };
}
