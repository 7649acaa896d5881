// @ts-check
// Every error code the worker answers with, and its HTTP status: the one
// table. An HttpError is made from a code and takes its status from here, so
// a code cannot be answered with two statuses, and a code that is not listed
// does not type-check (tsc -p worker/tsconfig.json). worker/README.md
// documents each code in the same order; worker/test/error-codes.test.mjs
// keeps the two in step.

export const ERROR_STATUS = /** @type {const} */ ({
  // the request
  invalid_json: 400,
  invalid_encoding: 400,
  empty_body: 400,
  invalid_body: 400,
  invalid_field: 400,
  unknown_field: 400,
  client_score_rejected: 400,
  empty_batch: 400,
  invalid_path: 400,
  body_aborted: 400,
  not_a_preflight: 400,
  too_many_events: 413,
  body_too_large: 413,
  body_timeout: 408,
  no_valid_events: 422,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  not_found: 404,
  origin_not_allowed: 403,
  rate_limited: 429,
  // the visitor
  invalid_visitor_token: 401,
  visitor_token_expired: 401,
  unknown_key_id: 401,
  visitor_required: 401,
  no_visitor: 401,
  visitor_erased: 401,
  invalid_visitor_id: 400,
  too_many_ids: 413,
  // operators
  unauthorized: 401,
  admin_disabled: 403,
  // outcomes (POST /v1/outcomes)
  too_many_outcomes: 413,
  invalid_outcomes: 422,
  // the Segment-protocol routes' write keys
  write_key_required: 401,
  unknown_write_key: 401,
  write_keys_unset: 403,
  // forms
  unknown_form: 404,
  missing_form_token: 400,
  invalid_form_token: 403,
  form_token_expired: 403,
  form_token_wrong_form: 403,
  form_token_wrong_visitor: 403,
  form_token_used: 409,
  field_not_asked: 400,
  invalid_fields: 422,
  bot_suspected: 422,
  // never for bad input: the worker's configuration, the origin, the core
  config_missing: 503,
  invalid_variable: 500,
  config_unavailable: 503,
  server_misconfigured: 500,
  model_invalid: 500,
  site_config_invalid: 500,
  form_invalid: 500,
  handoff_config_invalid: 500,
  origin_misconfigured: 500,
  origin_unavailable: 502,
  core_unavailable: 503,
  internal_error: 500,
});

/** @typedef {keyof typeof ERROR_STATUS} ErrorCode */

/** An error the client caused (or must know about), with a stable code. */
export class HttpError extends Error {
  /**
   * @param {ErrorCode} code
   * @param {string} message
   * @param {unknown} [details] answered as `error.details`
   */
  constructor(code, message, details) {
    super(message);
    /** @type {number} */
    this.status = ERROR_STATUS[code];
    this.code = code;
    this.details = details;
    /** @type {number | undefined} seconds, answered as Retry-After (429) */
    this.retryAfter = undefined;
    /** @type {string | undefined} the methods a 405 answers in Allow */
    this.allow = undefined;
  }
}

/**
 * A Durable Object's refusal, as it crosses RPC: plain data, since an
 * HttpError thrown inside the object would reach the worker as a bare Error.
 * @typedef {{code: ErrorCode, message: string, retryAfter?: number}} Refusal
 * @typedef {{ok: false, error: Refusal}} Refused
 */

/**
 * What a Durable Object method answers instead of throwing.
 * @param {ErrorCode} code
 * @param {string} message
 * @param {number} [retryAfter]
 * @returns {Refused}
 */
export function refuse(code, message, retryAfter) {
  return { ok: false, error: retryAfter === undefined ? { code, message } : { code, message, retryAfter } };
}

/**
 * The one way a Durable Object's answer becomes the route's: a refusal is
 * thrown as the HttpError it stands for (status from the table, Retry-After
 * kept), anything else is returned as it is.
 * @template {{ok: boolean}} T
 * @param {T} out
 * @returns {Exclude<T, {ok: false}>}
 */
export function unwrap(out) {
  if (isRefused(out)) {
    const err = new HttpError(out.error.code, out.error.message);
    err.retryAfter = out.error.retryAfter;
    throw err;
  }
  return /** @type {Exclude<T, {ok: false}>} */ (out);
}

/**
 * @param {{ok: boolean}} out
 * @returns {out is Refused}
 */
function isRefused(out) {
  return out.ok === false;
}
