// The handoff document the handoff tests run with (test/handoff.test.mjs
// in workerd, test/handoff-config.test.mjs in Node): short SLAs, so that
// recycling happens in seconds through the visitor object's alarm.
export const SLA_SECONDS = 3;

export const HANDOFF = {
  routing: {
    sla: `${SLA_SECONDS}s`,
    onTimeout: "reroute",
    maxRecycles: 1,
    rules: [
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

