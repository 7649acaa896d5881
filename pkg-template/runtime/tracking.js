// @ts-check
// What the runtime observes on the page: page views (with dwell time and
// scroll depth), content tags, downloads and outbound links, form
// submits, and single-page-app navigation.
import { flush } from "./transport.js";
import { blankPage } from "./runtime.js";

/** @typedef {import("./runtime.js").Runtime} Runtime */

const MAX_PAGE_TAGS = 20;
/** A manual `page()` for the current view's URL this soon after it began is that view. */
export const SAME_VIEW_MS = 2000;
const DOWNLOAD = /\.(pdf|docx?|xlsx?|pptx?|zip|csv|epub|key)$/;

/** `pathname + search` of the page now. @param {Runtime} rt */
const here = (rt) => location.pathname + location.search;

/**
 * Adds comma-separated tags, trimmed and lower-cased, to `tags`.
 * @param {string[]} tags @param {string | null} text @param {number} max
 */
function addTags(tags, text, max) {
  for (const raw of (text ?? "").split(",")) {
    const t = raw.trim().toLowerCase();
    if (t && !tags.includes(t) && tags.length < max) tags.push(t);
  }
}

/** Reads the page attributes segments can use and the content tags. @param {Runtime} rt */
export function readPage(rt) {
  const doc = document;
  /** @type {Record<string, any>} */
  const attrs = { path: location.pathname, url: location.href, referrer: doc.referrer, title: doc.title };
  /** @type {Record<string, string>} */
  const query = {};
  /** @type {Record<string, string>} */
  const utm = {};
  for (const pair of location.search.replace(/^\?+/, "").split("&")) {
    const eq = pair.indexOf("=");
    const [k, v] = (eq < 0 ? [pair, ""] : [pair.slice(0, eq), pair.slice(eq + 1)]).map(decode);
    if (!k) continue;
    if (k.startsWith("utm_")) utm[k.slice(4)] = v;
    query[k] = v;
  }
  if (Object.keys(utm).length) attrs.utm = utm;
  if (Object.keys(query).length) attrs.query = query;
  /** @type {string[]} */
  const tags = [];
  for (const el of doc.querySelectorAll('meta[name="nurture:tags"], [data-nurture-tags]')) {
    addTags(tags, el.getAttribute(el.tagName.toLowerCase() === "meta" ? "content" : "data-nurture-tags"), MAX_PAGE_TAGS);
  }
  attrs.tags = tags;
  rt.page = { ...blankPage(), location: here(rt), attrs, tags, visibleSince: doc.hidden ? null : Date.now(), started: Date.now() };
}

/** @param {string} s */
function decode(s) {
  s = s.replace(/\+/g, " ");
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Adds the visible time since the last fold to the page event; whether
 * its dwell time changed (the visitor is then rebuilt at the next refresh).
 * @param {Runtime} rt
 */
export function foldDwell(rt) {
  const t = Date.now();
  const p = rt.page;
  const hidden = document.hidden;
  if (p.visibleSince !== null) {
    p.dwellMs += Math.max(0, t - p.visibleSince);
    p.visibleSince = hidden ? null : t;
  } else if (!hidden) p.visibleSince = t;
  const dwell = Math.floor(p.dwellMs / 1000);
  const props = rt.pageEvent()?.properties;
  let changed = false;
  if (props && typeof props === "object") {
    if (props.dwellSeconds !== dwell) {
      props.dwellSeconds = dwell;
      changed = rt.stale = true;
    }
    props.scrollDepth = Math.round(p.maxScroll * 100);
  }
  if (changed) rt.save();
  return changed;
}

/** The page event goes out with the dwell time it has so far. @param {Runtime} rt */
function endPage(rt) {
  foldDwell(rt);
  if (rt.page.queued || rt.options.endpoint === null) return;
  const e = rt.pageEvent();
  if (e) {
    rt.state.outbox.push(JSON.parse(JSON.stringify(e)));
    rt.page.queued = true;
    rt.save();
  }
}

/**
 * Starts a page view: the first load, an SPA navigation, or a `page()`
 * call (`manual`). A manual call for the current view's URL within
 * SAME_VIEW_MS of its start is that view: its properties join it. Either
 * way the slots are applied again. Returns whether a view was recorded.
 * @param {Runtime} rt @param {Record<string, any> | null} extra @param {boolean} manual
 */
export function beginPage(rt, extra, manual) {
  const p = rt.page;
  const same = manual && p.messageId !== null && !p.queued && here(rt) === p.location && Date.now() - p.started < SAME_VIEW_MS;
  if (!same) {
    if (p.messageId !== null) endPage(rt);
    readPage(rt);
    const id = rt.record({ type: "page", properties: { ...rt.page.attrs, dwellSeconds: 0, ...extra } }, false);
    rt.page.messageId = id;
  } else if (extra && Object.keys(extra).length) {
    const props = rt.pageEvent()?.properties;
    if (props) Object.assign(props, extra);
    rt.stale = true;
    rt.save();
    rt.refresh();
  }
  rt.gaveUp = rt.gaveUp && rt.configState !== "ready";
  rt.applyAll();
  rt.notify();
  return !same;
}

/**
 * A track event recorded and queued.
 * @param {Runtime} rt @param {string} name @param {Record<string, any>} properties
 */
export function trackEvent(rt, name, properties) {
  if (rt.stopped) return;
  rt.record({ type: "track", event: name, properties }, true);
  rt.notify();
}

/** @param {Runtime} rt */
function onNavigation(rt) {
  if (here(rt) !== rt.page.location) beginPage(rt, null, false);
}

/** @param {Runtime} rt @param {Event} e */
function onClick(rt, e) {
  const a = e.target instanceof Element ? e.target.closest("a[href]") : null;
  if (!(a instanceof HTMLAnchorElement)) return;
  const path = a.pathname;
  const download = a.hasAttribute("download") || DOWNLOAD.test(path.toLowerCase());
  const outbound = !download && (a.protocol === "http:" || a.protocol === "https:") && a.host !== location.host;
  if (!download && !outbound) return;
  const tags = [...rt.page.tags];
  addTags(tags, a.closest("[data-nurture-tags]")?.getAttribute("data-nurture-tags") ?? null, Infinity);
  /** @type {Record<string, any>} */
  const props = { url: a.href, tags };
  if (download) props.path = path;
  trackEvent(rt, download ? "File Downloaded" : "Outbound Link Clicked", props);
}

/** @param {Runtime} rt @param {Event} e */
function onSubmit(rt, e) {
  const form = e.target;
  if (!(form instanceof Element) || form.hasAttribute("data-nurture-ignore")) return;
  // Field values are not read: what the visitor typed reaches nurture only through identify().
  const formId = form.getAttribute("id") ?? form.getAttribute("name") ?? form.getAttribute("action") ?? "";
  trackEvent(rt, "Form Submitted", { formId, path: rt.page.attrs.path ?? null, tags: [...rt.page.tags] });
}

/** @param {Runtime} rt */
function onVisibility(rt) {
  const hidden = document.hidden;
  if (hidden) endPage(rt);
  else foldDwell(rt);
  rt.refresh();
  if (hidden) flush(rt, true);
  rt.notify();
}

/** @param {Runtime} rt */
function onScroll(rt) {
  const full = document.documentElement?.scrollHeight ?? 0;
  if (full > 0) {
    const depth = Math.min(Math.max((scrollY + innerHeight) / full, 0), 1);
    if (depth > rt.page.maxScroll) rt.page.maxScroll = depth;
  }
}

/**
 * The listeners, and `history.pushState`/`replaceState` wrapped (SPAs
 * change the URL with them and no event fires); `rt.stop()` removes them.
 * @param {Runtime} rt
 */
export function installListeners(rt) {
  const win = window, doc = document;
  /** @type {[EventTarget, string, (rt: Runtime, e: Event) => void, boolean][]} */
  const list = [
    [doc, "click", onClick, true],
    [doc, "submit", onSubmit, true],
    [doc, "visibilitychange", onVisibility, false],
    [win, "scroll", onScroll, false],
    [win, "pagehide", (rt) => { endPage(rt); flush(rt, true); }, false],
    [win, "popstate", onNavigation, false],
  ];
  for (const [target, kind, f, capture] of list) {
    /** @param {Event} e */
    const listener = (e) => f(rt, e);
    target.addEventListener(kind, listener, capture);
    rt.cleanups.push(() => target.removeEventListener(kind, listener, capture));
  }
  const history = /** @type {any} */ (win.history);
  for (const name of ["pushState", "replaceState"]) {
    const original = history?.[name];
    if (typeof original !== "function") continue;
    history[name] = function (/** @type {any[]} */ ...args) {
      const out = original.apply(history, args);
      if (!rt.stopped) onNavigation(rt);
      return out;
    };
    rt.cleanups.push(() => { history[name] = original; });
  }
}
