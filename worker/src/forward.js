// Forwarding without loss. Each message (an enriched event or a lifecycle
// signal) is POSTed to COLLECTOR_URL on its own with `Idempotency-Key: <id>`
// and a timeout. What fails (5xx, 408/429, timeout, refused) goes to the
// FORWARD_QUEUE; its consumer retries with exponential backoff; after the
// queue's max_retries the message moves to the dead-letter queue, whose
// consumer files it in the DeadLetterStore, from which /v1/admin/replay sends
// it again. A message the collector refuses for good (another 4xx) goes to
// the dead-letter store at once: retrying cannot help, a fixed collector or
// a replay can. Every hop keeps the same id, so the collector can drop
// duplicates (a request that timed out after the collector stored it is
// delivered twice, by design: at-least-once plus idempotency = exactly once).

import { settings } from "./config.js";


async function sha256Hex(text) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function hashEmailAt(obj, key) {
  if (obj && typeof obj === "object" && typeof obj[key] === "string" && !obj[key].startsWith("sha256:")) {
    obj[key] = `sha256:${await sha256Hex(obj[key].trim().toLowerCase())}`;
  }
}

/** HASH_EMAIL: every e-mail address in the payload becomes its SHA-256. */
export async function redact(env, msg) {
  if (!settings(env).hashEmail) return msg;
  const m = structuredClone(msg);
  await hashEmailAt(m.profile, "email");
  await hashEmailAt(m.event?.traits, "email");
  await hashEmailAt(m.event?.properties, "email");
  await hashEmailAt(m.event?.context?.traits, "email");
  return m;
}

/** One delivery attempt: "ok", "retry" (worth trying again) or "permanent". */
export async function post(env, msg) {
  const s = settings(env);
  let res;
  try {
    res = await fetch(s.collectorUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "idempotency-key": msg.id, "user-agent": "nurture-worker" },
      body: JSON.stringify(msg),
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
    const outcomes = await pool(msgs, s.forwardConcurrency, (m) => post(env, m));
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

/** Consumer of FORWARD_QUEUE. */
export async function consumeForward(batch, env) {
  const s = settings(env);
  const permanent = [];
  await pool(batch.messages, s.forwardConcurrency, async (message) => {
    const outcome = s.collectorUrl ? await post(env, message.body) : "retry";
    if (outcome === "ok") message.ack();
    else if (outcome === "permanent") permanent.push(message);
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
