// nurture/page: the page runtime only (start, swapSlot, Nurture), as
// wasm-bindgen declares it; configs must be compiled (`npx nurture compile`).
export * from "./nurture.js";
export { default } from "./nurture.js";
