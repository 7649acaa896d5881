// `nurture/calibrate`: the whole nurture API (the full build) plus
// `calibrate`, which learns a model's points from labelled leads. A build of
// its own, so the edge worker and the page do not carry it.
export * from "../index.js";
import type { Millis, ModelConfig } from "../generated/types.js";
import type { NurtureEvent, Profile } from "../index.js";

// ------------------------------------------------------------------ calibrate

/** One labelled lead for `calibrate`. */
export interface LeadRecord {
  /** Profile fields: strings, numbers or booleans (dotted names not read). */
  profile?: Profile | null;
  /** Segment-style `page` / `track` events. */
  events?: readonly NurtureEvent[] | null;
  /** Whether the lead converted: required, `true` or `false`. */
  converted: boolean;
  /** When the lead was judged (ms); `options.now`, else the newest event in the data. */
  now?: Millis | null;
  /** Ignored: for the caller's own bookkeeping. */
  id?: unknown;
}

export interface CalibrateOptions {
  /** A model whose rules are kept and re-weighted; new rules go beside them. */
  base?: ModelConfig | null;
  /** When leads without their own `now` were judged (ms). */
  now?: Millis | null;
  /** Cross-validation folds, 2–20 (default 5). */
  folds?: number;
  /** Leads a value, bin or rule must cover to earn points (default 1% of the leads, at least 20). */
  minSupport?: number;
  /** Points that double the odds of converting (default 20). */
  pointsToDoubleOdds?: number;
  /** Half-lives tried by cross-validation, in days (`null`: no decay). Default [7, 30, 90, null]. */
  halfLifeDays?: number | null | Array<number | null>;
  /** Window of the learned aggregate rules, in days (default 30). */
  windowDays?: number;
  /** L2 weights tried by cross-validation (default [1, 4, 16]). */
  l2?: number | number[];
  /** Fields (or event names) flagged as leaks that stay in. */
  keepFields?: string[];
  /** Events one lead may carry (default 10,000); a lead with more is refused. */
  maxEventsPerLead?: number;
  /** Seed of the fold assignment (default 1). */
  seed?: number;
  /** Name of the learned model. */
  name?: string;
}

export interface CalibrationReport {
  leads: number;
  converted: number;
  baseRate: number;
  folds: number;
  minSupport: number;
  pointsToDoubleOdds: number;
  /** The half-life chosen by cross-validation. */
  halfLifeDays: number | null;
  l2: number;
  windowDays: number;
  calibration: { intercept: number; slope: number };
  /** Out-of-fold: every lead scored by a model fitted without it. */
  crossValidated: { auc: number; logLoss: number; brier: number; expectedCalibrationError: number };
  /** The shipped model scored on the same leads (in-sample): AUC of the total points. */
  trainingAuc: number;
  /** Out-of-fold reliability: ten bins of predicted probability. */
  reliability: Array<{ from: number; to: number; leads: number; meanPredicted: number; observedRate: number }>;
  /** Out-of-fold gains by decile of points, best first. */
  gains: Array<{ decile: number; leads: number; converted: number; rate: number; cumulativeShare: number; lift: number }>;
  /** Out-of-fold ROC curve (at most about 100 points); thresholds in the model's points. */
  roc: Array<{ threshold: number; falsePositiveRate: number; truePositiveRate: number }>;
  /** Each half-life / L2 setting tried, with its out-of-fold log loss and AUC. */
  search: Array<{ halfLifeDays: number | null; l2: number; logLoss: number; auc: number }>;
  /** Every line of the model with points, and the base's lines. */
  rules: Array<{
    id: string;
    kind: "fit" | "negative" | "engagement" | "aggregate" | "inactivity";
    label?: string;
    fromBase: boolean;
    support: number;
    converted: number;
    rate: number;
    points: number;
    informationValue: number;
  }>;
  /** Fields and events the leakage check flagged. */
  leakage: Array<{ field: string; reason: string; leads: number; convertedShare: number; auc: number; kept: boolean }>;
  warnings: string[];
}

/**
 * Learns a model's points from labelled leads: `leads` is an array of lead
 * records or their JSON text (an array or JSON Lines). Returns an ordinary
 * model document (with a `calibration` section, so `score()` returns
 * `probability`) and the report. Throws `invalid_argument` with the `path`
 * of the bad lead (`leads[3].converted`) or option. Only in this entry
 * (`nurture/calibrate`): the edge and page builds leave it out. In a page,
 * call it from a Web Worker. `onProgress(done, total, stage)` is called
 * after each step (the features of each half-life tried, each
 * cross-validation fold of each setting tried, the final fit), for a
 * progress bar; what it throws is ignored.
 */
export function calibrate(
  leads: readonly LeadRecord[] | string,
  options?: CalibrateOptions | null,
  onProgress?: ((done: number, total: number, stage: "features" | "cross-validation" | "final fit") => void) | null,
): { model: ModelConfig; report: CalibrationReport };

