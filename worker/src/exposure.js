// @ts-check
// Exposures: GrowthBook's trackingCallback, at the edge. When a visitor is
// bucketed into an experiment and a page shows that slot, the collector gets
// one `Experiment Viewed` track event for that visitor and experiment, with
// GrowthBook's documented Segment properties (`experimentId`: the
// experiment's key, `variationId`: the variation's index as text) plus
// nurture's `variant` and `slot`.
//
// Two places see exposures: this worker, for the pages it personalizes
// (site.js reports the experiment slots the HTML contained), and the page
// runtime, which sends the same event through /v1/events for what it
// decides or renders itself. Both use the messageId `exposure:<key>`. The
// visitor's Durable Object keeps the keys of the experiments it has already
// forwarded (`exposed`) and drops any later exposure to one of them,
// whichever side reports it, so page and edge together yield one; the
// collector's idempotency key is derived from the same messageId, a second
// line of defence should the Object's memory of it ever be gone.

import { b64url } from "./token.js";
import { sha256 } from "./digest.js";
import { visitorStub } from "./identity.js";
import { forwardMessages } from "./forward.js";
import { segmentIp, cfAttributes } from "./http.js";

/**
 * @typedef {import("./config.js").Env} Env
 * @typedef {import("./config.js").Settings} Settings
 * @typedef {{slot: string, key: string, variationId: string, variant: string}} Exposure
 * @typedef {{key: string, id: string, forwardId: string, event: import("nurture").NurtureEvent}} ExposureCandidate
 */

export const EXPOSURE_EVENT = "Experiment Viewed";
/** Experiments a visitor's Object remembers; the oldest are forgotten first. */
export const MAX_EXPOSED = 500;
const MAX_KEY = 180;

/** @param {string} key */
export function exposureId(key) {
  return `exposure:${key}`;
}

/**
 * The experiment key of an `Experiment Viewed` track event, else null.
 * @param {unknown} event
 * @returns {string | null}
 */
export function exposureKeyOf(event) {
  if (!event || typeof event !== "object") return null;
  const e = /** @type {Record<string, unknown>} */ (event);
  if (e.type !== "track" || e.event !== EXPOSURE_EVENT) return null;
  const p = e.properties;
  if (!p || typeof p !== "object") return null;
  const key = /** @type {Record<string, unknown>} */ (p).experimentId;
  return typeof key === "string" && key !== "" && key.length <= MAX_KEY ? key : null;
}

/**
 * The collector's idempotency key for a visitor's event id: unique per
 * visitor and event, so one visitor cannot collide with another's ids.
 * @param {string} visitorId
 * @param {string} id
 */
export function forwardIdOf(visitorId, id) {
  return `evt_${b64url(sha256(`${visitorId}\n${id}`)).slice(0, 32)}`;
}

/**
 * The experiments among `decisions` whose slot is in `shown`.
 * @param {import("nurture").Decision[]} decisions
 * @param {Set<string>} shown
 * @returns {Exposure[]}
 */
export function exposuresOf(decisions, shown) {
  return decisions.flatMap((d) => {
    const r = d.reason;
    if (r.kind !== "experiment" || typeof r.experiment !== "string" || typeof r.variationIndex !== "number" || !shown.has(d.slot)) return [];
    return [{ slot: d.slot, key: r.experiment, variationId: String(r.variationIndex), variant: d.variant }];
  });
}

/**
 * Has the visitor's Object forward the exposures it has not forwarded yet.
 * Never throws: a failure only loses what the page runtime reports anyway.
 * @param {Request} request
 * @param {Env} env
 * @param {Settings} s
 * @param {string} visitorId
 * @param {Exposure[]} exposures
 */
export async function recordExposures(request, env, s, visitorId, exposures) {
  if (exposures.length === 0) return;
  try {
    const now = Date.now();
    /** @type {ExposureCandidate[]} */
    const candidates = await Promise.all(exposures.filter((x) => x.key.length <= MAX_KEY).map(async (x) => {
      const id = exposureId(x.key);
      return {
        key: x.key,
        id,
        forwardId: forwardIdOf(visitorId, id),
        event: {
          type: "track", event: EXPOSURE_EVENT, messageId: id, timestamp: now, channel: "server",
          properties: { experimentId: x.key, variationId: x.variationId, variant: x.variant, slot: x.slot },
        },
      };
    }));
    const out = await visitorStub(env, visitorId).expose({ visitorId, candidates, now, ip: segmentIp(request, s), cf: cfAttributes(request) });
    if (out.forward.length) await forwardMessages(env, out.forward);
  } catch (err) {
    console.error("exposures", err instanceof Error ? err.message : err);
  }
}
