// @ts-check
// `start`'s options, read once; a value of the wrong kind is refused with
// its path (`options.consent`).
import { invalid } from "./errors.js";

/** The longest slots may stay hidden, whatever the options say. */
const MAX_ANTI_FLICKER_MS = 300;

/**
 * @typedef {object} Options
 * @property {string | null} endpoint without trailing slashes
 * @property {"never" | "navigation" | "immediate"} reapply
 * @property {boolean} required consent: "required"
 * @property {string} key the localStorage key
 * @property {number} antiFlickerMs
 * @property {number | null} hiddenAt
 * @property {boolean} autoTrack
 * @property {Record<string, unknown> | null} request
 * @property {number} batchMs
 * @property {Function | null} onExposure
 */

/** @param {number} v @param {number} lo @param {number} hi */
const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);

/** @param {any} o @returns {Options} */
export function readOptions(o) {
  /** @param {string} k @returns {string | null} */
  const text = (k) => (typeof o?.[k] === "string" && o[k] !== "" ? o[k] : null);
  const consent = text("consent");
  if (consent !== null && !["implied", "granted", "required"].includes(consent)) {
    throw invalid("options.consent", 'expected "required" or "implied"');
  }
  const request = o?.request;
  const reapply = o?.reapply ?? "navigation";
  if (!["never", "navigation", "immediate"].includes(reapply)) {
    throw invalid("options.reapply", 'expected "never", "navigation" or "immediate"');
  }
  const hidden = o?.hiddenAt;
  const flicker = o?.antiFlickerMs;
  const batch = o?.batchMs;
  const onExposure = o?.onExposure ?? null;
  if (onExposure !== null && typeof onExposure !== "function") throw invalid("options.onExposure", "expected a function");
  return {
    endpoint: text("endpoint")?.replace(/\/+$/, "") ?? null,
    reapply,
    required: consent === "required",
    key: text("storageKey") ?? "nurture",
    antiFlickerMs: clamp(typeof flicker === "number" ? flicker : MAX_ANTI_FLICKER_MS, 0, MAX_ANTI_FLICKER_MS) || 0,
    hiddenAt: hidden instanceof Date ? (Number.isFinite(hidden.getTime()) ? hidden.getTime() : null) : typeof hidden === "number" ? hidden : null,
    autoTrack: typeof o?.autoTrack === "boolean" ? o.autoTrack : true,
    request: typeof request === "object" && request !== null && !Array.isArray(request) ? JSON.parse(JSON.stringify(request)) : null,
    batchMs: typeof batch === "number" ? Math.trunc(clamp(batch, 0, 60000)) || 0 : 1000,
    onExposure,
  };
}
