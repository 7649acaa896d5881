// `nurture/calibrate` for pages, Web Workers and bundlers: the full build
// plus `calibrate`, with the same checked init() as the main entry.
import glueInit from "./nurture.js";
import { checkedInit } from "../load.js";

export * from "./nurture.js";
export default checkedInit(glueInit, () => new URL("nurture_bg.wasm", import.meta.url));
