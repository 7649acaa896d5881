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

// Joins a tag list into one text; a tag holding it goes the general way.
const SEPARATOR = "\u001f";
// The number of a text the visitor did not keep: never remembered here.
const SCRATCH = 0xffffffff;
const installed = new WeakSet();
// Each visitor's numbers, under a key no user code meets.
const TEXTS = Symbol("nurture.texts");

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
  const id = visitor.internTags(list.join(SEPARATOR));
  if (id !== SCRATCH && node !== UNKEPT) node.id = id;
  return id;
}

/** Puts the typed `track` and `page` on the class of `visitor`, once. */
export function installTrack(visitor) {
  const proto = Object.getPrototypeOf(visitor);
  if (installed.has(proto)) return;
  installed.add(proto);
  const trackValues = proto.track;
  const pageValues = proto.page;
  proto.track = function track(action, url, timestamp, tags, dwellSeconds) {
    if (
      typeof action !== "string" ||
      (url != null && typeof url !== "string") ||
      (timestamp != null && typeof timestamp !== "number") ||
      (dwellSeconds != null && typeof dwellSeconds !== "number")
    ) {
      return trackValues.call(this, action, url, timestamp, tags, dwellSeconds);
    }
    const texts = this[TEXTS] ?? (this[TEXTS] = new TextNumbers());
    // Types first, then values in wasm's order (action, URL, tags), so a
    // call with two bad fields is refused for the same one as before.
    const node = tagNode(texts, tags);
    if (node === undefined) return trackValues.call(this, action, url, timestamp, tags, dwellSeconds);
    const a = numberOf(texts.actions, action, this, this.internAction);
    const u = url == null ? 0 : numberOf(texts.urls, url, this, this.internUrl);
    const g = tagsNumber(node, tags, this);
    if (g === undefined) return trackValues.call(this, action, url, timestamp, tags, dwellSeconds);
    this.trackInterned(a, u, g, timestamp, dwellSeconds);
  };
  proto.page = function page(url, timestamp, tags, dwellSeconds) {
    if (typeof url !== "string") return pageValues.call(this, url, timestamp, tags, dwellSeconds);
    return this.track("page", url, timestamp, tags, dwellSeconds);
  };
}
