// Forwarding without loss. Messages (enriched events and lifecycle signals)
// are POSTed to COLLECTOR_URL in batches: one request per batch of events
// (`{"batch": [message, ...]}`, at most BATCH_MESSAGES messages and about
// BATCH_BYTES), each message carrying its own idempotency key in `id`, and
// the request an `Idempotency-Key` of its own (`bat_` + SHA-256 of the ids,
// the same for the same messages). One request rather than one per message:
// twenty subrequests per batch were most of what an event batch cost.
// What fails (5xx, 408/429, timeout, refused) goes to the FORWARD_QUEUE; its
// consumer retries with exponential backoff (a queue batch is sent as one
// request too); after the queue's max_retries the message moves to the
// dead-letter queue, whose consumer files it in the DeadLetterStore, from
// which /v1/admin/replay sends it again. A batch the collector refuses for
// good (another 4xx) is sent again one message per request, so that one bad
// message cannot take the others with it; a message refused on its own goes
// to the dead-letter store at once: retrying cannot help, a fixed collector
// or a replay can. Every hop keeps the same message id, so the collector can
// drop duplicates (a request that timed out after the collector stored it is
// delivered twice, by design: at-least-once plus idempotency = exactly once).

import { settings } from "./config.js";
import { ofErased } from "./deadletter.js";


async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function hashAt(obj, key) {
  if (!obj || typeof obj !== "object" || !Object.hasOwn(obj, key)) return;
  const value = obj[key];
  if (typeof value === "string" && value.startsWith("sha256:")) return;
  if (typeof value !== "string" && typeof value !== "number") {
    // Not a value a collector could join on: nothing of it is kept.
    delete obj[key];
    return;
  }
  // E-mail addresses and other identifiers compare case-insensitively.
  obj[key] = `sha256:${await sha256Hex(String(value).trim().toLowerCase())}`;
}

/**
 * What of a message may carry personal data a visitor or a form gave: the
 * stored profile, the event's traits and properties, and the traits in its
 * context.
 */
function personalParts(m) {
  return [m.profile, m.event?.traits, m.event?.properties, m.event?.context?.traits];
}

/**
 * Before a message leaves the worker: with HASH_EMAIL the e-mail address,
 * and every field named in HASH_FIELDS, becomes its SHA-256; fields named in
 * DROP_FIELDS are removed.
 */
export async function redact(env, msg) {
  const s = settings(env);
  const hash = s.hashEmail ? ["email", ...s.hashFields] : s.hashFields;
  if (hash.length === 0 && s.dropFields.length === 0) return msg;
  const m = structuredClone(msg);
  for (const part of personalParts(m)) {
    if (!part || typeof part !== "object") continue;
    for (const key of s.dropFields) delete part[key];
    for (const key of hash) await hashAt(part, key);
  }
  return m;
}

// A batch request's size bounds: well under what collectors and Workers
// subrequests take, and a retry resends no more than this.
const BATCH_MESSAGES = 100;
const BATCH_BYTES = 512 * 1024;

/** Splits messages into request-sized batches: [{msgs, body}]. */
function batches(msgs) {
  const out = [];
  let chunk = [];
  let parts = [];
  let bytes = 0;
  const flush = () => {
    if (chunk.length) out.push({ msgs: chunk, body: `{"batch":[${parts.join(",")}]}` });
    chunk = [];
    parts = [];
    bytes = 0;
  };
  for (const m of msgs) {
    const text = JSON.stringify(m);
    if (chunk.length === BATCH_MESSAGES || (chunk.length > 0 && bytes + text.length > BATCH_BYTES)) flush();
    chunk.push(m);
    parts.push(text);
    bytes += text.length + 1;
  }
  flush();
  return out;
}

/**
 * One delivery attempt of one batch request: "ok", "retry" (worth trying
 * again) or "permanent".
 */
async function postBatch(env, { msgs, body }) {
  const s = settings(env);
  const key = `bat_${(await sha256Hex(msgs.map((m) => m.id).join("\n"))).slice(0, 40)}`;
  let res;
  try {
    res = await fetch(s.collectorUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": key, "user-agent": "nurture-worker" },
      body,
      signal: AbortSignal.timeout(s.collectorTimeoutMs),
    });
  } catch {
    return "retry"; // refused, reset or timed out
  }
  try {
    await res.body?.cancel();
  } catch {
    // the body is not needed
  }
  if (res.ok) return "ok";
  if (res.status >= 500 || res.status === 408 || res.status === 425 || res.status === 429) return "retry";
  return "permanent";
}

/** One delivery attempt of one message (as a batch of one). */
export function post(env, msg) {
  return postBatch(env, batches([msg])[0]);
}

/**
 * Delivers `msgs` in batch requests; returns the outcome of each message.
 * A batch refused for good is tried again message by message, so only the
 * messages the collector refuses on their own count as "permanent".
 */
async function deliver(env, msgs) {
  const s = settings(env);
  const outcomes = new Map();
  const parts = batches(msgs);
  await pool(parts, s.forwardConcurrency, async (part) => {
    let outcome = await postBatch(env, part);
    if (outcome === "permanent" && part.msgs.length > 1) {
      const each = await pool(part.msgs, s.forwardConcurrency, (m) => post(env, m));
      part.msgs.forEach((m, i) => outcomes.set(m, each[i]));
      return;
    }
    for (const m of part.msgs) outcomes.set(m, outcome);
  });
  return msgs.map((m) => outcomes.get(m));
}

async function pool(items, limit, fn) {
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

async function enqueue(env, msgs) {
  // A Queues batch holds at most 100 messages and 256 KB.
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

export function deadLetters(env) {
  return env.DEAD_LETTERS.get(env.DEAD_LETTERS.idFromName("global"));
}

/**
 * Forwards messages: straight to the collector (`direct`), the failures to
 * the queue, and if the queue itself is unavailable, to the dead-letter store.
 * Returns the ids in each outcome.
 */
export async function forwardMessages(env, messages, { direct = true } = {}) {
  const s = settings(env);
  const result = { delivered: [], queued: [], deadLettered: [] };
  if (!s.collectorUrl || messages.length === 0) return result;
  const msgs = await Promise.all(messages.map((m) => redact(env, m)));
  let retry = msgs;
  const permanent = [];
  if (direct) {
    const outcomes = await deliver(env, msgs);
    retry = [];
    msgs.forEach((m, i) => {
      if (outcomes[i] === "ok") result.delivered.push(m.id);
      else if (outcomes[i] === "retry") retry.push(m);
      else permanent.push(m);
    });
  }
  if (retry.length) {
    try {
      await enqueue(env, retry);
      result.queued.push(...retry.map((m) => m.id));
    } catch (err) {
      console.error("forward: queue unavailable, filing in the dead-letter store", String(err));
      permanent.push(...retry);
    }
  }
  if (permanent.length) {
    await deadLetters(env).add(permanent.map((body) => ({ body, reason: "collector refused or queue unavailable", attempts: 1 })));
    result.deadLettered.push(...permanent.map((m) => m.id));
  }
  return result;
}

export function backoffSeconds(env, attempts) {
  const s = settings(env);
  return Math.min(s.retryMaxSeconds, s.retryBaseSeconds * 2 ** Math.max(0, attempts - 1));
}

/** Consumer of FORWARD_QUEUE: the queue's batch goes out as batch requests. */
export async function consumeForward(batch, env) {
  const s = settings(env);
  let messages = batch.messages;
  // A message still being retried when its visitor was erased is dropped
  // here rather than delivered after the erasure signal. When the store
  // cannot answer, delivery goes on: the collector honours the signal.
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
  const outcomes = s.collectorUrl ? await deliver(env, messages.map((m) => m.body)) : messages.map(() => "retry");
  const permanent = [];
  messages.forEach((message, i) => {
    if (outcomes[i] === "ok") message.ack();
    else if (outcomes[i] === "permanent") permanent.push(message);
    else message.retry({ delaySeconds: backoffSeconds(env, message.attempts) });
  });
  if (permanent.length) {
    await deadLetters(env).add(permanent.map((m) => ({ body: m.body, reason: "collector refused the message", attempts: m.attempts })));
    for (const m of permanent) m.ack();
  }
}

/** Consumer of the dead-letter queue: files each message for replay. */
export async function consumeDeadLetters(batch, env) {
  await deadLetters(env).add(
    batch.messages.map((m) => ({ body: m.body, reason: "retries exhausted", attempts: m.attempts })),
  );
  batch.ackAll();
}
