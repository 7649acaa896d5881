// Loading the demo's site config and the built-in model in wasm (the full
// build, in Node), the page's two routes: the JSON route (the text parsed
// by JSON.parse, the objects walked into the core, checked with path
// tracking and compiled: `new Personalizer(site)` + `new Model(model)`)
// against the compiled route (`inspectCompiled(bytes)`: header, checksum,
// tree, compiled, which is what `start({config: bytes})` does), plus the
// sizes of the compiled form. Prints key=value lines.
// Usage: node bench/compiled.bench.mjs.
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import nurture from "../tests/js/load.mjs";
import { secondsPerCall } from "./timing.mjs";

const siteText = readFileSync(new URL("../demo/site-config.json", import.meta.url), "utf8");
const modelText = JSON.stringify(nurture.defaultModel());
const bytes = nurture.compileConfig({ site: JSON.parse(siteText), model: JSON.parse(modelText) }, "edge");
const jsonText = `{"site":${siteText},"model":${modelText}}`;

const us = (s) => (s * 1e6).toFixed(1);
const jsonParse = secondsPerCall(200, 9, () => JSON.parse(jsonText));
const jsonRoute = secondsPerCall(20, 9, () => {
  const doc = JSON.parse(jsonText);
  new nurture.Personalizer(doc.site).free();
  new nurture.Model(doc.model).free();
});
const compiledRoute = secondsPerCall(20, 9, () => nurture.inspectCompiled(bytes));

console.log(`compiled.demo_bytes=${bytes.length}`);
console.log(`compiled.demo_gzip=${gzipSync(bytes, { level: 9 }).length}`);
console.log(`compiled.demo_json_bytes=${jsonText.length}`);
console.log(`compiled.demo_json_gzip=${gzipSync(jsonText, { level: 9 }).length}`);
console.log(`compiled.wasm_json_parse_us=${us(jsonParse)}`);
console.log(`compiled.wasm_json_route_us=${us(jsonRoute)}`);
console.log(`compiled.wasm_compiled_route_us=${us(compiledRoute)}`);
console.log(`compiled.wasm_compiled_vs_json_route=${(jsonRoute / compiledRoute).toFixed(2)}x`);
