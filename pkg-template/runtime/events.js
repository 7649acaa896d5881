// @ts-check
// A stored event object as the arguments of `LiveVisitor.track`, read as
// scoring reads an event object (src/score/event.rs `check_members`, with
// src/time.rs `parse_iso8601` and `parse_number_loose` of
// src/score/fit/mod.rs), so the page scores a history as the edge does.
// The page build's visitor takes plain strings and numbers only, so every
// reading that scoring does on the object is done here; what scoring
// refuses maps to null. Limits on lengths, counts and times the visitor
// checks itself (it throws, and the event counts nothing, as there).

const KINDS = ["page", "track", "identify", "group", "screen"];

/** @param {unknown} v */
const present = (v) => v !== undefined && v !== null;

/** @param {unknown} v */
const isObject = (v) => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Milliseconds of an ISO 8601 text as scoring reads it: a date, optionally
 * `T`/space and `hh:mm[:ss[.fff]]` with `Z` or `±hh[:]mm` (none is UTC);
 * NaN for anything else.
 * @param {string} text
 */
export function isoMillis(text) {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/.exec(text.trim());
  if (!m) return NaN;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 60) return NaN;
  // Milliseconds from the first three digits of the fraction.
  const millis = Number(((m[7] ?? "") + "000").slice(0, 3));
  let offset = 0;
  const zone = m[8];
  if (zone && zone !== "Z" && zone !== "z") {
    const [oh, om] = [Number(zone.slice(1, 3)), Number(zone.slice(-2))];
    if (oh > 23 || om > 59) return NaN;
    offset = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  // Date.UTC counts a 60th second into the next minute, as scoring does.
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, 0);
  return utc.getTime() - offset * 60_000 + millis;
}

/**
 * A number people typed ("90", "1,200", "$5k", "201-500": the lower bound)
 * as the fit rules read it; NaN when it is not one.
 * @param {string} text
 */
export function looseNumber(text) {
  let cleaned = text.trim().replace(/^[$€£¥￥]+/u, "").replace(/[,_ ]/g, "").replace(/\++$/, "");
  const dash = cleaned.indexOf("-", 1);
  if (dash > 0) cleaned = cleaned.slice(0, dash);
  const lower = cleaned.toLowerCase();
  const scale = { k: 1e3, m: 1e6, b: 1e9 }[lower.slice(-1)] ?? 1;
  const digits = scale === 1 ? lower : lower.slice(0, -1);
  // Rust's float grammar: no hex, no blank, no "Infinity" spelled otherwise.
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(digits)) return NaN;
  return Number(digits) * scale;
}

/**
 * `[action, url, timestamp, tags, dwellSeconds]` for `LiveVisitor.track`,
 * or null for an event scoring refuses.
 * @param {Record<string, any>} e
 * @returns {[string, string | null, number, string[] | null, number | null] | null}
 */
export function trackArgs(e) {
  let kind;
  if (present(e.type)) {
    if (typeof e.type !== "string") return null;
    kind = KINDS.find((k) => k === e.type.toLowerCase());
    if (!kind) return null;
  } else if (present(e.event)) {
    kind = "track";
  } else {
    return null;
  }
  let action = kind;
  if (kind === "track") {
    if (typeof e.event !== "string" || !e.event.trim()) return null;
    action = e.event.trim();
  }
  let ts = e.timestamp;
  if (typeof ts === "string") ts = isoMillis(ts);
  if (typeof ts !== "number" || !Number.isFinite(ts)) return null;
  if (present(e.properties) && !isObject(e.properties)) return null;
  const p = isObject(e.properties) ? e.properties : {};
  const page = isObject(e.context) && isObject(e.context.page) ? e.context.page : {};
  let url = null;
  for (const u of [p.path, p.url, page.path, page.url]) {
    if (!present(u)) continue;
    if (typeof u !== "string") return null;
    if ((url = u.trim() || null)) break;
  }
  let tags = null;
  if (present(p.tags)) {
    /** @type {unknown[]} */
    const list = Array.isArray(p.tags) ? p.tags : [0];
    if (list.some((t) => typeof t !== "string")) return null;
    // U+001F joins tags on their way into wasm.
    tags = list.map((t) => String(t).replaceAll("\u001f", ""));
  }
  let dwell = null;
  if (present(p.dwellSeconds)) {
    dwell = typeof p.dwellSeconds === "string" ? looseNumber(p.dwellSeconds) : p.dwellSeconds;
    if (typeof dwell !== "number" || !(dwell >= 0 && dwell < Infinity)) return null;
  }
  return [action, url, ts, tags, dwell];
}
