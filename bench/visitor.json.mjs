// A realistic heavy visitor: 1,000 events over 90 days across the site's
// touchpoints, the same in the native and the wasm benchmarks.
export function heavyVisitor(now, count = 1000) {
  const paths = ["/", "/pricing", "/case-studies/refinery", "/blog/edge-scoring", "/industries/retail",
    "/careers", "/compare/legacy", "/resources/guide.pdf", "/demo", "/about"];
  const tracks = ["Download", "Webinar Attended", "Email Opened", "Email Clicked", "Form Submitted"];
  const events = [];
  for (let i = 0; i < count; i++) {
    const timestamp = now - Math.floor((i * 90 * 86_400_000) / count);
    if (i % 4 === 3) {
      events.push({ type: "track", event: tracks[i % tracks.length], timestamp, messageId: `m${i}`,
        properties: { tags: ["retail"] } });
    } else {
      events.push({ type: "page", timestamp, messageId: `m${i}`,
        properties: { path: paths[i % paths.length], dwellSeconds: (i * 7) % 180, tags: ["retail", "personalization"] } });
    }
  }
  return events;
}

export const profile = {
  email: "anna.k@shopwise.example", title: "Marketing Manager", company: "ShopWise",
  industry: "Retail", companySize: "201-500", country: "SG",
};
