// The modules worker/build.mjs makes up: the wasm-bindgen glue of pkg/ (with
// the reset the build adds to it) and the compiled wasm module. Their API is
// the package's own, pkg-template/index.d.ts ("nurture", see tsconfig.json).

declare module "nurture:glue" {
  export * from "nurture";
  /** Added by worker/build.mjs: forgets the dead instance, so the next initSync builds a new one. */
  export function __nurtureReset(): void;
}

declare module "nurture:wasm" {
  const module: WebAssembly.Module;
  export default module;
}

/** Text files bundled as strings (build.mjs: loader ".csv": "text"). */
declare module "*.csv" {
  const text: string;
  export default text;
}
