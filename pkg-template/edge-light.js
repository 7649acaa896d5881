// The Vercel Edge entry: its bundler imports wasm as a compiled module with
// the `?module` suffix. Instantiated on import; init() resolves at once.
import wasm from "./nurture_bg.wasm?module";
import { initSync } from "./nurture.js";

initSync({ module: wasm });

export * from "./nurture.js";
export { default } from "./nurture.js";
