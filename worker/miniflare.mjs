// Miniflare options for the built worker (dist/), mirroring wrangler.toml:
// the same bindings, Durable Object classes, queues and defaults. Shared by
// the tests (worker/test/) and the local demo (worker/dev.mjs).
import path from "node:path";
import { fileURLToPath } from "node:url";

export const here = path.dirname(fileURLToPath(import.meta.url));
export const dist = path.join(here, "dist");

export const FORWARD_QUEUE = "nurture-forward";
export const DEAD_LETTER_QUEUE = "nurture-forward-dlq";

/**
 * @param {object} o
 * @param {Record<string, string>} [o.vars]   env vars and secrets (strings)
 * @param {object} [o.queue]  consumer tuning: maxBatchSize, maxBatchTimeout, maxRetries
 */
export function workerOptions({ vars = {}, queue = {}, ...rest } = {}) {
  return {
    name: "nurture-worker",
    modules: [
      { type: "ESModule", path: path.join(dist, "index.js") },
      { type: "CompiledWasm", path: path.join(dist, "nurture_bg.wasm") },
    ],
    modulesRoot: dist,
    compatibilityDate: "2025-09-01",
    bindings: { DEAD_LETTER_QUEUE, ...vars },
    durableObjects: {
      VISITORS: { className: "VisitorState", useSQLite: true },
      DEAD_LETTERS: { className: "DeadLetterStore", useSQLite: true },
    },
    queueProducers: { FORWARD_QUEUE: { queueName: FORWARD_QUEUE } },
    queueConsumers: {
      [FORWARD_QUEUE]: {
        maxBatchSize: queue.maxBatchSize ?? 50,
        maxBatchTimeout: queue.maxBatchTimeout ?? 1,
        maxRetries: queue.maxRetries ?? 5,
        deadLetterQueue: DEAD_LETTER_QUEUE,
      },
      [DEAD_LETTER_QUEUE]: { maxBatchSize: 100, maxBatchTimeout: queue.maxBatchTimeout ?? 1, maxRetries: 10 },
    },
    ...rest,
  };
}
