// @ts-check
// The lead index: one row per lead (a visitor with an e-mail address, a
// qualification or an outcome), so that outcomes can name a lead by the
// hash of its e-mail address, and the export and the pipeline metrics can
// go over every lead (Durable Objects cannot be listed). Each visitor's
// object sends its row when it changes (what the row holds, not every
// update) and removes it on erasure and at the end of retention.
//
// It lives in the VISITORS namespace under the reserved name "lead-index",
// which no visitor id can take (those are 22 characters of [A-Za-z0-9_-]),
// in the object's SQLite storage: no new binding or migration for
// deployments. One object holds every row: its writes are a handful per
// lead over the lead's life, and its reads are operators' (export,
// metrics); a site with millions of leads would shard it by the hash of the
// visitor id.

/**
 * @typedef {import("./lead.js").HandoffState} HandoffState
 * @typedef {object} LeadRow
 * @property {string} visitorId
 * @property {string | null} emailHash
 * @property {number} firstSeen
 * @property {number | null} qualifiedAt
 * @property {string | null} grade
 * @property {string} status
 * @property {string | null} queue
 * @property {number | null} acceptedAt
 * @property {number} recycles
 * @property {string | null} lastOutcome
 * @property {boolean} converted
 * @property {number} outcomes
 */

export const LEAD_INDEX = "lead-index";
const MONTH_SERIES = 6;
export const GRADES = ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4", "C1", "C2", "C3", "C4", "D1", "D2", "D3", "D4"];

/**
 * The index's object.
 * @param {import("../config.js").Env} env
 */
export function leadIndex(env) {
  const stub = env.VISITORS.get(env.VISITORS.idFromName(LEAD_INDEX));
  return /** @type {import("../../types/env").Remote<import("../visitor.js").VisitorState>} */ (/** @type {unknown} */ (stub));
}

/**
 * The row a visitor's handoff state gives, or null when it is not a lead.
 * @param {string} visitorId
 * @param {HandoffState} h
 * @param {boolean} converted
 * @returns {LeadRow | null}
 */
export function rowOf(visitorId, h, converted) {
  if (h.emailHash === null && h.qualifiedAt === null && h.outcomes.length === 0) return null;
  return {
    visitorId,
    emailHash: h.emailHash,
    firstSeen: h.firstSeen,
    qualifiedAt: h.qualifiedAt,
    grade: h.grade,
    status: h.status,
    queue: h.route?.queue ?? null,
    acceptedAt: h.acceptedAt,
    recycles: h.recycles,
    lastOutcome: h.lastOutcome,
    converted,
    outcomes: h.outcomes.length,
  };
}

/** The index's table, over a Durable Object's SQL storage. */
export class LeadTable {
  /** @param {SqlStorage} sql */
  constructor(sql) {
    this.sql = sql;
    sql.exec(`CREATE TABLE IF NOT EXISTS leads (
      visitor_id TEXT PRIMARY KEY, email_hash TEXT, first_seen INTEGER NOT NULL, qualified_at INTEGER,
      grade TEXT, status TEXT NOT NULL, queue TEXT, accepted_at INTEGER, recycles INTEGER NOT NULL,
      last_outcome TEXT, converted INTEGER NOT NULL, outcomes INTEGER NOT NULL)`);
    sql.exec("CREATE INDEX IF NOT EXISTS leads_email ON leads (email_hash)");
    sql.exec("CREATE INDEX IF NOT EXISTS leads_qualified ON leads (qualified_at)");
  }

  /** @param {LeadRow} r */
  put(r) {
    this.sql.exec(
      `INSERT OR REPLACE INTO leads (visitor_id, email_hash, first_seen, qualified_at, grade, status, queue, accepted_at, recycles, last_outcome, converted, outcomes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.visitorId, r.emailHash, r.firstSeen, r.qualifiedAt, r.grade, r.status, r.queue, r.acceptedAt, r.recycles, r.lastOutcome, r.converted ? 1 : 0, r.outcomes,
    );
  }

  /** @param {string} visitorId */
  remove(visitorId) {
    this.sql.exec("DELETE FROM leads WHERE visitor_id = ?", visitorId);
  }

  /**
   * The visitors of each e-mail hash (at most 20 each, latest first).
   * @param {string[]} hashes
   * @returns {Record<string, string[]>}
   */
  byEmail(hashes) {
    /** @type {Record<string, string[]>} */
    const out = {};
    for (const hash of new Set(hashes)) {
      out[hash] = this.sql.exec("SELECT visitor_id FROM leads WHERE email_hash = ? ORDER BY first_seen DESC LIMIT 20", hash)
        .toArray().map((r) => String(r.visitor_id));
    }
    return out;
  }

  /**
   * Visitor ids after `after`, in order, at most `limit`; `labelled`: only
   * leads with an outcome.
   * @param {string} after
   * @param {number} limit
   * @param {boolean} labelled
   */
  list(after, limit, labelled) {
    return this.sql.exec(`SELECT visitor_id FROM leads WHERE visitor_id > ?${labelled ? " AND outcomes > 0" : ""} ORDER BY visitor_id LIMIT ?`, after, limit)
      .toArray().map((r) => String(r.visitor_id));
  }

  /**
   * The pipeline's figures at `now` (months are UTC calendar months).
   * @param {number} now
   */
  metrics(now) {
    const d = new Date(now);
    const monthStart = (/** @type {number} */ back) => Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1);
    const count = (/** @type {string} */ where, /** @type {unknown[]} */ ...args) =>
      Number(this.sql.exec(`SELECT COUNT(*) AS n FROM leads WHERE ${where}`, ...args).one().n);
    /** @type {{month: string, mqls: number}[]} */
    const series = [];
    for (let back = MONTH_SERIES - 1; back >= 0; back--) {
      const from = monthStart(back);
      const to = back === 0 ? now + 1 : monthStart(back - 1);
      series.push({ month: new Date(from).toISOString().slice(0, 7), mqls: count("qualified_at >= ? AND qualified_at < ?", from, to) });
    }
    const thisMonth = series[MONTH_SERIES - 1].mqls;
    const lastMonth = series[MONTH_SERIES - 2].mqls;
    const qualified = count("qualified_at IS NOT NULL");
    const accepted = count("qualified_at IS NOT NULL AND accepted_at IS NOT NULL");
    /** @type {Record<string, number>} */
    const grades = Object.fromEntries(GRADES.map((g) => [g, 0]));
    for (const r of this.sql.exec("SELECT grade, COUNT(*) AS n FROM leads WHERE grade IS NOT NULL GROUP BY grade").toArray()) {
      if (String(r.grade) in grades) grades[String(r.grade)] = Number(r.n);
    }
    const waits = this.sql.exec("SELECT accepted_at - qualified_at AS w FROM leads WHERE qualified_at IS NOT NULL AND accepted_at IS NOT NULL ORDER BY w")
      .toArray().map((r) => Math.max(0, Number(r.w)));
    const mid = waits.length >> 1;
    const median = waits.length === 0 ? null : waits.length % 2 ? waits[mid] : (waits[mid - 1] + waits[mid]) / 2;
    const recycled = this.sql.exec("SELECT COUNT(*) AS leads, COALESCE(SUM(recycles), 0) AS total FROM leads WHERE recycles > 0").one();
    return {
      at: new Date(now).toISOString(),
      leads: count("1 = 1"),
      mqls: {
        thisMonth,
        lastMonth,
        // (this month − last month) / last month × 100; null without MQLs last month
        leadVelocityRate: lastMonth === 0 ? null : Math.round(((thisMonth - lastMonth) / lastMonth) * 1000) / 10,
        byMonth: series,
      },
      conversion: { qualified, accepted, rate: qualified === 0 ? null : Math.round((accepted / qualified) * 1000) / 1000 },
      grades,
      recycled: { leads: Number(recycled.leads), recycles: Number(recycled.total) },
      timeToAcceptance: { leads: waits.length, medianSeconds: median === null ? null : Math.round(median / 1000) },
    };
  }
}
