// @ts-check
// The dead-letter store: one Durable Object ("global") whose storage holds
// every message that could not be delivered, keyed by its destination and
// message id (`dl:<destination>/<id>`: a message dead-lettered twice for one
// destination is filed once, and each destination's are listed, counted and
// replayed apart), until a replay delivers it. Entries filed before
// destinations existed (`dl:<id>`) are moved under `nurture/` when the
// object starts.
// A Durable Object rather than KV: replay reads, sends and deletes, and needs
// to see its own deletes at once (KV is eventually consistent), and the
// dead-letter path is rare enough that one object's throughput is plenty.
//
// Erasure: `purge` deletes an erased visitor's dead letters (else a replay
// would send the erased data again) and records the visitor id for
// ERASED_KEEP_MS, during which `add` refuses that visitor's messages (ones
// still in the forwarding queue that exhaust their retries later) and the
// queue consumer drops them (`erasedAmong`). The erasure signal itself
// (id `era_…`) carries no personal data and is always filed.

import { DurableObject } from "cloudflare:workers";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("./enrich.js").ForwardMessage} ForwardMessage
 * @typedef {import("./forward.js").Routed} Routed
 * @typedef {{body: Routed, reason: string, attempts: number}} DeadLetter
 * @typedef {DeadLetter & {failedAt: number}} Filed
 * @typedef {Filed & {key: string}} Listed `key`: `<destination>/<id>`, what `remove` takes
 */

const PREFIX = "dl:";
const ERASED = "er:";
// Longer than a message can stay in Cloudflare Queues (14 days at most), so
// no message of an erased visitor can still be retried when its record goes.
const ERASED_KEEP_MS = 15 * 86_400_000;
// The destination of entries filed without one (forward.js LEGACY_DESTINATION).
const LEGACY = "nurture";

/** @param {Partial<Routed>} body */
const keyOf = (body) => `${typeof body.destination === "string" ? body.destination : LEGACY}/${body.id}`;

/**
 * Messages that belong to an erased visitor (the erasure signal excepted).
 * @param {Partial<ForwardMessage> | undefined} body
 * @param {{has(visitorId: string): boolean}} erased
 */
export function ofErased(body, erased) {
  return typeof body?.visitorId === "string" && erased.has(body.visitorId) && !String(body.id).startsWith("era_");
}

/** @extends {DurableObject<Env>} */
export class DeadLetterStore extends DurableObject {
  /**
   * @param {DurableObjectState} ctx
   * @param {Env} env
   */
  constructor(ctx, env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(() => this.migrate());
  }

  /** Entries filed before destinations (`dl:<id>`) move to `dl:nurture/<id>`. */
  async migrate() {
    if ((await this.ctx.storage.get("layout")) === 2) return;
    /** @type {string | undefined} */
    let start;
    for (;;) {
      /** @type {Map<string, Filed>} */
      const page = await this.ctx.storage.list({ prefix: PREFIX, startAfter: start, limit: 500 });
      const old = [...page].filter(([key]) => !key.includes("/"));
      if (old.length) {
        /** @type {Record<string, Filed>} */
        const moved = {};
        for (const [, item] of old) {
          const body = { ...item.body, destination: LEGACY };
          moved[PREFIX + keyOf(body)] = { ...item, body };
        }
        for (let i = 0; i < old.length; i += 128) {
          await this.ctx.storage.put(Object.fromEntries(Object.entries(moved).slice(i, i + 128)));
          await this.ctx.storage.delete(old.slice(i, i + 128).map(([key]) => key));
        }
      }
      if (page.size < 500) break;
      start = [...page.keys()].pop();
    }
    await this.ctx.storage.put("layout", 2);
  }

  /**
   * Files messages (by id: one filed twice is kept once); an erased
   * visitor's are refused. Returns how many were filed.
   * @param {DeadLetter[]} all
   */
  async add(all) {
    const erased = await this.erasedSet(all.map((i) => i.body?.visitorId));
    const items = all.filter((i) => !ofErased(i.body, erased));
    if (items.length === 0) return 0;
    // Counted in total and per destination ("filed:<destination>").
    /** @type {Map<string, number>} */
    const per = new Map();
    for (const item of items) {
      const d = keyOf(item.body).split("/")[0];
      per.set(d, (per.get(d) ?? 0) + 1);
    }
    /** @type {Map<string, number>} */
    const before = await this.ctx.storage.get(["filed", ...[...per.keys()].map((d) => `filed:${d}`)]);
    /** @type {Record<string, number>} */
    const counts = { filed: (before.get("filed") ?? 0) + items.length };
    for (const [d, n] of per) counts[`filed:${d}`] = (before.get(`filed:${d}`) ?? 0) + n;
    await this.ctx.storage.put(counts);
    for (let i = 0; i < items.length; i += 128) {
      /** @type {Record<string, Filed>} */
      const entries = {};
      for (const item of items.slice(i, i + 128)) {
        entries[PREFIX + keyOf(item.body)] = { ...item, failedAt: Date.now() };
      }
      await this.ctx.storage.put(entries);
    }
    return items.length;
  }

  /**
   * The first `limit` dead letters (of one destination, or of all).
   * @param {number} [limit]
   * @param {string} [destination]
   * @returns {Promise<Listed[]>}
   */
  async list(limit = 100, destination) {
    const prefix = destination === undefined ? PREFIX : `${PREFIX}${destination}/`;
    /** @type {Map<string, Filed>} */
    const map = await this.ctx.storage.list({ prefix, limit });
    return [...map].map(([key, item]) => ({ ...item, key: key.slice(PREFIX.length) }));
  }

  /** @param {string[]} keys `<destination>/<id>`, as `list` gives them */
  async remove(keys) {
    for (let i = 0; i < keys.length; i += 128) {
      await this.ctx.storage.delete(keys.slice(i, i + 128).map((key) => PREFIX + key));
    }
    return keys.length;
  }

  /**
   * How many messages were ever filed (a message filed twice counts twice),
   * for one destination or all.
   * @param {string} [destination]
   */
  async filed(destination) {
    /** @type {number | undefined} */
    const filed = await this.ctx.storage.get(destination === undefined ? "filed" : `filed:${destination}`);
    return filed ?? 0;
  }

  /**
   * How many wait: in all, and per destination.
   * @returns {Promise<{count: number, byDestination: Record<string, number>}>}
   */
  async counts() {
    let count = 0;
    /** @type {Record<string, number>} */
    const byDestination = {};
    /** @type {string | undefined} */
    let start;
    for (;;) {
      /** @type {Map<string, unknown>} */
      const page = await this.ctx.storage.list({ prefix: PREFIX, startAfter: start, limit: 1000 });
      count += page.size;
      for (const key of page.keys()) {
        const d = key.slice(PREFIX.length, key.indexOf("/"));
        byDestination[d] = (byDestination[d] ?? 0) + 1;
      }
      if (page.size < 1000) return { count, byDestination };
      start = [...page.keys()].pop();
    }
  }

  /** How many wait, in all. */
  async count() {
    return (await this.counts()).count;
  }

  /**
   * The ids among `visitorIds` erased within ERASED_KEEP_MS.
   * @param {unknown[]} visitorIds
   */
  async erasedSet(visitorIds) {
    const ids = [...new Set(visitorIds.filter((v) => typeof v === "string"))];
    /** @type {Set<string>} */
    const out = new Set();
    const now = Date.now();
    for (let i = 0; i < ids.length; i += 128) {
      /** @type {Map<string, number>} */
      const got = await this.ctx.storage.get(ids.slice(i, i + 128).map((v) => ERASED + v));
      for (const [key, at] of got) if (now - at < ERASED_KEEP_MS) out.add(key.slice(ERASED.length));
    }
    return out;
  }

  /**
   * For the forwarding queue's consumer: which of these visitors were erased.
   * @param {unknown[]} visitorIds
   */
  async erasedAmong(visitorIds) {
    return [...(await this.erasedSet(visitorIds))];
  }

  /**
   * Erasure of `visitorIds`: records them (see `add`), then deletes every
   * dead letter of theirs. A scan of the whole store: it has no index by
   * visitor, and erasures are rare next to filing. Returns how many were
   * deleted per visitor.
   * @param {string[]} visitorIds
   * @param {number} [now]
   * @returns {Promise<Record<string, number>>}
   */
  async purge(visitorIds, now = Date.now()) {
    const ids = new Set(visitorIds);
    const keys = [...ids].map((v) => ERASED + v);
    for (let i = 0; i < keys.length; i += 128) {
      await this.ctx.storage.put(Object.fromEntries(keys.slice(i, i + 128).map((k) => [k, now])));
    }
    /** @type {Record<string, number>} */
    const removed = Object.fromEntries([...ids].map((v) => [v, 0]));
    /** @type {string | undefined} */
    let start;
    for (;;) {
      /** @type {Map<string, Filed>} */
      const page = await this.ctx.storage.list({ prefix: PREFIX, startAfter: start, limit: 500 });
      /** @type {string[]} */
      const doomed = [];
      for (const [key, item] of page) {
        if (ofErased(item.body, ids)) {
          doomed.push(key);
          removed[item.body.visitorId] += 1;
        }
      }
      for (let i = 0; i < doomed.length; i += 128) await this.ctx.storage.delete(doomed.slice(i, i + 128));
      if (page.size < 500) break;
      start = [...page.keys()].pop();
    }
    await this.pruneErased(now);
    return removed;
  }

  /**
   * Forgets erasure records older than ERASED_KEEP_MS.
   * @param {number} now
   */
  async pruneErased(now) {
    /** @type {string | undefined} */
    let start;
    for (;;) {
      /** @type {Map<string, number>} */
      const page = await this.ctx.storage.list({ prefix: ERASED, startAfter: start, limit: 1000 });
      const old = [...page].filter(([, at]) => now - at >= ERASED_KEEP_MS).map(([key]) => key);
      for (let i = 0; i < old.length; i += 128) await this.ctx.storage.delete(old.slice(i, i + 128));
      if (page.size < 1000) return;
      start = [...page.keys()].pop();
    }
  }
}
