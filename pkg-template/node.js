// The Node entry: Node's fetch() cannot read a file: URL, so the wasm is read
// from disk and instantiated on import. `import { score } from "nurture"`
// works without an init() call; init() still exists (and resolves at once)
// so code written for the browser runs unchanged.
import { readFileSync } from "node:fs";
import { initSync } from "./nurture.js";

initSync({ module: readFileSync(new URL("./nurture_bg.wasm", import.meta.url)) });

export * from "./nurture.js";
export { default } from "./nurture.js";
// The page runtime (it throws `invalid_argument` without a window), as
// the other entries export it.
export { start, swapSlot, Nurture, SlotUndo } from "./index.js";
