// nurture/page: the page runtime (start, swapSlot, Nurture, SlotUndo: the
// JavaScript runtime around this build's wasm core) and the core the page
// build exports; configs must be compiled (`npx nurture compile`).
export * from "./nurture.js";
export { default } from "./nurture.js";
// Explicit exports shadow the glue's of the same names.
export { start, swapSlot, Nurture, SlotUndo } from "../index.js";
export type { StartOptions, RuntimeState, Reapply, ExposureExperiment, ExposureResult, VisitorScore } from "../index.js";
