import { withCore } from "./core.js";

// What the collector receives: the event as the browser sent it plus the
// server's own score, and lifecycle signals as their own events.

/** The score, small enough to ride along with every forwarded event. */
export function summarize(result) {
  const top = (items) =>
    items
      .filter((r) => r.points !== 0)
      .sort((a, b) => Math.abs(b.points) - Math.abs(a.points))
      .slice(0, 5)
      .map((r) => ({ rule: r.rule, points: Math.round(r.points * 100) / 100 }));
  return {
    fit: result.fit.score,
    fitGrade: result.fit.grade,
    engagement: result.engagement.score,
    grade: result.grade,
    tier: result.tier,
    stage: result.stage,
    mql: result.mql.qualified,
    interests: result.interests.slice(0, 3).map((i) => i.tag),
    breakdown: { fit: top(result.fit.breakdown), engagement: top(result.engagement.rules) },
    model: result.model,
  };
}

/**
 * A lifecycle signal. Its id is fixed by the visitor and the update that
 * caused it (updates are numbered by the visitor's Durable Object), so a
 * retried delivery carries the same id (the collector's idempotency key).
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

/** Lifecycle signals of one update: what changed since the last summary. */
export function lifecycle(base, prev, result) {
  const { summary } = base;
  const out = [];
  if (result.mql.qualified && !(prev && prev.mql)) out.push(signal(base, "Lead Qualified", { reason: result.mql.reason }));
  if (prev && prev.stage !== summary.stage) out.push(signal(base, "Stage Changed", { from: prev.stage, to: summary.stage }));
  if (prev && prev.grade !== summary.grade) out.push(signal(base, "Grade Changed", { from: prev.grade, to: summary.grade }));
  return out;
}

export function tsOf(event) {
  const t = event?.timestamp;
  return typeof t === "number" ? t : Date.parse(t) || 0;
}

let defaultInactivityMs;

/** REENGAGE_AFTER_MS, else the model's inactivity period (afterDays). */
export function reengageAfterMs(env) {
  const raw = Number(env.REENGAGE_AFTER_MS);
  if (Number.isFinite(raw) && raw > 0) return raw;
  let doc = null;
  if (typeof env.MODEL_JSON === "string" && env.MODEL_JSON.trim() !== "") {
    try {
      doc = JSON.parse(env.MODEL_JSON);
    } catch {
      return 0;
    }
  } else if (defaultInactivityMs !== undefined) {
    return defaultInactivityMs;
  }
  if (doc === null) doc = withCore(env, ({ glue }) => glue.defaultModel());
  const days = Number(doc?.engagement?.inactivity?.afterDays ?? 0);
  const ms = Number.isFinite(days) && days > 0 ? days * 86_400_000 : 0;
  if (env.MODEL_JSON === undefined || String(env.MODEL_JSON).trim() === "") defaultInactivityMs = ms;
  return ms;
}
