// GENERATED from the Rust types: do not edit. After changing a config or result
// type, rewrite it with
//     UPDATE_SCHEMAS=1 cargo test --features schema --test schema_drift
// (src/schema/typescript.rs). The config documents are typed from the JSON
// Schemas in schema/ (what the loaders accept), the results from what the Rust
// types serialize. index.d.ts re-exports every type here.

/** Any JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** One string or a list of them (the shorthand config keys accept either). */
export type OneOrMany<T extends string = string> = T | T[];

// ------------------------------------------------------------------ scoring model

/**
 * A lead scoring model for nurture: fit rules over profile fields, engagement rules over events,
 * grades, tiers, stages and the MQL rule. Every part is optional; the built-in model is
 * `defaultModel()`.
 */
export interface ModelConfig {
  /** The JSON Schema this document follows, for editors; the loader ignores it. */
  $schema?: string | null;
  /**
   * Maps a lead's total points (fit + engagement) to the probability of converting; `score()` then
   * returns `probability`. Written by `calibrate`.
   */
  calibration?: CalibrationConfig | null;
  engagement?: EngagementConfig;
  fit?: FitConfig;
  /** @default { top: 5 } */
  interests?: InterestConfig;
  mql?: MqlConfig;
  /** Name of the model, echoed in results. */
  name?: string | null;
  /** @default { consideration: 10, decision: 20 } */
  stages?: StageThresholds;
  /** @default { hot: 50, warm: 20 } */
  tiers?: TierThresholds;
  /**
   * Format version of the document; only 1 exists.
   * @default 1
   */
  version?: 1;
}

/**
 * `probability = 1 / (1 + e^-(intercept + slope × points))`, where `points` is the fit score plus
 * the engagement score. On a scorecard scale with `pointsToDoubleOdds` P, `slope` is about ln 2 /
 * P.
 */
export interface CalibrationConfig {
  /** Log-odds of converting at 0 points. */
  intercept: number;
  /** The points that double the odds, for readers (`ln 2 / slope`); not used to compute. */
  pointsToDoubleOdds?: number | null;
  /** Log-odds added per point. */
  slope: number;
}

export interface EngagementConfig {
  /**
   * Rules over totals of activity in a window (8 page views in the last 30 days): each is one bin,
   * `min ≤ value < below`, worth its points.
   */
  aggregates?: AggregateRuleConfig[];
  /**
   * Days after which an event counts half. `null` turns decay off.
   * @default 30
   */
  halfLifeDays?: number | null;
  inactivity?: Inactivity | null;
  /** @default { "1": 60, "2": 30, "3": 10 } */
  levels?: LevelThresholds;
  /**
   * How far in the future an event may be stamped (clock skew) before it is rejected, in seconds.
   * @default 300
   */
  maxClockSkewSeconds?: number;
  rules?: EngagementRule[];
  touchpoints?: Touchpoint[];
}

/** Fit: rules over profile fields, built-in negative checks and the grade thresholds. */
export interface FitConfig {
  /**
   * The profile fields a browser's own `identify`/`group` calls may set for scoring (`utmSource`,
   * `favouriteColour`); every other field counts only when it came from a validated form submission
   * or a server source. The core does not merge traits (the edge worker does); it carries the list
   * for whoever does. Empty by default: nothing a page asserts about itself is trusted.
   */
  browserTraits?: string[];
  /**
   * Which profile fields the built-in negative checks read.
   * @default { company: "company", email: "email", phone: "phone", role: "role", title: "title", website: "website" }
   */
  fields?: FitFieldNames;
  /** @default { A: 60, B: 40, C: 20 } */
  grades?: GradeThresholds;
  negative?: NegativeFit;
  rules?: FitRule[];
}

export interface InterestConfig {
  /**
   * Half-life of interest weights in days; the engagement half-life when absent, no decay when
   * `null`.
   */
  halfLifeDays?: number | null;
  /**
   * How many top interests the result lists.
   * @default 5
   */
  top?: number;
}

/**
 * When marketing hands a lead to sales: the grade is one of `grades`, or both `minFit` and
 * `minEngagement` are reached.
 */
export interface MqlConfig {
  /** Grades that are MQL on their own (`A1`, `B2`). */
  grades?: string[];
  minEngagement?: number | null;
  minFit?: number | null;
}

/** Decayed points of stage-marked behaviour needed to reach a stage. */
export interface StageThresholds {
  consideration: number;
  decision: number;
}

/** Lowest engagement score for warm and hot; below `warm` is cold. */
export interface TierThresholds {
  hot: number;
  warm: number;
}

/**
 * One bin of an activity total: the events it counts (`event`, `url`), what it measures over the
 * last `windowDays` before `now`, and the points when `min ≤ value < below`.
 */
export interface AggregateRuleConfig {
  /** First value past the bin (excluded); no upper end when absent. */
  below?: number | null;
  /** `page` for page views or track event names; absent = every event. */
  event?: OneOrMany | null;
  id: string;
  label?: string | null;
  /**
   * `count`: matching events; `dwellMinutes`: their dwell time summed; `visits`: runs of matching
   * events with no gap of 30 minutes or more.
   */
  measure: "count" | "dwellMinutes" | "visits";
  /** Lowest value in the bin (included). */
  min: number;
  points: number;
  /** Glob over the page's path, as in touchpoints. */
  url?: string | null;
  /** Only events in the last `windowDays` before `now`; all when absent. */
  windowDays?: number | null;
}

export interface Inactivity {
  afterDays: number;
  /** Actions that do not count as an interaction (e.g. `Email Delivered`). */
  ignore?: string[];
  /** At most this many repeats when `repeat` is on. */
  maxRepeats?: number | null;
  points: number;
  /**
   * Apply the points again for every further `afterDays` of silence.
   * @default false
   */
  repeat?: boolean;
}

/** Lowest engagement score for levels 1–3; below `3` is level 4. */
export interface LevelThresholds {
  "1": number;
  "2": number;
  "3": number;
}

/** WHAT: an action worth `points`, where it matches. */
export interface EngagementRule {
  cap?: FrequencyCap | null;
  /**
   * The action: `page` for page views, the event name for track events (`Download`, `Webinar
   * Attended`). One name or a list; absent = any.
   */
  event?: OneOrMany | null;
  /** Overrides the model's half-life for this rule; `null` for no decay. */
  halfLifeDays?: number | null;
  id: string;
  label?: string | null;
  minDwellSeconds?: number | null;
  points: number;
  /**
   * Who may report the events this rule matches. `server`: only a back-office source (an event
   * whose `channel` is absent or `"server"`, scored with `options.source` `"server"`), for actions
   * only the back office knows of (attended an event, asked for a demo); a browser-reported match
   * scores 0, takes no place under the cap and is listed in the result's `unscored`. `any`: every
   * source.
   * @default "any"
   */
  source?: RuleSource;
  stage?: Stage | null;
  /** Matches when the event carries any of these content tags. */
  tags?: string[] | null;
  url?: string | null;
}

/**
 * WHERE: a URL pattern with the weight of being there and the topics that content is about
 * ("content decides the tag, the URL decides the weight").
 */
export interface Touchpoint {
  id: string;
  stage?: Stage | null;
  tags?: string[];
  /**
   * Glob over the path (`/pricing*`, `*\/case-studies/*`), or over the whole URL when it starts
   * with `http`. `*` is any run of characters.
   */
  url: string;
  weight: number;
}

export interface FitFieldNames {
  /** @default "company" */
  company?: string;
  /** @default "email" */
  email?: string;
  /** @default "phone" */
  phone?: string;
  /** @default "role" */
  role?: string;
  /** @default "title" */
  title?: string;
  /** @default "website" */
  website?: string;
}

/** Lowest fit score for each grade letter; below `C` is D. */
export interface GradeThresholds {
  A: number;
  B: number;
  C: number;
}

/** Built-in negative fit checks. Each is off unless configured. */
export interface NegativeFit {
  competitor?: CompetitorPenalty | null;
  disposableEmail?: Penalty | null;
  /**
   * A phone number that is empty, too short or long, one repeated digit, or a run such as
   * 123456789.
   */
  fakePhone?: Penalty | null;
  freeEmail?: Penalty | null;
  jobSeeker?: TermPenalty | null;
  /** A known lead (one with an e-mail) without a real company name. */
  missingCompany?: Penalty | null;
  roleEmail?: Penalty | null;
  student?: TermPenalty | null;
}

export interface FitRule {
  /** Profile field, dotted for nested objects (`company.size`). */
  field: string;
  /**
   * Rules sharing a group are alternatives: only the first that matches (in the order listed)
   * counts, like the rows of a points table.
   */
  group?: string | null;
  id: string;
  label?: string | null;
  /** For `range`: the highest value that matches (none when left out). */
  max?: number | null;
  /** For `range`: the lowest value that matches (none when left out). */
  min?: number | null;
  op: FitOp;
  /** For `pattern`: a regular expression. */
  pattern?: string | null;
  points: number;
  /** For `equals`. */
  value?: Json;
  /** For `oneOf` and `contains`. */
  values?: Json[] | null;
}

/**
 * At most `count` matching events count per `windowDays` (sliding); without a window, at most
 * `count` ever.
 */
export interface FrequencyCap {
  count: number;
  windowDays?: number | null;
}

/** Who may report the events an engagement rule matches: `"any"` or `"server"`. */
export type RuleSource =
  /** Any source: the page itself, a server, an import. */
  | "any"
  /**
   * Only a back-office (server) source: a browser-reported match scores 0 and is listed in the
   * result's `unscored`.
   */
  | "server";

/** A buying stage. */
export type Stage = "awareness" | "consideration" | "decision";

export interface CompetitorPenalty {
  /** E-mail or website domains of competitors; subdomains match too. */
  domains: string[];
  points: number;
}

export interface Penalty {
  points: number;
}

export interface TermPenalty {
  points: number;
  /**
   * Words in the title or role that give it away; a built-in list when absent (English and
   * Chinese).
   */
  terms?: string[] | null;
}

/** How a fit rule compares a profile field. */
export type FitOp =
  /** The field equals `value` (text compared without case or outer spaces). */
  | "equals"
  /** The field equals one of `values`. */
  | "oneOf"
  /** The field (text) contains one of `values` as a substring, ignoring case. */
  | "contains"
  /** The field (text) matches the regular expression `pattern`. */
  | "pattern"
  /**
   * The field, read as a number, lies between `min` and `max`, both included (either may be left
   * out).
   */
  | "range"
  /** The field has a non-empty value. */
  | "present"
  /** The field is missing or empty. */
  | "absent";

// ------------------------------------------------------------------ site config (personalization)

/**
 * Segments, slots with variants, experiments and holdouts, organization rules and the content
 * matrix, as `decide()` and `new Personalizer()` read them. Every part is optional.
 */
export interface SiteConfig {
  /** The JSON Schema this document follows, for editors; the loader ignores it. */
  $schema?: string | null;
  content?: ContentMatrix | null;
  /** A holdout over every slot: the same visitors get every default. */
  holdout?: Holdout | null;
  orgRules?: OrgRule[];
  /** GrowthBook saved groups for `$inGroup` / `$notInGroup`: id → values. */
  savedGroups?: { [key: string]: Json[] };
  segments?: SegmentDef[];
  slots?: Slot[];
  /** How many interest tags go into the context's `interests` (default 3). */
  topInterests?: number | null;
  /** Free-form name or version of the document, echoed in decisions. */
  version?: string | null;
}

/** Content recommended by persona, stage and interests. */
export interface ContentMatrix {
  items: ContentItem[];
  /** How many items a recommendation lists (default 3). */
  limit?: number | null;
  weights?: MatrixWeights;
}

export interface Holdout {
  /** Hash seed; defaults to `holdout` (global) or `holdout:<slot id>`. */
  seed?: string | null;
  /** Share of visitors held out, 0–1. */
  share: number;
}

/**
 * Maps an organization name, domain or AS number to attributes (`set`). Give exactly one matcher:
 * `equals`, `contains`, `suffix`, `regex` or `asn`.
 */
export interface OrgRule {
  /** AS numbers. */
  asn?: number[] | null;
  /** @default false */
  caseSensitive?: boolean;
  /** Names containing one of these, ignoring case. */
  contains?: OneOrMany | null;
  /** Names equal to one of these, ignoring case. */
  equals?: OneOrMany | null;
  field?: OrgField | null;
  id: string;
  /** A JavaScript-syntax regular expression, case-insensitive unless `caseSensitive`. */
  regex?: string | null;
  /** Attributes the rule gives a matching visitor. */
  set: { [key: string]: Json };
  /** Domain suffixes: `.edu` and `edu` both match `mit.edu`, never `myedu.com`. */
  suffix?: OneOrMany | null;
}

export interface SegmentDef {
  description?: string | null;
  id: string;
  name?: string | null;
  /**
   * Higher first; equal priorities keep the config order.
   * @default 0
   */
  priority?: number;
  /** A GrowthBook condition over the visitor context (`{"industry": {"$in": ["Retail"]}}`). */
  when: TargetingCondition;
}

export interface Slot {
  /**
   * What visitors get when nothing else applies; without it, `content` is `null` and the client
   * leaves the page as it is.
   */
  default?: SlotContent | null;
  description?: string | null;
  experiment?: Experiment | null;
  holdout?: Holdout | null;
  id: string;
  variants?: Variant[];
}

export interface ContentItem {
  id: string;
  persona?: Persona | null;
  stage?: Stage | null;
  tags?: OneOrMany | null;
  title?: string | null;
  /** Interest tags the item is about; the visitor's interests earn it points. */
  topic?: OneOrMany | null;
  type: ContentType;
  url?: string | null;
}

/** What each matching factor adds to an item's score. */
export interface MatrixWeights {
  /** @default 0.25 */
  anyStage?: number;
  /** @default 0.49 */
  companySize?: number;
  /** @default 1 */
  currentStage?: number;
  /** @default 0.82 */
  industry?: number;
  /** @default 1 */
  interest?: number;
  /** @default 0.5 */
  nextStage?: number;
  /** @default 0.29 */
  region?: number;
  /** @default 0.67 */
  role?: number;
  /** @default 0.3 */
  tier?: number;
}

/**
 * What a rule matches; without it, `suffix` looks at `domain` and the other matchers at every name
 * field.
 */
export type OrgField = "asOrganization" | "organization" | "isp" | "domain" | "company";

/**
 * A GrowthBook condition (MongoDB-like): `{"industry": {"$in": ["Retail"]}}`, `{"$or": [...]}`,
 * `{"score.fit": {"$gte": 50}}`. Evaluated with GrowthBook's semantics; see `evalCondition`.
 */
export type TargetingCondition = { [key: string]: unknown };

export interface SlotContent {
  /** The content as given (a string, or an object the client knows). */
  content?: Json;
  /** @default "text" */
  kind?: ContentKind;
}

export interface Experiment {
  /** Share of eligible visitors in the experiment (default 1). */
  coverage?: number | null;
  /** Context path whose value is hashed (default `id`). */
  hashAttribute?: string | null;
  /**
   * GrowthBook's hash version for bucketing: 1 or 2. Default 1, as in GrowthBook's SDKs, with a
   * warning: earlier nurture builds always used 2, so set 2 to keep the assignments of an
   * experiment that ran then.
   */
  hashVersion?: number | null;
  /** Experiment key, reported in decisions and the default hash seed. */
  key: string;
  /** GrowthBook namespace `[id, start, end]`. */
  namespace?: [string, number, number] | null;
  seed?: string | null;
  /** A segment id: only its visitors are in the experiment. */
  segment?: string | null;
  /** Variant ids, at least two; `"default"` is the slot's default (a control arm). */
  variations: string[];
  weights?: number[] | null;
  /**
   * A GrowthBook condition over the visitor context: only visitors it holds for are in the
   * experiment.
   */
  when?: TargetingCondition | null;
}

/**
 * A variant. Its targeting keys (`when`, `segment`, `tier`, `stage`, `interest`) must all match; a
 * variant with none of them is only reachable through the slot's experiment.
 */
export interface Variant {
  /** The content: a string, or an object the client knows. */
  content?: Json;
  id: string;
  /** Interest tags, any of them among the visitor's top interests. */
  interest?: OneOrMany | null;
  /** @default "text" */
  kind?: ContentKind;
  /** A segment id the visitor must be in. */
  segment?: string | null;
  /** Buying stages, any of them. */
  stage?: OneOrMany<Stage> | null;
  /** Engagement tiers, any of them. */
  tier?: OneOrMany<Tier> | null;
  /** A GrowthBook condition over the visitor context. */
  when?: TargetingCondition | null;
}

export interface Persona {
  /** Labels or ranges (`1000+`, `200-999`). */
  companySize?: OneOrMany | null;
  industry?: OneOrMany | null;
  region?: OneOrMany | null;
  role?: OneOrMany | null;
}

/** What kind of content an item is. */
export type ContentType =
  | "page"
  | "webinar"
  | "case-study"
  | "white-paper"
  | "blog"
  | "video"
  | "demo"
  | "social"
  | "report"
  | "comparison"
  | "trial"
  | "other";

/** How a client applies content. */
export type ContentKind =
  /** Set as text (`textContent`); never parsed as HTML. */
  | "text"
  /**
   * An HTML template from the site's own config. Visitor data must never be interpolated into it as
   * HTML.
   */
  | "html-template";

/** An engagement tier: below `tiers.warm` is cold, from `tiers.hot` hot. */
export type Tier = "cold" | "warm" | "hot";

// ------------------------------------------------------------------ form

/**
 * A form for progressive profiling and validation (`nextFields`, `validateForm`): fields in
 * priority order, their checks, labels in English and Chinese.
 */
export interface FormConfig {
  /** The JSON Schema this document follows, for editors; the loader ignores it. */
  $schema?: string | null;
  /** Fields in priority order: the first unknown ones are asked first. */
  fields: FormField[];
  /** Name of an invisible field that people leave empty and bots fill in. */
  honeypot?: string | null;
  id?: string | null;
  /** Unknown fields asked per showing (default 2). */
  maxUnknownFields?: number | null;
  /**
   * A submission sent sooner than this after the form was rendered is taken for a bot. The render
   * time is a parameter of validation.
   */
  minFillSeconds?: number | null;
  /**
   * Refuse free-mail addresses (gmail.com, qq.com ...) on this form.
   * @default false
   */
  requireBusinessEmail?: boolean;
}

/** One field of a form. */
export interface FormField {
  /**
   * Shown on every visit, known or not (e-mail, consent).
   * @default false
   */
  always?: boolean;
  /** Refuse free-mail addresses on this e-mail field. */
  businessEmail?: boolean | null;
  /** Region for phone numbers written without `+` (`CN`). */
  defaultRegion?: string | null;
  label?: Label | null;
  max?: number | null;
  maxLength?: number | null;
  min?: number | null;
  minLength?: number | null;
  /** The profile key the value is stored under. */
  name: string;
  /** Allowed values of a select, multi-select or country field. */
  options?: FieldOption[] | null;
  /** An HTML `pattern`: a JavaScript regular expression for the whole value. */
  pattern?: string | null;
  /** @default false */
  required?: boolean;
  /** A GrowthBook condition over the known profile; the field is shown only when it holds. */
  showIf?: TargetingCondition | null;
  type: FieldType;
}

/** A label: one string, or one per language. */
export type Label =
  | string
  | { en?: string | null; "zh-Hans"?: string | null; "zh-Hant"?: string | null };

/** An allowed value of a select: the value alone, or with its label. */
export type FieldOption = string | { label?: Label | null; value: string };

/** The kinds of field. */
export type FieldType =
  | "email"
  | "phone"
  | "text"
  | "number"
  | "select"
  | "multi-select"
  | "country"
  | "consent"
  | "hidden";

// ------------------------------------------------------------------ score result

export interface ScoreResult {
  engagement: EngagementResult;
  /** Events accepted and scored. */
  eventsScored: number;
  fit: FitResult;
  /** Fit letter and engagement level: `A1` (best) … `D4` (worst). */
  grade: Grade;
  /** Topics by decayed weight, strongest first. */
  interests: Interest[];
  model?: string;
  mql: MqlResult;
  /** The `now` the scores were computed at. */
  now: Millis;
  /**
   * With a model that has a `calibration`: the probability of converting, `1 / (1 + e^-(intercept +
   * slope × (fit.score + engagement.score)))`.
   */
  probability?: number;
  /** Events that failed their checks, with the reason; they score nothing. */
  rejected: RejectedEvent[];
  stage: Stage;
  stageEvidence: StageEvidence;
  tier: Tier;
  /**
   * Matches that scored 0 because a browser reported an action that only a back-office source may
   * (a rule with `"source": "server"`): one per (event, rule), in batch order. Always listed,
   * breakdown or not.
   */
  unscored: UnscoredEvent[];
}

export interface EngagementResult {
  /** The aggregate rules (`engagement.aggregates`) whose bin held. */
  aggregates?: AggregatePoint[];
  /** One entry per (event, rule) match; empty when not asked for. */
  breakdown: EventPoint[];
  /** Points that decay took away from all contributions together. */
  decayLost: number;
  inactivity?: InactivityPoint;
  /** 1 (most engaged) … 4. */
  level: 1 | 2 | 3 | 4;
  /** Per-rule totals; always present. */
  rules: RuleTotal[];
  score: number;
}

export interface FitResult {
  breakdown: FitPoint[];
  /** `A` … `D`. */
  grade: FitGrade;
  score: number;
}

/** Fit letter and engagement level: `A1` (best) … `D4` (worst). */
export type Grade = `${FitGrade}${1 | 2 | 3 | 4}`;

export interface Interest {
  /** This tag's part of all interest weight, 0–1. */
  share: number;
  tag: string;
  weight: number;
}

export interface MqlResult {
  qualified: boolean;
  reason: string;
}

/** Milliseconds since the epoch (`Date.now()`). */
export type Millis = number;

export interface RejectedEvent {
  id?: string;
  index: number;
  reason: string;
}

export interface StageEvidence {
  awareness: number;
  consideration: number;
  decision: number;
}

/** An accepted event that a server-only rule matched but did not score. */
export interface UnscoredEvent {
  id?: string;
  /** Position in the batch the caller gave. */
  index: number;
  /**
   * Why, in words: `"Demo Requested" counts only when a back-office source reports it (rule
   * sales-request); reported by a browser, it scores 0`.
   */
  reason: string;
  rule: string;
}

/** An aggregate rule whose bin held: the total it measured and its points. */
export interface AggregatePoint {
  points: number;
  rule: string;
  /** The measured total (events, minutes or visits in the window). */
  value: number;
}

export interface EventPoint {
  action: string;
  /** WHAT: the rule's points. */
  actionPoints: number;
  ageDays: number;
  /** `touchpoint_weight × action_points`, before decay. */
  basePoints: number;
  /** True when the rule's frequency cap kept this event from counting. */
  capped: boolean;
  /** WHEN: `0.5 ^ (age / half-life)`; 1 without decay. */
  decay: number;
  decayLost: number;
  eventId?: string;
  eventIndex: number;
  /** `base_points × decay`; 0 when capped. */
  points: number;
  rule: string;
  touchpoint?: string;
  /** WHERE: the touchpoint's weight (1 when no touchpoint matched). */
  touchpointWeight: number;
  /**
   * True when the rule counts only server-reported events and a browser reported this one: 0
   * points, and no place under the cap.
   */
  untrusted: boolean;
  url?: string;
}

export interface InactivityPoint {
  afterDays: number;
  daysSinceLastInteraction: number;
  points: number;
  /** How many times the penalty applies (1 unless it repeats). */
  times: number;
}

export interface RuleTotal {
  capped: number;
  decayLost: number;
  /** Events the rule matched, the capped and untrusted ones included. */
  events: number;
  points: number;
  rule: string;
  /** Matches a browser reported to a server-only rule; they score 0. */
  untrusted: number;
}

export interface FitPoint {
  field: string;
  label?: string;
  points: number;
  /** Rule id, or the built-in check (`negative.freeEmail`). */
  rule: string;
  /** The profile value the rule matched. */
  value: Json;
}

/** Fit letter: `A` (best fit) … `D`. */
export type FitGrade = "A" | "B" | "C" | "D";

// ------------------------------------------------------------------ decisions

/** Everything decided for one visitor. */
export interface Decisions {
  decisions: Decision[];
  primarySegment: string | null;
  recommendations: Recommendation[];
  /** Matching segments, highest priority first. */
  segments: string[];
  version?: string;
}

/** What one slot shows. */
export interface Decision {
  /** The content as configured; `null` means "leave the page as it is". */
  content: Json;
  kind: ContentKind;
  reason: DecisionReason;
  slot: string;
  /** The variant id, or `"default"`. */
  variant: string;
}

/** A recommended content item. */
export interface Recommendation {
  id: string;
  reasons: RecommendationReason[];
  score: number;
  stage?: Stage;
  title?: string;
  type: ContentType;
  url?: string;
}

export interface DecisionReason {
  /** The visitor's hash in `[0, 1)` (experiment and holdout). */
  bucket?: number;
  experiment?: string;
  kind: ReasonKind;
  segment?: string;
  variationIndex?: number;
}

/** One reason an item earned points. */
export interface RecommendationReason {
  /** `industry`, `role`, `companySize`, `region`, `stage`, `interest`, `tier`. */
  factor: "industry" | "role" | "companySize" | "region" | "stage" | "interest" | "tier";
  points: number;
  /** What matched: the persona value, the stage, the interest tag, the tier. */
  value: string;
}

/** Why a slot got its variant. */
export type ReasonKind = "segment" | "rule" | "experiment" | "holdout" | "fallback";

// ------------------------------------------------------------------ form results

/** The answer of `Form::next_fields` (`nextFields()` in JavaScript). */
export interface NextFields {
  /** True when nothing unknown is left to ask. */
  complete: boolean;
  /** Fields to show, in priority order. */
  fields: ShownField[];
  /** Hidden fields to include (UTM tags, the page ...), and the honeypot. */
  hidden: string[];
  /** Unknown fields that remain after this showing (conditions holding). */
  remaining: number;
}

/** The answer of `Form::submit` (`validateForm()` and `Form.validate()` in JavaScript). */
export interface FormSubmission {
  errors: FieldError[];
  /** The fit score of the merged profile, when a model was given. */
  fit?: FitResult;
  /** Present when the submission is valid. */
  merge?: ProfileMerge;
  /** What to ask on the next visit. */
  next?: NextFields;
  signals: SubmissionSignals;
  valid: boolean;
  /** Cleaned, non-empty values of the asked fields that passed. */
  values: { [key: string]: Json };
}

/** The answer of `check_email` (`checkEmail()` in JavaScript). */
export interface EmailCheck {
  /** The mailbox class; `business` when the address is invalid. */
  kind: MailboxKind;
  /**
   * The address as it should be stored: trimmed, line breaks removed as a browser does, the domain
   * lower-cased and in punycode.
   */
  normalized?: string;
  reason?: EmailProblem;
  valid: boolean;
}

/** The answer of `check_phone` (`checkPhone()` in JavaScript). */
export interface PhoneCheck {
  /** `+8613800138000`. */
  e164?: string;
  /** A repeated or running pattern: valid, but fit scoring counts it as fake. */
  fake: boolean;
  reason?: PhoneProblem;
  /** ISO 3166 region (`CN`), or `001` for non-geographic numbers. */
  region?: string;
  valid: boolean;
}

/** One field to render, with what a renderer needs. */
export interface ShownField {
  label?: Label;
  max?: number;
  maxLength?: number;
  min?: number;
  minLength?: number;
  name: string;
  options?: FieldOption[];
  pattern?: string;
  reason: ShowReason;
  required: boolean;
  type: FieldType;
  /** The value already known (an always-shown field), to pre-fill. */
  value?: Json;
}

/** One problem with a submitted value. */
export interface FieldError {
  code: FormErrorCode;
  /** The field (or submitted key); empty for the form as a whole. */
  field: string;
  /** In the language asked for. */
  message: string;
}

/** The profile after a valid submission. */
export interface ProfileMerge {
  /** Fields that were unknown and are known now. */
  newlyKnown: string[];
  profile: { [key: string]: Json };
  /** Fields that were known and got a different value. */
  updated: string[];
}

/** What the submission tells fit scoring beyond its values. */
export interface SubmissionSignals {
  /** The class of the e-mail address given, if any. */
  emailKind?: MailboxKind;
  /** A phone number with a repeated or running pattern. */
  fakePhone: boolean;
}

/** The class of mailbox an address belongs to. */
export type MailboxKind =
  /** A company's own domain: the strongest sign of a real buyer. */
  | "business"
  /** A free webmail provider (gmail.com, qq.com, outlook.com ...). */
  | "free"
  /** A throw-away provider (mailinator.com ...): nobody reads it later. */
  | "disposable"
  /** A shared inbox such as info@ or sales@: a company, but no person. */
  | "role";

/** Why an address is not usable, in stable `snake_case` codes. */
export type EmailProblem =
  /** Nothing was given. */
  | "empty"
  /** Longer than 254 characters, or a local part longer than 64. */
  | "too_long"
  /** No `@`, or more than one outside the allowed characters. */
  | "missing_at"
  /**
   * The local part has a character `<input type=email>` does not accept (spaces, quotes, `:`,
   * non-ASCII ...).
   */
  | "invalid_local_part"
  /** The domain is not a valid host name, or IDNA could not convert it. */
  | "invalid_domain"
  /**
   * A valid address for a browser (`user@localhost`) but without a dot in the domain, so no mail
   * can reach it from the Internet.
   */
  | "no_dot_in_domain";

/** Why a number is not usable, in stable `snake_case` codes. */
export type PhoneProblem =
  | "empty"
  | "too_long"
  | "invalid_characters"
  | "missing_region"
  | "unknown_region"
  | "invalid_country_code"
  | "invalid_length"
  | "invalid_number";

/** Why a field is shown (`NextFields::fields`). */
export type ShowReason =
  /** Marked `always`: shown on every visit (e-mail, consent). */
  | "always"
  /** Not known yet, and its turn in the queue. */
  | "unknown";

/**
 * What is wrong with a submitted value. The `snake_case` name is the stable code callers branch on.
 */
export type FormErrorCode =
  /** A required field is empty. */
  | "required"
  /** Longer than `maxLength`. */
  | "too_long"
  /** Shorter than `minLength`. */
  | "too_short"
  /** Does not match the field's `pattern`. */
  | "pattern"
  /** Not one of the allowed values (select, multi-select, country). */
  | "not_allowed"
  /** A number field with something that is not a number. */
  | "not_a_number"
  /** Below `min`. */
  | "below_min"
  /** Above `max`. */
  | "above_max"
  /** Not an e-mail address a browser would accept. */
  | "invalid_email"
  /** A throw-away mailbox. */
  | "disposable_email"
  /** A free-mail address on a form that asks for a work address. */
  | "business_email_required"
  /** Not a phone number of the region. */
  | "invalid_phone"
  /** A required consent box was not ticked. */
  | "consent_required"
  /** A value for a field that was not shown: reported, never merged. */
  | "not_asked"
  /** The honeypot was filled in, or the form was sent faster than a person can fill it. */
  | "bot_suspected"
  /** Control characters, direction overrides or broken text (U+FFFD). */
  | "control_characters"
  /** HTML tags in a text field. */
  | "html_not_allowed"
  /** A value of the wrong JSON type (an object for a text field ...). */
  | "invalid_type";

// ------------------------------------------------------------------ config reports

/**
 * Every error and warning found in a document, for editors and playgrounds that show all problems
 * at once. Serializes as `{errors, warnings}`.
 */
export interface ConfigReport {
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
}

/**
 * One problem in a document. `path` names the field the way a person would point at it in the JSON
 * (`engagement.rules[3].points`); it is empty for the document as a whole.
 */
export interface ConfigIssue {
  /** What was expected, or what is wrong, in the user's terms. */
  message: string;
  path: string;
  /**
   * `error`: the document cannot be used; `warning`: it loads, but this part may not do what was
   * meant.
   */
  severity: Severity;
}

/** How bad an `Issue` (a problem in a config document) is. */
export type Severity =
  /** The document cannot be used until this is fixed. */
  | "error"
  /**
   * The document loads, but this part may not do what its author meant (a variant that can never be
   * chosen, weights that do not sum to 1).
   */
  | "warning";

// ------------------------------------------------------------------ lookup tables

/** One reported input line. */
export interface LineIssue {
  /** The offending value (the prefix text, or the raw line). */
  input: string;
  /** Category. */
  kind: LineIssueKind;
  /** 1-based line number where the record starts. */
  line: number;
  /** Human-readable reason. */
  reason: string;
}

/** What went wrong (or was adjusted) on one input line. */
export type LineIssueKind =
  /** The prefix could not be parsed; the line was skipped. */
  | "bad_prefix"
  /** The line has no prefix value; skipped. */
  | "missing_prefix"
  /**
   * The line is not a valid record (bad quoting, not a JSON object, too many fields, ...); skipped.
   */
  | "bad_record"
  /** The header has no `cidr`/`network` column; nothing was loaded. */
  | "bad_header"
  /** The prefix repeats one from an earlier line; this line was skipped. */
  | "duplicate"
  /**
   * The address had bits set beyond the prefix length; they were cleared and the line was kept (a
   * warning).
   */
  | "host_bits_masked";
