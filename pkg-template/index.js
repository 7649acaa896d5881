// The entry for pages on the full build and for runtimes with no entry of
// their own: the glue's API, the page runtime (start, swapSlot, Nurture,
// SlotUndo: ./runtime/, bundled in by scripts/build-pkg.sh), and an init()
// that says clearly when nurture_bg.wasm cannot be loaded (see load.js).
import glueInit, * as core from "./nurture.js";
import { checkedInit } from "./load.js";
import { createRuntime } from "./runtime/index.js";
import { loadJson } from "./runtime/json.js";

export * from "./nurture.js";
// Explicit exports shadow the glue's `export *` of the same names.
export const { start, swapSlot, Nurture, SlotUndo } = createRuntime(core, loadJson);
export default checkedInit(glueInit, () => new URL("nurture_bg.wasm", import.meta.url));
