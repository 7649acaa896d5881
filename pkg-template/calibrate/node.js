// `nurture/calibrate` in Node: the wasm is read from disk and instantiated
// on import, as in the main Node entry.
import { readFileSync } from "node:fs";
import { initSync } from "./nurture.js";

initSync({ module: readFileSync(new URL("./nurture_bg.wasm", import.meta.url)) });

export * from "./nurture.js";
export { default } from "./nurture.js";
