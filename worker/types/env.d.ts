// The worker's bindings: wrangler.toml in production, worker/miniflare.mjs
// for the tests and the demo (worker/README.md, "Bindings", says what each
// does). Vars come from wrangler as strings; Miniflare may pass other JSON
// values, which src/config.js reads too.
import type { VisitorState } from "../src/visitor.js";
import type { DeadLetterStore } from "../src/deadletter.js";
import type { ForwardMessage } from "../src/enrich.js";

/** A var or secret as it may arrive. */
export type Var = string | number | boolean | string[];

export interface Env {
  VISITORS: DurableObjectNamespace<VisitorState>;
  DEAD_LETTERS: DurableObjectNamespace<DeadLetterStore>;
  FORWARD_QUEUE: Queue<ForwardMessage>;
  /** The documents (keys site, model, forms, accounts): src/source.js. */
  NURTURE_CONFIG?: KVNamespace;
  /** The bytes of a MaxMind DB (.mmdb), from a Data module or binding. */
  MAXMIND_DB?: ArrayBuffer | Uint8Array;

  // secrets and documents
  NURTURE_KEYS?: Var;
  ADMIN_TOKEN?: Var;
  INGEST_TOKEN?: Var;
  COLLECTOR_URL?: Var;
  /** Where messages are forwarded (src/destinations/config.js); credentials it names by {"secret": NAME} are read from env too. */
  DESTINATIONS?: Var;
  MODEL_JSON?: Var;
  SITE_CONFIG_JSON?: Var;
  ACCOUNTS_CSV?: Var;
  FORMS_JSON?: Var;
  /** Routing, follow-up timers and programs (src/handoff/config.js). */
  HANDOFF_JSON?: Var;
  ORIGIN_URL?: Var;
  /** The Segment-protocol routes' write keys (src/config.js: writeKeys). */
  WRITE_KEYS?: Var;

  // vars read by src/config.js (defaults there)
  MAX_BODY_BYTES?: Var;
  MAX_EVENTS?: Var;
  MAX_EVENT_BYTES?: Var;
  MAX_JSON_DEPTH?: Var;
  SEEN_IDS_CAP?: Var;
  VISITOR_TTL_DAYS?: Var;
  ALLOWED_ORIGINS?: Var;
  CONSENT_REQUIRED?: Var;
  EMBED_CONFIG?: Var;
  HASH_EMAIL?: Var;
  HASH_FIELDS?: Var;
  DROP_FIELDS?: Var;
  COLLECTOR_TIMEOUT_MS?: Var;
  FORWARD_CONCURRENCY?: Var;
  FORWARD_COALESCE_MS?: Var;
  RETRY_BASE_SECONDS?: Var;
  RETRY_MAX_SECONDS?: Var;
  DEAD_LETTER_QUEUE?: Var;
  IP_RATE_BURST?: Var;
  IP_RATE_PER_SECOND?: Var;
  VISITOR_RATE_BURST?: Var;
  VISITOR_RATE_PER_SECOND?: Var;
  REENGAGE_AFTER_MS?: Var;
  REPLAY_LIMIT?: Var;
  TEST_HOOKS?: Var;
  MAX_FORM_BYTES?: Var;
  FORM_TOKEN_TTL_SECONDS?: Var;
  FORWARD_AUTHORIZATION?: Var;
  PERSONALIZE_EXCLUDE?: Var;
  RETENTION_DAYS?: Var;
  MAX_ERASE_IDS?: Var;
  BEHIND_CLOUDFLARE?: Var;
  SHARED_RATE_BURST?: Var;
  SHARED_RATE_PER_SECOND?: Var;
  ADMIN_RATE_BURST?: Var;
  ADMIN_RATE_PER_SECOND?: Var;
  BODY_TIMEOUT_MS?: Var;
  SEGMENT_MAX_BATCH_BYTES?: Var;
  SEGMENT_MAX_MESSAGE_BYTES?: Var;
  SEGMENT_MAX_EVENTS?: Var;
  NURTURE_DEMO?: Var;
}

/** The names of the vars and secrets (everything but the bindings). */
export type VarName = { [K in keyof Env]-?: Env[K] extends Var | undefined ? K : never }[keyof Env];

/**
 * A Durable Object as the worker calls it: each method answers a promise of
 * what it returns. The objects' methods take and return plain data, so this
 * is what RPC delivers; workers-types' own stub types map every value
 * through its serialization types, which recurse without end on JSON
 * (index.d.ts's `Json`).
 */
export type Remote<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};
