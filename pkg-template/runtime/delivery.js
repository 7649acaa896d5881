// @ts-check
// The page's delivery policy (src/delivery.rs in JS): which unsent events
// make the next batch, what an answer from the edge does to them and to the
// visitor token, and when to try again. Pure functions over the outbox;
// transport.js does the I/O. Delivery is at least once: a batch whose
// answer is lost stays in the outbox and goes again with backoff, and its
// `messageId`s let the edge drop what it already has.

/** @typedef {Record<string, any>} Event */

/** The most events in one batch. */
export const BATCH_SIZE = 50;
/** A batch's events may not exceed this many bytes as JSON (the worker takes 64 KiB). */
export const BATCH_MAX_BYTES = 60 * 1024;
/** Unsent events kept; beyond this the oldest are dropped. */
export const MAX_OUTBOX = 300;
/** The first wait after a failed batch; each further failure doubles it. */
export const RETRY_FIRST_MS = 2000;
/** The longest wait between two tries. */
export const RETRY_MAX_MS = 60000;
/** The longest visitor token kept; the worker refuses longer ones. */
export const MAX_TOKEN_LEN = 200;

/** UTF-8 length of a string. @param {string} s */
export const bytes = (s) => new TextEncoder().encode(s).length;

/** An event's `messageId`. @param {Event} e @returns {string | undefined} */
export const messageId = (e) => (typeof e?.messageId === "string" ? e.messageId : undefined);

/**
 * Whether `text` can be kept and sent back as a visitor token: the
 * worker's alphabet (base64url, digits, dots) and length.
 * @param {unknown} text
 */
export const validToken = (text) => typeof text === "string" && /^[A-Za-z0-9._-]{1,200}$/.test(text);

/**
 * Keeps the newest `keep` items; returns how many went.
 * @param {unknown[]} list @param {number} keep
 */
export function trimFront(list, keep) {
  const drop = Math.max(0, list.length - keep);
  list.splice(0, drop);
  return drop;
}

/**
 * Queues an event, keeping the newest MAX_OUTBOX; returns how many went.
 * @param {Event[]} outbox @param {Event} event
 */
export function enqueue(outbox, event) {
  outbox.push(event);
  return trimFront(outbox, MAX_OUTBOX);
}

/**
 * Removes the events named by `ids` (and any without a `messageId`).
 * @param {Event[]} outbox @param {string[]} ids
 */
export function acknowledge(outbox, ids) {
  const kept = outbox.filter((e) => {
    const id = messageId(e);
    return id !== undefined && !ids.includes(id);
  });
  outbox.splice(0, outbox.length, ...kept);
}

/**
 * @typedef {object} Sender
 * @property {Event[]} outbox
 * @property {string[]} inFlight `messageId`s on their way
 * @property {boolean} endpoint
 * @property {boolean} consent
 * @property {boolean} stopped
 * @property {boolean} crossOrigin
 * @property {string | null} token
 * @property {boolean} leaving the page is going away: a beacon
 */
/**
 * @typedef {object} Batch
 * @property {string} events the events as a JSON array
 * @property {string[]} ids
 * @property {string | null} token sent only to another origin
 * @property {boolean} beacon
 */

/**
 * The next batch: up to BATCH_SIZE unsent events not already on their way,
 * oldest first, within BATCH_MAX_BYTES (the first always goes); null when
 * there is nothing to send or no endpoint, consent or running runtime.
 * @param {Sender} s @returns {Batch | null}
 */
export function nextBatch(s) {
  if (!s.endpoint || !s.consent || s.stopped) return null;
  const texts = [];
  /** @type {string[]} */
  const ids = [];
  let size = 0;
  for (const event of s.outbox) {
    const id = messageId(event);
    if (id === undefined || s.inFlight.includes(id)) continue;
    if (ids.length === BATCH_SIZE) break;
    const text = JSON.stringify(event);
    size += bytes(text) + 1;
    if (ids.length && size > BATCH_MAX_BYTES) break;
    texts.push(text);
    ids.push(id);
  }
  if (!ids.length) return null;
  return { events: `[${texts}]`, ids, token: s.crossOrigin ? s.token : null, beacon: s.leaving };
}

/**
 * The request body, `{events, consent: true, sentAt}`; a beacon (which
 * cannot set headers) carries the token as `visitorToken`.
 * @param {Batch} b @param {number} sentAt
 */
export const batchBody = (b, sentAt) =>
  `{"events":${b.events},"consent":true,"sentAt":${Math.round(sentAt)}${
    b.beacon && b.token ? `,"visitorToken":${JSON.stringify(b.token)}` : ""
  }}`;

/**
 * How a sent batch ended: `"beaconed"`, `"failed"` (no answer), or an HTTP
 * answer with its `x-nurture-visitor` header.
 * @typedef {"beaconed" | "failed" | {status: number, token: string | null}} Outcome
 */
/** Who a batch was sent for. @typedef {{visitor: string, token: string | null}} SentFor */
/** The runtime as the answer finds it. @typedef {{visitor: string, token: string | null, crossOrigin: boolean, consent: boolean}} Current */
/**
 * What an answer settles: the events' fate ("delivered", "refused",
 * "retry", "resend": the token was refused, send again without it) and
 * the token (undefined: keep, null: forget, a string: replace).
 * @typedef {{fate: "delivered" | "refused" | "retry" | "resend", token: string | null | undefined}} Settlement
 */

/**
 * Settles a batch from its outcome. A 2xx settles the whole batch.
 * @param {SentFor | null} sent @param {Current} now @param {Outcome} outcome
 * @returns {Settlement}
 */
export function settle(sent, now, outcome) {
  if (outcome === "beaconed") return { fate: "delivered", token: undefined };
  if (outcome === "failed") return { fate: "retry", token: undefined };
  const { status, token } = outcome;
  const ours = now.crossOrigin && now.consent && sent !== null && sent.visitor === now.visitor;
  if (ours && status === 401 && sent?.token && now.token === sent.token) return { fate: "resend", token: null };
  return {
    fate: status >= 200 && status < 300 ? "delivered" : status === 400 || status === 413 || status === 422 ? "refused" : "retry",
    token: ours && validToken(token) && now.token !== token ? /** @type {string} */ (token) : undefined,
  };
}

/**
 * The wait before the next try: RETRY_FIRST_MS, doubled at each failure up
 * to RETRY_MAX_MS, back to the first after a delivered batch.
 */
export class Backoff {
  next = RETRY_FIRST_MS;
  /** A batch failed: how long to wait. */
  failed() {
    const wait = this.next;
    this.next = Math.min(this.next * 2, RETRY_MAX_MS);
    return wait;
  }
  delivered() {
    this.next = RETRY_FIRST_MS;
  }
}
