// @ts-check
// POST /v1/outcomes: what sales did with the leads, reported back by the
// CRM (`Authorization: Bearer` ADMIN_TOKEN or INGEST_TOKEN, never from a
// browser). A batch `{outcomes: [{id, visitorId | emailHash, outcome, at,
// owner?, reason?}]}`; each outcome is checked on its own, the good ones are
// kept and the bad ones answered with their reason (index, code, field), and
// a batch with no good one is 422 `invalid_outcomes`. Each outcome is stored
// on its lead's Durable Object, once by its id (a resent outcome is a
// duplicate). A lead named by `emailHash` (SHA-256 hex of the trimmed,
// lower-cased address, `sha256:` prefix optional: what HASH_EMAIL forwards)
// is found in the lead index (handoff/leads.js); the outcome goes to every
// visitor of that address.

import { HttpError } from "../errors.js";
import { json, readJson } from "../http.js";
import { VISITOR_ID } from "../token.js";
import { visitorStub } from "../identity.js";
import { forwardMessages } from "../forward.js";
import { handoffConfig } from "../handoff/config.js";
import { leadIndex } from "../handoff/leads.js";
import { authorize } from "./admin.js";

/**
 * @typedef {import("../config.js").Env} Env
 * @typedef {import("../config.js").Settings} Settings
 * @typedef {import("../handoff/lead.js").Outcome} Outcome
 * @typedef {import("../handoff/lead.js").OutcomeKind} OutcomeKind
 * @typedef {{index: number, id?: string, code: string, field?: string, message: string}} Rejection
 */

export const MAX_OUTCOMES = 100;
const KINDS = new Set(["accepted", "rejected", "returned", "opportunity", "won", "lost"]);
const ITEM_KEYS = new Set(["id", "visitorId", "emailHash", "outcome", "at", "owner", "reason"]);
const OUTCOME_ID = /^[\x21-\x7e]{1,128}$/;
const EMAIL_HASH = /^(?:sha256:)?([0-9a-fA-F]{64})$/;
const EARLIEST = Date.UTC(2000, 0, 1);
const FUTURE_SLACK_MS = 86_400_000;

/**
 * One outcome checked: the stored form and who it names, or why not.
 * @param {unknown} raw
 * @param {number} index
 * @param {number} now
 * @returns {{item: Omit<Outcome, "receivedAt">, visitorId: string | null, emailHash: string | null} | Rejection}
 */
export function checkOutcome(raw, index, now) {
  /** @param {string} code @param {string} message @param {string} [field] */
  const no = (code, message, field) => {
    /** @type {Rejection} */
    const r = { index, code, message };
    if (field) r.field = field;
    const id = raw !== null && typeof raw === "object" ? /** @type {{id?: unknown}} */ (raw).id : undefined;
    if (typeof id === "string" && OUTCOME_ID.test(id)) r.id = id;
    return r;
  };
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return no("invalid_outcome", "an outcome is an object {id, visitorId | emailHash, outcome, at, owner?, reason?}");
  const o = /** @type {Record<string, unknown>} */ (raw);
  for (const key of Object.keys(o)) {
    if (!ITEM_KEYS.has(key)) return no("unknown_field", `unknown field "${key.slice(0, 40)}"`, key.slice(0, 40));
  }
  if (typeof o.id !== "string" || !OUTCOME_ID.test(o.id)) return no("invalid_id", "id: 1 to 128 printable ASCII characters, no spaces", "id");
  if (o.visitorId === undefined && o.emailHash === undefined) return no("lead_required", "name the lead: visitorId or emailHash", "visitorId");
  if (o.visitorId !== undefined && o.emailHash !== undefined) return no("ambiguous_lead", "name the lead once: visitorId or emailHash, not both", "emailHash");
  let visitorId = null;
  let emailHash = null;
  if (o.visitorId !== undefined) {
    if (typeof o.visitorId !== "string" || !VISITOR_ID.test(o.visitorId)) return no("invalid_visitor_id", "visitorId: 22 characters of [A-Za-z0-9_-]", "visitorId");
    visitorId = o.visitorId;
  } else {
    const m = typeof o.emailHash === "string" ? EMAIL_HASH.exec(o.emailHash) : null;
    if (!m) return no("invalid_email_hash", "emailHash: SHA-256 hex (64 digits) of the trimmed, lower-cased address, optionally prefixed sha256:", "emailHash");
    emailHash = m[1].toLowerCase();
  }
  if (typeof o.outcome !== "string" || !KINDS.has(o.outcome)) return no("invalid_outcome", `outcome: one of ${[...KINDS].join(", ")}`, "outcome");
  const at = typeof o.at === "number" ? o.at : typeof o.at === "string" && o.at.length <= 40 ? Date.parse(o.at) : NaN;
  if (!Number.isFinite(at) || !Number.isInteger(at) || at < EARLIEST || at > now + FUTURE_SLACK_MS) {
    return no("invalid_at", "at: an ISO 8601 time (or epoch milliseconds) from 2000 to now", "at");
  }
  /** @type {Omit<Outcome, "receivedAt">} */
  const item = { id: o.id, outcome: /** @type {OutcomeKind} */ (o.outcome), at };
  for (const [field, max] of /** @type {const} */ ([["owner", 200], ["reason", 500]])) {
    const v = o[field];
    if (v === undefined || v === null) continue;
    if (typeof v !== "string" || v.length > max) return no(`invalid_${field}`, `${field}: a string of at most ${max} characters`, field);
    item[field] = v;
  }
  return { item, visitorId, emailHash };
}

/**
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 */
export async function postOutcomes(request, env, ctx, s) {
  await authorize(request, env, ["ADMIN_TOKEN", "INGEST_TOKEN"]);
  handoffConfig(env); // a broken handoff document is the operator's to fix first
  const body = await readJson(request, s);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new HttpError("invalid_body", "expected {outcomes: [...]}");
  for (const key of Object.keys(body)) {
    if (key !== "outcomes") throw new HttpError("unknown_field", `unknown field "${key.slice(0, 40)}"`, { field: key.slice(0, 40) });
  }
  const list = /** @type {{outcomes?: unknown}} */ (body).outcomes;
  if (!Array.isArray(list)) throw new HttpError("invalid_body", "expected {outcomes: [...]}");
  if (list.length === 0) throw new HttpError("empty_batch", "outcomes: the list is empty");
  if (list.length > MAX_OUTCOMES) throw new HttpError("too_many_outcomes", `outcomes: at most ${MAX_OUTCOMES} per request`);

  const now = Date.now();
  /** @type {Rejection[]} */
  const rejected = [];
  /** @type {{index: number, item: Omit<Outcome, "receivedAt">, visitorId: string | null, emailHash: string | null}[]} */
  const good = [];
  /** @type {{index: number, id: string}[]} */
  const duplicates = [];
  const ids = new Set();
  list.forEach((raw, index) => {
    const c = checkOutcome(raw, index, now);
    if ("code" in c) rejected.push(c);
    else if (ids.has(c.item.id)) duplicates.push({ index, id: c.item.id }); // the same outcome twice in one batch
    else {
      ids.add(c.item.id);
      good.push({ index, ...c });
    }
  });

  // The leads named by e-mail hash, from the lead index.
  const hashes = good.flatMap((g) => (g.emailHash ? [g.emailHash] : []));
  const byEmail = hashes.length ? await leadIndex(env).indexByEmail(hashes) : {};
  /** @type {Map<string, {index: number, item: Omit<Outcome, "receivedAt">}[]>} */
  const perVisitor = new Map();
  /** @type {Map<number, string[]>} */
  const visitorsOf = new Map();
  for (const g of good) {
    const visitors = g.visitorId ? [g.visitorId] : byEmail[/** @type {string} */ (g.emailHash)] ?? [];
    if (visitors.length === 0) {
      rejected.push({ index: g.index, id: g.item.id, code: "unknown_email", field: "emailHash", message: "no lead with this e-mail hash" });
      continue;
    }
    visitorsOf.set(g.index, visitors);
    for (const v of visitors) {
      const list = perVisitor.get(v) ?? [];
      list.push({ index: g.index, item: g.item });
      perVisitor.set(v, list);
    }
  }
  /** @type {Map<number, Map<string, string>>} item index → visitor → result */
  const results = new Map();
  /** @type {import("../enrich.js").ForwardMessage[]} */
  const forward = [];
  const jobs = [...perVisitor.entries()];
  for (let i = 0; i < jobs.length; i += 8) {
    await Promise.all(jobs.slice(i, i + 8).map(async ([visitorId, items]) => {
      const out = await visitorStub(env, visitorId).applyOutcomes({ visitorId, items: items.map((x) => x.item), now });
      items.forEach((x, j) => {
        const r = results.get(x.index) ?? new Map();
        r.set(visitorId, out.results[j]);
        results.set(x.index, r);
      });
      forward.push(...out.forward);
    }));
  }
  /** @type {{index: number, id: string, visitorIds: string[]}[]} */
  const accepted = [];
  for (const g of good) {
    const byVisitor = results.get(g.index);
    if (!byVisitor) continue;
    const visitors = /** @type {string[]} */ (visitorsOf.get(g.index));
    const r = [...byVisitor.values()];
    if (r.includes("accepted")) accepted.push({ index: g.index, id: g.item.id, visitorIds: visitors.filter((v) => byVisitor.get(v) === "accepted") });
    else if (r.includes("duplicate")) duplicates.push({ index: g.index, id: g.item.id });
    else if (r.includes("visitor_erased")) rejected.push({ index: g.index, id: g.item.id, code: "visitor_erased", field: g.visitorId ? "visitorId" : "emailHash", message: "this visitor's data was erased" });
    else rejected.push({ index: g.index, id: g.item.id, code: "unknown_visitor", field: "visitorId", message: "no visitor with this id has been seen" });
  }
  if (forward.length) ctx.waitUntil(forwardMessages(env, forward));
  rejected.sort((a, b) => a.index - b.index);
  duplicates.sort((a, b) => a.index - b.index);
  if (accepted.length === 0 && duplicates.length === 0) {
    throw new HttpError("invalid_outcomes", `no outcome of the batch was taken: ${rejected.slice(0, 3).map((r) => `[${r.index}] ${r.code}`).join(", ")}`, { rejected });
  }
  return json({ accepted, duplicates, rejected, signals: forward.map((m) => m.event.event) });
}
