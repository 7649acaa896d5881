// One Durable Object per visitor (idFromName(visitorId)) holds the visitor's
// history and runs every update for that visitor one at a time.
//
// Why no lost writes: `ingest` does all its work synchronously between
// loading the state (once, in the constructor under blockConcurrencyWhile)
// and the storage.put at its end; it awaits nothing in between, so two
// batches for the same visitor can never interleave, and the output gate
// holds the reply until the write is durable.
//
// Bounds: at most HISTORY_CAP events are kept (the newest by timestamp: the
// oldest have decayed the most, so dropping them moves the score least), and
// the last SEEN_IDS_CAP event ids for deduplication (a duplicate older than
// that window is caught by the collector's dedup by message id instead). Events
// are capped at MAX_EVENT_BYTES each, so a visitor's state stays well under
// the 2 MB value limit of SQLite-backed objects.
//
// Erasure and retention: `erase` deletes the whole storage and leaves a
// tombstone ({erasedAt}, no personal data) so that a batch still in flight
// with the erased visitor's token is refused (401) rather than starting a new
// history under the same id; the tombstone goes when every token for the id
// has expired. One alarm serves both the re-engagement signal and retention:
// it is re-armed on each activity for whichever is due first, and deletes
// the storage once the visitor has been inactive for RETENTION_DAYS.

import { DurableObject } from "cloudflare:workers";
import { settings } from "./config.js";
import { withCore, trapForTest, coreStats, isFatal } from "./core.js";
import { TokenBucket } from "./ratelimit.js";
import { summarize, signal, lifecycle, reengageAfterMs, tsOf } from "./enrich.js";
import { forwardMessages } from "./forward.js";

const EMPTY = () => ({ profile: {}, events: [], seen: [], last: null, seq: 0, lastActivity: 0, reengagedFor: 0 });
// 401 like any token the worker will never take again: the browser runtime
// then drops its stored token and goes on as a new visitor instead of
// retrying the batch forever (index.js also expires the cookie).
const ERASED = { status: 401, code: "visitor_erased", message: "this visitor's data was erased; its token is no longer accepted" };
const PROFILE_KEYS = 60;

function mergeTraits(profile, traits, map) {
  if (!traits || typeof traits !== "object" || Array.isArray(traits)) return;
  for (const [key, value] of Object.entries(traits)) {
    const target = map?.[key] ?? (map ? null : key);
    if (target === null || target === "__proto__" || target === "constructor" || target === "prototype") continue;
    const ok = (typeof value === "string" && value.length <= 512) || typeof value === "number" || typeof value === "boolean";
    if (!ok) continue;
    if (!(target in profile) && Object.keys(profile).length >= PROFILE_KEYS) continue;
    profile[target] = value;
  }
}

const SCORE_OPTIONS = { breakdown: false };

/**
 * Scores with the events crossing into wasm as JSON text (scoreJson): parsed
 * there in one go, several times cheaper than walking the JS objects value by
 * value. serde_json refuses the escape JSON.stringify writes for a lone
 * surrogate ("\ud800"), which a JS string may hold; such events take the
 * object path (score), which reads them lossily as before.
 */
function scoreEvents(model, profile, events, now) {
  try {
    return model.scoreJson(profile, JSON.stringify(events), now, SCORE_OPTIONS);
  } catch (err) {
    if (isFatal(err)) throw err;
    return model.score(profile, events, now, SCORE_OPTIONS);
  }
}

// Segment group traits, in the names the scoring model reads.
const GROUP_TRAITS = { name: "company", industry: "industry", employees: "companySize", website: "website", plan: "plan", country: "country" };

export class VisitorState extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.state = EMPTY();
    this.bucket = null;
    ctx.blockConcurrencyWhile(async () => {
      this.state = (await ctx.storage.get("state")) ?? EMPTY();
    });
  }

  /**
   * `candidates`: [{index, id, forwardId, event}] already shape-checked by
   * the worker. Returns the outcome for each, the new score and what to
   * forward (enriched events and lifecycle signals).
   */
  ingest({ visitorId, candidates, now, trap, ip, cf }) {
    const s = settings(this.env);
    this.bucket ??= new TokenBucket(s.visitorRateBurst, s.visitorRatePerSecond);
    if (this.state.erasedAt) return { ok: false, error: ERASED };
    const wait = this.bucket.take();
    if (wait > 0) return { ok: false, error: { status: 429, code: "rate_limited", message: `too many batches for this visitor; retry in ${wait} s`, retryAfter: wait } };

    const st = this.state;
    const seen = new Set(st.seen);
    const duplicates = [];
    const fresh = [];
    for (const c of candidates) {
      if (seen.has(c.id)) duplicates.push({ index: c.index, id: c.id });
      else {
        seen.add(c.id);
        fresh.push(c);
      }
    }

    let trapped = !trap;
    const outcome = withCore(this.env, ({ model }) => {
      if (!trapped) {
        trapped = true;
        trapForTest();
      }
      // Validate the new events on their own: the core's reasons, indexed
      // like `fresh`.
      const check = scoreEvents(model, st.profile, fresh.map((c) => c.event), now);
      const bad = new Map(check.rejected.map((r) => [r.index, r.reason]));
      const accepted = fresh.filter((_, i) => !bad.has(i));
      const rejected = [];
      fresh.forEach((c, i) => bad.has(i) && rejected.push({ index: c.index, reason: bad.get(i) }));
      if (accepted.length === 0) return { accepted, rejected, result: null };

      const profile = { ...st.profile };
      for (const c of [...accepted].sort((a, b) => tsOf(a.event) - tsOf(b.event))) {
        if (c.event.type === "identify") mergeTraits(profile, c.event.traits);
        if (c.event.type === "group") mergeTraits(profile, c.event.traits, GROUP_TRAITS);
      }
      let history = st.events.concat(accepted.map((c) => ({ ...c.event, messageId: c.id })));
      if (history.length > s.historyCap) {
        history = history
          .map((e, i) => [e, i])
          .sort((a, b) => tsOf(a[0]) - tsOf(b[0]) || a[1] - b[1])
          .slice(-s.historyCap)
          .map(([e]) => e);
      }
      // The forwarded summary reads the per-rule totals, which come without the
      // per-event breakdown: leaving it out halves what crosses the boundary.
      const result = scoreEvents(model, profile, history, now);
      return { accepted, rejected, result, profile, history };
    });

    if (outcome.accepted.length === 0) {
      // Nothing new to keep, but remember the ids of the rejected ones? No:
      // a rejected event may be fixed and resent with the same id.
      return { ok: true, accepted: [], rejected: outcome.rejected, duplicates, score: st.last, forward: [], signals: [], coreRestarts: coreStats().restarts };
    }

    const { result } = outcome;
    const summary = summarize(result);
    st.seq += 1;
    const seg = this.segmentsOf({ visitorId, ip, cf, profile: outcome.profile, summary });
    const signals = lifecycle({ visitorId, now, seq: st.seq, summary, profile: outcome.profile, ...seg }, st.last, result);

    const acceptedIds = new Set(outcome.accepted.map((c) => c.id));
    st.seen = st.seen.concat(candidates.filter((c) => acceptedIds.has(c.id)).map((c) => c.id)).slice(-s.seenCap);
    st.profile = outcome.profile;
    st.events = outcome.history;
    st.last = summary;
    st.lastActivity = now;
    st.visitorId = visitorId;
    this.ctx.storage.put("state", st);
    this.arm();

    const forward = outcome.accepted
      .map((c) => ({ kind: "event", id: c.forwardId, visitorId, receivedAt: now, event: { ...c.event, messageId: c.id }, score: summary, ...seg }))
      .concat(signals);
    return {
      ok: true,
      accepted: outcome.accepted.map((c) => ({ index: c.index, id: c.id })),
      rejected: outcome.rejected,
      duplicates,
      score: summary,
      signals: signals.map((x) => x.event.event),
      forward,
      coreRestarts: coreStats().restarts,
    };
  }

  /**
   * When the alarm must next fire: the re-engagement signal (if not yet sent
   * for this period of inactivity) or the end of retention, whichever is
   * first; null when neither applies. For an erased visitor, the end of the
   * tombstone.
   */
  nextDue() {
    const st = this.state;
    if (st.erasedAt) {
      const ttl = settings(this.env).tokenTtlSeconds * 1000;
      return ttl > 0 ? st.erasedAt + ttl : null;
    }
    if (st.lastActivity === 0) return null;
    const due = [];
    const keep = settings(this.env).retentionMs;
    if (keep > 0) due.push(st.lastActivity + keep);
    const after = reengageAfterMs(this.env);
    if (after > 0 && st.reengagedFor !== st.lastActivity) due.push(st.lastActivity + after);
    return due.length ? Math.min(...due) : null;
  }

  /** Sets (or clears) the alarm for nextDue(); not awaited by the synchronous updates (the output gate covers it). */
  arm() {
    const due = this.nextDue();
    return due === null ? this.ctx.storage.deleteAlarm() : this.ctx.storage.setAlarm(due);
  }

  /**
   * Deletes everything stored for this visitor. The in-memory state is
   * replaced before the first await, so an update that runs while storage
   * is being deleted sees the new state, never the old one.
   */
  async wipe(next) {
    this.state = next;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /**
   * Erasure (the visitor's DELETE /v1/visitor or an operator's
   * /v1/admin/erase): storage deleted, a tombstone kept. Idempotent: an
   * already erased visitor answers `first: false` and is left as it is.
   */
  async erase({ now }) {
    const st = this.state;
    if (st.erasedAt) return { first: false, erasedAt: st.erasedAt, events: 0, profileFields: 0, score: false };
    const removed = { events: st.events.length, profileFields: Object.keys(st.profile).length, score: st.last !== null };
    await this.wipe({ ...EMPTY(), erasedAt: now });
    await this.ctx.storage.put("state", this.state);
    await this.arm();
    return { first: true, erasedAt: now, ...removed };
  }

  /** Re-engagement due, retention over, or a tombstone to drop. */
  async alarm() {
    const st = this.state;
    const now = Date.now();
    const due = this.nextDue();
    if (due === null) return;
    if (due > now) {
      await this.ctx.storage.setAlarm(due);
      return;
    }
    if (st.erasedAt) {
      await this.wipe(EMPTY());
      return;
    }
    const keep = settings(this.env).retentionMs;
    if (keep > 0 && now - st.lastActivity >= keep) {
      // Retention over: nothing is kept, not even a tombstone (nobody asked
      // for erasure; a later batch with a still valid token starts afresh).
      await this.wipe(EMPTY());
      return;
    }
    st.seq += 1;
    const msg = signal({ visitorId: st.visitorId, now, seq: st.seq, summary: st.last, profile: st.profile }, "Re-engagement Due", {
      inactiveMs: now - st.lastActivity,
      lastActivity: new Date(st.lastActivity).toISOString(),
    });
    await forwardMessages(this.env, [msg], { direct: false });
    st.reengagedFor = st.lastActivity;
    await this.ctx.storage.put("state", st);
    await this.arm();
  }

  /**
   * The visitor's segments (`segments`, `primarySegment`) from the site
   * config, the client's address and request attributes, the stored profile
   * and the score, for the forwarded payload. A broken site config leaves
   * them out rather than failing the events.
   */
  segmentsOf({ visitorId, ip, cf, profile, summary }) {
    try {
      const ctx = withCore(this.env, ({ site, tables }) =>
        site.context({ id: visitorId, ip: ip ?? null, request: cf ?? null, profile, score: summary }, tables));
      return { segments: ctx.segments ?? [], primarySegment: ctx.segment ?? null };
    } catch (err) {
      console.error("segments", err && err.message);
      return { segments: [], primarySegment: null };
    }
  }

  /** What decide and forms need: the stored profile and the last score. */
  profileOf() {
    return { profile: this.state.profile, last: this.state.last };
  }

  /**
   * A form submission, validated against the stored profile and merged into
   * it in one synchronous step (so two submissions cannot lose each other's
   * fields), then the whole visitor re-scored (fit from the merged profile,
   * engagement from the history). `asked` and `renderedAt` come from the
   * verified form token.
   */
  submitForm({ visitorId, formId, form, submission, asked, renderedAt, now, language, ip, cf }) {
    const s = settings(this.env);
    this.bucket ??= new TokenBucket(s.visitorRateBurst, s.visitorRatePerSecond);
    if (this.state.erasedAt) return { ok: false, error: ERASED };
    const wait = this.bucket.take();
    if (wait > 0) return { ok: false, error: { status: 429, code: "rate_limited", message: `too many submissions for this visitor; retry in ${wait} s`, retryAfter: wait } };
    const st = this.state;
    const outcome = withCore(this.env, ({ form: compiled, model }) => {
      const v = compiled(formId, form).validate(submission, { language, profile: st.profile, asked, renderedAt, now });
      if (!v.valid) return { v };
      const profile = v.merge.profile;
      const result = scoreEvents(model, profile, st.events, now);
      return { v, profile, result };
    });
    const { v } = outcome;
    if (!v.valid) return { ok: true, valid: false, errors: v.errors };
    const summary = summarize(outcome.result);
    st.seq += 1;
    const seg = this.segmentsOf({ visitorId, ip, cf, profile: outcome.profile, summary });
    const base = { visitorId, now, seq: st.seq, summary, profile: outcome.profile, ...seg };
    const submitted = signal(base, "Form Submitted", {
      formId, fields: Object.keys(v.values), newlyKnown: v.merge.newlyKnown ?? [],
    });
    const signals = [submitted, ...lifecycle(base, st.last, outcome.result)];
    st.profile = outcome.profile;
    st.last = summary;
    st.lastActivity = now;
    st.visitorId = visitorId;
    this.ctx.storage.put("state", st);
    this.arm();
    return {
      ok: true,
      valid: true,
      merge: v.merge,
      fit: { score: outcome.result.fit.score, grade: outcome.result.fit.grade },
      score: summary,
      next: v.next,
      signals: signals.map((x) => x.event.event),
      forward: signals,
      ...seg,
    };
  }

  /** For tests and support: what is kept for this visitor. */
  inspect() {
    const st = this.state;
    return { events: st.events.length, seen: st.seen.length, profile: st.profile, last: st.last, seq: st.seq, erasedAt: st.erasedAt ?? null };
  }
}
