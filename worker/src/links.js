// @ts-check
// Identity links: which visitor a Segment userId belongs to, once a trusted
// source has said so (routes/segment.js): a server write key's message that
// carries both a userId and an anonymousId, or a server key's `alias`. A
// page's userId is a claim and never creates or follows a link.
//
// A link is keyed by the userId's hashed visitor id (`visitorOfIdentity`),
// so the index holds no userId in clear. The first link of a userId stands:
// a later one to another visitor is refused with a reason (a server that
// moves a user elsewhere would otherwise carry someone's history with it);
// re-sending the same link is a no-op. Erasure (routes/erase.js) and the end
// of retention (visitor.js) delete the links that point at the visitor or
// are keyed by it.
//
// Storage: like the lead index (handoff/leads.js), one object of the
// VISITORS namespace under a reserved name no visitor id can take (those are
// 22 characters), in its SQLite storage.

export const USER_LINKS = "user-links";
// Positive answers kept per isolate this long: a link only changes by
// erasure, and a message sent meanwhile to an erased visitor is refused by
// its tombstone, not stored.
const CACHE_MS = 60_000;
const CACHE_MAX = 10_000;
/** @type {Map<string, {to: string, until: number}>} */
const cache = new Map();

/**
 * @typedef {{key: string, to: string, via?: string}} LinkPut a link of `key`
 *   to the visitor `via` is linked to, else to `to`
 * @typedef {"linked" | "same" | "conflict"} LinkOutcome
 */

/** @param {import("./config.js").Env} env */
function index(env) {
  const stub = env.VISITORS.get(env.VISITORS.idFromName(USER_LINKS));
  return /** @type {import("../types/env").Remote<import("./visitor.js").VisitorState>} */ (/** @type {unknown} */ (stub));
}

/**
 * Creates the links `puts` (in order) and answers the visitor of each key
 * in `gets` that has one: one call to the index at most, none when every
 * key is cached and nothing is to be linked.
 * @param {import("./config.js").Env} env
 * @param {LinkPut[]} puts
 * @param {string[]} gets
 * @returns {Promise<{outcomes: LinkOutcome[], found: Map<string, string>}>}
 */
export async function linkUsers(env, puts, gets) {
  const now = Date.now();
  /** @type {Map<string, string>} */
  const found = new Map();
  for (const key of gets) {
    const c = cache.get(key);
    if (c && c.until > now) found.set(key, c.to);
  }
  if (puts.length === 0 && found.size === new Set(gets).size) return { outcomes: [], found };
  const r = await index(env).linkUsers({ puts, gets, now });
  if (cache.size > CACHE_MAX) cache.clear();
  for (const [key, to] of Object.entries(r.found)) {
    found.set(key, to);
    cache.set(key, { to, until: now + CACHE_MS });
  }
  return { outcomes: r.outcomes, found };
}

/**
 * Deletes the links to or of these visitors (erasure).
 * @param {import("./config.js").Env} env
 * @param {string[]} visitorIds
 */
export async function unlinkVisitors(env, visitorIds) {
  for (const [key, c] of cache) if (visitorIds.includes(c.to) || visitorIds.includes(key)) cache.delete(key);
  await index(env).unlink(visitorIds);
}

/** The index's table, over a Durable Object's SQL storage. */
export class LinkTable {
  /** @param {SqlStorage} sql */
  constructor(sql) {
    this.sql = sql;
    sql.exec("CREATE TABLE IF NOT EXISTS links (user_key TEXT PRIMARY KEY, visitor_id TEXT NOT NULL, linked_at INTEGER NOT NULL)");
    sql.exec("CREATE INDEX IF NOT EXISTS links_visitor ON links (visitor_id)");
  }

  /** @param {string} key */
  of(key) {
    const row = this.sql.exec("SELECT visitor_id FROM links WHERE user_key = ?", key).toArray()[0];
    return row ? String(row.visitor_id) : null;
  }

  /**
   * @param {{puts: LinkPut[], gets: string[], now: number}} r
   * @returns {{outcomes: LinkOutcome[], found: Record<string, string>}}
   */
  apply({ puts, gets, now }) {
    const outcomes = puts.map(({ key, to, via }) => {
      const target = (via && this.of(via)) || to;
      const current = this.of(key);
      if (current === null) this.sql.exec("INSERT INTO links VALUES (?, ?, ?)", key, target, now);
      return current === null ? "linked" : current === target ? "same" : "conflict";
    });
    /** @type {Record<string, string>} */
    const found = {};
    for (const key of gets) {
      const to = this.of(key);
      if (to !== null) found[key] = to;
    }
    return { outcomes, found };
  }

  /** @param {string[]} visitorIds */
  unlink(visitorIds) {
    for (const id of visitorIds) this.sql.exec("DELETE FROM links WHERE visitor_id = ? OR user_key = ?", id, id);
  }
}
