// The workerd (Cloudflare Workers) entry: Workers compile no wasm at run time
// and fetch no files, so the wasm is imported as a module (wrangler and
// Miniflare's CompiledWasm rule) and instantiated on import. init() resolves
// at once.
import wasm from "./nurture_bg.wasm";
import { initSync } from "./nurture.js";

initSync({ module: wasm });

export * from "./nurture.js";
export { default } from "./nurture.js";
