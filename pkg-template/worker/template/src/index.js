// The Worker's entry: nurture's edge worker from the npm package, as it is.
// wrangler bundles it (the wasm is imported as a CompiledWasm module by
// wrangler's default rule). To bundle the configuration into the Worker
// instead of reading it from KV, import it and hand it over first:
//   import site from "../nurture/site-config.json";
//   import { bundleConfig } from "nurture/worker";
//   bundleConfig({ site });
export { default, VisitorState, DeadLetterStore } from "nurture/worker";
