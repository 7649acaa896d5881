// @ts-check
// Sending events to the edge: the I/O around the delivery policy
// (delivery.js). Batches go over `fetch`, or `sendBeacon` when the page
// goes away; retries wait on the flush timer.
import { acknowledge, batchBody, nextBatch, settle } from "./delivery.js";
import { warn } from "./errors.js";

/** @typedef {import("./runtime.js").Runtime} Runtime */

/** The worker's visitor token header, on its answers and our requests. */
export const TOKEN_HEADER = "x-nurture-visitor";

/**
 * Sends the next batch, if there is one.
 * @param {Runtime} rt @param {boolean} leaving
 */
export function flush(rt, leaving) {
  const s = rt.state;
  const batch = nextBatch({
    outbox: s.outbox,
    inFlight: rt.inFlight.flatMap((b) => b.ids),
    endpoint: rt.options.endpoint !== null,
    consent: rt.consent,
    stopped: rt.stopped,
    crossOrigin: rt.crossOrigin,
    token: s.token ?? null,
    leaving,
  });
  if (!batch) return;
  const url = `${rt.options.endpoint}/v1/events`;
  const body = batchBody(batch, Date.now());
  const { ids } = batch;
  // A queued beacon is the browser's promise to deliver: the next page
  // does not send the batch again. A refused one falls back to a keepalive fetch.
  let queued = false;
  try {
    queued = leaving && navigator.sendBeacon(url, body);
  } catch {}
  if (queued) {
    acknowledge(s.outbox, ids);
    rt.save();
    return;
  }
  /** @type {Record<string, string>} */
  const headers = { "content-type": "application/json" };
  // Credentials stay at fetch's default (same-origin): another origin gets the token header.
  if (batch.token) headers[TOKEN_HEADER] = batch.token;
  const sent = { ids, sentFor: { visitor: s.id, token: batch.token } };
  rt.inFlight.push(sent);
  /** @param {import("./delivery.js").Outcome} outcome */
  const done = (outcome) => onSent(rt, sent, outcome);
  let request;
  try {
    request = fetch(url, { method: "POST", body, keepalive: leaving, headers });
  } catch (e) {
    request = Promise.reject(e);
  }
  request.then(
    (resp) => done({ status: resp.status || 0, token: resp.headers.get(TOKEN_HEADER) }),
    () => done("failed"),
  );
}

/**
 * A batch came back: does what `settle` says to the outbox, the stored
 * token and the flush timer.
 * @param {Runtime} rt @param {{ids: string[], sentFor: import("./delivery.js").SentFor}} sent
 * @param {import("./delivery.js").Outcome} outcome
 */
function onSent(rt, sent, outcome) {
  const i = rt.inFlight.indexOf(sent);
  if (i >= 0) rt.inFlight.splice(i, 1);
  const s = rt.state;
  const { fate, token } = settle(i >= 0 ? sent.sentFor : null, { visitor: s.id, token: s.token ?? null, crossOrigin: rt.crossOrigin, consent: rt.consent }, outcome);
  if (token === null) {
    warn("nurture: the edge refused the stored visitor token; it is dropped");
    delete s.token;
    rt.save();
  } else if (token !== undefined) {
    s.token = token;
    rt.save();
  }
  if (fate === "delivered") {
    acknowledge(s.outbox, sent.ids);
    rt.backoff.delivered();
    rt.save();
    // What is left goes now.
    if (s.outbox.length) rt.flushIn(0);
  } else if (fate === "refused") {
    warn("nurture: the edge refused a batch of events; they are dropped");
    acknowledge(s.outbox, sent.ids);
    rt.save();
  } else if (fate === "retry") {
    const wait = rt.backoff.failed();
    if (rt.flushTimer === null) rt.flushIn(wait);
  } else rt.flushIn(0);
}
