// Types of the nurture package, written by hand: wasm-bindgen types most
// arguments as `any`, so this file gives every document a user writes (the
// scoring model, the site config, forms, events) and every result its shape.
// Every entry of the package (browser, bundler, Node, workerd/edge) has this
// same API. The JSON Schemas in `schema/` describe the same config documents
// for editors; they are generated from the Rust types, and a package test
// type-checks documents that use every key of them against this file.

// ------------------------------------------------------------------ shared

/** Milliseconds since the epoch (`Date.now()`). */
export type Millis = number;

/** A problem in a config document, located by `path` (`engagement.rules[3].points`). */
export interface ConfigIssue {
  path: string;
  message: string;
  /** `error`: the document cannot be used; `warning`: it loads, but this part may not do what was meant. */
  severity: "error" | "warning";
}

/**
 * What the `check*` functions return; they never throw for a bad document.
 * Every problem is listed, not only the first: shape errors (a string where
 * a number belongs, an unknown key) and the errors found when compiling.
 */
export interface ConfigReport {
  errors: ConfigIssue[];
  warnings: ConfigIssue[];
}

/** The stable codes on every thrown `Error`. */
export type NurtureErrorCode = "invalid_config" | "invalid_argument";

/**
 * Every function throws this: a plain `Error` with a stable `code` and, where
 * one applies, the `path` of the bad field (`config`) or argument.
 */
export interface NurtureError extends Error {
  code: NurtureErrorCode;
  path?: string;
  /** With `invalid_config`: every error in the document (`path` and `message` are the first's). */
  errors?: ConfigIssue[];
}

/** One string or a list of them (the shorthand config keys accept either). */
export type OneOrMany<T extends string = string> = T | T[];

/** Any JSON value. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * A GrowthBook condition (MongoDB-like): `{ industry: { $in: ["Retail"] } }`,
 * `{ $or: [...] }`, `{ "score.fit": { $gte: 50 } }`. Evaluated with
 * GrowthBook's semantics; see `evalCondition`.
 */
export type TargetingCondition = { [attributeOrOperator: string]: unknown };

export type Stage = "awareness" | "consideration" | "decision";
export type Tier = "cold" | "warm" | "hot";

// ------------------------------------------------------------------ events (Segment spec)

interface EventBase {
  /** Duplicates by `messageId` (or `id`) are dropped. */
  messageId?: string;
  id?: string;
  /** Milliseconds since the epoch, or ISO 8601 text. */
  timestamp: Millis | string;
  userId?: string | null;
  anonymousId?: string | null;
  /**
   * Segment's channel: who reported the event. Absent or `"server"` (any
   * case) is a back-office source, anything else (`"browser"`, `"mobile"`)
   * is not; another type rejects the event. See `ScoreOptions.source`.
   */
  channel?: string | null;
  context?: {
    page?: { path?: string; url?: string; referrer?: string; title?: string; search?: string };
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Properties scoring reads; anything else is kept as given. */
export interface EventProperties {
  path?: string;
  url?: string;
  /** Content tags (at most 50, each at most 100 characters). */
  tags?: string[];
  /** Seconds on the page, for rules with `minDwellSeconds`. */
  dwellSeconds?: number;
  [key: string]: unknown;
}

export interface PageEvent extends EventBase {
  type: "page";
  name?: string;
  properties?: EventProperties;
}
export interface ScreenEvent extends EventBase {
  type: "screen";
  name?: string;
  properties?: EventProperties;
}
export interface TrackEvent extends EventBase {
  /** May be left out when `event` is given. */
  type?: "track";
  /** The action (`Demo Requested`), what engagement rules match on. */
  event: string;
  properties?: EventProperties;
}
export interface IdentifyEvent extends EventBase {
  type: "identify";
  traits?: { [key: string]: unknown };
  properties?: EventProperties;
}
export interface GroupEvent extends EventBase {
  type: "group";
  groupId?: string;
  traits?: { [key: string]: unknown };
  properties?: EventProperties;
}
/** An event in one of the Segment spec shapes. */
export type NurtureEvent = PageEvent | ScreenEvent | TrackEvent | IdentifyEvent | GroupEvent;

/** Profile fields as known (form answers, CRM data); dotted paths reach nested objects. */
export type Profile = { [field: string]: unknown };

// ------------------------------------------------------------------ scoring model

export type FitOp = "equals" | "oneOf" | "contains" | "pattern" | "range" | "present" | "absent";

export interface FitRule {
  id: string;
  label?: string | null;
  /** Profile field, dotted for nested objects (`company.size`). */
  field: string;
  op: FitOp;
  /** For `equals`. */
  value?: Json;
  /** For `oneOf` and `contains`. */
  values?: Json[] | null;
  /** For `pattern`: a regular expression. */
  pattern?: string | null;
  /** For `range` (either bound optional). */
  min?: number | null;
  max?: number | null;
  points: number;
  /** Rules sharing a group are alternatives: the first match counts. */
  group?: string | null;
}

export interface Penalty {
  points: number;
}
export interface TermPenalty {
  points: number;
  /** Words in the title or role; a built-in English and Chinese list when absent. */
  terms?: string[] | null;
}
export interface CompetitorPenalty {
  points: number;
  /** Competitor domains; subdomains match too. */
  domains: string[];
}

/** Built-in negative fit checks; each is off unless configured. */
export interface NegativeFit {
  freeEmail?: Penalty | null;
  disposableEmail?: Penalty | null;
  roleEmail?: Penalty | null;
  fakePhone?: Penalty | null;
  missingCompany?: Penalty | null;
  student?: TermPenalty | null;
  jobSeeker?: TermPenalty | null;
  competitor?: CompetitorPenalty | null;
}

/** Which profile fields the built-in negative checks read. */
export interface FitFieldNames {
  email?: string;
  phone?: string;
  company?: string;
  title?: string;
  role?: string;
  website?: string;
}

/** Lowest fit score for each grade letter; below `C` is D. */
export interface GradeThresholds {
  A: number;
  B: number;
  C: number;
}

export interface FitConfig {
  fields?: FitFieldNames;
  rules?: FitRule[];
  negative?: NegativeFit;
  grades?: GradeThresholds;
  /**
   * The profile fields that a browser's own `identify`/`group` calls may set
   * for scoring; every other field counts only when it came from a validated
   * form submission or a server source. The core only carries the list
   * (`Model.browserTraits`); whoever merges traits (the edge worker) applies
   * it. Default `[]`.
   */
  browserTraits?: string[];
}

/** WHERE: a URL pattern with the weight of being there and its topics. */
export interface Touchpoint {
  id: string;
  /** Glob over the path (`/pricing*`), or the whole URL when it starts with `http`. */
  url: string;
  weight: number;
  tags?: string[];
  stage?: Stage | null;
}

/** At most `count` matching events count per sliding `windowDays` (ever, without a window). */
export interface FrequencyCap {
  count: number;
  windowDays?: number | null;
}

/**
 * Who may report the events a rule matches: `"server"`, only a back-office
 * source (a browser-reported match scores 0 and is listed in
 * `ScoreResult.unscored`); `"any"` (default), every source.
 */
export type RuleSource = "any" | "server";

/** WHAT: an action worth `points` where it matches. */
export interface EngagementRule {
  id: string;
  label?: string | null;
  /** `page` for page views, the event name for track events; absent = any. */
  event?: OneOrMany | null;
  url?: string | null;
  tags?: string[] | null;
  minDwellSeconds?: number | null;
  points: number;
  /** Overrides the model's half-life; `null` for no decay. */
  halfLifeDays?: number | null;
  cap?: FrequencyCap | null;
  stage?: Stage | null;
  source?: RuleSource;
}

export interface Inactivity {
  afterDays: number;
  points: number;
  repeat?: boolean;
  maxRepeats?: number | null;
  /** Actions that are not an interaction (`Email Delivered`). */
  ignore?: string[];
}

/** Lowest engagement score for levels 1–3; below `3` is level 4. */
export interface LevelThresholds {
  "1": number;
  "2": number;
  "3": number;
}

export interface EngagementConfig {
  /** Days after which an event counts half (30); `null` turns decay off. */
  halfLifeDays?: number | null;
  maxClockSkewSeconds?: number;
  touchpoints?: Touchpoint[];
  rules?: EngagementRule[];
  inactivity?: Inactivity | null;
  levels?: LevelThresholds;
}

/** The scoring model document (`defaultModel()` returns the built-in one). */
export interface ModelConfig {
  /** The JSON Schema this document follows, for editors; the loader ignores it. */
  $schema?: string | null;
  version?: 1;
  name?: string | null;
  fit?: FitConfig;
  engagement?: EngagementConfig;
  tiers?: { warm: number; hot: number };
  stages?: { consideration: number; decision: number };
  /** The grade is one of `grades`, or both minimums are reached. */
  mql?: { grades?: string[]; minFit?: number | null; minEngagement?: number | null };
  interests?: { halfLifeDays?: number | null; top?: number };
}

/**
 * Who hands the events to scoring. `"server"` (default: a caller scoring its
 * own records) takes an event as a server's when its `channel` is absent or
 * `"server"`; `"browser"` (the page, or an edge passing on what a page
 * posted) takes every event as a browser's, whatever its `channel`.
 */
export type EventSource = "server" | "browser";

export interface ScoreOptions {
  /** `false` leaves `engagement.breakdown` empty (faster for batches). */
  breakdown?: boolean | null;
  /** Default `"server"`; anything else than these two throws (`options.source`). */
  source?: EventSource | null;
}

// ------------------------------------------------------------------ score result

export type FitGrade = "A" | "B" | "C" | "D";
export type Grade = `${FitGrade}${1 | 2 | 3 | 4}`;

export interface FitPoint {
  /** Rule id, or the built-in check (`negative.freeEmail`). */
  rule: string;
  label?: string;
  field: string;
  /** The profile value that matched. */
  value: Json;
  points: number;
}

export interface FitResult {
  score: number;
  grade: FitGrade;
  breakdown: FitPoint[];
}

export interface EventPoint {
  rule: string;
  eventIndex: number;
  eventId?: string;
  action: string;
  url?: string;
  touchpoint?: string;
  /** WHERE: the touchpoint's weight (1 when none matched). */
  touchpointWeight: number;
  /** WHAT: the rule's points. */
  actionPoints: number;
  /** `touchpointWeight × actionPoints`, before decay. */
  basePoints: number;
  ageDays: number;
  /** WHEN: `0.5 ^ (age / half-life)`; 1 without decay. */
  decay: number;
  points: number;
  decayLost: number;
  /** The rule's frequency cap kept this event from counting. */
  capped: boolean;
  /** A browser reported what only a server may (`source: "server"` rule): 0 points, no place under the cap. */
  untrusted: boolean;
}

export interface RuleTotal {
  rule: string;
  /** Matches, the capped and untrusted ones included. */
  events: number;
  capped: number;
  /** Browser-reported matches of a server-only rule; they score 0. */
  untrusted: number;
  points: number;
  decayLost: number;
}

export interface InactivityPoint {
  daysSinceLastInteraction: number;
  afterDays: number;
  times: number;
  points: number;
}

export interface EngagementResult {
  score: number;
  /** 1 (most engaged) … 4. */
  level: 1 | 2 | 3 | 4;
  decayLost: number;
  rules: RuleTotal[];
  /** One entry per (event, rule) match; empty with `{ breakdown: false }`. */
  breakdown: EventPoint[];
  inactivity?: InactivityPoint;
}

export interface RejectedEvent {
  index: number;
  id?: string;
  reason: string;
}

/** An accepted event that a server-only rule matched and scored 0, because a browser reported it. */
export interface UnscoredEvent {
  /** Position in the batch. */
  index: number;
  id?: string;
  rule: string;
  /** `"Demo Requested" counts only when a back-office source reports it (rule sales-request); reported by a browser, it scores 0`. */
  reason: string;
}

export interface Interest {
  tag: string;
  weight: number;
  /** This tag's part of all interest weight, 0–1. */
  share: number;
}

export interface ScoreResult {
  model?: string;
  now: Millis;
  fit: FitResult;
  engagement: EngagementResult;
  grade: Grade;
  tier: Tier;
  stage: Stage;
  stageEvidence: { awareness: number; consideration: number; decision: number };
  mql: { qualified: boolean; reason: string };
  interests: Interest[];
  eventsScored: number;
  rejected: RejectedEvent[];
  /** One per (browser-reported event, server-only rule) match, in batch order; listed even with `{ breakdown: false }`. */
  unscored: UnscoredEvent[];
}

// ------------------------------------------------------------------ site config (personalization)

export type OrgField = "asOrganization" | "organization" | "isp" | "domain" | "company";

/** Maps an organization (from MaxMind, the request or the profile) to attributes. */
export interface OrgRule {
  id: string;
  field?: OrgField | null;
  equals?: OneOrMany | null;
  contains?: OneOrMany | null;
  suffix?: OneOrMany | null;
  regex?: string | null;
  caseSensitive?: boolean;
  asn?: number[] | null;
  /** Attributes a matching visitor gets (`{ industry: "Oil & Gas" }`). */
  set: { [attribute: string]: Json };
}

export interface SegmentDef {
  id: string;
  name?: string | null;
  description?: string | null;
  /** Higher first; equal priorities keep the config order. */
  priority?: number;
  /** A condition over the visitor context. */
  when: TargetingCondition;
}

export interface Holdout {
  /** Share of visitors held out, 0–1. */
  share: number;
  seed?: string | null;
}

/** `text` is set as `textContent`; `html-template` is the site's own markup. */
export type ContentKind = "text" | "html-template";

export interface SlotContent {
  content?: Json;
  kind?: ContentKind;
}

/** Targeting keys must all match; a variant with none is only reachable through the experiment. */
export interface Variant {
  id: string;
  content?: Json;
  kind?: ContentKind;
  when?: TargetingCondition | null;
  segment?: string | null;
  tier?: OneOrMany<Tier> | null;
  stage?: OneOrMany<Stage> | null;
  interest?: OneOrMany | null;
}

export interface Experiment {
  key: string;
  seed?: string | null;
  /** Variant ids; `"default"` is the slot's default (control). */
  variations: string[];
  weights?: number[] | null;
  coverage?: number | null;
  /** GrowthBook namespace `[id, start, end]`. */
  namespace?: [string, number, number] | null;
  /** Context path hashed for bucketing (`id`). */
  hashAttribute?: string | null;
  when?: TargetingCondition | null;
  segment?: string | null;
}

export interface Slot {
  id: string;
  description?: string | null;
  default?: SlotContent | null;
  variants?: Variant[];
  experiment?: Experiment | null;
  holdout?: Holdout | null;
}

export type ContentType =
  | "page" | "webinar" | "case-study" | "white-paper" | "blog" | "video"
  | "demo" | "social" | "report" | "comparison" | "trial" | "other";

export interface Persona {
  industry?: OneOrMany | null;
  role?: OneOrMany | null;
  /** Labels or ranges (`"1000+"`, `"200-999"`). */
  companySize?: OneOrMany | null;
  region?: OneOrMany | null;
}

export interface ContentItem {
  id: string;
  title?: string | null;
  url?: string | null;
  type: ContentType;
  topic?: OneOrMany | null;
  tags?: OneOrMany | null;
  stage?: Stage | null;
  persona?: Persona | null;
}

export interface MatrixWeights {
  industry?: number;
  role?: number;
  companySize?: number;
  region?: number;
  currentStage?: number;
  nextStage?: number;
  anyStage?: number;
  interest?: number;
  tier?: number;
}

/** The content matrix: items recommended by persona, stage and interests. */
export interface ContentMatrix {
  limit?: number | null;
  weights?: MatrixWeights;
  items: ContentItem[];
}

/** The site (personalization) config document. Every part is optional. */
export interface SiteConfig {
  /** The JSON Schema this document follows, for editors; the loader ignores it. */
  $schema?: string | null;
  version?: string | null;
  /** GrowthBook saved groups for `$inGroup` / `$notInGroup`. */
  savedGroups?: { [groupId: string]: Json[] };
  topInterests?: number | null;
  orgRules?: OrgRule[];
  segments?: SegmentDef[];
  holdout?: Holdout | null;
  slots?: Slot[];
  content?: ContentMatrix | null;
}

/** What is known about one visitor. */
export interface Visitor {
  /** Stable id (cookie or user id); experiments and holdouts hash it. */
  id?: string | number | null;
  ip?: string | null;
  /** Request attributes the edge knows (Cloudflare's `request.cf`). */
  request?: { [key: string]: unknown } | null;
  profile?: Profile | null;
  /** A `score()` result or any part of it (`{ tier, stage, interests }`). */
  score?: Partial<ScoreResult> | { [key: string]: unknown } | null;
  /** `path`, `url`, `referrer`, `utm`, ... */
  page?: { [key: string]: unknown } | null;
  /** Content ids already seen (skipped by recommendations). */
  seen?: string[] | null;
}

/** Lookup tables, borrowed by a call (build them once). */
export interface Tables {
  cidr?: CidrTable | null;
  /** Read in order: the first database that knows a field wins. */
  maxmind?: MaxMindDb | MaxMindDb[] | null;
}

export type ReasonKind = "segment" | "rule" | "experiment" | "holdout" | "fallback";

export interface DecisionReason {
  kind: ReasonKind;
  segment?: string;
  experiment?: string;
  /** The visitor's hash in [0, 1) (experiment and holdout). */
  bucket?: number;
  variationIndex?: number;
}

/** What one slot shows. `content: null` means leave the page as it is. */
export interface Decision {
  slot: string;
  /** The variant id, or `"default"`. */
  variant: string;
  kind: ContentKind;
  content: Json;
  reason: DecisionReason;
}

export interface RecommendationReason {
  factor: "industry" | "role" | "companySize" | "region" | "stage" | "interest" | "tier";
  value: string;
  points: number;
}

export interface Recommendation {
  id: string;
  title?: string;
  url?: string;
  type: ContentType;
  stage?: Stage;
  score: number;
  reasons: RecommendationReason[];
}

export interface Decisions {
  version?: string;
  /** Matching segments, highest priority first. */
  segments: string[];
  primarySegment: string | null;
  decisions: Decision[];
  recommendations: Recommendation[];
}

/** The context conditions are evaluated against (keys present only when known). */
export interface VisitorContext {
  id?: string;
  ip?: { [key: string]: unknown };
  account?: { [key: string]: unknown };
  derived?: { [key: string]: unknown };
  company?: string;
  domain?: string;
  industry?: string;
  companySize?: unknown;
  country?: string;
  region?: string;
  city?: string;
  continent?: string;
  asn?: number;
  asOrganization?: string;
  interests?: string[];
  segments?: string[];
  segment?: string;
  sources?: { [key: string]: string };
  [key: string]: unknown;
}

export interface SegmentOfResult {
  context: VisitorContext;
  segments: string[];
  primarySegment: string | null;
}

// ------------------------------------------------------------------ forms

export type FieldType =
  | "email" | "phone" | "text" | "number" | "select" | "multi-select" | "country" | "consent" | "hidden";

/** One string, or one per language. */
export type Label = string | { en?: string; "zh-Hans"?: string; "zh-Hant"?: string };

export type FieldOption = string | { value: string; label?: Label };

export interface FormField {
  /** The profile key the value is stored under. */
  name: string;
  type: FieldType;
  label?: Label | null;
  required?: boolean;
  /** Shown on every visit, known or not. */
  always?: boolean;
  /** Shown only when this condition holds on the known profile. */
  showIf?: TargetingCondition | null;
  minLength?: number | null;
  maxLength?: number | null;
  /** An HTML `pattern` (JavaScript regular expression for the whole value). */
  pattern?: string | null;
  options?: FieldOption[] | null;
  min?: number | null;
  max?: number | null;
  /** Region for phone numbers written without `+` (`CN`). */
  defaultRegion?: string | null;
  businessEmail?: boolean | null;
}

/** The form document. */
export interface FormConfig {
  /** The JSON Schema this document follows, for editors; the loader ignores it. */
  $schema?: string | null;
  id?: string | null;
  /** In priority order: the first unknown ones are asked first. */
  fields: FormField[];
  /** Unknown fields asked per showing (2). */
  maxUnknownFields?: number | null;
  requireBusinessEmail?: boolean;
  /** An invisible field people leave empty and bots fill in. */
  honeypot?: string | null;
  minFillSeconds?: number | null;
}

export interface ShownField {
  name: string;
  type: FieldType;
  required: boolean;
  reason: "always" | "unknown";
  label?: Label;
  value?: Json;
  options?: FieldOption[];
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  min?: number;
  max?: number;
}

export interface NextFields {
  fields: ShownField[];
  /** Names of the `hidden` fields to send with the form (UTM tags, the page), and the honeypot. */
  hidden: string[];
  /** Unknown fields left for later visits. */
  remaining: number;
  complete: boolean;
}

export type FormErrorCode =
  | "required" | "too_long" | "too_short" | "pattern" | "not_allowed" | "not_a_number"
  | "below_min" | "above_max" | "invalid_email" | "disposable_email" | "business_email_required"
  | "invalid_phone" | "consent_required" | "not_asked" | "bot_suspected" | "control_characters"
  | "html_not_allowed" | "invalid_type";

export interface FieldError {
  field: string;
  code: FormErrorCode;
  /** In the language asked for. */
  message: string;
}

export type MailboxKind = "business" | "free" | "disposable" | "role";

export interface ValidateOptions {
  /** `en`, `zh-Hans`, `zh-Hant`, or any BCP 47 tag (`zh-TW`). */
  language?: string | null;
  /** What is already known. */
  profile?: Profile | null;
  /** Names of the fields that were shown. */
  asked?: string[] | null;
  renderedAt?: Millis | null;
  now?: Millis | null;
  /** A model document, `null` for the built-in one; leave out to skip fit scoring. */
  model?: ModelConfig | null;
}

export interface FormSubmission {
  valid: boolean;
  errors: FieldError[];
  /** The cleaned values of the fields that were asked. */
  values: { [field: string]: Json };
  signals: { emailKind?: MailboxKind; fakePhone: boolean };
  merge?: { profile: { [field: string]: Json }; newlyKnown: string[]; updated: string[] };
  fit?: FitResult;
  next?: NextFields;
}

export interface EmailCheck {
  valid: boolean;
  kind: MailboxKind;
  reason?: "empty" | "too_long" | "missing_at" | "invalid_local_part" | "invalid_domain" | "no_dot_in_domain";
  normalized?: string;
}

export interface PhoneCheck {
  valid: boolean;
  /** `+8613800138000`. */
  e164?: string;
  /** ISO 3166 region, or `001` for non-geographic numbers. */
  region?: string;
  reason?:
    | "empty" | "too_long" | "invalid_characters" | "missing_region" | "unknown_region"
    | "invalid_country_code" | "invalid_length" | "invalid_number";
  /** A repeated or running pattern: valid, but fit scoring counts it as fake. */
  fake: boolean;
}

// ------------------------------------------------------------------ lookup tables

export interface LineIssue {
  line: number;
  input: string;
  kind: "bad_prefix" | "missing_prefix" | "bad_record" | "bad_header" | "duplicate" | "host_bits_set" | (string & {});
  reason: string;
}

// ------------------------------------------------------------------ functions

/**
 * Scores a visitor. `model` is a model document, or `null` for the built-in
 * one; `now` defaults to the current time.
 */
export function score(
  model: ModelConfig | null,
  profile: Profile | null,
  events: readonly NurtureEvent[] | null,
  now?: Millis | Date | null,
  options?: ScoreOptions | null,
): ScoreResult;

/** The built-in model document, to copy and edit. */
export function defaultModel(): ModelConfig;

/** Every error and warning of a model document, without throwing. */
export function checkModel(model: ModelConfig): ConfigReport;

/** A scoring model compiled once, for many visitors. */
export class Model {
  free(): void;
  /** Compiles `config` (the built-in model when left out). Throws `invalid_config` with a `path`. */
  constructor(config?: ModelConfig | null);
  score(
    profile: Profile | null,
    events: readonly NurtureEvent[] | null,
    now?: Millis | Date | null,
    options?: ScoreOptions | null,
  ): ScoreResult;
  /**
   * `score` with the events as JSON text (`JSON.stringify(events)`): the same
   * result, much cheaper for hundreds of events (parsed inside wasm). Throws
   * `invalid_argument` (path `events`) for text that is not a JSON array,
   * and for a lone surrogate escape (`"\ud800"`, which `JSON.stringify`
   * writes for a malformed string): use `score` for such events.
   */
  scoreJson(
    profile: Profile | null,
    eventsJson: string,
    now?: Millis | Date | null,
    options?: ScoreOptions | null,
  ): ScoreResult;
  readonly warnings: ConfigIssue[];
  /** The model's `fit.browserTraits` (a new array each read). */
  readonly browserTraits: string[];
}

/** GrowthBook's `evalCondition`: a malformed condition is `false`. */
export function evalCondition(
  condition: TargetingCondition,
  attributes: { [key: string]: unknown },
  savedGroups?: { [groupId: string]: Json } | null,
): boolean;

/** GrowthBook's FNV-1a hash in [0, 1); `null` for an unknown version. */
export function hash(seed: string, value: string, version: number): number | null;

export function getBucketRange(
  numVariations: number,
  coverage?: number,
  weights?: readonly number[] | null,
): [number, number][];

/** The variation whose range holds `n`, or −1. */
export function chooseVariation(n: number, ranges: readonly (readonly [number, number])[]): number;

export function inNamespace(id: string, namespace: readonly [string, number, number]): boolean;

export function getEqualWeights(n: number): number[];

/** A condition compiled once; throws `invalid_config` for a bad part (an invalid regex). */
export class Condition {
  free(): void;
  constructor(condition: TargetingCondition);
  eval(attributes: { [key: string]: unknown }, savedGroups?: { [groupId: string]: Json } | null): boolean;
}

/** Decides every slot for one visitor (compiles `config` each call; see `Personalizer`). */
export function decide(config: SiteConfig, visitor: Visitor, tables?: Tables | null): Decisions;

/** The visitor context and segments for an address and request attributes. */
export function segmentOf(
  ip: string | null,
  requestAttributes?: { [key: string]: unknown } | null,
  tables?: Tables | null,
  config?: SiteConfig | null,
): SegmentOfResult;

/** Every error and warning of a site config, without throwing. */
export function checkPersonalization(config: SiteConfig): ConfigReport;

/** A site config compiled once, for many visitors. */
export class Personalizer {
  free(): void;
  constructor(config: SiteConfig);
  decide(visitor: Visitor, tables?: Tables | null): Decisions;
  /** The context conditions are evaluated against (for debugging rules). */
  context(visitor: Visitor, tables?: Tables | null): VisitorContext;
  readonly warnings: ConfigIssue[];
}

/** Named-account networks (longest-prefix match over IPv4 and IPv6). */
export class CidrTable {
  private constructor();
  free(): void;
  /** A header row with a `cidr` (or `network`) column; other columns are attributes. */
  static fromCsv(text: string): CidrTable;
  /** An array of objects, or JSON Lines, each with a `cidr` (or `network`) key. */
  static fromJson(text: string): CidrTable;
  /** Throws `invalid_argument` for a malformed address. */
  lookup(ip: string): { network: string; attributes: { [key: string]: Json } } | null;
  readonly rejected: LineIssue[];
  readonly warnings: LineIssue[];
  readonly size: number;
}

/** A MaxMind DB (`.mmdb`) held in memory. */
export class MaxMindDb {
  free(): void;
  /** Throws `invalid_argument` (path `bytes`) for a file that is not a MaxMind DB. */
  constructor(bytes: Uint8Array);
  lookup(ip: string): { [key: string]: Json } | null;
  readonly metadata: {
    databaseType: string;
    ipVersion: number;
    buildEpoch: number;
    languages: string[];
    description: { [language: string]: string };
  };
}

/**
 * Which fields to show this visitor now (progressive profiling). Compiles
 * `form` on every call: use a `Form` for many visitors.
 */
export function nextFields(form: FormConfig, knownProfile?: Profile | null): NextFields;

/**
 * Validates a submission; merges it into `options.profile` and re-scores fit
 * when asked. Compiles `form` on every call: use a `Form` for many submissions.
 */
export function validateForm(
  form: FormConfig,
  submission: { [field: string]: unknown },
  options?: ValidateOptions | null,
): FormSubmission;

/**
 * A form definition compiled once (fields, patterns, `showIf` conditions),
 * for validating many submissions: several times faster per call than
 * `validateForm`, which reads and compiles the definition each time. Later
 * changes to the definition object do not reach a compiled `Form`.
 * After `free()`, every method and getter throws an `Error`.
 */
export class Form {
  free(): void;
  /** Throws what `validateForm` throws for the same definition: `invalid_config` with the `path` of the first bad field. */
  constructor(config: FormConfig);
  /** `validateForm(config, submission, options)`, without compiling again. */
  validate(submission: { [field: string]: unknown }, options?: ValidateOptions | null): FormSubmission;
  /** `nextFields(config, knownProfile)`, without compiling again. */
  nextFields(knownProfile?: Profile | null): NextFields;
  /** The definition's `id`; `undefined` when it has none. */
  readonly id: string | undefined;
  readonly warnings: ConfigIssue[];
}

export function checkEmail(address: string): EmailCheck;

export function checkPhone(number: string, defaultRegion?: string | null): PhoneCheck;

// ------------------------------------------------------------------ loading

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;

/**
 * Loads the wasm. Needed in browsers and bundlers before the first call; in
 * Node and workerd the package is ready on import and `init()` resolves at
 * once, so the same code runs everywhere.
 */
export default function init(
  moduleOrPath?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<unknown>;

/** Options of the page runtime, `start(options)`. */
export interface StartOptions {
  /** The site config, a URL to fetch it from, or a promise of it. */
  config: SiteConfig | string | Promise<SiteConfig>;
  /** The scoring model; `null` or absent for the built-in one. */
  model?: ModelConfig | null;
  /**
   * The edge worker's origin; events go to `${endpoint}/v1/events`. None: nothing is sent.
   * On another origin than the page, the worker's visitor token is kept in the stored
   * state and sent back with each batch (list the page's origin in `ALLOWED_ORIGINS`).
   */
  endpoint?: string;
  /** `"required"`: nothing is stored, sent or personalized until `consent(true)`. */
  consent?: "required" | "implied";
  storageKey?: string;
  /** How long slots may stay hidden waiting for decisions (at most 300 ms). */
  antiFlickerMs?: number;
  /** When the page hid the slots (`Date.now()`), to count the wait from there. */
  hiddenAt?: number;
  autoTrack?: boolean;
  /** Request attributes the page knows (country, ...), for segments. */
  request?: Record<string, unknown>;
  batchMs?: number;
}

/** A snapshot of the page runtime, as `state()` and `onChange` give it. */
export interface RuntimeState {
  visitorId: string;
  consent: boolean;
  globalPrivacyControl: boolean;
  reset: string | null;
  score: ScoreResult | null;
  decisions: Decisions | null;
  applied: unknown[];
  page: unknown;
  events: number;
  unsent: number;
  [key: string]: unknown;
}

/** The page runtime: tracking, local scoring, slot swaps, consent. Pages only. */
export class Nurture {
  static start(options: StartOptions): Nurture;
  track(event: string, properties?: Record<string, unknown>): void;
  page(properties?: Record<string, unknown>): void;
  identify(traits: Profile): void;
  score(): ScoreResult | null;
  decisions(): Decisions | null;
  state(): RuntimeState;
  /** Calls `cb(state)` after every change; returns the unsubscribe function. */
  onChange(cb: (state: RuntimeState) => void): () => void;
  consent(granted: boolean): void;
  flush(): void;
  stop(): void;
  readonly visitorId: string;
  free(): void;
}

/** Undoes one slot swap. */
export class SlotUndo {
  undo(): void;
  free(): void;
}

/** Starts the page runtime (throws `invalid_argument` outside a page). */
export function start(options: StartOptions): Nurture;

/** Applies one decision to one element; `undefined` when it keeps the default. */
export function swapSlot(element: Element, decision: Decision): SlotUndo | undefined;

/** Instantiates from bytes or a compiled module, synchronously. */
export function initSync(module: { module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module): unknown;
