// @ts-check
// Exposures: the first time this visitor sees a slot whose decision came
// from an experiment the page decided, an `Experiment Viewed` track event
// goes into the normal queue and `onExposure(experiment, result)` is
// called (GrowthBook's `trackingCallback`), once per visitor and
// experiment: the experiments reported are kept in the stored state.
import { trackEvent } from "./tracking.js";

/** @typedef {import("./runtime.js").Runtime} Runtime */

/** Experiments remembered; the oldest are forgotten first. */
export const MAX_EXPOSED = 100;

/**
 * Finds the experiments of the slots this runtime applied that this
 * visitor was not exposed to yet (slots the edge decided are the edge's
 * to report); `fireExposures` reports them.
 * @param {Runtime} rt
 */
export function reportExposures(rt) {
  /** @type {any[]} */
  const all = rt.decisions?.decisions ?? [];
  for (const a of rt.applied) {
    if (a.byEdge) continue;
    const d = all.find((d) => d.slot === a.slot && d.variant === a.variant && d.reason?.kind === "experiment");
    const key = d?.reason?.experiment;
    const index = d?.reason?.variationIndex;
    if (typeof key !== "string" || !Number.isInteger(index) || index < 0) continue;
    const exposed = (rt.state.exposed ??= []);
    if (exposed.includes(key)) continue;
    exposed.push(key);
    if (exposed.length > MAX_EXPOSED) exposed.shift();
    rt.exposures.push({ key, index, variant: a.variant, slot: a.slot });
  }
}

/**
 * Sends an `Experiment Viewed` event and calls `onExposure` for each
 * exposure found (a throwing callback does not stop the others).
 * @param {Runtime} rt
 */
export function fireExposures(rt) {
  const callback = rt.options.onExposure;
  for (const s of rt.exposures.splice(0)) {
    const key = String(s.index);
    trackEvent(rt, "Experiment Viewed", { experimentId: s.key, variationId: key, variant: s.variant, slot: s.slot });
    try {
      callback?.({ key: s.key, slot: s.slot }, { key, variationId: s.index, value: s.variant });
    } catch {}
  }
}
