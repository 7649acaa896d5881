// @ts-check
// The visitor state kept in localStorage (src/page/state.rs in JS):
// versioned, bounded in size, reset safely when what is found there is not
// ours or not readable. Same layout and key as the Rust runtime, `v: 1`.
import { bytes, enqueue, trimFront, validToken } from "./delivery.js";

/** Bumped whenever the stored layout changes. */
export const STATE_VERSION = 1;
/** Events kept for local scoring; the oldest go first. */
export const MAX_EVENTS = 200;
/** The stored text may not exceed this many bytes. */
export const MAX_BYTES = 64 * 1024;

/**
 * @typedef {object} Stored
 * @property {number} v
 * @property {string} id 32 hex digits
 * @property {number} seq next event number; `messageId` is `{id}-{seq}`
 * @property {Record<string, any>} profile
 * @property {Record<string, any>[]} events
 * @property {Record<string, any>[]} outbox not yet acknowledged by the edge
 * @property {boolean} [consent] true once granted explicitly
 * @property {string} [token] the edge's newest visitor token
 * @property {string[]} [exposed] experiments reported (`Experiment Viewed`)
 */

/** @param {string} id @returns {Stored} */
export const newState = (id) => ({ v: STATE_VERSION, id, seq: 0, profile: {}, events: [], outbox: [] });

const FIELDS = ["v", "id", "seq", "profile", "events", "outbox", "consent", "token", "exposed"];
/** @param {unknown} v */
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
/** @param {unknown} v */
const list = (v) => v === undefined || Array.isArray(v);

/**
 * Reads stored text: the state, or why it was refused
 * (`"corrupt"`, `"foreign"`, `"version"`).
 * @param {string} text @returns {Stored | "corrupt" | "foreign" | "version"}
 */
export function parseState(text) {
  let s;
  try {
    s = JSON.parse(text);
  } catch {
    return "corrupt";
  }
  if (!isObject(s)) return "foreign";
  if (!Number.isInteger(s.v) || s.v < 0) return "foreign";
  if (s.v !== STATE_VERSION) return "version";
  const ok =
    Object.keys(s).every((k) => FIELDS.includes(k)) &&
    typeof s.id === "string" && /^[0-9a-fA-F]{32}$/.test(s.id) &&
    Number.isInteger(s.seq) && s.seq >= 0 &&
    (s.profile === undefined || isObject(s.profile)) &&
    list(s.events) && list(s.outbox) &&
    (s.consent == null || typeof s.consent === "boolean") &&
    (s.token == null || typeof s.token === "string") &&
    (s.exposed == null || Array.isArray(s.exposed)) &&
    [...(s.events ?? []), ...(s.outbox ?? [])].every(isObject);
  if (!ok) return "corrupt";
  /** @type {Stored} */
  const out = { v: 1, id: s.id, seq: s.seq, profile: s.profile ?? {}, events: s.events ?? [], outbox: s.outbox ?? [] };
  if (s.consent != null) out.consent = s.consent;
  // A token that could not be a header value is forgotten on its own.
  if (s.token != null && validToken(s.token)) out.token = s.token;
  if (s.exposed?.length) out.exposed = s.exposed;
  return out;
}

/**
 * Appends an event, keeping the newest MAX_EVENTS; returns how many unsent
 * events were dropped to keep the outbox within bounds.
 * @param {Stored} s @param {Record<string, any>} event @param {boolean} send
 */
export function pushEvent(s, event, send) {
  const dropped = send ? enqueue(s.outbox, event) : 0;
  s.events.push(event);
  trimFront(s.events, MAX_EVENTS);
  return dropped;
}

/**
 * The stored text, within MAX_BYTES: the oldest scored events go first,
 * then the oldest unsent ones; at worst the id alone.
 * @param {Stored} s
 */
export function stateText(s) {
  for (;;) {
    const text = JSON.stringify(s);
    if (bytes(text) <= MAX_BYTES) return text;
    if (s.events.length > 1) trimFront(s.events, s.events.length >> 1);
    else if (s.outbox.length) trimFront(s.outbox, s.outbox.length >> 1);
    else {
      s.profile = {};
      s.events = [];
      return JSON.stringify(s);
    }
  }
}
