// Types of the nurture package. wasm-bindgen types most arguments as `any`,
// so the package declares every document a user writes and every result:
//
// - generated/types.d.ts: the config documents (the scoring model, the site
//   config, forms) and the results (scores, decisions, form answers, config
//   reports), generated from the Rust types, from the same schemas as the
//   JSON Schemas in `schema/` (`UPDATE_SCHEMAS=1 cargo test --features schema
//   --test schema_drift` rewrites it; the test fails when it is stale). Every
//   type there is exported from here too.
// - this file, by hand: what Rust reads or builds without a serde type
//   (events, visitors, call options, the visitor context), the errors, and
//   every function and class.
//
// Every entry of the package (browser, bundler, Node, workerd/edge) has this
// same API. A package test type-checks documents that use every key of the
// JSON Schemas against these types.

export * from "./generated/types.js";
import type {
  ConfigIssue,
  ConfigReport,
  RejectedEvent,
  UnscoredEvent,
  Decision,
  Decisions,
  EmailCheck,
  FormConfig,
  FitGrade,
  FormSubmission,
  Grade,
  Interest,
  Json,
  LineIssue,
  Millis,
  ModelConfig,
  NextFields,
  PhoneCheck,
  RuleTotal,
  ScoreResult,
  SiteConfig,
  Stage,
  TargetingCondition,
  Tier,
} from "./generated/types.js";

// ------------------------------------------------------------------ errors

/** The stable codes on every thrown `Error`. */
export type NurtureErrorCode =
  | "invalid_config"
  | "invalid_argument"
  /** A compiled config of another format version: compile it again with this version. */
  | "compiled_config_version"
  /** Bytes that are not a compiled config, or a truncated or damaged one. */
  | "compiled_config_corrupt";

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

// ------------------------------------------------------------------ events (Segment spec)

interface EventBase {
  /** Duplicates by `messageId` (or `id`) are dropped. */
  messageId?: string;
  id?: string;
  /**
   * Milliseconds since the epoch, ISO 8601 text, or a `Date`. A number below
   * 1e11 (1973-03-03 in ms) is rejected as seconds.
   */
  timestamp: Millis | string | Date;
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
  /** Seconds on the page, for rules with `minDwellSeconds`; text such as `"90"` is read as a number. */
  dwellSeconds?: number | string;
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

// ------------------------------------------------------------------ scoring options

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
  /** Events the call takes (default 10,000); more throw before any is read. */
  maxEvents?: number | null;
}

// ------------------------------------------------------------------ visitors

/** What is known about one visitor. */
export interface Visitor {
  /** Stable id (cookie or user id); experiments and holdouts hash it. */
  id?: string | number | null;
  ip?: string | null;
  /** Request attributes the edge knows (Cloudflare's `request.cf`). */
  request?: { [key: string]: unknown } | null;
  profile?: Profile | null;
  /** A `score()` result or any part of it (`{ tier, stage, interests }`). */
  score?: ScoreSummary | Partial<ScoreResult> | { [key: string]: unknown } | null;
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

// ------------------------------------------------------------------ form options

export interface ValidateOptions {
  /** `en`, `zh-Hans`, `zh-Hant`, or any BCP 47 tag (`zh-TW`). */
  language?: string | null;
  /** What is already known. */
  profile?: Profile | null;
  /** Names of the fields that were shown. */
  asked?: string[] | null;
  renderedAt?: Millis | Date | null;
  now?: Millis | Date | null;
  /** A model document, `null` for the built-in one; leave out to skip fit scoring. */
  model?: ModelConfig | null;
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
  /**
   * Checks events the way scoring does (shape, a timestamp within the
   * model's clock skew of `now`, duplicate ids) without scoring them: the
   * same accepted events and reasons as `score`. The JSON text is read
   * straight into typed events (no intermediate JSON tree); a wrong type
   * in one event is that event's rejection, and only text that is not a
   * JSON array (or `null`) throws (`invalid_argument`, path `events`).
   * `ingest` checks its batch the same way. Node and edge builds only
   * (not in the page build).
   */
  validateEvents(
    eventsJson: string,
    now?: Millis | Date | null,
    source?: "server" | "browser" | null,
  ): { accepted: number[]; rejected: RejectedEvent[] };
  /**
   * Adds a batch to a visitor's incremental state (`null` for a new visitor)
   * in O(batch): store the returned `state` bytes and hand them back with
   * the next batch. `scoreState` on them gives what `score` gives for the
   * whole history. Throws `invalid_argument` (path `state`) for a state of
   * another model or format version. Node and edge builds only.
   */
  ingest(
    state: Uint8Array | null,
    eventsJson: string,
    now?: Millis | Date | null,
    source?: "server" | "browser" | null,
  ): VisitorStateUpdate;
  /**
   * A state for this model from one stored under another model (or format):
   * the old sums cannot be re-read, so it starts again from the events the
   * state still holds whole (those with an open match of a capped rule).
   * Node and edge builds only.
   */
  restartState(state: Uint8Array, now?: Millis | Date | null): Uint8Array;
  /**
   * The visitor's score from its state: `score` over its whole history,
   * with the breakdown of its newest (still open) events only.
   */
  scoreState(
    state: Uint8Array,
    profile: Profile | null,
    now?: Millis | Date | null,
    options?: ScoreOptions | null,
  ): ScoreResult & { summary: ScoreSummary };
  /**
   * A visitor's state held inside wasm between batches, from its stored
   * bytes (`null` for a new visitor): what an edge object that keeps a
   * visitor resident hands `ingestInto` and `forwardedScore`, so the bytes
   * are read once rather than on every call. Throws `invalid_argument`
   * (path `state`) as `ingest` does. Node and edge builds only.
   */
  openState(state: Uint8Array | null): VisitorEngagement;
  /**
   * `ingest` on a state held in wasm, changed in place: `state` (the new
   * bytes to store) is there when an event was taken; a batch with none
   * leaves the state as it was, and text that is not a JSON array throws
   * before anything changes.
   */
  ingestInto(
    engagement: VisitorEngagement,
    eventsJson: string,
    now?: Millis | Date | null,
    source?: "server" | "browser" | null,
  ): Omit<VisitorStateUpdate, "state"> & { state?: Uint8Array };
  /**
   * The visitor's score from a state held in wasm, as the edge stores and
   * forwards it (no per-rule totals), and the MQL reason.
   */
  forwardedScore(
    engagement: VisitorEngagement,
    profile: Profile | null,
    now?: Millis | Date | null,
  ): { summary: ForwardedScore; mqlReason: string };
  /**
   * A `LiveVisitor` scored with this model (which it shares: freeing the
   * `Model` first is safe), new or from stored bytes (`toBytes()`, or
   * `ingest`'s `state`). `source` `"browser"` (the default) counts no event
   * for a rule with `"source": "server"`; pass `"server"` for a back-office
   * record. Throws `invalid_argument` (path `state`) for bytes of another
   * model or format version. Node and edge builds only.
   */
  visitor(state?: Uint8Array | null, source?: "server" | "browser" | null): LiveVisitor;
  readonly warnings: ConfigIssue[];
  /** The model's `fit.browserTraits` (a new array each read). */
  readonly browserTraits: string[];
}

/**
 * What decisions read of a visitor's score (`Visitor.score`): the page and
 * the edge build it alike (`scoreState(...).summary` at the edge), so one
 * visitor is decided alike in both places. `interests` lists every tag,
 * strongest first: decisions read each tag's share of the listed ones.
 */
export interface ScoreSummary {
  fit?: number;
  engagement?: number;
  grade?: Grade;
  tier?: Tier;
  stage?: Stage;
  mql?: boolean;
  interests?: { tag: string; share: number }[];
}

/**
 * The score as the edge stores and forwards it (`Model.forwardedScore`):
 * what decisions read, the fit grade, and the five rules of each side with
 * the largest absolute points, rounded to two decimals.
 */
export interface ForwardedScore {
  fit: number;
  fitGrade: FitGrade;
  engagement: number;
  grade: Grade;
  tier: Tier;
  stage: Stage;
  mql: boolean;
  interests: { tag: string; share: number }[];
  breakdown: { fit: { rule: string; points: number }[]; engagement: { rule: string; points: number }[] };
  model?: string;
}

/**
 * A visitor's engagement state held inside wasm (`Model.openState`).
 * Node and edge builds only.
 */
export class VisitorEngagement {
  free(): void;
  /** The stored form, as `Model.ingest`'s `state`. */
  toBytes(): Uint8Array;
  /** Events the state holds in all. */
  readonly eventsTotal: number;
}

/** What `Model.ingest` returns. */
export interface VisitorStateUpdate {
  /** The new state, to store (a few KB, however long the history). */
  state: Uint8Array;
  /** Indices of the batch's events that were taken. */
  accepted: number[];
  rejected: RejectedEvent[];
  /** Browser reports of server-only rules: kept, worth 0. */
  unscored: UnscoredEvent[];
  /** Events the state holds in all. */
  eventsTotal: number;
}

/**
 * One visitor's engagement state held inside wasm between calls: each
 * `track()` takes an event as a few strings and numbers and updates the
 * score incrementally; `score()` reads the state without re-reading any
 * history. The state is the one `Model.ingest` keeps (`toBytes()` and
 * `model.visitor(bytes)` move it to storage and back). Node and edge
 * builds only (not in the page build).
 */
export class LiveVisitor {
  free(): void;
  /**
   * Adds one event: `action` is the event name (`"page"` for a page view),
   * `timestamp` milliseconds since the epoch or a `Date` (the clock when
   * left out). Checked as `score` checks an event object; a bad field
   * throws `invalid_argument` with its name as `path` (`action`, `url`,
   * `tags`, `dwellSeconds`, `timestamp`) and nothing is added.
   */
  track(
    action: string,
    url?: string | null,
    timestamp?: Millis | Date | null,
    tags?: string | readonly string[] | null,
    dwellSeconds?: number | null,
  ): void;
  /** `track("page", url, …)`. */
  page(
    url: string,
    timestamp?: Millis | Date | null,
    tags?: string | readonly string[] | null,
    dwellSeconds?: number | null,
  ): void;
  /**
   * The visitor's scores at `now` (the clock when left out), the fit
   * scored from `profile`; `profile` left out: the profile `setContext`
   * set (none before it), and the score is kept for `decisions` at the
   * same `now` (scoring and then deciding scores once); `null`: none.
   */
  score(now?: Millis | Date | null, profile?: Profile | null): VisitorScore;
  /**
   * What decisions read besides the score, kept until the next call: the
   * visitor document of `Personalizer.decide` without its `score` (one in
   * it is ignored). Its `profile` is also what `decisions` scores the fit
   * with. A bad field throws `invalid_argument` at `visitor.<field>`, and
   * the context stays as it was.
   */
  setContext(context: Omit<Visitor, "score">): void;
  /**
   * `personalizer.decide` for this visitor: the context `setContext` set
   * and its own score at `now` (the clock when left out), with every
   * event tracked so far. No visitor document crosses into wasm; the
   * score is worked out again only after a new event or at another `now`.
   */
  decisions(personalizer: Personalizer, now?: Millis | Date | null, tables?: Tables | null): Decisions;
  /** The state to store: read back by `Model.visitor` and `Model.ingest`/`scoreState`. */
  toBytes(): Uint8Array;
  /** Events tracked in all, a stored state's included. */
  readonly events: number;
}

/** What `LiveVisitor.score` returns: what decisions read, and the rule totals. */
export interface VisitorScore {
  now: Millis;
  /** Fit score and letter (`A` … `D`) from `profile`. */
  fit: number;
  fitGrade: "A" | "B" | "C" | "D";
  engagement: number;
  /** 1 (most engaged) … 4. */
  level: 1 | 2 | 3 | 4;
  grade: string;
  tier: Tier;
  stage: Stage;
  mql: boolean;
  interests: Interest[];
  events: number;
  rules: RuleTotal[];
}

/**
 * GrowthBook's `evalCondition(attributes, condition, savedGroups)`, in its
 * argument order: a malformed condition is `false`. Attributes that use `$`
 * operators while the condition uses none (nurture's old order,
 * `(condition, attributes)`) throw `invalid_argument` at `attributes`.
 */
export function evalCondition(
  attributes: { [key: string]: unknown },
  condition: TargetingCondition,
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
  /** `savedGroups`, if given, are read once and used by every `eval` given none. */
  constructor(condition: TargetingCondition, savedGroups?: { [groupId: string]: Json } | null);
  eval(attributes: { [key: string]: unknown }, savedGroups?: { [groupId: string]: Json } | null): boolean;
}

/**
 * Decides every slot for one visitor (compiles `config` each call; see
 * `Personalizer`). `tables` only in the Node and edge builds: the page build
 * has no lookup tables and throws `invalid_argument` (path `tables`) for one.
 */
export function decide(config: SiteConfig, visitor: Visitor, tables?: Tables | null): Decisions;

/** The visitor context and segments for an address and request attributes. Node and edge builds only. */
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
  /** The visitor's segments, highest priority first, without the context. Node and edge builds only. */
  segments(visitor: Visitor, tables?: Tables | null): { segments: string[]; primarySegment: string | null };
  readonly warnings: ConfigIssue[];
}

/** Named-account networks (longest-prefix match over IPv4 and IPv6). Node and edge builds only. */
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

/**
 * What `MaxMindDb.lookupContext` returns: the record's fields a visitor
 * context reads, present when the record has them (a non-blank string, a
 * number or a boolean; the types below are those of MaxMind's databases).
 */
export interface MaxMindContextFields {
  /** `autonomous_system_number` (top level or under `traits`). */
  asn?: number;
  /** `autonomous_system_organization`. */
  asOrganization?: string;
  isp?: string;
  organization?: string;
  domain?: string;
  /** `connection_type`. */
  connectionType?: string;
  /** `user_type`. */
  userType?: string;
  /** `country.iso_code`. */
  country?: string;
  /** `country.names.en`. */
  countryName?: string;
  /** `continent.code`. */
  continent?: string;
  /** `subdivisions[0].iso_code`. */
  region?: string;
  /** `subdivisions[0].names.en`. */
  regionName?: string;
  /** `city.names.en`. */
  city?: string;
  /** `postal.code`. */
  postalCode?: string;
  /** `location.time_zone`. */
  timezone?: string;
  /** `registered_country.iso_code`. */
  registeredCountry?: string;
}

/** A MaxMind DB (`.mmdb`) held in memory. Node and edge builds only. */
export class MaxMindDb {
  free(): void;
  /** Throws `invalid_argument` (path `bytes`) for a file that is not a MaxMind DB. */
  constructor(bytes: Uint8Array);
  /** The whole record as MaxMind stores it; throws `invalid_argument` for a malformed address. */
  lookup(ip: string): { [key: string]: Json } | null;
  /**
   * Only what a visitor context's `ip` takes from this database, under the
   * context's names, decoded without the rest of the record (much faster
   * than `lookup`). `null` when the database has no (readable) record for
   * `ip`. Throws `invalid_argument` for a malformed address. Full build only
   * (Node, edge): not in the page build.
   */
  lookupContext(ip: string): MaxMindContextFields | null;
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

// The loading types name no DOM type, so the file compiles in Node and
// Workers projects without the DOM lib (and with `skipLibCheck: false`). A
// runtime's own class is taken from `globalThis` when the project's libs
// declare it (`var Response: { prototype: Response }`: the DOM, Workers,
// @types/node), so page users keep the exact DOM types; without it the
// argument falls back to a structural type.

/** The instances of the global class `K` where the project declares one, else `Fallback`. */
type GlobalInstance<K extends string, Fallback> =
  typeof globalThis extends { [P in K]: { prototype: infer T } } ? T : Fallback;

/** `BufferSource` of the DOM and Workers, from the ECMAScript lib. */
export type Bytes = ArrayBuffer | ArrayBufferView;
/**
 * A compiled `WebAssembly.Module`. The libs declare it without members, so
 * any value would pass: `object` keeps numbers and strings out, and the
 * `never` keys keep a mistyped `{ module }` / `{ module_or_path }` out.
 */
export type WasmModule = (typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : unknown) &
  object & { readonly module?: never; readonly module_or_path?: never };
/** A DOM `Element` (`swapSlot`'s target); outside a page `swapSlot` throws `invalid_argument`. */
export type DomElement = GlobalInstance<"Element", object>;

export type InitInput =
  | string
  | GlobalInstance<"URL", { readonly href: string }>
  | GlobalInstance<"Request", never>
  | GlobalInstance<"Response", never>
  | Bytes
  | WasmModule;

/**
 * Loads the wasm. Needed in browsers and bundlers before the first call; in
 * Node and workerd the package is ready on import and `init()` resolves at
 * once, so the same code runs everywhere.
 */
export default function init(
  moduleOrPath?: { module_or_path: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>,
): Promise<unknown>;

/** Options of the page runtime, `start(options)`. */
/**
 * The edge worker's config document (`GET /v1/config`): the page takes its
 * site config and its model, so page and edge decide with the same.
 */
export interface EdgeConfigDocument {
  version: string;
  site: SiteConfig;
  model: ModelConfig | null;
}

/**
 * A compiled model, site config or edge config document (`compileConfig`,
 * `GET /v1/config?format=compiled`, `nurture compile`): bytes the page
 * reads without parsing JSON, or their base64 text (what the edge embeds in
 * a page as `#nurture-config`).
 */
export type CompiledConfig = Uint8Array | ArrayBuffer | string;

/** What a compiled config holds (`inspectCompiled`). */
export interface CompiledConfigInfo {
  /** The format version it was written in (this build reads 2). */
  formatVersion: number;
  kind: "edge" | "site" | "model";
  /** 16 hex digits: the edge document's `version`, else the start of the SHA-256 of the source. */
  version: string;
  /** Whether it holds a site config. */
  site: boolean;
  /** Whether it holds a model (an edge document without one: the built-in model). */
  model: boolean;
}

/**
 * Checks a model, a site config or the edge's config document (`kind`; by
 * default: a document with `site` is the edge's, one with `fit` or
 * `engagement` a model, anything else a site config) and returns its
 * compiled form. Throws `invalid_config` with the `path` of the first error
 * (`site.slots[1].variants`) and every error in `err.errors`. Node and edge
 * builds only.
 */
export function compileConfig(
  document: SiteConfig | ModelConfig | EdgeConfigDocument | { version?: string; site: SiteConfig; model?: ModelConfig | null },
  kind?: "edge" | "site" | "model" | null,
): Uint8Array;

/**
 * Reads and compiles a compiled config as a page does and says what it
 * holds; throws `compiled_config_version` or `compiled_config_corrupt` for
 * one the page would refuse. Node and edge builds only.
 */
export function inspectCompiled(bytes: Uint8Array): CompiledConfigInfo;

/**
 * When slots follow changed decisions: `"never"` (each slot keeps the variant
 * it was first given on this page load), `"navigation"` (the default: at the
 * next page view, an SPA navigation or `page()`), `"immediate"` (as soon as
 * the decisions change).
 */
export type Reapply = "never" | "navigation" | "immediate";

export interface StartOptions {
  /**
   * The site config or the edge's config document (`GET /v1/config`),
   * compiled (read without parsing JSON: bytes, or their base64 text) or as
   * an object; a URL to fetch either from (an answer that is not JSON is
   * read as compiled), or a promise of any of these. A refused compiled
   * config keeps the slots at their defaults and the outbox as it was;
   * `state().configError` says why.
   */
  config:
    | SiteConfig
    | EdgeConfigDocument
    | CompiledConfig
    | string
    | Promise<SiteConfig | EdgeConfigDocument | CompiledConfig>;
  /**
   * The scoring model; `null` or absent for the edge document's model, else
   * the built-in one. Given, it wins over the document's (with a warning
   * when they differ).
   */
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
  /** When slots follow changed decisions; default `"navigation"`. */
  reapply?: Reapply;
  /** When the page hid the slots (`Date.now()` or a `Date`), to count the wait from there. */
  hiddenAt?: number | Date;
  /** Records page views (history navigations included), dwell, scroll, downloads, outbound links, form submits. Default `true`. */
  autoTrack?: boolean;
  /** Request attributes the page knows (country, ...), for segments. */
  request?: Record<string, unknown>;
  batchMs?: number;
  /**
   * GrowthBook's `trackingCallback`: called the first time this visitor sees a slot
   * whose decision came from an experiment the page decided (the edge reports the
   * slots it applied itself), once per visitor and experiment (remembered in the
   * stored state). The runtime
   * also sends an `Experiment Viewed` event with it; use this to tell another
   * analytics tool.
   */
  onExposure?: (experiment: ExposureExperiment, result: ExposureResult) => void;
}

/** The experiment of an exposure, as `onExposure` gets it. */
export interface ExposureExperiment {
  /** The experiment's key (GrowthBook's `experiment.key`). */
  key: string;
  /** The slot it decides. */
  slot: string;
}

/** What the visitor got, in the names of GrowthBook's `Result`. */
export interface ExposureResult {
  /** The variation's index as text (GrowthBook's `result.key`). */
  key: string;
  /** The variation's index (0 is the first listed). */
  variationId: number;
  /** The variant id shown (`"default"` for the control arm). */
  value: string;
}

/**
 * The properties of the `Experiment Viewed` track event (the page runtime's and
 * the edge's): GrowthBook's documented Segment call plus nurture's variant and slot.
 */
export interface ExperimentViewedProperties {
  experimentId: string;
  variationId: string;
  variant: string;
  slot: string;
}

/** A snapshot of the page runtime, as `state()` and `onChange` give it. */
export interface RuntimeState {
  visitorId: string;
  consent: boolean;
  globalPrivacyControl: boolean;
  reset: string | null;
  /** The live visitor's score (`LiveVisitor.score`: what decisions read and the totals per rule). */
  score: VisitorScore | null;
  decisions: Decisions | null;
  applied: unknown[];
  page: unknown;
  events: number;
  unsent: number;
  /** Unsent events dropped since start because the outbox was full (300). */
  dropped: number;
  /** `version` of the edge's config document, when the config was one (of a compiled config, its source hash). */
  configVersion: string | null;
  /** Why the config was not used (`compiled_config_version`, `compiled_config_corrupt`, `invalid_config`), else `null`. */
  configError: { code: NurtureErrorCode; message: string } | null;
  [key: string]: unknown;
}

/** The page runtime: tracking, local scoring, slot swaps, consent. Pages only. */
export class Nurture {
  static start(options: StartOptions): Nurture;
  /** Throws when the event would be over 4,096 bytes as JSON. */
  track(event: string, properties?: Record<string, unknown>): void;
  /**
   * A page view now. A call for the path and query of the current page view
   * within 2 s of its start is that view (its properties are added): returns
   * `false` then, `true` when a new view was recorded.
   */
  page(properties?: Record<string, unknown>): boolean;
  identify(traits: Profile): void;
  /** The live visitor's score (`LiveVisitor.score`). */
  score(): VisitorScore | null;
  decisions(): Decisions | null;
  state(): RuntimeState;
  /** Calls `cb(state)` at once with the current state, then after every change; returns the unsubscribe function. */
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
export function swapSlot(element: DomElement, decision: Decision): SlotUndo | undefined;

/** Instantiates from bytes or a compiled module, synchronously. */
export function initSync(module: { module: Bytes | WasmModule } | Bytes | WasmModule): unknown;
