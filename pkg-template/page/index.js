// The page entry (nurture/page, the page-only build): the page runtime
// (start, swapSlot, Nurture, SlotUndo: ../runtime/, JavaScript around this
// build's wasm core, bundled in by scripts/build-pkg.sh), which reads
// compiled configs only, with an init() that says clearly when
// nurture_bg.wasm cannot be loaded (see ../load.js).
import glueInit, * as core from "./nurture.js";
import { checkedInit } from "../load.js";
import { createRuntime } from "../runtime/index.js";

export * from "./nurture.js";
// Explicit exports shadow the glue's `export *` of the same names.
export const { start, swapSlot, Nurture, SlotUndo } = createRuntime(core);
export default checkedInit(glueInit, () => new URL("nurture_bg.wasm", import.meta.url));
