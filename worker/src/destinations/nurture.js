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
    text = JSON.stringify(unlabelled(msg));
    texts.set(msg, text);
  }
  return text;
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
