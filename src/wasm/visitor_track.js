// `LiveVisitor.track` and `.page` as the package exports them (see
// src/wasm/visitor.rs): a call into wasm costs little, a call out of it (to
// read a JS argument) a lot. So the arguments are checked here, each
// distinct action, URL and tag list crosses once (`internAction`,
// `internUrl`, `internTags`: checked and worked out against the model in
// wasm, which answers with its number), and each event then crosses as
// numbers only (`trackInterned`). Arguments of any other type (a `Date`, a
// dwell time as text, tags that are not strings) go to the methods wasm
// exports under the same names, which read them as values: same readings,
// same errors.
//
// Events whose fields are checked here as wasm would check them (a time
// already within the clock's reach, a dwell time ≥ 0) are not even handed
// over one by one: they wait in typed arrays and cross in batches
// (`trackBatch`), before anything reads the state (`score`, `decisions`,
// `toBytes`, `events`), before a new text is numbered (the scratch number
// stands for the newest text only), when the clock moves, and when the
// buffer is full. Every other event goes through `trackInterned` at once,
// which throws what it always threw.

// Joins a tag list into one text; a tag holding it goes the general way.
const SEPARATOR = "\u001f";
// The number of a text the visitor did not keep: never remembered here.
const SCRATCH = 0xffffffff;
const installed = new WeakSet();
// Each visitor's numbers, under a key no user code meets.
const TEXTS = Symbol("nurture.texts");
// Each visitor's events not handed over yet.
const PENDING = Symbol("nurture.pending");
// Events a batch holds at most.
const BATCH = 256;
// What wasm refuses as seconds rather than milliseconds
// (`MIN_TIMESTAMP_MS`, src/score/event.rs).
const MIN_TIMESTAMP_MS = 1e11;

class Pending {
  constructor(skew) {
    // action, URL and tags numbers of each event.
    this.numbers = new Uint32Array(BATCH * 3);
    this.times = new Float64Array(BATCH);
    // -1: none.
    this.dwells = new Float64Array(BATCH);
    this.count = 0;
    // The clock the events are checked at, and how far past it an event's
    // time may be (the model's clock skew).
    this.clock = -Infinity;
    this.skew = skew;
  }
}

function pendingOf(visitor) {
  return visitor[PENDING] ?? (visitor[PENDING] = new Pending(visitor.maxSkewMs));
}

/** Hands the events waiting in JS to wasm. */
function flush(visitor) {
  const p = visitor[PENDING];
  if (p === undefined || p.count === 0) return;
  const n = p.count;
  p.count = 0;
  visitor.trackBatch(p.numbers.subarray(0, n * 3), p.times.subarray(0, n), p.dwells.subarray(0, n), p.clock);
}

// Waits in the buffer when wasm would take it as it is; false when it has
// to cross now (its check may throw).
function buffer(visitor, a, u, g, timestamp, dwellSeconds) {
  if (dwellSeconds != null && !(dwellSeconds >= 0 && dwellSeconds !== Infinity)) return false;
  const p = pendingOf(visitor);
  let t = timestamp;
  if (t == null || !(t <= p.clock + p.skew)) {
    // The clock moves: what waits was checked at the old one.
    flush(visitor);
    p.clock = Date.now();
    if (t == null) t = p.clock;
  }
  // Rounded as wasm rounds (to the millisecond) before comparing.
  if (!(t >= MIN_TIMESTAMP_MS && Math.round(t) <= Math.round(p.clock) + p.skew)) return false;
  const i = p.count;
  p.numbers[i * 3] = a;
  p.numbers[i * 3 + 1] = u;
  p.numbers[i * 3 + 2] = g;
  p.times[i] = t;
  p.dwells[i] = dwellSeconds ?? -1;
  p.count = i + 1;
  if (p.count === BATCH) flush(visitor);
  return true;
}

class TextNumbers {
  constructor() {
    this.actions = new Map();
    this.urls = new Map();
    // Tag lists as a tree by tag, so a list is found without joining it
    // into a new string on every event.
    this.tags = new TagNode();
    this.tagNodes = 0;
  }
}

// Tag nodes a visitor keeps at most (wasm keeps 1,024 lists); past them a
// list not in the tree crosses joined on every event.
const MAX_TAG_NODES = 4096;

class TagNode {
  constructor() {
    this.id = undefined;
    this.next = new Map();
  }
}

// Where a list the tree has no room for ends: never given a number.
const UNKEPT = new TagNode();

function numberOf(map, text, visitor, intern) {
  let id = map.get(text);
  if (id === undefined) {
    flush(visitor);
    id = intern.call(visitor, text);
    if (id !== SCRATCH) map.set(text, id);
  }
  return id;
}

// The node of a tag list (a string is a list of one), null for none, or
// undefined for what only the general way reads (a tag that is not a
// string).
function tagNode(texts, tags) {
  if (tags == null) return null;
  const one = typeof tags === "string";
  if (!one && !Array.isArray(tags)) return undefined;
  const count = one ? 1 : tags.length;
  let node = texts.tags;
  for (let i = 0; i < count; i++) {
    const tag = one ? tags : tags[i];
    if (typeof tag !== "string") return undefined;
    let next = node.next.get(tag);
    if (next === undefined) {
      if (node === UNKEPT || texts.tagNodes >= MAX_TAG_NODES) {
        next = UNKEPT;
      } else {
        next = new TagNode();
        node.next.set(tag, next);
        texts.tagNodes++;
      }
    }
    node = next;
  }
  return node;
}

// The number of the list at `node`, or undefined when a tag holds the
// separator the list crosses joined with (the general way reads it).
function tagsNumber(node, tags, visitor) {
  if (node === null) return 0;
  if (node.id !== undefined) return node.id;
  const list = typeof tags === "string" ? [tags] : tags;
  if (list.some((tag) => tag.includes(SEPARATOR))) return undefined;
  flush(visitor);
  const id = visitor.internTags(list.join(SEPARATOR));
  if (id !== SCRATCH && node !== UNKEPT) node.id = id;
  return id;
}

// `score()`'s object from its numbers and texts (`scoreParts`, laid out
// there), without JSON text; undefined when a text holds the separator
// (the caller then takes the JSON way).
function scoreOf(visitor, now, profile) {
  const n = visitor.scoreParts(now, profile);
  const texts = visitor.scoreTexts().split(SEPARATOR);
  const interests = n[6];
  const rules = n[7 + interests * 2];
  if (texts.length !== 4 + interests + rules) return undefined;
  const list = new Array(interests);
  for (let k = 0; k < interests; k++) {
    list[k] = { tag: texts[4 + k], weight: n[7 + k * 2], share: n[8 + k * 2] };
  }
  const totals = new Array(rules);
  const at = 8 + interests * 2;
  for (let k = 0; k < rules; k++) {
    const f = at + k * 5;
    totals[k] = {
      rule: texts[4 + interests + k],
      events: n[f],
      capped: n[f + 1],
      untrusted: n[f + 2],
      points: n[f + 3],
      decayLost: n[f + 4],
    };
  }
  return {
    now: n[0],
    fit: n[1],
    fitGrade: texts[0],
    engagement: n[2],
    level: n[3],
    grade: texts[1],
    tier: texts[2],
    stage: texts[3],
    mql: n[4] === 1,
    interests: list,
    events: n[5],
    rules: totals,
  };
}

// Each Personalizer's slots as decisions show them (`layout`), read once.
const LAYOUTS = new WeakMap();
const REASONS = ["segment", "rule", "experiment", "holdout", "fallback"];

// A copy of JSON content: a fresh object for each answer, as
// `Personalizer.decide` gives, without parsing text.
function copy(v) {
  if (typeof v !== "object" || v === null) return v;
  if (Array.isArray(v)) return v.map(copy);
  const o = {};
  for (const k of Object.keys(v)) {
    // An own "__proto__" (JSON.parse makes one) stays a plain key.
    if (k === "__proto__") Object.defineProperty(o, k, { value: copy(v[k]), enumerable: true, writable: true, configurable: true });
    else o[k] = copy(v[k]);
  }
  return o;
}

function shown(id, v) {
  return { id, kind: v.kind, content: v.content };
}

// A recommended item's object maker: its fields in the order a
// recommendation lists them, then its score and reasons.
function listing(item) {
  const { id, title, url, type, stage } = item;
  if (title !== undefined && url !== undefined && stage !== undefined) {
    return (score, reasons) => ({ id, title, url, type, stage, score, reasons });
  }
  return (score, reasons) => {
    const listed = { id };
    if (title !== undefined) listed.title = title;
    if (url !== undefined) listed.url = url;
    listed.type = type;
    if (stage !== undefined) listed.stage = stage;
    listed.score = score;
    listed.reasons = reasons;
    return listed;
  };
}

function layoutOf(personalizer) {
  let layout = LAYOUTS.get(personalizer);
  if (layout === undefined) {
    const doc = personalizer.layout();
    layout = {
      version: doc.version,
      slots: doc.slots.map((slot) => ({
        id: slot.id,
        default: shown("default", slot.default),
        variants: slot.variants.map((v) => shown(v.id, v)),
      })),
      items: doc.items.map(listing),
    };
    LAYOUTS.set(personalizer, layout);
  }
  return layout;
}

// What `personalizer.decide` answers, from `decisionParts` (laid out
// there) and the layout; undefined when a text holds the separator (the
// caller then takes the JSON way).
function decisionsOf(visitor, personalizer, now, tables) {
  const layout = layoutOf(personalizer);
  const n = visitor.decisionParts(personalizer, now, tables);
  const joined = visitor.decisionTexts();
  const count = n[0];
  const slots = n[1];
  // The texts there must be, from the numbers.
  let expected = count;
  for (let k = 0; k < slots; k++) {
    const kind = n[3 + k * 4];
    if (kind === 0 || kind === 2) expected++;
  }
  const at = 2 + slots * 4;
  for (let r = 0, f = at + 1; r < n[at]; r++) {
    expected += 2 * n[f + 2];
    f += 3 + n[f + 2];
  }
  const texts = expected === 0 && joined === "" ? [] : joined.split(SEPARATOR);
  if (texts.length !== expected || slots !== layout.slots.length) return undefined;
  const segments = texts.slice(0, count);
  let t = count;
  const list = new Array(slots);
  for (let k = 0; k < slots; k++) {
    const f = 2 + k * 4;
    const slot = layout.slots[k];
    const s = n[f] < 0 ? slot.default : slot.variants[n[f]];
    const kind = n[f + 1];
    const reason = { kind: REASONS[kind] };
    if (kind === 0) reason.segment = texts[t++];
    else if (kind === 2) reason.experiment = texts[t++];
    const bucket = n[f + 2];
    if (bucket === bucket) reason.bucket = bucket;
    if (n[f + 3] >= 0) reason.variationIndex = n[f + 3];
    const content = typeof s.content === "object" ? copy(s.content) : s.content;
    list[k] = { slot: slot.id, variant: s.id, kind: s.kind, content, reason };
  }
  const recommendations = new Array(n[at]);
  for (let r = 0, f = at + 1; r < n[at]; r++) {
    const reasons = new Array(n[f + 2]);
    for (let k = 0; k < reasons.length; k++) {
      reasons[k] = { factor: texts[t++], value: texts[t++], points: n[f + 3 + k] };
    }
    recommendations[r] = layout.items[n[f]](n[f + 1], reasons);
    f += 3 + reasons.length;
  }
  const out = {};
  if (layout.version !== undefined) out.version = layout.version;
  out.segments = segments;
  out.primarySegment = count > 0 ? segments[0] : null;
  out.decisions = list;
  out.recommendations = recommendations;
  return out;
}

// The method wasm exports under `name` for the general way. The page
// build has only the typed way (src/wasm/visitor_values.rs is left out):
// there what only the general way reads is refused, with the code wasm's
// own refusals carry.
function generalWay(proto, name) {
  const inner = proto[name];
  if (typeof inner === "function") return inner;
  return function refused() {
    const error = new Error(
      `${name}: the page build takes plain strings and numbers (tags as strings without U+001F, ` +
        "ids without it in the config); the Node, edge and browser builds read any value",
    );
    error.code = "invalid_argument";
    throw error;
  };
}

/** Puts the typed `track` and `page` on the class of `visitor`, once. */
export function installTrack(visitor) {
  const proto = Object.getPrototypeOf(visitor);
  if (installed.has(proto)) return;
  installed.add(proto);
  const trackValues = generalWay(proto, "track");
  const pageValues = generalWay(proto, "page");
  const decisionsValues = generalWay(proto, "decisionsJson");
  proto.track = function track(action, url, timestamp, tags, dwellSeconds) {
    if (
      typeof action !== "string" ||
      (url != null && typeof url !== "string") ||
      (timestamp != null && typeof timestamp !== "number") ||
      (dwellSeconds != null && typeof dwellSeconds !== "number")
    ) {
      flush(this);
      return trackValues.call(this, action, url, timestamp, tags, dwellSeconds);
    }
    const texts = this[TEXTS] ?? (this[TEXTS] = new TextNumbers());
    // Types first, then values in wasm's order (action, URL, tags), so a
    // call with two bad fields is refused for the same one as before.
    const node = tagNode(texts, tags);
    if (node === undefined) {
      flush(this);
      return trackValues.call(this, action, url, timestamp, tags, dwellSeconds);
    }
    const a = numberOf(texts.actions, action, this, this.internAction);
    const u = url == null ? 0 : numberOf(texts.urls, url, this, this.internUrl);
    const g = tagsNumber(node, tags, this);
    if (g === undefined) {
      flush(this);
      return trackValues.call(this, action, url, timestamp, tags, dwellSeconds);
    }
    if (buffer(this, a, u, g, timestamp, dwellSeconds)) return;
    flush(this);
    this.trackInterned(a, u, g, timestamp, dwellSeconds);
  };
  proto.page = function page(url, timestamp, tags, dwellSeconds) {
    if (typeof url !== "string") {
      flush(this);
      return pageValues.call(this, url, timestamp, tags, dwellSeconds);
    }
    return this.track("page", url, timestamp, tags, dwellSeconds);
  };
  // What reads the state sees every event tracked.
  for (const name of ["toBytes", "decisionsJson"]) {
    const inner = proto[name];
    if (typeof inner !== "function") continue;
    proto[name] = function (...args) {
      flush(this);
      return inner.apply(this, args);
    };
  }
  const events = Object.getOwnPropertyDescriptor(proto, "events");
  if (events && events.get) {
    Object.defineProperty(proto, "events", {
      configurable: true,
      enumerable: events.enumerable,
      get() {
        flush(this);
        return events.get.call(this);
      },
    });
  }
  proto.decisions = function decisions(personalizer, now, tables) {
    flush(this);
    return decisionsOf(this, personalizer, now, tables) ?? decisionsValues.call(this, personalizer, now, tables);
  };
  const scoreValues = generalWay(proto, "score");
  proto.score = function score(now, profile) {
    flush(this);
    return scoreOf(this, now, profile) ?? scoreValues.call(this, now, profile);
  };
}

