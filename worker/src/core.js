// The wasm core, instantiated once per isolate and re-instantiated when it
// traps. A trap (WebAssembly.RuntimeError) or a stack overflow inside wasm
// leaves the instance in an unknown state (a RefCell left borrowed, the
// shadow stack pointer not restored), so, like workers-rs, the instance is
// thrown away and a fresh one built from the same compiled module.
//
// `nurture:glue` is pkg/nurture.js (wasm-bindgen --target web) and
// `nurture:wasm` the compiled module; worker/build.mjs maps both and adds a
// `__nurtureReset` export to the glue that forgets the dead instance.

import wasmModule from "nurture:wasm";
import * as glue from "nurture:glue";
import { HttpError } from "./http.js";

let ready = false;
let restarts = 0;
const models = new Map(); // MODEL_JSON text ("" for the default) → Model

function ensure() {
  if (!ready) {
    glue.initSync({ module: wasmModule });
    ready = true;
  }
}

export function isFatal(err) {
  return err instanceof WebAssembly.RuntimeError || (err instanceof RangeError && /call stack/i.test(err.message));
}

function reset() {
  // Handles into the dead instance must not be freed into the new one: the
  // glue's FinalizationRegistry would call __wbg_model_free(oldPtr) on the
  // fresh instance. __destroy_into_raw unregisters them without freeing.
  for (const model of models.values()) model.__destroy_into_raw();
  models.clear();
  glue.__nurtureReset();
  ready = false;
  restarts += 1;
}

function compiledModel(env) {
  const text = typeof env.MODEL_JSON === "string" ? env.MODEL_JSON.trim() : "";
  let model = models.get(text);
  if (model) return model;
  let doc = null;
  if (text !== "") {
    try {
      doc = JSON.parse(text);
    } catch {
      throw new HttpError(500, "model_invalid", "MODEL_JSON is not valid JSON");
    }
  }
  try {
    model = new glue.Model(doc);
  } catch (err) {
    if (isFatal(err)) throw err;
    throw new HttpError(500, "model_invalid", `MODEL_JSON: ${err.path ?? ""} ${err.message}`.trim());
  }
  models.set(text, model);
  return model;
}

/**
 * Runs `fn({model, glue})` against a live instance. If the instance traps,
 * it is replaced and `fn` runs once more on the new one; a second trap is
 * reported as 503 core_unavailable (the request may be retried).
 */
export function withCore(env, fn) {
  for (let attempt = 0; ; attempt += 1) {
    try {
      ensure();
      return fn({ model: compiledModel(env), glue });
    } catch (err) {
      if (!isFatal(err)) throw err;
      reset();
      if (attempt >= 1) {
        throw new HttpError(503, "core_unavailable", "the scoring core failed twice in a row; retry the request");
      }
    }
  }
}

export function coreStats() {
  return { restarts, ready };
}

/**
 * Test hook (env.TEST_HOOKS only): makes the live instance trap for real, by
 * handing it a pointer far outside its memory. Used to prove the recovery.
 */
export function trapForTest() {
  ensure();
  const m = new glue.Model(null);
  const ptr = m.__wbg_ptr;
  m.__wbg_ptr = 0xfffffff0;
  try {
    m.score({}, [], 0);
  } finally {
    m.__wbg_ptr = ptr;
    m.__destroy_into_raw();
  }
}
