// Labelled lead records for the calibrate tests in JS (the package test and
// the worker test): industry and demo requests raise the odds of
// converting, page views count; the e-mail is an identifier.
const DAY = 86_400_000;

/**
 * `count` leads judged at `now`, from a fixed seed.
 * @param {number} count
 * @param {number} now
 */
export function labelledLeads(count, now) {
  let s = 42;
  const rand = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
  const leads = [];
  for (let i = 0; i < count; i += 1) {
    const industry = ["Energy", "Retail", "Education"][i % 3];
    const demo = rand() < 0.25;
    const views = 2 + (i % 12);
    let z = -1.5 + (industry === "Energy" ? 1.5 : industry === "Education" ? -1 : 0) + (demo ? 2 : 0) + (views >= 6 ? 0.8 : 0);
    const events = [];
    for (let k = 0; k < views; k += 1) {
      events.push({ type: "page", timestamp: now - Math.floor(rand() * 30 * DAY), properties: { path: k % 2 ? "/pricing" : "/blog/x", dwellSeconds: Math.floor(rand() * 120) } });
    }
    if (demo) events.push({ type: "track", event: "Demo Requested", timestamp: now - Math.floor(rand() * 20 * DAY) });
    z += rand() - 0.5;
    leads.push({ profile: { industry, email: `p${i}@x${i}.example` }, events, converted: rand() < 1 / (1 + Math.exp(-z)), now });
  }
  return leads;
}
