// What the handoff tests share (test/handoff.test.mjs and
// test/pipeline.test.mjs in workerd, test/handoff-config.test.mjs in Node,
// tests/e2e/pipeline.test.mjs in Chromium): the handoff document, with
// short SLAs so that recycling happens in seconds through the visitor
// object's alarm, and the pipeline's figures as the collector's records
// and the posted outcomes give them.
export const SLA_SECONDS = 3;

export const HANDOFF = {
  routing: {
    sla: `${SLA_SECONDS}s`,
    onTimeout: "reroute",
    maxRecycles: 1,
    rules: [
      // A named account recognized by its IP range (the site config's
      // key-account segment), before anything the profile says.
      { name: "key-account-ip", segment: ["key-account"], owner: "li.na@forgewell.example", sla: "none" },
      { name: "key-accounts", account: ["PetroChina"], owner: "li.na@vendor.example", sla: "none" },
      { name: "hand-routed", account: ["Sinopec"], owner: "manual", sla: "none" },
      { name: "emea-manufacturing", region: ["EMEA"], industry: ["Manufacturing"], queue: "emea-mfg" },
      { name: "emea", region: ["EMEA"], queue: "emea-general" },
      { name: "apac-energy", region: ["APAC"], industry: ["Oil & Gas", "Utilities"], queue: "apac-energy", sla: "none" },
      { name: "enterprise", companySize: { min: 10000 }, queue: "enterprise", sla: "none" },
    ],
    fallback: { queue: "inbound", sla: "none" },
  },
  // Programs the test can move through in seconds: "engaged" on a rising
  // score, "quiet" after 2 s without activity (time alone moves it: the
  // alarm evaluates every second), "back-in-nurture" after a rejection.
  programs: [
    { name: "engaged", entry: { "lead.known": true, "score.engagement": { $gte: 40 } }, exit: { "profile.unsubscribed": true } },
    { name: "quiet", entry: { "lead.known": true, "days.sinceLastActivity": { $gte: 2 / 86400 } } },
    { name: "back-in-nurture", entry: { "lead.status": "nurture", "lead.lastOutcome": { $in: ["rejected", "returned"] } } },
  ],
  evaluateEvery: "1s",
};

/** Pipeline figures recomputed from the collector's records and the outcomes posted. */
export function expectedMetrics(messages, posted, now) {
  const signals = (name) => messages.filter((m) => m.kind === "signal" && m.event.event === name);
  const qualifiedAt = new Map(signals("Lead Qualified").map((m) => [m.visitorId, m.receivedAt]));
  const month = new Date(now).toISOString().slice(0, 7);
  const acceptedAt = new Map();
  for (const o of posted) if (o.outcome === "accepted" && !acceptedAt.has(o.visitorId)) acceptedAt.set(o.visitorId, Date.parse(o.at));
  const waits = [...acceptedAt].filter(([v]) => qualifiedAt.has(v)).map(([v, at]) => at - qualifiedAt.get(v)).sort((a, b) => a - b);
  const mid = waits.length >> 1;
  const median = waits.length === 0 ? null : waits.length % 2 ? waits[mid] : (waits[mid - 1] + waits[mid]) / 2;
  // Each lead's grade: the score of the newest message about it.
  const latest = new Map();
  for (const m of messages) if (m.score && (!latest.has(m.visitorId) || latest.get(m.visitorId).receivedAt <= m.receivedAt)) latest.set(m.visitorId, m);
  const grades = {};
  for (const { score } of latest.values()) grades[score.grade] = (grades[score.grade] ?? 0) + 1;
  const recycledLeads = new Set(signals("Lead Recycled").map((m) => m.visitorId));
  return {
    thisMonth: [...qualifiedAt.values()].filter((t) => new Date(t).toISOString().slice(0, 7) === month).length,
    qualified: qualifiedAt.size,
    accepted: [...acceptedAt.keys()].filter((v) => qualifiedAt.has(v)).length,
    grades,
    recycled: { leads: recycledLeads.size, recycles: signals("Lead Recycled").length },
    medianSeconds: median === null ? null : Math.round(median / 1000),
  };
}
