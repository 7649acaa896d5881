// @ts-check
// The `nurture` destination: the worker's own envelope, one request per
// batch, `{"batch": [message, ...]}`, each message as forwarded (src/enrich.js
// ForwardMessage: {kind, id, visitorId, receivedAt, event, score, profile,
// segments, primarySegment}) with its idempotency key in `id`. Also the body
// of the signed webhook (webhook.js).

/**
 * @typedef {import("../enrich.js").ForwardMessage} ForwardMessage
 * @typedef {import("./config.js").Destination} Destination
 * @typedef {{parts: {key: string, text: string}[]} | {refused: string}} Encoded
 *   a message as the JSON texts of what it becomes in a request's list, each
 *   with its idempotency key (a request carries one part per key), or why it
 *   cannot be sent (a permanent refusal: it is dead-lettered with the reason)
 * @typedef {object} Format
 * @property {(dest: Destination, msg: ForwardMessage) => Encoded} encode
 * @property {(dest: Destination, parts: string[], now: number) => string} wrap the request body
 * @property {(dest: Destination, body: string, now: number) => Record<string, string> | Promise<Record<string, string>>} headers besides content-type and Idempotency-Key
 * @property {number} maxBytes a request body's size bound (UTF-8 bytes)
 */

/**
 * The message without the destination label that queue messages and dead
 * letters carry: the envelope is the same whichever hop delivers it.
 * @param {ForwardMessage & {destination?: string}} msg
 * @returns {ForwardMessage}
 */
export function unlabelled(msg) {
  if (msg.destination === undefined) return msg;
  const { destination: _, ...rest } = msg;
  return rest;
}

// A message's envelope text, made once for every destination that sends it
// (nurture and webhook destinations, and a resend one by one).
/** @type {WeakMap<ForwardMessage, string>} */
const texts = new WeakMap();

/** @param {ForwardMessage} msg */
function envelopeText(msg) {
  let text = texts.get(msg);
  if (text === undefined) {
    text = messageText(unlabelled(msg));
    texts.set(msg, text);
  }
  return text;
}

// The score and segments of one update are one object each, shared by all
// the messages it forwards (a 20-event batch's twenty events, its signals):
// their text is made once. They were about two thirds of each message's
// text and most of what encoding a batch cost (in the worker's CPU profile
// of a 20-event batch, `envelopeText` took 5-8 % of the isolate's time).
/** @type {WeakMap<object, string>} */
const sharedTexts = new WeakMap();
const SHARED_KEYS = new Set(["score", "segments"]);

/**
 * `JSON.stringify(msg)`, the same text, with the shared parts' text made
 * once for all the messages that hold them: the keys before the first
 * shared one are written in one call (as `JSON.stringify` would), the rest
 * one by one.
 * @param {ForwardMessage} msg
 */
export function messageText(msg) {
  const obj = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (msg));
  const keys = Object.keys(obj);
  const first = keys.findIndex((k) => SHARED_KEYS.has(k) && obj[k] !== null && typeof obj[k] === "object");
  if (first < 0 || keys.includes("__proto__")) return JSON.stringify(msg);
  /** @type {Record<string, unknown>} */
  const head = {};
  for (let i = 0; i < first; i++) head[keys[i]] = obj[keys[i]];
  let out = JSON.stringify(head).slice(0, -1);
  for (let i = first; i < keys.length; i++) {
    const key = keys[i];
    const value = obj[key];
    /** @type {string | undefined} */
    let text;
    if (SHARED_KEYS.has(key) && value !== null && typeof value === "object") {
      text = sharedTexts.get(value);
      if (text === undefined) {
        text = JSON.stringify(value);
        sharedTexts.set(value, text);
      }
    } else text = JSON.stringify(value);
    // What JSON.stringify leaves out of an object: undefined, functions, symbols.
    if (text === undefined) continue;
    out += `${out.length > 1 ? "," : ""}${JSON.stringify(key)}:${text}`;
  }
  return `${out}}`;
}

/** @type {Format} */
export const envelope = {
  encode: (_dest, msg) => ({ parts: [{ key: msg.id, text: envelopeText(msg) }] }),
  wrap: (_dest, parts) => `{"batch":[${parts.join(",")}]}`,
  headers: () => ({}),
  // Well under what collectors and Workers subrequests take; a retry
  // resends no more than this.
  maxBytes: 512 * 1024,
};
