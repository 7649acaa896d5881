// @ts-check
// Applies slot decisions to the page, each swap with its own undo. Content
// comes only from the site's config: `text` is set as a text node (never
// parsed), `html-template` is parsed inside an inert <template> and cloned
// in. Nothing the visitor supplied is ever parsed as HTML.
import { invalid } from "./errors.js";

export const SLOT_ATTR = "data-nurture-slot";
/** Set while a slot waits for its decision. */
export const PENDING_ATTR = "data-nurture-pending";
/** Set by whoever applied a variant (the edge, or this runtime): its id. */
export const APPLIED_ATTR = "data-nurture-applied";

/** @param {Document} doc @returns {Element[]} */
export const slotElements = (doc) => [...doc.querySelectorAll(`[${SLOT_ATTR}]`)];
/** @param {Element} el */
export const slotId = (el) => el.getAttribute(SLOT_ATTR) ?? "";

/**
 * A slot the edge decided: `render` is the decision when the edge chose a
 * variant but left its rendering to the page.
 * @typedef {{slot: string, variant: string, render: any}} EdgeDecision
 */

/**
 * Slots the edge already decided: elements with `data-nurture-applied`
 * and the decisions in the script the edge injects.
 * @param {Document} doc @returns {EdgeDecision[]}
 */
export function edgeApplied(doc) {
  /** @type {EdgeDecision[]} */
  const out = [];
  for (const el of slotElements(doc)) {
    const variant = el.getAttribute(APPLIED_ATTR);
    if (variant !== null) out.push({ slot: slotId(el), variant, render: null });
  }
  const text = doc.getElementById("nurture-decisions")?.textContent;
  let list = [];
  try {
    // A malformed script means the edge decided nothing we can trust.
    const d = JSON.parse(text ?? "null")?.decisions;
    if (Array.isArray(d)) list = d;
  } catch {}
  for (const d of list) {
    const { slot, variant } = d ?? {};
    if (typeof slot === "string" && typeof variant === "string" && !out.some((e) => e.slot === slot)) {
      out.push({ slot, variant, render: d.appliedAtEdge === false && variant !== "default" ? d : null });
    }
  }
  return out;
}

/**
 * Hides the slots that wait for a decision (not those the edge rendered).
 * @param {Document} doc @param {EdgeDecision[]} edge
 */
export function markPending(doc, edge) {
  for (const el of slotElements(doc)) {
    const id = slotId(el);
    if (!el.hasAttribute(APPLIED_ATTR) && !edge.some((e) => e.slot === id && !e.render)) el.setAttribute(PENDING_ATTR, "");
  }
}

/** Shows every slot as it is now. @param {Document} doc */
export const clearPending = (doc) => slotElements(doc).forEach((el) => el.removeAttribute(PENDING_ATTR));

/** Puts a slot back the way it was before its swap. */
export class SlotUndo {
  /** @param {Element} el @param {Node[]} saved */
  constructor(el, saved) {
    this.el = el;
    /** @type {Node[] | null} */
    this.saved = saved;
  }
  /** The slot element. */
  get element() {
    return this.el;
  }
  /** Restores the original content; a second call does nothing. */
  undo() {
    if (!this.saved) return;
    this.el.replaceChildren(...this.saved);
    this.saved = null;
    this.el.removeAttribute(APPLIED_ATTR);
  }
  /** Nothing to free (the wasm class had to be freed). */
  free() {}
}

/**
 * Swaps one slot element to a decision `{variant, kind, content}`; the
 * default variant and `null` content leave it as it is (undefined).
 * @param {Element} el @param {any} decision @returns {SlotUndo | undefined}
 */
export function swap(el, decision) {
  const variant = typeof decision?.variant === "string" ? decision.variant : "default";
  const content = decision?.content ?? null;
  if (variant === "default" || content === null) {
    el.removeAttribute(PENDING_ATTR);
    return undefined;
  }
  const fresh = build(/** @type {Document} */ (el.ownerDocument), typeof decision.kind === "string" ? decision.kind : "text", content);
  const saved = [...el.childNodes];
  el.replaceChildren(fresh);
  el.setAttribute(APPLIED_ATTR, variant);
  el.removeAttribute(PENDING_ATTR);
  return new SlotUndo(el, saved);
}

/**
 * The new children for a slot, in a fragment.
 * @param {Document} doc @param {string} kind @param {any} content
 */
function build(doc, kind, content) {
  const frag = doc.createDocumentFragment();
  if (typeof content === "string") {
    if (kind === "html-template") {
      const t = doc.createElement("template");
      // Parsed inert (no scripts run, no images load), from the site's config only.
      t.innerHTML = content;
      frag.append(t.content.cloneNode(true));
    } else frag.append(content);
  } else if (typeof content === "object" && !Array.isArray(content)) {
    if (typeof content.text === "string") frag.append(content.text);
    // A list (a menu): each item a link or a plain label, as text.
    for (const item of Array.isArray(content.items) ? content.items : []) {
      const obj = typeof item === "object" && item !== null;
      if (typeof item !== "string" && !obj) continue;
      const label = typeof item === "string" ? item : typeof item.text === "string" ? item.text : "";
      const href = obj && typeof item.href === "string" && safeHref(item.href) ? item.href : null;
      const el = doc.createElement(href === null ? "span" : "a");
      if (href !== null) el.setAttribute("href", href);
      el.textContent = label;
      frag.append(el);
    }
  } else throw invalid("decision.content", "expected a string, or {text} / {items}");
  return frag;
}

/** Relative links and http(s) only: never `javascript:` or `data:`. @param {string} h */
function safeHref(h) {
  const lower = h.trimStart().toLowerCase();
  const colon = lower.indexOf(":");
  if (colon < 0) return true;
  const scheme = lower.slice(0, colon);
  // A colon after a slash, `?` or `#` is not a scheme separator.
  return /[/?#]/.test(scheme) || scheme === "http" || scheme === "https";
}

/**
 * `swapSlot(element, decision)`: applies one decision to one element.
 * @param {unknown} element @param {unknown} decision
 */
export function swapSlot(element, decision) {
  if (typeof Element !== "function" || !(element instanceof Element)) throw invalid("element", "expected a DOM element");
  return swap(element, decision);
}
