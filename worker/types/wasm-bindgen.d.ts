// What wasm-bindgen's glue has on every exported class besides the API of
// index.d.ts, and the worker uses: src/core.js drops the handles of a
// trapped instance without freeing them into the new one, and its test hook
// points a handle outside memory.
import "nurture";

interface WasmHandle {
  /** The handle's pointer; unregistered from the FinalizationRegistry, not freed. */
  __destroy_into_raw(): number;
  __wbg_ptr: number;
}

declare module "nurture" {
  interface Model extends WasmHandle {}
  interface Personalizer extends WasmHandle {}
  interface Form extends WasmHandle {}
  interface CidrTable extends WasmHandle {}
  interface MaxMindDb extends WasmHandle {}
  interface Condition extends WasmHandle {}
}
