// @ts-check
// GET /v1/forms/:formId: the fields to ask this visitor now (progressive
// profiling on the stored profile) and a signed form token binding the
// visitor, the form, the asked field names and the render time.
// POST /v1/forms/:formId: a submission (JSON or a plain HTML form post),
// accepted only for the fields the token says were asked; per-field errors
// in the visitor's language, or the merged profile's new score and the next
// fields (with a token for them).

import { HttpError, unwrap } from "../errors.js";
import { json, readForm, depthExceeds, segmentIp, cfAttributes, preferredLanguage } from "../http.js";
import { limitClient } from "../ratelimit.js";
import { cookieToken, signForm, verifyForm, FORM_TOKEN_HEADER } from "../token.js";
import { resolveVisitor, visitorHeaders, visitorStub } from "../identity.js";
import { withCore, isFatal } from "../core.js";
import { formFor } from "../forms.js";
import { forwardSoon } from "../forward.js";

/**
 * @typedef {import("../config.js").Env} Env
 * @typedef {import("../config.js").Settings} Settings
 * @typedef {import("nurture").FormConfig} FormConfig
 * @typedef {import("nurture").NextFields} NextFields
 * @typedef {import("nurture").ShownField} ShownField
 */

const TOKEN_FIELD = "nurture_token"; // the form token's name in a urlencoded post
const VISITOR_FIELD = "nurture_visitor"; // the visitor token's, for a page without the cookie
const JSON_KEYS = new Set(["token", "fields", "consent", "visitorToken"]);
const MAX_FIELDS = 60;

/**
 * Core calls on the form; a bad definition is the server's fault.
 * @template T
 * @param {Env} env
 * @param {(core: import("../core.js").Core) => T} fn
 * @returns {T}
 */
function onForm(env, fn) {
  try {
    return withCore(env, fn);
  } catch (err) {
    if (err instanceof HttpError || isFatal(err)) throw err;
    const e = /** @type {Partial<import("nurture").NurtureError> | null} */ (err);
    if (e && e.code === "invalid_config") throw new HttpError("form_invalid", `form definition: ${e.path ?? ""} ${e.message}`.trim());
    throw err;
  }
}

/** @param {NextFields} next */
function askedOf(next) {
  return [...next.fields.map((f) => f.name), ...next.hidden];
}

/**
 * @param {Env} env
 * @param {Settings} s
 * @param {{visitorId: string, formId: string, next: NextFields}} form
 */
async function issue(env, s, { visitorId, formId, next }) {
  const renderedAt = Date.now();
  const token = await signForm(env, { visitorId, formId, asked: askedOf(next), renderedAt });
  return {
    token,
    renderedAt,
    expiresAt: s.formTokenTtlSeconds > 0 ? renderedAt + s.formTokenTtlSeconds * 1000 : null,
  };
}

/**
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 * @param {{formId: string}} params
 */
export async function getForm(request, env, ctx, s, { formId }) {
  limitClient(request, s);
  const form = formFor(env, formId);
  const who = await resolveVisitor(request, env, s);
  const profile = who.known ? (await visitorStub(env, who.visitorId).profileOf()).profile : {};
  const next = onForm(env, (core) => core.form(formId, form).nextFields(profile));
  const t = await issue(env, s, { visitorId: who.visitorId, formId, next });
  // A cookie only where consent is not required; the page sends the token
  // back with the post either way (header, JSON visitorToken or the
  // nurture_visitor field).
  const headers = { ...visitorHeaders(who, s, who.fresh && !s.consentRequired), "cache-control": "private, no-store", vary: "Cookie" };
  return json({
    formId,
    fields: next.fields.map(withoutValue),
    hidden: next.hidden,
    remaining: next.remaining,
    complete: next.complete,
    ...t,
  }, 200, headers);
}

/**
 * A field to ask, without the stored value: the answer says which fields
 * are known (`known: true`), never what they hold. Pre-filling would hand
 * the stored e-mail (and any markup a past post stored) to whoever holds
 * the token, on a page any script on the site can read.
 * @param {ShownField} field
 */
function withoutValue(field) {
  const { value, ...rest } = field;
  return { ...rest, known: value !== undefined && value !== null && value !== "" };
}

/**
 * @param {unknown} v
 * @returns {v is Record<string, unknown>}
 */
function isPlainObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/**
 * Splits the body into the token, the fields and the consent flag.
 * @param {Awaited<ReturnType<typeof readForm>>} form
 * @param {Request} request
 */
function parseSubmission({ kind, body }, request) {
  /** @type {unknown} */
  let token = request.headers.get(FORM_TOKEN_HEADER);
  /** @type {Record<string, unknown>} */
  let fields;
  /** @type {unknown} */
  let consent;
  /** @type {unknown} */
  let visitorToken = null;
  if (kind === "urlencoded") {
    fields = body;
    if (TOKEN_FIELD in fields) {
      const t = fields[TOKEN_FIELD];
      delete fields[TOKEN_FIELD];
      token ??= Array.isArray(t) ? t[0] : t;
    }
    if (VISITOR_FIELD in fields) {
      const v = fields[VISITOR_FIELD];
      delete fields[VISITOR_FIELD];
      visitorToken = Array.isArray(v) ? v[0] : v;
    }
  } else {
    if (!isPlainObject(body)) throw new HttpError("invalid_body", "the body must be a JSON object {token, fields: {...}}");
    for (const key of Object.keys(body)) {
      if (!JSON_KEYS.has(key)) throw new HttpError("unknown_field", `unknown field "${key.slice(0, 40)}" (put form fields under "fields")`);
    }
    if (!("fields" in body)) throw new HttpError("invalid_body", "the body has no fields object");
    if (!isPlainObject(body.fields)) throw new HttpError("invalid_field", "fields: expected an object", { field: "fields" });
    if (body.token !== undefined) {
      if (typeof body.token !== "string") throw new HttpError("invalid_field", "token: expected a string", { field: "token" });
      token ??= body.token;
    }
    if (body.consent !== undefined && typeof body.consent !== "boolean") {
      throw new HttpError("invalid_field", "consent: expected true or false", { field: "consent" });
    }
    if (body.visitorToken !== undefined) {
      if (typeof body.visitorToken !== "string") throw new HttpError("invalid_field", "visitorToken: expected the x-nurture-visitor token as a string", { field: "visitorToken" });
      visitorToken = body.visitorToken;
    }
    consent = body.consent;
    fields = body.fields;
  }
  if (token === null || token === undefined || token === "") {
    throw new HttpError("missing_form_token", `no form token: load the form with GET first and send its token (JSON "token", form field "${TOKEN_FIELD}" or the ${FORM_TOKEN_HEADER} header)`);
  }
  if (Object.keys(fields).length > MAX_FIELDS) throw new HttpError("invalid_field", `fields: at most ${MAX_FIELDS}`, { field: "fields" });
  if (depthExceeds(fields, 3)) throw new HttpError("invalid_field", "fields: values must be strings, numbers, booleans or lists of them", { field: "fields" });
  return { token, fields, consent, visitorToken };
}

/**
 * @param {Request} request
 * @param {Env} env
 * @param {ExecutionContext} ctx
 * @param {Settings} s
 * @param {{formId: string}} params
 */
export async function postForm(request, env, ctx, s, { formId }) {
  limitClient(request, s);
  const form = formFor(env, formId);
  const posted = await readForm(request, { ...s, maxBodyBytes: Math.min(s.maxBodyBytes, s.maxFormBytes) });
  const { kind } = posted;
  const { token, fields, consent, visitorToken } = parseSubmission(posted, request);

  const t = await verifyForm(env, token, s.formTokenTtlSeconds);
  if (t.formId !== formId) throw new HttpError("form_token_wrong_form", "the form token was issued for another form");
  // The form token is not an identity: the post must come from the visitor
  // it was issued to, shown by their own token or cookie. A form token
  // alone (leaked from a page, a log, a referrer) gets nobody's profile.
  const who = await resolveVisitor(request, env, s, { bodyToken: visitorToken, required: true });
  if (who.visitorId !== t.visitorId) throw new HttpError("form_token_wrong_visitor", "the form token was issued to another visitor");

  const asked = new Set(t.asked);
  // A plain HTML form sends every input, empty or not; an empty input that
  // was not asked carries nothing, so it is dropped rather than refused.
  if (kind === "urlencoded") {
    for (const k of Object.keys(fields)) if (!asked.has(k) && fields[k] === "") delete fields[k];
  }
  const unasked = Object.keys(fields).filter((k) => !asked.has(k));
  if (unasked.length) {
    throw new HttpError("field_not_asked", `not asked in this form: ${unasked.slice(0, 5).map((k) => k.slice(0, 40)).join(", ")}`, {
      fields: unasked.slice(0, 20).map((k) => k.slice(0, 40)),
    });
  }

  const now = Date.now();
  const out = unwrap(await visitorStub(env, who.visitorId).submitForm({
    visitorId: who.visitorId,
    formId,
    submission: { ...fields },
    asked: t.asked,
    renderedAt: t.renderedAt,
    nonce: t.nonce,
    now,
    language: preferredLanguage(request),
    ip: segmentIp(request, s),
    cf: cfAttributes(request),
  }));
  if (!out.valid) {
    if (out.errors.some((e) => e.code === "bot_suspected")) {
      throw new HttpError("bot_suspected", "the form was sent too fast or with the hidden field filled in");
    }
    throw new HttpError("invalid_fields", "some fields are not valid", { errors: out.errors });
  }
  if (out.forward.length) ctx.waitUntil(forwardSoon(env, out.forward));

  const consentGiven = consent === true || Object.entries(out.merge.profile).some(([k, v]) => v === true && form.fields?.some((f) => f.name === k && f.type === "consent"));
  // The cookie goes out when it is new (a re-signed token) or the post came
  // without one (the token rode in the body), so the next request from a
  // page on the worker's origin names the visitor by itself.
  const cookie = (who.fresh || cookieToken(request) === null) && (!s.consentRequired || consentGiven);
  const headers = { ...visitorHeaders(who, s, cookie), "cache-control": "private, no-store" };
  const next = out.next;
  const nextToken = await issue(env, s, { visitorId: who.visitorId, formId, next });
  const score = out.score;
  return json({
    formId,
    visitorId: who.visitorId,
    valid: true,
    newlyKnown: out.merge.newlyKnown,
    updated: out.merge.updated,
    fit: out.fit,
    score: { grade: score.grade, tier: score.tier, stage: score.stage, fit: score.fit, engagement: score.engagement, mql: score.mql },
    segments: out.segments,
    primarySegment: out.primarySegment,
    signals: out.signals,
    next: { fields: next.fields.map(withoutValue), hidden: next.hidden, remaining: next.remaining, complete: next.complete, ...nextToken },
  }, 200, headers);
}
