// @ts-check
// Forwarding without loss, to every configured destination (DESTINATIONS,
// else COLLECTOR_URL alone: src/destinations/config.js), each on its own:
// its own requests, retries, dead letters and replay, so one failing
// destination never causes a resend to another. How a destination's
// requests look is its format (src/destinations/): `nurture` (the worker's
// envelope), `segment` (Segment-spec calls) or `webhook` (the envelope,
// signed). Messages (enriched events and lifecycle signals) go out in
// batches: one request per batch (at most the destination's batchSize
// messages and its format's byte bound), each message carrying its own
// idempotency key (`id` in the envelope, `messageId` for Segment), and the
// request an `Idempotency-Key` of its own (`bat_` + SHA-256 of the
// destination and the keys, the same for the same messages). One request
// rather than one per message: twenty subrequests per batch were most of
// what an event batch cost.
// What fails (5xx, 408/425/429, timeout, refused) goes to the FORWARD_QUEUE,
// each queue message labelled with its destination (`destination`); the
// consumer retries with exponential backoff (a queue batch is sent as one
// request per destination too); after the queue's max_retries the message
// moves to the dead-letter queue, whose consumer files it in the
// DeadLetterStore under its destination, from which /v1/admin/replay sends
// it again to that destination only. A batch a destination refuses for good
// (another 4xx) is sent again one message per request, so that one bad
// message cannot take the others with it; a message refused on its own, or
// one its format cannot encode (a Segment call over 32 KB), goes to the
// dead-letter store at once: retrying cannot help, a fixed destination or a
// replay can. Every hop keeps the same message id, so a destination can drop
// duplicates (a request that timed out after it was stored is delivered
// twice, by design: at-least-once plus idempotency = exactly once).

import { settings } from "./config.js";
import { ofErased } from "./deadletter.js";
import { sha256Hex } from "./digest.js";
import { redact } from "./redact.js";
import { envelope, unlabelled } from "./destinations/nurture.js";
import { segment, utf8Bytes } from "./destinations/segment.js";
import { webhook } from "./destinations/webhook.js";

export { redact, SCORE_KEYS, normalKey } from "./redact.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("./enrich.js").ForwardMessage} ForwardMessage
 * @typedef {import("./destinations/config.js").Destination} Destination
 * @typedef {import("./destinations/nurture.js").Format} Format
 * @typedef {ForwardMessage & {destination?: string}} Routed a message as queued
 *   and dead-lettered: labelled with its destination (none: `nurture`, as
 *   queued before destinations existed)
 * @typedef {"ok" | "retry" | "permanent"} Outcome
 * @typedef {{msgs: ForwardMessage[], parts: string[], keys: string[]}} Batch
 * @typedef {{outcome: Outcome, reason?: string}} Result
 */

/** @type {Record<Destination["type"], Format>} */
const FORMATS = { nurture: envelope, segment, webhook };

/** The destination of messages queued without a label. */
export const LEGACY_DESTINATION = "nurture";

/** @param {Partial<Routed> | undefined} m */
export const destinationOf = (m) => (typeof m?.destination === "string" ? m.destination : LEGACY_DESTINATION);

/**
 * @param {ForwardMessage} m
 * @param {string} destination
 * @returns {Routed}
 */
const labelled = (m, destination) => ({ ...unlabelled(m), destination });

/** @param {{text: string}[]} parts */
const sizeOf = (parts) => parts.reduce((n, p) => n + utf8Bytes(p.text) + 1, 0);

/**
 * Splits messages into request-sized batches for `dest`; the messages its
 * format refuses, with the reason, apart.
 * @param {Destination} dest
 * @param {ForwardMessage[]} msgs
 */
function batches(dest, msgs) {
  const format = FORMATS[dest.type];
  /** @type {Batch[]} */
  const out = [];
  /** @type {Map<ForwardMessage, string>} */
  const refused = new Map();
  /** @type {Batch} */
  let chunk = { msgs: [], parts: [], keys: [] };
  let keys = new Set();
  let bytes = 0;
  const flush = () => {
    if (chunk.msgs.length) out.push(chunk);
    chunk = { msgs: [], parts: [], keys: [] };
    keys = new Set();
    bytes = 0;
  };
  for (const m of msgs) {
    const enc = format.encode(dest, m);
    if ("refused" in enc) {
      refused.set(m, enc.refused);
      continue;
    }
    // A part whose key the request already carries (the identify that the
    // signals of one update share) goes once.
    let fresh = enc.parts.filter((p) => !keys.has(p.key));
    let size = sizeOf(fresh);
    if (chunk.msgs.length > 0 && (chunk.parts.length + fresh.length > dest.batchSize || bytes + size > format.maxBytes)) {
      flush();
      fresh = enc.parts;
      size = sizeOf(fresh);
    }
    chunk.msgs.push(m);
    for (const p of fresh) {
      keys.add(p.key);
      chunk.parts.push(p.text);
      chunk.keys.push(p.key);
    }
    bytes += size;
  }
  flush();
  return { batches: out, refused };
}

/**
 * One delivery attempt of one batch request to `dest`.
 * @param {Destination} dest
 * @param {Batch} batch
 * @returns {Promise<Result>}
 */
async function postBatch(dest, { parts, keys }) {
  const format = FORMATS[dest.type];
  const now = Date.now();
  const body = format.wrap(dest, parts, now);
  const key = `bat_${sha256Hex(`${dest.id}\n${keys.join("\n")}`).slice(0, 40)}`;
  let res;
  try {
    res = await fetch(dest.url, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key, "user-agent": "nurture-worker", ...(await format.headers(dest, body, now)) },
      body,
      signal: AbortSignal.timeout(dest.timeoutMs),
    });
  } catch {
    return { outcome: "retry" }; // refused, reset or timed out
  }
  // The answer is read to its end (a small one: past DRAIN_BYTES the rest
  // is dropped) so that the connection can carry the next request; a body
  // cancelled halfway closes it, and each forward paid for a new one.
  await drain(res);
  if (res.ok) return { outcome: "ok" };
  if (res.status >= 500 || res.status === 408 || res.status === 425 || res.status === 429) return { outcome: "retry" };
  return { outcome: "permanent", reason: `${dest.id} refused the message (HTTP ${res.status})` };
}

const DRAIN_BYTES = 64 * 1024;

/**
 * Reads a response's body to its end, up to DRAIN_BYTES (then cancels it).
 * @param {Response} res
 */
async function drain(res) {
  if (!res.body) return;
  const reader = res.body.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      bytes += value.byteLength;
      if (bytes > DRAIN_BYTES) {
        await reader.cancel();
        return;
      }
    }
  } catch {
    // the body is not needed; the outcome is the status
  }
}

/**
 * Delivers `msgs` to `dest` in batch requests; returns the result of each
 * message. A batch refused for good is tried again message by message, so
 * only the messages the destination refuses on their own count as
 * "permanent" (and those its format cannot encode).
 * @param {Env} env
 * @param {Destination} dest
 * @param {ForwardMessage[]} msgs
 * @returns {Promise<Result[]>}
 */
async function deliver(env, dest, msgs) {
  const s = settings(env);
  /** @type {Map<ForwardMessage, Result>} */
  const results = new Map();
  const { batches: parts, refused } = batches(dest, msgs);
  for (const [m, reason] of refused) results.set(m, { outcome: "permanent", reason });
  await pool(parts, s.forwardConcurrency, async (part) => {
    const result = await postBatch(dest, part);
    if (result.outcome === "permanent" && part.msgs.length > 1) {
      const each = await pool(part.msgs, s.forwardConcurrency, (m) => postBatch(dest, batches(dest, [m]).batches[0]));
      part.msgs.forEach((m, i) => results.set(m, each[i]));
      return;
    }
    for (const m of part.msgs) results.set(m, result);
  });
  return msgs.map((m) => /** @type {Result} */ (results.get(m)));
}

/**
 * `fn` over `items`, at most `limit` at a time; the results in order.
 * @template T, R
 * @param {T[]} items
 * @param {number} limit
 * @param {(item: T, index: number) => Promise<R>} fn
 * @returns {Promise<R[]>}
 */
async function pool(items, limit, fn) {
  /** @type {R[]} */
  const out = new Array(items.length);
  let next = 0;
  const run = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, run));
  return out;
}

/**
 * @param {Env} env
 * @param {Routed[]} msgs labelled
 */
async function enqueue(env, msgs) {
  // A Queues batch holds at most 100 messages and 256 KB.
  /** @type {Routed[]} */
  let chunk = [];
  let bytes = 0;
  const flush = async () => {
    if (chunk.length) await env.FORWARD_QUEUE.sendBatch(chunk.map((body) => ({ body, contentType: "json" })));
    chunk = [];
    bytes = 0;
  };
  for (const m of msgs) {
    const size = JSON.stringify(m).length + 100;
    if (chunk.length === 100 || bytes + size > 200_000) await flush();
    chunk.push(m);
    bytes += size;
  }
  await flush();
}

/**
 * The dead-letter store (one Durable Object, "global").
 * @param {Env} env
 */
export function deadLetters(env) {
  const stub = env.DEAD_LETTERS.get(env.DEAD_LETTERS.idFromName("global"));
  return /** @type {import("../types/env").Remote<import("./deadletter.js").DeadLetterStore>} */ (/** @type {unknown} */ (stub));
}

/**
 * Forwards messages to every destination (or only the one named `only`):
 * straight to it (`direct`), the failures to the queue, and if the queue
 * itself is unavailable, to the dead-letter store. Returns what happened,
 * as `<destination>/<message id>` keys (the dead-letter store's).
 * @param {Env} env
 * @param {ForwardMessage[]} messages
 * @param {{direct?: boolean, only?: string}} [options] `direct: false` skips the destinations and queues at once
 */
export async function forwardMessages(env, messages, { direct = true, only } = {}) {
  const dests = settings(env).destinations.filter((d) => only === undefined || d.id === only);
  /** @type {{delivered: string[], queued: string[], deadLettered: string[]}} */
  const result = { delivered: [], queued: [], deadLettered: [] };
  if (dests.length === 0 || messages.length === 0) return result;
  // Redacted once, whatever the number of destinations.
  const msgs = messages.map((m) => redact(env, unlabelled(m)));
  await Promise.all(dests.map(async (dest) => {
    /** @param {ForwardMessage} m */
    const key = (m) => `${dest.id}/${m.id}`;
    let retry = msgs;
    /** @type {{m: ForwardMessage, reason: string}[]} */
    const permanent = [];
    if (direct) {
      const results = await deliver(env, dest, msgs);
      retry = [];
      msgs.forEach((m, i) => {
        const r = results[i];
        if (r.outcome === "ok") result.delivered.push(key(m));
        else if (r.outcome === "retry") retry.push(m);
        else permanent.push({ m, reason: r.reason ?? `${dest.id} refused the message` });
      });
    }
    if (retry.length) {
      try {
        await enqueue(env, retry.map((m) => labelled(m, dest.id)));
        result.queued.push(...retry.map(key));
      } catch (err) {
        console.error("forward: queue unavailable, filing in the dead-letter store", dest.id, String(err));
        permanent.push(...retry.map((m) => ({ m, reason: "queue unavailable" })));
      }
    }
    if (permanent.length) {
      await deadLetters(env).add(permanent.map(({ m, reason }) => ({ body: labelled(m, dest.id), reason, attempts: 1 })));
      result.deadLettered.push(...permanent.map(({ m }) => key(m)));
    }
  }));
  return result;
}

/**
 * The messages a request forwards after its answer (event batches, form
 * posts) wait FORWARD_COALESCE_MS for other requests' in the same isolate
 * and go out with them, as forwardMessages sends any list: one request per
 * destination and batch, the failures queued. Under load that is one
 * subrequest for several requests instead of one each (each cost about as
 * much as the rest of the forward). The request that opens a batch sends it
 * from its own context, on its own timer; the others' `ctx.waitUntil`
 * awaits that send, so none of them ends before its messages are out (as
 * when each sent its own). Answers the outcome of the whole batch.
 * @param {Env} env
 * @param {ForwardMessage[]} messages
 */
export function forwardSoon(env, messages) {
  const s = settings(env);
  if (s.forwardCoalesceMs <= 0 || messages.length === 0) return forwardMessages(env, messages);
  const open = gathering.get(env);
  if (open && open.msgs.length + messages.length <= COALESCE_MAX) {
    open.msgs.push(...messages);
    return open.sent;
  }
  const msgs = [...messages];
  const sent = new Promise((resolve) => setTimeout(resolve, s.forwardCoalesceMs)).then(() => {
    if (gathering.get(env)?.msgs === msgs) gathering.delete(env);
    return forwardMessages(env, msgs);
  });
  gathering.set(env, { msgs, sent });
  return sent;
}

// At most this many messages wait together (a destination's batch holds
// 100 at most; a larger gathering would be sent as several requests anyway).
const COALESCE_MAX = 100;

/** @type {WeakMap<Env, {msgs: ForwardMessage[], sent: ReturnType<typeof forwardMessages>}>} the batch gathering, per isolate */
const gathering = new WeakMap();

/**
 * @param {Env} env
 * @param {number} attempts
 */
export function backoffSeconds(env, attempts) {
  const s = settings(env);
  return Math.min(s.retryMaxSeconds, s.retryBaseSeconds * 2 ** Math.max(0, attempts - 1));
}

/**
 * Consumer of FORWARD_QUEUE: the queue's batch goes out as batch requests,
 * each message to its own destination.
 * @param {MessageBatch<Routed>} batch
 * @param {Env} env
 */
export async function consumeForward(batch, env) {
  const s = settings(env);
  let messages = batch.messages;
  // A message still being retried when its visitor was erased is dropped
  // here rather than delivered after the erasure signal. When the store
  // cannot answer, delivery goes on: the destination honours the signal.
  try {
    const erased = new Set(await deadLetters(env).erasedAmong(messages.map((m) => m.body?.visitorId)));
    if (erased.size) {
      for (const m of messages) if (ofErased(m.body, erased)) m.ack();
      messages = messages.filter((m) => !ofErased(m.body, erased));
      if (messages.length === 0) return;
    }
  } catch (err) {
    console.error("forward: erasure check failed", String(err));
  }
  /** @type {Map<string, Message<Routed>[]>} */
  const byDestination = new Map();
  for (const m of messages) {
    const id = destinationOf(m.body);
    byDestination.set(id, [...(byDestination.get(id) ?? []), m]);
  }
  /** @type {{message: Message<Routed>, destination: string, reason: string}[]} */
  const permanent = [];
  await Promise.all([...byDestination].map(async ([id, group]) => {
    const dest = s.destinations.find((d) => d.id === id);
    // A destination no longer configured: kept for a replay once it is again.
    const results = dest
      ? await deliver(env, dest, group.map((m) => unlabelled(m.body)))
      : group.map(() => ({ outcome: /** @type {Outcome} */ ("permanent"), reason: `destination ${JSON.stringify(id)} is not configured` }));
    group.forEach((message, i) => {
      const r = results[i];
      if (r.outcome === "ok") message.ack();
      else if (r.outcome === "permanent") permanent.push({ message, destination: id, reason: r.reason ?? `${id} refused the message` });
      else message.retry({ delaySeconds: backoffSeconds(env, message.attempts) });
    });
  }));
  if (permanent.length) {
    await deadLetters(env).add(permanent.map(({ message, destination, reason }) => ({ body: labelled(message.body, destination), reason, attempts: message.attempts })));
    for (const { message } of permanent) message.ack();
  }
}

/**
 * Consumer of the dead-letter queue: files each message for replay, under
 * its destination.
 * @param {MessageBatch<Routed>} batch
 * @param {Env} env
 */
export async function consumeDeadLetters(batch, env) {
  await deadLetters(env).add(
    batch.messages.map((m) => ({ body: labelled(m.body, destinationOf(m.body)), reason: "retries exhausted", attempts: m.attempts })),
  );
  batch.ackAll();
}
