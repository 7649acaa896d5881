// @ts-check
// One Durable Object per visitor (idFromName(visitorId)) holds the visitor's
// history and runs every update for that visitor one at a time.
//
// Why no lost writes: `ingest` does all its work synchronously between
// loading the state (once, in the constructor under blockConcurrencyWhile)
// and the storage.put at its end; it awaits nothing in between, so two
// batches for the same visitor can never interleave, and the output gate
// holds the reply until the write is durable.
//
// The score: the visitor's engagement is kept as the core's incremental
// state (`model.ingest` / `model.scoreState`, src/score/incremental/):
// running sums plus the events whose cap decisions may still change, a few
// KB however long the history, and a batch costs O(batch). Every event the
// visitor sent counts, as long as it lives. The state is read from its
// bytes once, when the object starts (`model.openState`), and held in the
// core while the object lives; each batch changes it in place and writes
// its bytes (liveEngagement). A state written before (v2: the
// newest 250 events) is upgraded on its first batch by ingesting those
// events, which gives the score they gave. When the model changes, the sums
// of the old model cannot be re-read: the state starts again under the new
// model from the events it still holds whole (Model.restartState).
//
// Bounds: the last SEEN_IDS_CAP event ids for deduplication (a duplicate
// older than that window is caught by the collector's dedup by message id
// instead). Events are capped at MAX_EVENT_BYTES each.
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
import { handoffOrNull } from "./handoff/config.js";
import { withCore, trapForTest, coreStats, isFatal, holdHandle } from "./core.js";
import { loadDocuments } from "./source.js";
import { TokenBucket } from "./ratelimit.js";
import { signal, lifecycle, reengageAfterMs, tsOf } from "./enrich.js";
import { forwardMessages } from "./forward.js";
import { SCORE_KEYS, normalKey } from "./redact.js";
import { HttpError, refuse } from "./errors.js";
import { formFor } from "./forms.js";
import { exposureKeyOf, MAX_EXPOSED } from "./exposure.js";
import { handoffAfterUpdate, handoffDueOf, handoffAlarm, nurtureStopped, outcomesFor, syncLeadIndex, unindexLead, leadRecord, logEvents } from "./handoff/object.js";
import { LeadTable } from "./handoff/leads.js";
import { LinkTable, unlinkVisitors } from "./links.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("./enrich.js").Summary} Summary
 * @typedef {import("./enrich.js").ForwardMessage} ForwardMessage
 * @typedef {import("./errors.js").Refused} Refused
 * @typedef {import("nurture").NurtureEvent} NurtureEvent
 * @typedef {import("nurture").ScoreResult} ScoreResult
 * @typedef {import("nurture").Model} Model
 * @typedef {import("nurture").VisitorEngagement} VisitorEngagement
 * @typedef {Record<string, import("nurture").Json>} Profile
 * @typedef {"browser" | "server"} Channel
 */

/**
 * A visitor's stored state (storage key "state").
 * @typedef {object} State
 * @property {number} v the format's version (STATE_VERSION)
 * @property {Profile} profile
 * @property {Profile} claimed
 * @property {Uint8Array | null} engagement the core's incremental state (`model.ingest`)
 * @property {number} eventsTotal events taken so far
 * @property {NurtureEvent[]} [events] a v2 state's newest events, until upgraded
 * @property {Float64Array} seen the newest event ids' 53-bit hashes (seenKey), for dedup
 * @property {{n: string, at: number, done: boolean}[]} forms form tokens used or tried (nonce, last attempt)
 * @property {Summary | null} last the last score
 * @property {number} seq updates so far (signals' ids)
 * @property {number} lastActivity
 * @property {number} reengagedFor the lastActivity the re-engagement signal was sent for
 * @property {string} [visitorId]
 * @property {number} [erasedAt] a tombstone: the visitor was erased then
 * @property {string[]} [exposed] keys of the experiments whose `Experiment Viewed` was forwarded (exposure.js), oldest first
 * @property {import("./handoff/lead.js").HandoffState} [handoff] routing, follow-up, outcomes and programs (handoff/lead.js)
 */

/**
 * An event of a batch, shape-checked by the route: its index in the batch,
 * its dedup id and the collector's idempotency key.
 * @typedef {{index: number, id: string, forwardId: string, event: NurtureEvent, text?: string}} Candidate
 *   (`text`: the event's JSON text, when the route has it already)
 * @typedef {{index: number, id: string, text: string, event?: NurtureEvent}} Ingestible a
 *   candidate as the visitor's object takes it: the event's JSON text, which
 *   the core reads, and the event itself only when the object reads its
 *   fields (wireCandidate)
 */

/**
 * A candidate as it crosses to the visitor's object: its JSON text (what the
 * core reads, one string for the RPC to copy rather than an object tree to
 * serialize and build again, and then to write as JSON once more), and the
 * event itself only for an identify or group (their traits are merged into
 * the profile) or an exposure (its experiment is remembered).
 * @param {Candidate} c
 * @returns {Ingestible}
 */
export function wireCandidate({ index, id, event, text = JSON.stringify(event) }) {
  const type = event.type;
  return type === "identify" || type === "group" || exposureKeyOf(event) !== null ? { index, id, text, event } : { index, id, text };
}

/**
 * The event of a candidate the object took (read from its text when it
 * did not come along).
 * @param {Ingestible} c
 * @returns {NurtureEvent}
 */
function eventOf(c) {
  return c.event ?? JSON.parse(c.text);
}

/**
 * What `ingest` answers when it takes the batch.
 * @typedef {object} Ingested
 * @property {true} ok
 * @property {{index: number, id: string}[]} accepted
 * @property {{index: number, reason: string}[]} rejected
 * @property {{index: number, id?: string, rule: string, reason: string}[]} unscored
 * @property {{index: number, id: string}[]} duplicates
 * @property {Summary | null} score
 * @property {string[]} signals
 * @property {ForwardMessage[]} forward the lifecycle signals to forward; the accepted events' messages the worker builds from its own candidates (eventMessages), so the events do not cross the RPC back
 * @property {{segments: string[], primarySegment: string | null} | null} segments what the events' messages carry besides `score`
 * @property {number} coreRestarts
 */

/**
 * The forwarded messages of a batch's accepted events, built where the
 * candidates already are (the worker) from what the visitor's object
 * answered: each event as sent, its id as `messageId`, the visitor's new
 * score and segments.
 * @param {Candidate[]} candidates
 * @param {Pick<Ingested, "accepted" | "score" | "segments">} out
 * @param {string} visitorId
 * @param {number} now
 * @returns {ForwardMessage[]}
 */
export function eventMessages(candidates, out, visitorId, now) {
  const byId = new Map(candidates.map((c) => [c.id, c]));
  return out.accepted.flatMap(({ id }) => {
    const c = byId.get(id);
    return c ? [{ kind: /** @type {const} */ ("event"), id: c.forwardId, visitorId, receivedAt: now, event: { ...c.event, messageId: c.id }, score: out.score, ...out.segments }] : [];
  });
}

/**
 * `submitForm`'s answer for fields the core refused (`errors` per field).
 * @typedef {{ok: true, valid: false, errors: import("nurture").FieldError[]}} FormRefused
 */

/**
 * `submitForm`'s answer for a valid submission, merged and scored.
 * @typedef {object} FormAccepted
 * @property {true} ok
 * @property {true} valid
 * @property {{profile: Record<string, import("nurture").Json>, newlyKnown: string[], updated: string[]}} merge
 * @property {{score: number, grade: import("nurture").FitGrade}} fit
 * @property {Summary} score
 * @property {import("nurture").NextFields} next
 * @property {string[]} signals
 * @property {ForwardMessage[]} forward
 * @property {string[]} segments
 * @property {string | null} primarySegment
 */

// `profile`: what counts for fit (validated form fields, back-office
// traits, and the browser traits the model allows); `claimed`: what the
// browser's own identify/group calls said, kept for personalization only.
const STATE_VERSION = 3;
/** @returns {State} */
const EMPTY = () => ({ v: STATE_VERSION, profile: {}, claimed: {}, engagement: null, eventsTotal: 0, seen: new Float64Array(0), forms: [], last: null, seq: 0, lastActivity: 0, reengagedFor: 0 });

/**
 * An event id as kept for dedup: a 53-bit hash (cyrb53), 8 bytes however
 * long the id (a messageId may have 200 characters). Two ids of one
 * visitor's last SEEN_IDS_CAP share a hash with a chance of about
 * n² / 2^54 (6e-11 for 1,000); such an event would be taken as a duplicate.
 * @param {string} id
 */
function seenKey(id) {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * `seen` with `keys` appended, the oldest dropped beyond `cap`.
 * @param {Float64Array} seen
 * @param {number[]} keys
 * @param {number} cap
 */
function remember(seen, keys, cap) {
  const all = new Float64Array(seen.length + keys.length);
  all.set(seen);
  all.set(keys, seen.length);
  return all.length > cap ? all.slice(all.length - cap) : all;
}
// 401 like any token the worker will never take again: the browser runtime
// then drops its stored token and goes on as a new visitor instead of
// retrying the batch forever (index.js also expires the cookie).
const ERASED = refuse("visitor_erased", "this visitor's data was erased; its token is no longer accepted");
const PROFILE_KEYS = 60;
// Form tokens already used (or being retried) that are remembered, oldest
// dropped first; a token older than its TTL is refused anyway.
const FORM_NONCES = 200;

/**
 * State stored before trust levels (no `v`): every stored event came from
 * the browser route, the only one there was, so each is marked as such and
 * no longer scores a back-office rule. Stored profile fields cannot be told
 * apart (form or identify) and are kept as they were.
 * @param {State} st
 * @returns {State}
 */
function migrate(st) {
  if (st.v === STATE_VERSION || st.erasedAt) return st;
  for (const e of st.events ?? []) if (e && typeof e === "object" && e.channel === undefined) e.channel = "browser";
  // The events stay until the first batch, which has the core at hand to
  // turn them into the engagement state (liveEngagement); the ids seen become
  // their hashes.
  const seen = Array.isArray(st.seen) ? Float64Array.from(st.seen.map((id) => seenKey(String(id)))) : EMPTY().seen;
  return { ...EMPTY(), ...st, v: STATE_VERSION, claimed: st.claimed ?? {}, forms: st.forms ?? [], eventsTotal: st.events?.length ?? 0, seen };
}

// A score is the server's to compute: a trait that claims one is dropped
// (the same keys, compared the same way, as redaction drops from what is
// forwarded).

/**
 * @param {Profile} profile
 * @param {unknown} traits
 * @param {Record<string, string> | null} [map] trait name → profile field; without one, names are kept
 */
function mergeTraits(profile, traits, map) {
  if (!traits || typeof traits !== "object" || Array.isArray(traits)) return;
  for (const [key, value] of Object.entries(traits)) {
    const target = map?.[key] ?? (map ? null : key);
    if (target === null || target === "__proto__" || target === "constructor" || target === "prototype") continue;
    if (SCORE_KEYS.has(normalKey(target))) continue;
    const ok = (typeof value === "string" && value.length <= 512) || typeof value === "number" || typeof value === "boolean";
    if (!ok) continue;
    if (!(target in profile) && Object.keys(profile).length >= PROFILE_KEYS) continue;
    profile[target] = value;
  }
}

/**
 * Traits of an identify or group event, split by trust: from a server
 * source all count for fit; from a browser only the fields the model lists
 * in `fit.browserTraits` do, the rest are claims kept for personalization.
 * @param {Profile} profile
 * @param {Profile} claimed
 * @param {unknown} traits
 * @param {Record<string, string> | null} map
 * @param {Channel} channel
 * @param {Set<string>} browserTraits
 */
function mergeBySource(profile, claimed, traits, map, channel, browserTraits) {
  if (channel === "server") {
    mergeTraits(profile, traits, map);
    return;
  }
  /** @type {Profile} */
  const said = {};
  mergeTraits(said, traits, map);
  for (const [k, v] of Object.entries(said)) {
    if (browserTraits.has(k)) mergeTraits(profile, { [k]: v });
    else mergeTraits(claimed, { [k]: v });
  }
}

// A UTF-16 surrogate without its pair (String.prototype.toWellFormed, which
// TypeScript's es2023 library does not know yet).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Adds `events` to a visitor's engagement held in the core, in place. The
 * events cross as JSON text. serde_json refuses the escape JSON.stringify
 * writes for a lone surrogate ("\ud800"), which a JS string may hold: such
 * text is written again with every string made well-formed (U+FFFD), as
 * the object path used to read it. Each event keeps its own `channel`,
 * which decides whether a back-office rule may count it, so the source
 * given to the core is "server".
 * @param {Model} model
 * @param {VisitorEngagement} engagement
 * @param {NurtureEvent[] | string} events the events, or their JSON text (an array)
 * @param {number} now
 */
function ingestInto(model, engagement, events, now) {
  try {
    return model.ingestInto(engagement, typeof events === "string" ? events : JSON.stringify(events), now, "server");
  } catch (err) {
    // Text the core refuses is refused before the state changes.
    if (isFatal(err) || /** @type {{path?: string}} */ (err).path !== "events") throw err;
    const list = typeof events === "string" ? JSON.parse(events) : events;
    const text = JSON.stringify(list, (_, v) => (typeof v === "string" ? v.replace(LONE_SURROGATE, "\ufffd") : v));
    return model.ingestInto(engagement, text, now, "server");
  }
}

/**
 * The visitor's engagement as the object holds it in the core: the handle,
 * what it was opened under, and `of`, the stored bytes it equals (null
 * while a batch has moved it ahead of them: it is then opened again from
 * the bytes, should that batch not be written).
 * @typedef {{handle: VisitorEngagement, model: Model, restarts: number, of: Uint8Array | null}} LiveEngagement
 */

/** @type {WeakMap<Model, Set<string>>} each model's `browserTraits`, read from the core once */
const traitsOf = new WeakMap();

/**
 * The profile fields a browser's own identify/group may set (the model's
 * `fit.browserTraits`): a getter that crosses into the core, asked once per
 * model rather than once per batch.
 * @param {Model} model
 */
function browserTraitsOf(model) {
  let set = traitsOf.get(model);
  if (!set) {
    set = new Set(model.browserTraits ?? []);
    traitsOf.set(model, set);
  }
  return set;
}

// Segment group traits, in the names the scoring model reads.
const GROUP_TRAITS = { name: "company", industry: "industry", employees: "companySize", website: "website", plan: "plan", country: "country" };

/** @extends {DurableObject<Env>} */
export class VisitorState extends DurableObject {
  /**
   * @param {DurableObjectState} ctx
   * @param {Env} env
   */
  constructor(ctx, env) {
    super(ctx, env);
    this.state = EMPTY();
    /** @type {TokenBucket | null} */
    this.bucket = null;
    /** When the alarm set by this instance fires (ms), or null: none set by it. */
    /** @type {number | null} */
    this.armedFor = null;
    /** @type {LeadTable | null} the lead index's table, on the index's object only */
    this.table = null;
    /** @type {LinkTable | null} the identity links' table, on their object only (links.js) */
    this.linkTable = null;
    /** @type {{of: Float64Array, counts: Map<number, number>} | null} the ids of `state.seen` (seenIndex) */
    this.seen = null;
    /** @type {{key: string, site: unknown, cidr: unknown, maxmind: unknown, value: {segments: string[], primarySegment: string | null}} | null} the last segments (segmentsOf) */
    this.segmentsMemo = null;
    /** @type {LiveEngagement | null} `state.engagement` held in the core (liveEngagement) */
    this.live = null;
    ctx.blockConcurrencyWhile(async () => {
      /** @type {State | undefined} */
      const stored = await ctx.storage.get("state");
      this.state = migrate(stored ?? EMPTY());
    });
  }

  /**
   * `candidates`: [{index, id, event}] already shape-checked by
   * the worker. Returns the outcome for each, the new score and what to
   * forward (enriched events and lifecycle signals).
   * @param {object} batch
   * @param {string} batch.visitorId
   * @param {Channel} [batch.channel]
   * @param {Ingestible[]} batch.candidates
   * @param {number} batch.now
   * @param {boolean} [batch.trap] TEST_HOOKS: trap the core once, to prove the recovery
   * @param {string | null} [batch.ip]
   * @param {Record<string, unknown> | null} [batch.cf]
   * @returns {Promise<Ingested | Refused>}
   */
  async ingest({ visitorId, channel = "browser", candidates, now, trap, ip, cf }) {
    // The only wait: everything after it runs without yielding, so two
    // batches of one visitor never interleave.
    await loadDocuments(this.env);
    const s = settings(this.env);
    this.bucket ??= new TokenBucket(s.visitorRateBurst, s.visitorRatePerSecond);
    if (this.state.erasedAt) return ERASED;
    const wait = this.bucket.take();
    if (wait > 0) return refuse("rate_limited", `too many batches for this visitor; retry in ${wait} s`, wait);

    const st = this.state;
    const seen = this.seenIndex(st);
    /** @type {Set<number>} the batch's own ids, for duplicates within it */
    const inBatch = new Set();
    // An exposure to an experiment already forwarded (by the edge or an
    // earlier page) is a duplicate, whatever its id: one per experiment.
    const exposed = new Set(st.exposed ?? []);
    const keyOf = new Map(candidates.map((c) => [c.id, seenKey(c.id)]));
    /** @type {{index: number, id: string}[]} */
    const duplicates = [];
    /** @type {Ingestible[]} */
    const fresh = [];
    for (const c of candidates) {
      const key = /** @type {number} */ (keyOf.get(c.id));
      const experiment = c.event ? exposureKeyOf(c.event) : null;
      if (seen.has(key) || inBatch.has(key) || (experiment !== null && exposed.has(experiment))) duplicates.push({ index: c.index, id: c.id });
      else {
        inBatch.add(key);
        if (experiment !== null) exposed.add(experiment);
        fresh.push(c);
      }
    }

    let trapped = !trap;
    const outcome = withCore(this.env, ({ model }) => {
      if (!trapped) {
        trapped = true;
        trapForTest();
      }
      // The core validates and ingests in one pass: its reasons, indexed
      // like `fresh`; the new state's bytes only replace the stored ones
      // below. The batch's text is read straight into typed events (the
      // checks of `model.validateEvents`), with no JSON tree built in the
      // wasm.
      const live = this.liveEngagement(model, st, now);
      live.of = null;
      const check = ingestInto(model, live.handle, `[${fresh.map((c) => c.text).join(",")}]`, now);
      if (!check.state) live.of = st.engagement;
      const bad = new Map(check.rejected.map((r) => [r.index, r.reason]));
      const accepted = fresh.filter((_, i) => !bad.has(i));
      /** @type {{index: number, reason: string}[]} */
      const rejected = [];
      fresh.forEach((c, i) => bad.has(i) && rejected.push({ index: c.index, reason: /** @type {string} */ (bad.get(i)) }));
      // Kept, but worth nothing from this source: the model's reason, with
      // the batch's own index.
      const unscored = (check.unscored ?? []).flatMap((u) => {
        const c = fresh[u.index];
        return c ? [{ index: c.index, id: c.id, rule: u.rule, reason: u.reason }] : [];
      });
      if (accepted.length === 0) return { accepted, rejected, unscored, result: null };

      const profile = { ...st.profile };
      const claimed = { ...st.claimed };
      const browserTraits = browserTraitsOf(model);
      // Only identifies and groups come with their event (wireCandidate).
      const said = accepted.flatMap((c) => c.event ?? []).sort((a, b) => tsOf(a) - tsOf(b));
      for (const event of said) {
        if (event.type === "identify") mergeBySource(profile, claimed, event.traits, null, channel, browserTraits);
        if (event.type === "group") mergeBySource(profile, claimed, event.traits, GROUP_TRAITS, channel, browserTraits);
      }
      // The score as stored and forwarded, built in the core: the per-rule
      // totals it is cut from stay there.
      const result = model.forwardedScore(live.handle, profile, now);
      return { accepted, rejected, unscored, result, profile, claimed, engagement: check.state ?? st.engagement, eventsTotal: check.eventsTotal };
    });

    if (outcome.result === null) {
      // Nothing new to keep, but remember the ids of the rejected ones? No:
      // a rejected event may be fixed and resent with the same id.
      return { ok: true, accepted: [], rejected: outcome.rejected, unscored: [], duplicates, score: st.last, forward: [], segments: null, signals: [], coreRestarts: coreStats().restarts };
    }

    const { summary, mqlReason } = outcome.result;
    st.seq += 1;
    const seg = this.segmentsOf({ visitorId, ip, cf, profile: { ...outcome.claimed, ...outcome.profile }, summary });
    const signals = lifecycle({ visitorId, now, seq: st.seq, summary, profile: outcome.profile, ...seg }, st.last, mqlReason);
    st.visitorId = visitorId;
    signals.push(...handoffAfterUpdate(this.env, st, { summary, profile: outcome.profile, signals, seg, now }));

    const acceptedIds = new Set(outcome.accepted.map((c) => c.id));
    const added = candidates.filter((c) => acceptedIds.has(c.id)).map((c) => /** @type {number} */ (keyOf.get(c.id)));
    const before = st.seen;
    st.seen = remember(before, added, s.seenCap);
    this.seenMoved(before, added, st.seen);
    const newlyExposed = outcome.accepted.flatMap((c) => (c.event && exposureKeyOf(c.event)) ?? []);
    if (newlyExposed.length) st.exposed = (st.exposed ?? []).concat(newlyExposed).slice(-MAX_EXPOSED);
    st.profile = outcome.profile;
    st.claimed = outcome.claimed;
    this.wrote(st, /** @type {Uint8Array} */ (outcome.engagement));
    st.eventsTotal = /** @type {number} */ (outcome.eventsTotal);
    st.last = summary;
    st.lastActivity = now;
    st.visitorId = visitorId;
    // The events are read from their texts only when a handoff keeps a log.
    if (handoffOrNull(this.env)) logEvents(this.env, st, this.ctx.storage, outcome.accepted.map(eventOf), now);
    this.ctx.storage.put("state", st);
    this.arm();
    // After the write: the lead index is another object (a wait here lets
    // other requests in, which now see the new state).
    await syncLeadIndex(this.env, st);

    return {
      ok: true,
      accepted: outcome.accepted.map((c) => ({ index: c.index, id: c.id })),
      rejected: outcome.rejected,
      unscored: outcome.unscored,
      duplicates,
      score: summary,
      signals: signals.map((x) => x.event.event),
      forward: signals,
      segments: seg,
      coreRestarts: coreStats().restarts,
    };
  }

  /**
   * `st.engagement` held in the core for `model`: opened from its bytes
   * (once while the object lives, not per batch) unless the handle held
   * already equals them under the same model and instance. A v2 state's
   * stored events are ingested first (the score they gave is kept); a
   * state of another model starts again from the events it holds whole
   * (Model.restartState).
   * @param {Model} model
   * @param {State} st
   * @param {number} now
   * @returns {LiveEngagement}
   */
  liveEngagement(model, st, now) {
    const { restarts } = coreStats();
    const live = this.live;
    if (live?.model === model && live.restarts === restarts && live.of === st.engagement && !st.events) return live;
    // A handle of an instance since reset was unregistered by the reset.
    if (live && live.restarts === restarts) live.handle.free();
    this.live = null;
    let handle;
    if (st.events && st.engagement === null) {
      handle = model.openState(null);
      ingestInto(model, handle, st.events, now);
      st.engagement = handle.toBytes();
      st.eventsTotal = handle.eventsTotal;
      delete st.events;
    } else {
      try {
        handle = model.openState(st.engagement);
      } catch (err) {
        // Stored under another model: start again from its newest events.
        if (isFatal(err) || /** @type {{path?: string}} */ (err).path !== "state" || st.engagement === null) throw err;
        handle = model.openState(model.restartState(st.engagement, now));
      }
    }
    const held = { handle: holdHandle(handle), model, restarts, of: st.engagement };
    this.live = held;
    return held;
  }

  /**
   * Stores `bytes` as the visitor's engagement, which the handle held in
   * the core now equals.
   * @param {State} st
   * @param {Uint8Array} bytes
   */
  wrote(st, bytes) {
    st.engagement = bytes;
    if (this.live) this.live.of = bytes;
  }

  /**
   * The ids in `st.seen`, each with how many times the array holds it (a
   * state migrated from before the hashes may hold one twice). Kept with
   * the array it was built from and moved along with it (seenMoved), so a
   * batch does not build a set of SEEN_IDS_CAP ids again each time.
   * @param {State} st
   */
  seenIndex(st) {
    if (this.seen?.of !== st.seen) {
      /** @type {Map<number, number>} */
      const counts = new Map();
      for (const k of st.seen) counts.set(k, (counts.get(k) ?? 0) + 1);
      this.seen = { of: st.seen, counts };
    }
    return this.seen.counts;
  }

  /**
   * `after` is `remember(before, added, cap)`: the index follows it (the
   * oldest ids dropped, the added ones counted).
   * @param {Float64Array} before
   * @param {number[]} added
   * @param {Float64Array} after
   */
  seenMoved(before, added, after) {
    const index = this.seen;
    if (index?.of !== before) return; // built again when next asked
    const { counts } = index;
    for (const k of added) counts.set(k, (counts.get(k) ?? 0) + 1);
    const dropped = before.length + added.length - after.length;
    for (let i = 0; i < dropped; i++) {
      const k = i < before.length ? before[i] : added[i - before.length];
      const n = (counts.get(k) ?? 1) - 1;
      if (n > 0) counts.set(k, n);
      else counts.delete(k);
    }
    index.of = after;
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
    const reengage = this.reengageDue();
    if (reengage !== null) due.push(reengage);
    const handoff = handoffDueOf(this.env, st);
    if (handoff !== null) due.push(handoff);
    return due.length ? Math.min(...due) : null;
  }

  /**
   * When the re-engagement signal is due, or null: not for this period of
   * inactivity again, and never while sales owns the lead (handoff).
   */
  reengageDue() {
    const st = this.state;
    const after = reengageAfterMs(this.env);
    if (after > 0 && st.lastActivity > 0 && st.reengagedFor !== st.lastActivity && !nurtureStopped(st)) return st.lastActivity + after;
    return null;
  }

  /**
   * Sets (or clears) the alarm for nextDue(); not awaited by the synchronous
   * updates (the output gate covers it). An alarm already set for no later
   * than the new due time is left as it is: it fires, finds the visitor
   * active since, and sets itself for the due time then (alarm()). Activity
   * only moves the due time later, so an active visitor's batches no longer
   * write the alarm each time, only once per alarm period.
   * @returns {Promise<void>}
   */
  arm() {
    const due = this.nextDue();
    if (due === null) {
      this.armedFor = null;
      return this.ctx.storage.deleteAlarm();
    }
    if (this.armedFor !== null && this.armedFor <= due && this.armedFor > Date.now()) return Promise.resolve();
    this.armedFor = due;
    return this.ctx.storage.setAlarm(due);
  }

  /**
   * Deletes everything stored for this visitor. The in-memory state is
   * replaced before the first await, so an update that runs while storage
   * is being deleted sees the new state, never the old one.
   * @param {State} next
   */
  async wipe(next) {
    const visitorId = this.state.handoff ? this.state.visitorId : undefined;
    this.state = next;
    this.armedFor = null;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    await unindexLead(this.env, visitorId);
  }

  /**
   * Erasure (the visitor's DELETE /v1/visitor or an operator's
   * /v1/admin/erase): storage deleted, a tombstone kept. Idempotent: an
   * already erased visitor answers `first: false` and is left as it is.
   * @param {{now: number}} request
   */
  async erase({ now }) {
    await loadDocuments(this.env);
    const st = this.state;
    if (st.erasedAt) return { first: false, erasedAt: st.erasedAt, events: 0, profileFields: 0, score: false };
    const removed = { events: st.eventsTotal, profileFields: Object.keys(st.profile).length + Object.keys(st.claimed ?? {}).length, score: st.last !== null };
    await this.wipe({ ...EMPTY(), erasedAt: now });
    await this.ctx.storage.put("state", this.state);
    await this.arm();
    return { first: true, erasedAt: now, ...removed };
  }

  /** Re-engagement due, retention over, or a tombstone to drop. */
  async alarm() {
    // This alarm has fired: none is set until one is set again.
    this.armedFor = null;
    await loadDocuments(this.env);
    const st = this.state;
    const now = Date.now();
    const due = this.nextDue();
    if (due === null) return;
    if (due > now) {
      this.armedFor = due;
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
      const visitorId = st.visitorId;
      await this.wipe(EMPTY());
      if (visitorId) await unlinkVisitors(this.env, [visitorId]);
      return;
    }
    // Set by the update that made lastActivity non-zero.
    const visitorId = /** @type {string} */ (st.visitorId);
    // Recycling and programs over time (handoff/): their signals' ids are
    // fixed by what they are about, so a retried alarm sends the same ones.
    const msgs = handoffAlarm(this.env, st, now, () =>
      st.last ? this.segmentsOf({ visitorId, profile: { ...st.claimed, ...st.profile }, summary: st.last }).segments : []);
    const reengage = this.reengageDue();
    if (reengage !== null && reengage <= now) {
      st.seq += 1;
      msgs.push(signal({ visitorId, now, seq: st.seq, summary: st.last, profile: st.profile }, "Re-engagement Due", {
        inactiveMs: now - st.lastActivity,
        lastActivity: new Date(st.lastActivity).toISOString(),
      }));
      st.reengagedFor = st.lastActivity;
    }
    if (msgs.length) await forwardMessages(this.env, msgs, { direct: false });
    await this.ctx.storage.put("state", st);
    await this.arm();
    await syncLeadIndex(this.env, st);
  }

  /**
   * Outcomes sales reported for this visitor (POST /v1/outcomes), each
   * taken once by its id; answers per item, in order, and the signals to
   * forward. A visitor this worker never saw, or an erased one, takes none.
   * @param {{visitorId: string, items: Omit<import("./handoff/lead.js").Outcome, "receivedAt">[], now: number}} request
   * @returns {Promise<{ok: true, results: ("accepted" | "duplicate" | "unknown_visitor" | "visitor_erased")[], forward: ForwardMessage[]}>}
   */
  async applyOutcomes({ visitorId, items, now }) {
    await loadDocuments(this.env);
    const st = this.state;
    if (st.erasedAt) return { ok: true, results: items.map(() => "visitor_erased"), forward: [] };
    if (st.lastActivity === 0 || st.visitorId !== visitorId) return { ok: true, results: items.map(() => "unknown_visitor"), forward: [] };
    const { results, forward } = outcomesFor(this.env, st, items, now);
    if (results.includes("accepted")) {
      this.ctx.storage.put("state", st);
      this.arm();
      await syncLeadIndex(this.env, st);
    }
    return { ok: true, results, forward };
  }

  /**
   * The lead record calibration reads (GET /v1/admin/export/leads), or
   * null for a visitor with no state.
   */
  async exportLead() {
    await loadDocuments(this.env);
    const st = this.state;
    if (st.erasedAt || st.lastActivity === 0) return null;
    return leadRecord(this.env, st, this.ctx.storage, Date.now());
  }

  /** The lead index's table (this object is the index: handoff/leads.js). */
  leadTable() {
    this.table ??= new LeadTable(this.ctx.storage.sql);
    return this.table;
  }

  /** @param {import("./handoff/leads.js").LeadRow} row */
  indexPut(row) {
    this.leadTable().put(row);
  }

  /** @param {string} visitorId */
  indexRemove(visitorId) {
    this.leadTable().remove(visitorId);
  }

  /** @param {string[]} hashes */
  indexByEmail(hashes) {
    return this.leadTable().byEmail(hashes);
  }

  /** @param {{after: string, limit: number, labelled: boolean}} page */
  indexList({ after, limit, labelled }) {
    return this.leadTable().list(after, limit, labelled);
  }

  /** @param {number} now */
  indexMetrics(now) {
    return this.leadTable().metrics(now);
  }

  /** Identity links (this object is their index: links.js). */
  links() {
    return (this.linkTable ??= new LinkTable(this.ctx.storage.sql));
  }

  /** @param {{puts: import("./links.js").LinkPut[], gets: string[], now: number}} r */
  linkUsers(r) {
    return this.links().apply(r);
  }

  /** @param {string[]} visitorIds */
  unlink(visitorIds) {
    this.links().unlink(visitorIds);
  }

  /**
   * The visitor's segments (`segments`, `primarySegment`) from the site
   * config, the client's address and request attributes, the stored profile
   * and the score, for the forwarded payload. A broken site config leaves
   * them out rather than failing the events.
   * @param {{visitorId: string, ip?: string | null, cf?: Record<string, unknown> | null, profile: Profile, summary: Summary}} visitor
   * @returns {{segments: string[], primarySegment: string | null}}
   */
  segmentsOf({ visitorId, ip, cf, profile, summary }) {
    try {
      return withCore(this.env, ({ site, tables }) => {
        // A pure function of the visitor (no clock), the compiled site and
        // the tables: when none of them changed since the last update, its
        // answer is the last one. An active visitor's score stops moving
        // once the caps are reached (the bench's visitors from their third
        // batch on), and the segments were an eighth of the object's time.
        const visitor = { id: visitorId, ip: ip ?? null, request: cf ?? null, profile, score: summary };
        const key = JSON.stringify(visitor);
        const memo = this.segmentsMemo;
        if (memo && memo.key === key && memo.site === site && memo.cidr === tables.cidr && memo.maxmind === tables.maxmind) return memo.value;
        const value = site.segments(visitor, tables);
        this.segmentsMemo = { key, site, cidr: tables.cidr, maxmind: tables.maxmind, value };
        return value;
      });
    } catch (err) {
      console.error("segments", err instanceof Error ? err.message : err);
      return { segments: [], primarySegment: null };
    }
  }

  /**
   * Exposures the edge saw (exposure.js): the experiments not forwarded yet
   * are remembered and their `Experiment Viewed` events returned to be
   * forwarded; the others are dropped. Not added to the scored history:
   * being shown a variant is not something the visitor did.
   * @param {object} seen
   * @param {string} seen.visitorId
   * @param {import("./exposure.js").ExposureCandidate[]} seen.candidates
   * @param {number} seen.now
   * @param {string | null} [seen.ip]
   * @param {Record<string, unknown> | null} [seen.cf]
   * @returns {{forward: ForwardMessage[], duplicates: string[]}}
   */
  expose({ visitorId, candidates, now, ip, cf }) {
    const st = this.state;
    if (st.erasedAt) return { forward: [], duplicates: candidates.map((c) => c.key) };
    const exposed = new Set(st.exposed ?? []);
    const fresh = candidates.filter((c) => {
      if (exposed.has(c.key)) return false;
      exposed.add(c.key);
      return true;
    });
    const duplicates = candidates.filter((c) => !fresh.includes(c)).map((c) => c.key);
    if (fresh.length === 0) return { forward: [], duplicates };
    st.exposed = (st.exposed ?? []).concat(fresh.map((c) => c.key)).slice(-MAX_EXPOSED);
    // A page view is activity: retention runs from it (a visitor who only
    // ever loaded pages is still deleted in time).
    st.lastActivity = Math.max(st.lastActivity, now);
    st.visitorId = visitorId;
    this.ctx.storage.put("state", st);
    this.arm();
    const seg = st.last
      ? this.segmentsOf({ visitorId, ip, cf, profile: { ...st.claimed, ...st.profile }, summary: st.last })
      : { segments: [], primarySegment: null };
    return {
      forward: fresh.map((c) => ({ kind: "event", id: c.forwardId, visitorId, receivedAt: now, event: c.event, score: st.last, ...seg })),
      duplicates,
    };
  }

  /**
   * What decide and forms need: the stored profile (what counts for fit),
   * the browser's own claims (personalization only) and the last score.
   */
  profileOf() {
    return { profile: this.state.profile, claimed: this.state.claimed ?? {}, last: this.state.last };
  }

  /**
   * A form submission, validated against the stored profile and merged into
   * it in one synchronous step (so two submissions cannot lose each other's
   * fields), then the whole visitor re-scored (fit from the merged profile,
   * engagement from the history). `asked` and `renderedAt` come from the
   * verified form token.
   * @param {object} post
   * @param {string} post.visitorId
   * @param {string} post.formId
   * @param {Record<string, unknown>} post.submission
   * @param {string[]} post.asked
   * @param {number} post.renderedAt
   * @param {string} post.nonce
   * @param {number} post.now
   * @param {string} post.language
   * @param {string | null} [post.ip]
   * @param {Record<string, unknown> | null} [post.cf]
   * @returns {Promise<FormRefused | FormAccepted | Refused>}
   */
  async submitForm({ visitorId, formId, submission, asked, renderedAt, nonce, now, language, ip, cf }) {
    await loadDocuments(this.env); // the only wait, as in ingest()
    // Looked up here rather than sent with every post (compiled once per
    // isolate); the route found it in the same documents.
    let form;
    try {
      form = formFor(this.env, formId);
    } catch (err) {
      if (err instanceof HttpError) return refuse(err.code, err.message);
      throw err;
    }
    const s = settings(this.env);
    this.bucket ??= new TokenBucket(s.visitorRateBurst, s.visitorRatePerSecond);
    if (this.state.erasedAt) return ERASED;
    const wait = this.bucket.take();
    if (wait > 0) return refuse("rate_limited", `too many submissions for this visitor; retry in ${wait} s`, wait);
    const st = this.state;
    // A form token is good for one accepted submission. A refused one (a
    // typo in the e-mail) may be corrected and sent again with the same
    // token, but the minimum fill time then runs from the last attempt, so
    // a script cannot post the same token again and again straight away.
    const used = st.forms.find((f) => f.n === nonce);
    if (used?.done) return refuse("form_token_used", "this form token was already used; load the form again for a new one");
    const since = Math.max(renderedAt, used?.at ?? 0);
    const entry = used ?? { n: nonce, at: now, done: false };
    entry.at = now;
    if (!used) st.forms = st.forms.concat(entry).slice(-FORM_NONCES);
    const outcome = withCore(this.env, ({ form: compiled, model }) => {
      const v = compiled(formId, form).validate(submission, { language, profile: st.profile, asked, renderedAt: since, now });
      if (!v.valid) return { v, result: null };
      // There whenever the submission is valid: validate was given the profile.
      const merge = /** @type {NonNullable<typeof v.merge>} */ (v.merge);
      const profile = merge.profile;
      // The submission itself is an action the server saw happen: it goes
      // into the history as a back-office event, so a model's "Form
      // Submitted" rule (source: server) counts it and a page's claim does
      // not.
      /** @type {NurtureEvent} */
      const submitted = { type: "track", event: "Form Submitted", channel: "server", timestamp: now, messageId: `form_${nonce}`, properties: { formId } };
      const live = this.liveEngagement(model, st, now);
      live.of = null;
      const taken = ingestInto(model, live.handle, [submitted], now);
      if (!taken.state) live.of = st.engagement;
      const result = model.forwardedScore(live.handle, profile, now);
      return { v, merge, profile, engagement: taken.state ?? st.engagement, eventsTotal: taken.eventsTotal, result };
    });
    const { v } = outcome;
    if (outcome.result === null) {
      this.ctx.storage.put("state", st);
      return { ok: true, valid: false, errors: v.errors };
    }
    entry.done = true;
    const { summary, mqlReason } = outcome.result;
    st.seq += 1;
    const seg = this.segmentsOf({ visitorId, ip, cf, profile: { ...st.claimed, ...outcome.profile }, summary });
    const base = { visitorId, now, seq: st.seq, summary, profile: outcome.profile, ...seg };
    const submitted = signal(base, "Form Submitted", {
      formId, fields: Object.keys(v.values), newlyKnown: outcome.merge.newlyKnown ?? [],
    });
    const signals = [submitted, ...lifecycle(base, st.last, mqlReason)];
    st.visitorId = visitorId;
    signals.push(...handoffAfterUpdate(this.env, st, { summary, profile: outcome.profile, signals, seg, now }));
    st.profile = outcome.profile;
    this.wrote(st, /** @type {Uint8Array} */ (outcome.engagement));
    st.eventsTotal = /** @type {number} */ (outcome.eventsTotal);
    st.last = summary;
    st.lastActivity = now;
    st.visitorId = visitorId;
    this.ctx.storage.put("state", st);
    this.arm();
    await syncLeadIndex(this.env, st);
    return {
      ok: true,
      valid: true,
      merge: outcome.merge,
      fit: { score: summary.fit, grade: summary.fitGrade },
      score: summary,
      next: /** @type {import("nurture").NextFields} */ (v.next), // a valid submission always has the next fields
      signals: signals.map((x) => x.event.event),
      forward: signals,
      ...seg,
    };
  }

  /**
   * For tests and support: replaces the stored state with `stored` (a
   * backup, or a state written by an older worker), read as on start.
   * @param {State} stored
   */
  async restore(stored) {
    this.state = migrate(stored);
    await this.ctx.storage.put("state", this.state);
  }

  /** For tests and support: what is kept for this visitor. */
  inspect() {
    const st = this.state;
    const h = st.handoff;
    const handoff = h ? { status: h.status, route: h.route, dueAt: h.dueAt, recycles: h.recycles, lastOutcome: h.lastOutcome, nurtureReason: h.nurtureReason, outcomes: h.outcomes.length, programs: h.programs } : null;
    return { events: st.eventsTotal, stateBytes: st.engagement?.length ?? 0, seen: st.seen.length, seenBytes: st.seen.byteLength, profile: st.profile, last: st.last, seq: st.seq, erasedAt: st.erasedAt ?? null, handoff };
  }
}
