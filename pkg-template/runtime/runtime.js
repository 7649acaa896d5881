// @ts-check
// The runtime's plumbing: timers, saving the state, recording events,
// scoring and deciding through the core's LiveVisitor, applying decisions
// to the slots, telling the `onChange` listeners.
import { warn } from "./errors.js";
import { Backoff, messageId } from "./delivery.js";
import { newState, pushEvent, stateText } from "./state.js";
import { APPLIED_ATTR, clearPending, slotElements, slotId, swap } from "./slots.js";
import { fireExposures, reportExposures } from "./exposure.js";
import { flush } from "./transport.js";
import { foldDwell } from "./tracking.js";
import { trackArgs } from "./events.js";

/** Dwell time is folded into the current page event this often. */
export const TICK_MS = 5000;

/** Random 128-bit visitor id as 32 hex digits. */
export const randomId = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

export class Runtime {
  /**
   * @param {import("./options.js").Options} options
   * @param {{state: import("./state.js").Stored, reset: string | null, storage: Storage | null, consent: boolean,
   *          gpc: boolean, crossOrigin: boolean, model: any, edge: import("./slots.js").EdgeDecision[]}} init
   */
  constructor(options, init) {
    this.options = options;
    this.storage = init.storage;
    this.crossOrigin = init.crossOrigin;
    this.model = init.model;
    /** @type {any} */
    this.personalizer = null;
    /** @type {"loading" | "ready" | "failed"} */
    this.configState = "loading";
    this.state = init.state;
    this.consent = init.consent;
    this.gpc = init.gpc;
    this.reset = init.reset;
    /** The LiveVisitor scoring `state.events`; `stale` when it must be rebuilt. @type {any} */
    this.visitor = null;
    this.stale = true;
    /** The context last handed to `visitor` (`setContext`) as JSON text: handed again only when it changed. @type {string | null} */
    this.contextText = null;
    /** @type {any} */
    this.score = null;
    /** @type {any} */
    this.decisions = null;
    /** @type {{slot: string, variant: string, byEdge: boolean, undo: import("./slots.js").SlotUndo | undefined}[]} */
    this.applied = [];
    /** With `reapply: "never"`, the decision each slot was first swapped to. @type {Map<string, any>} */
    this.pinned = new Map();
    /** @type {string | null} */
    this.configVersion = null;
    /** @type {import("./config.js").ConfigError | null} */
    this.configError = null;
    this.dropped = 0;
    this.edge = init.edge;
    this.gaveUp = false;
    this.page = blankPage();
    /** @type {Set<Function>} */
    this.callbacks = new Set();
    /** @type {{key: string, index: number, variant: string, slot: string}[]} */
    this.exposures = [];
    /** @type {(() => void)[]} */
    this.cleanups = [];
    /** @type {any} */
    this.giveUpTimer = null;
    /** @type {any} */
    this.flushTimer = null;
    /** @type {{ids: string[], sentFor: import("./delivery.js").SentFor}[]} */
    this.inFlight = [];
    this.backoff = new Backoff();
    this.stopped = false;
    const tick = setInterval(() => {
      if (foldDwell(this)) {
        this.refresh();
        this.notify();
      }
    }, TICK_MS);
    this.cleanups.push(() => clearInterval(tick), () => clearTimeout(this.giveUpTimer), () => clearTimeout(this.flushTimer));
  }

  /** Anti-flicker gives up after `ms`. @param {number} ms */
  giveUpIn(ms) {
    if (!this.stopped) this.giveUpTimer = setTimeout(() => this.giveUp(), ms);
  }

  /** The outbox is flushed after `ms`. @param {number} ms */
  flushIn(ms) {
    if (this.stopped) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = null;
      flush(this, false);
    }, ms);
  }

  save() {
    if (!this.consent || !this.storage) return;
    try {
      this.storage.setItem(this.options.key, stateText(this.state));
    } catch {
      // A full quota only means this visit is not remembered.
    }
  }

  /** Anti-flicker gave up (or the config failed): show the defaults. */
  giveUp() {
    clearTimeout(this.giveUpTimer);
    this.giveUpTimer = null;
    if (this.configState !== "ready") this.gaveUp = true;
    clearPending(document);
  }

  /**
   * Records an event: kept for scoring, queued for the edge (unless held
   * back: the page event waits for its dwell time), stored, re-scored.
   * @param {Record<string, any>} event @param {boolean} queue @returns {string}
   */
  record(event, queue) {
    const s = this.state;
    const id = `${s.id}-${s.seq++}`;
    Object.assign(event, { messageId: id, anonymousId: s.id, timestamp: Math.round(Date.now()) });
    const send = queue && this.options.endpoint !== null;
    const dropped = pushEvent(s, event, send);
    if (dropped > 0) {
      if (this.dropped === 0) warn("nurture: the outbox is full (300 unsent events); the oldest are dropped");
      this.dropped += dropped;
    }
    this.save();
    if (!this.stale) this.take(event);
    this.refresh();
    if (send && this.flushTimer === null && this.consent) this.flushIn(this.options.batchMs);
    return id;
  }

  /** Tracks one event into the visitor; one scoring would reject counts nothing. @param {Record<string, any>} e */
  take(e) {
    const args = trackArgs(e);
    try {
      if (args) this.visitor.track(...args);
    } catch {}
  }

  /** A fresh visitor with every stored event: at start, after a new model, a reset, or a changed event. */
  rebuild() {
    this.visitor?.free?.();
    this.visitor = this.model.visitor(undefined, "browser");
    this.stale = false;
    this.contextText = null;
    for (const e of this.state.events) this.take(e);
  }

  /**
   * Score and decisions from the current state, scored as the browser that
   * reported every event. Nothing but the new event crosses into wasm, and
   * the context (profile, page, request) only when it changed. Deciding,
   * the visitor is scored once: `score(now)` with the profile left out
   * scores with the context's and keeps the summary `decisions` reads at
   * the same `now`.
   */
  refresh() {
    if (this.stale) this.rebuild();
    const now = Date.now();
    const { visitor, state } = this;
    const immediate = this.options.reapply === "immediate";
    const before = immediate && JSON.stringify(this.decisions);
    this.decisions = null;
    if (this.personalizer && this.consent) {
      /** @type {Record<string, unknown>} */
      const context = { id: state.id, profile: state.profile, page: this.page.attrs };
      if (this.options.request) context.request = this.options.request;
      const text = JSON.stringify(context);
      if (text !== this.contextText) {
        visitor.setContext(context);
        this.contextText = text;
      }
      this.score = visitor.score(now);
      this.decisions = visitor.decisions(this.personalizer, now);
    } else {
      this.score = visitor.score(now, state.profile ?? null);
    }
    if (immediate && JSON.stringify(this.decisions) !== before) this.applyAll();
  }

  /**
   * Swaps every slot to its decision, unless the edge did it already, it
   * already shows that variant, or anti-flicker gave up on this page
   * (which `reapply: "immediate"` overrides). With `reapply: "never"` a
   * slot shows the decision it was first swapped to on this page load.
   */
  applyAll() {
    const gaveUp = this.gaveUp && this.options.reapply !== "immediate";
    if (!this.consent || gaveUp || this.configState !== "ready") {
      if (this.configState !== "loading" || !this.consent) clearPending(document);
      return;
    }
    /** @type {any[]} */
    const list = this.decisions?.decisions ?? [];
    for (const el of slotElements(document)) {
      const id = slotId(el);
      const edge = this.edge.find((e) => e.slot === id);
      if (edge) {
        if (!this.applied.some((a) => a.slot === id && a.byEdge)) {
          // What the edge left to the page is rendered here, once.
          this.applied.push({ slot: id, variant: edge.variant, byEdge: true, undo: edge.render ? this.swap(el, edge.render) : undefined });
        }
        continue;
      }
      const pinned = this.pinned.get(id);
      const decision = pinned ?? list.find((d) => d.slot === id);
      if (!decision) continue;
      if (this.options.reapply === "never" && !pinned) this.pinned.set(id, decision);
      const variant = typeof decision.variant === "string" ? decision.variant : "default";
      const current = el.getAttribute(APPLIED_ATTR);
      if (current === variant) continue;
      if (current !== null) {
        const i = this.applied.findIndex((a) => a.undo?.element === el);
        if (i >= 0) this.applied.splice(i, 1)[0].undo?.undo();
      }
      const undo = this.swap(el, decision, true);
      if (undo !== null) this.applied.push({ slot: id, variant, byEdge: false, undo });
    }
    this.giveUp();
    reportExposures(this);
  }

  /**
   * @param {Element} el @param {any} decision @param {boolean} [strict] null when it failed
   * @returns {any}
   */
  swap(el, decision, strict) {
    try {
      return swap(el, decision);
    } catch {
      warn("nurture: a slot could not be swapped; it keeps its default");
      return strict ? null : undefined;
    }
  }

  /** Every swap undone, newest first. */
  undoAll() {
    while (this.applied.length) this.applied.pop()?.undo?.undo();
  }

  /** The state as `state()` and `onChange` give it. */
  snapshot() {
    const s = this.state;
    return {
      visitorId: s.id,
      consent: this.consent,
      globalPrivacyControl: this.gpc,
      reset: this.reset,
      score: this.score,
      decisions: this.decisions,
      applied: this.applied.map((a) => ({ slot: a.slot, variant: a.variant, by: a.byEdge ? "edge" : "browser" })),
      page: this.page.attrs,
      events: s.events.length,
      unsent: s.outbox.length,
      dropped: this.dropped,
      configVersion: this.configVersion,
      configError: this.configError && { code: this.configError.code, message: this.configError.message },
    };
  }

  /** Tells every `onChange` listener (a throwing one does not stop the others). */
  notify() {
    fireExposures(this);
    if (!this.callbacks.size) return;
    const snapshot = this.snapshot();
    for (const cb of [...this.callbacks]) {
      try {
        cb(snapshot);
      } catch {}
    }
  }

  /** `consent(false)`: a new visitor, nothing stored. */
  forget() {
    this.state = newState(randomId());
    this.page.messageId = null;
    this.stale = true;
  }

  /** The current page event, as stored. */
  pageEvent() {
    const id = this.page.messageId;
    if (id === null) return undefined;
    for (let i = this.state.events.length - 1; i >= 0; i--) if (messageId(this.state.events[i]) === id) return this.state.events[i];
    return undefined;
  }

  /** Every listener and timer removed (swaps stay as they are). */
  stop() {
    this.stopped = true;
    for (const f of this.cleanups.splice(0)) f();
  }
}

/**
 * The current page view.
 * @returns {{messageId: string | null, location: string, attrs: Record<string, any>, tags: string[],
 *            visibleSince: number | null, started: number, dwellMs: number, maxScroll: number, queued: boolean}}
 */
export const blankPage = () => ({
  messageId: null,
  location: "",
  attrs: {},
  tags: [],
  visibleSince: null,
  started: 0,
  dwellMs: 0,
  maxScroll: 0,
  queued: false,
});
