// @ts-check
// The page runtime: what a page gets when it embeds nurture (`start`,
// the `Nurture` methods, `swapSlot`), around the wasm core, which does all
// scoring and deciding (`createRuntime(core)`: pkg/page and pkg/browser
// each bundle this with their own core).
//
//   import init, { start } from "nurture/page";
//   await init();
//   const nurture = start({ config: "/nurture/site.nrc", endpoint: "https://edge.example", consent: "required" });
//   nurture.onChange(({ score, decisions }) => render(score));
//
// Consent: with `consent: "required"`, or when the browser sends Global
// Privacy Control, nothing is stored or sent and nothing is personalized
// until `consent(true)`. `consent(false)` undoes every swap, clears the
// stored state and remembers the refusal.
//
// Identity at the edge: on the page's own origin the worker's first-party
// cookie names the visitor; on another origin the runtime keeps the signed
// token the worker answers with (`x-nurture-visitor`) and sends it back as
// that header on `fetch`, and as `visitorToken` in beacon bodies.
import { Configs, compiled } from "./config.js";
import { invalid, warn } from "./errors.js";
import { readOptions } from "./options.js";
import { Runtime, randomId } from "./runtime.js";
import { SlotUndo, clearPending, edgeApplied, markPending, swapSlot } from "./slots.js";
import { newState, parseState } from "./state.js";
import { beginPage, installListeners, readPage, trackEvent } from "./tracking.js";
import { flush } from "./transport.js";
import { bytes } from "./delivery.js";

/** The largest event `track()`, `page()` and `identify()` take, as JSON with its envelope. */
const MAX_EVENT_BYTES = 4096;
/** What the envelope (`messageId`, `anonymousId`, `timestamp`) adds at most. */
const ENVELOPE_BYTES = 150;

/**
 * The properties of a `track`, `page` or `identify` call as JSON (a copy),
 * refused when the event would be larger than the edge takes.
 * @param {unknown} value @param {string} what @param {number} nameLen @returns {Record<string, any>}
 */
function readProperties(value, what, nameLen) {
  if (value == null) return {};
  if (typeof value !== "object" || Array.isArray(value)) throw invalid(what, "expected an object");
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    text = null;
  }
  if (typeof text !== "string") throw invalid(what, "expected JSON values");
  if (bytes(text) + nameLen + ENVELOPE_BYTES > MAX_EVENT_BYTES) {
    throw invalid(what, "the event would be over 4096 bytes as JSON, the most the edge takes (MAX_EVENT_BYTES)");
  }
  return JSON.parse(text);
}

/** @param {string} key */
const optOutKey = (key) => `${key}:optout`;

/**
 * Whether `endpoint` is on another origin than the page; when that cannot
 * be told it counts as another (sending the token is harmless).
 * @param {string} endpoint
 */
function crossOrigin(endpoint) {
  try {
    return new URL(endpoint, location.href).origin !== location.origin;
  } catch {
    return true;
  }
}

/**
 * The runtime around one core (the module of a wasm build, after init);
 * `json` (json.js's `loadJson`) reads raw JSON configs where the core can
 * compile them.
 * @param {any} core @param {typeof import("./json.js").loadJson} [json]
 */
export function createRuntime(core, json) {
  const configs = new Configs(core, json);
  /** @type {Runtime | null} */
  let current = null;

  /** A started runtime; `start(options)` returns it. */
  class Nurture {
    /** @param {Runtime} rt */
    constructor(rt) {
      /** @private */
      this.rt = rt;
    }

    /** Same as the `start()` function. @param {any} options */
    static start(options) {
      return start(options);
    }

    /**
     * `track(event, properties?)`: a named action.
     * @param {string} event @param {Record<string, unknown>} [properties]
     */
    track(event, properties) {
      if (typeof event !== "string" || !event.trim()) throw invalid("event", "expected an event name");
      const len = bytes(event);
      if (len > 200) throw invalid("event", "longer than 200 characters");
      trackEvent(this.rt, event, readProperties(properties, "properties", len));
    }

    /**
     * `page(properties?)`: a page view now; false when it is the view
     * already recorded for this URL.
     * @param {Record<string, unknown>} [properties]
     */
    page(properties) {
      return beginPage(this.rt, properties == null ? null : readProperties(properties, "properties", 0), true);
    }

    /** `identify(traits)`: merged into the profile fit is scored on. @param {Record<string, unknown>} traits */
    identify(traits) {
      if (typeof traits !== "object" || traits === null) throw invalid("traits", "expected an object");
      const t = readProperties(traits, "traits", 0);
      const rt = this.rt;
      Object.assign(rt.state.profile, t);
      rt.record({ type: "identify", traits: t }, true);
      rt.notify();
    }

    /** The visitor's current score (`LiveVisitor.score`). */
    score() {
      return this.rt.score;
    }

    /** The current slot decisions; null before the config or without consent. */
    decisions() {
      return this.rt.decisions;
    }

    /** Everything at once. */
    state() {
      return this.rt.snapshot();
    }

    /**
     * `cb(state)` at once, then after every change; returns the unsubscribe function.
     * @param {(state: any) => void} cb
     */
    onChange(cb) {
      const rt = this.rt;
      const f = (/** @type {any} */ s) => cb(s);
      rt.callbacks.add(f);
      try {
        cb(rt.snapshot());
      } catch {}
      return () => {
        rt.callbacks.delete(f);
      };
    }

    /**
     * `consent(true)` stores, sends and personalizes from now on;
     * `consent(false)` undoes every swap, clears the stored state (a new
     * visitor id next time) and remembers the refusal.
     * @param {boolean} granted
     */
    consent(granted) {
      const rt = this.rt;
      const { storage } = rt;
      const key = rt.options.key;
      const remove = (/** @type {string} */ k) => { try { storage?.removeItem(k); } catch {} };
      if (granted) {
        rt.consent = true;
        rt.state.consent = true;
        remove(optOutKey(key));
        rt.save();
        rt.refresh();
        rt.gaveUp = false;
        rt.applyAll();
        flush(rt, false);
      } else {
        rt.consent = false;
        rt.undoAll();
        rt.pinned.clear();
        clearPending(document);
        remove(key);
        try { storage?.setItem(optOutKey(key), "1"); } catch {}
        rt.forget();
        rt.refresh();
      }
      rt.notify();
    }

    /** Sends what is waiting now instead of at the next batch. */
    flush() {
      flush(this.rt, false);
    }

    /** Removes every listener and timer (swaps stay as they are). */
    stop() {
      this.rt.stop();
      if (current === this.rt) current = null;
    }

    get visitorId() {
      return this.rt.state.id;
    }

    /** Nothing to free (the wasm class had to be freed). */
    free() {}
  }

  /**
   * Starts nurture on this page; a second `start` stops the first runtime.
   * @param {any} options
   */
  function start(options) {
    current?.stop();
    current = null;
    const opts = readOptions(options);
    if (typeof window !== "object" || typeof document !== "object") {
      throw invalid("", "nurture's browser runtime needs a window and a document");
    }
    const { model, explicit } = configs.startModel(options?.model);
    // Sandboxed frames and some privacy modes throw on localStorage access:
    // then the state lives in memory only.
    /** @type {Storage | null} */
    let storage = null;
    try {
      storage = window.localStorage;
    } catch {}
    const get = (/** @type {string} */ k) => { try { return storage?.getItem(k) ?? null; } catch { return null; } };
    const text = get(opts.key);
    let state = text === null ? null : parseState(text);
    /** @type {string | null} */
    let reset = null;
    if (typeof state === "string") {
      reset = state;
      state = null;
      try { storage?.removeItem(opts.key); } catch {}
    }
    state ??= newState(randomId());
    const gpc = /** @type {any} */ (navigator).globalPrivacyControl === true;
    const rt = new Runtime(opts, {
      state,
      reset,
      storage,
      consent: state.consent === true || (!opts.required && !gpc && get(optOutKey(opts.key)) === null),
      gpc,
      crossOrigin: opts.endpoint !== null && crossOrigin(opts.endpoint),
      model,
      edge: edgeApplied(document),
    });
    // Reported once: the fresh state replaces the bad one now.
    if (reset) warn(`nurture: the stored visitor state was reset (${reset})`);
    rt.save();
    if (rt.consent) {
      markPending(document, rt.edge);
      const elapsed = opts.hiddenAt === null ? 0 : Math.max(0, Date.now() - opts.hiddenAt) || 0;
      rt.giveUpIn(Math.max(0, opts.antiFlickerMs - elapsed));
    } else clearPending(document);
    loadConfig(rt, options?.config, explicit);
    if (opts.autoTrack) {
      installListeners(rt);
      beginPage(rt, null, false);
    } else {
      readPage(rt);
      rt.refresh();
      rt.applyAll();
    }
    current = rt;
    rt.notify();
    return new Nurture(rt);
  }

  /**
   * @param {Runtime} rt @param {import("./config.js").Loaded} loaded
   */
  function install(rt, loaded) {
    rt.configError = null;
    rt.personalizer = loaded.personalizer;
    if (loaded.model) {
      rt.model = loaded.model;
      rt.stale = true;
    }
    rt.configVersion = loaded.version;
    rt.configState = "ready";
  }

  /**
   * A config that cannot be used: said on the console, slots at their
   * defaults, tracking goes on, the outbox untouched.
   * @param {Runtime} rt @param {import("./config.js").ConfigError} e
   */
  function refuse(rt, e) {
    warn(`nurture: the config is not valid (${e.message}); slots keep their defaults`);
    rt.configState = "failed";
    rt.configError = { code: e.code, message: e.message };
    rt.giveUp();
  }

  /**
   * The config: an object, compiled bytes (or their base64), a URL or a
   * promise; slots wait for it (hidden at most `antiFlickerMs`). An object
   * is compiled now and a bad one throws `invalid_config`.
   * @param {Runtime} rt @param {any} config @param {any} explicit
   */
  function loadConfig(rt, config, explicit) {
    if (config == null) {
      rt.configState = "failed";
      return;
    }
    const bytes = compiled(config);
    if (bytes !== null) {
      try {
        install(rt, configs.loadBytes(bytes, explicit));
      } catch (e) {
        refuse(rt, /** @type {any} */ (e));
      }
      return;
    }
    /** @type {Promise<any>} */
    let promise;
    if (typeof config === "string") promise = fetch(config).then((r) => configs.read(r));
    else if (typeof config.then === "function") promise = config;
    else {
      if (configs.json === null) refuse(rt, Configs.raw());
      else install(rt, configs.json(core, config, explicit));
      return;
    }
    promise.then(
      (value) => {
        if (rt.stopped) return;
        const loaded = configs.arrived(value, explicit);
        if ("code" in loaded) refuse(rt, loaded);
        else {
          install(rt, loaded);
          rt.refresh();
          rt.applyAll();
        }
        rt.notify();
      },
      () => {
        warn("nurture: the site config could not be loaded; slots keep their defaults");
        rt.configState = "failed";
        rt.giveUp();
      },
    );
  }

  return { start, swapSlot, Nurture, SlotUndo };
}

