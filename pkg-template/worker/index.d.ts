// nurture/worker: the edge worker, ready to deploy (worker/README.md in the
// repository, "Deploying"). Re-export it from the Worker's entry:
//   export { default, VisitorState, DeadLetterStore } from "nurture/worker";
// Typed without the Workers types, so any project's tsc accepts it.

/** The module worker: `fetch` (every route) and `queue` (forwarding, dead letters). */
declare const worker: {
  fetch(request: unknown, env: unknown, ctx: unknown): Promise<unknown>;
  queue(batch: unknown, env: unknown): Promise<void>;
};
export default worker;

/** The Durable Object class bound as VISITORS: one per visitor. */
export declare class VisitorState {
  constructor(ctx: unknown, env: unknown);
}

/** The Durable Object class bound as DEAD_LETTERS: messages a destination refused, filed per destination. */
export declare class DeadLetterStore {
  constructor(ctx: unknown, env: unknown);
}

/**
 * Bundles documents into the Worker at build time (call it at the top of the
 * entry). Each document may come from one place only: the KV namespace
 * NURTURE_CONFIG, this bundle, or a variable.
 */
export declare function bundleConfig(docs: {
  /** The site config (the JSON document, as imported). */
  site?: unknown;
  /** The scoring model; omitted: the built-in one. */
  model?: unknown;
  /** The forms, {formId: form}. */
  forms?: unknown;
  /** Routing, follow-up timers and programs (schema/handoff.schema.json); omitted: off. */
  handoff?: unknown;
  /** The named accounts: CSV text, or the JSON document. */
  accounts?: unknown;
}): void;
