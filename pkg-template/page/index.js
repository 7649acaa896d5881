// The page entry (nurture/page, the page-only build): the page runtime
// alone (start, swapSlot), which reads compiled configs only, with an init()
// that says clearly when nurture_bg.wasm cannot be loaded (see ../load.js).
import glueInit from "./nurture.js";
import { checkedInit } from "../load.js";

export * from "./nurture.js";
export default checkedInit(glueInit, () => new URL("nurture_bg.wasm", import.meta.url));
