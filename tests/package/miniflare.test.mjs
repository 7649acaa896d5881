// The packed tarball in a fresh Workers project: a worker that imports
// "nurture" is bundled with esbuild under the conditions wrangler uses
// (workerd, worker, browser), so the package's workerd entry imports the wasm
// as a module; it then runs in workerd through Miniflare.
import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { bundleWorker, freshProject } from "./helpers.mjs";

const worker = `
import { score, decide, validateForm, checkPhone, Personalizer } from "nurture";

const site = new Personalizer({
  segments: [{ id: "china", when: { country: "CN" } }],
  slots: [{ id: "banner", variants: [{ id: "cn", segment: "china", content: "我们在上海有本地团队" }] }],
});
const form = { fields: [{ name: "email", type: "email", required: true }, { name: "phone", type: "phone", defaultRegion: "CN" }] };

export default {
  async fetch(request) {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/score") {
        const { profile, events } = await request.json();
        return Response.json(score(null, profile, events, Date.now()));
      }
      if (url.pathname === "/decide") {
        return Response.json(site.decide({ id: "v1", request: { country: url.searchParams.get("country") ?? request.cf?.country } }));
      }
      if (url.pathname === "/form") {
        return Response.json(validateForm(form, await request.json()));
      }
      if (url.pathname === "/phone") {
        return Response.json(checkPhone(url.searchParams.get("n"), "CN"));
      }
      if (url.pathname === "/bad") {
        return Response.json(decide({ slots: 3 }, {}));
      }
      return new Response("not found", { status: 404 });
    } catch (e) {
      return Response.json({ code: e.code, path: e.path, message: e.message }, { status: 400 });
    }
  },
};
`;

let mf;
let base;
test.before(async () => {
  const dir = freshProject("miniflare", { "src/index.js": worker });
  const dist = path.join(dir, "dist");
  await bundleWorker(dir, "src/index.js", dist);
  const bundle = readFileSync(path.join(dist, "index.js"), "utf8");
  assert.match(bundle, /from "\.\/nurture_bg\.wasm"/, "the workerd entry was bundled");
  const size = (f) => statSync(path.join(dist, f)).size;
  console.log(`worker bundle: index.js ${size("index.js")} bytes, nurture_bg.wasm ${size("nurture_bg.wasm")} bytes, ` +
    `${gzipSync(readFileSync(path.join(dist, "nurture_bg.wasm"))).length} gzip`);
  mf = new Miniflare({
    modules: [
      { type: "ESModule", path: path.join(dist, "index.js") },
      { type: "CompiledWasm", path: path.join(dist, "nurture_bg.wasm") },
    ],
    modulesRoot: dist,
    compatibilityDate: "2025-09-01",
  });
  base = (await mf.ready).toString();
});
test.after(async () => { await mf?.dispose(); });

const post = (p, body) => mf.dispatchFetch(new URL(p, base), { method: "POST", body: JSON.stringify(body) });

test("score() runs in workerd", async () => {
  const res = await post("/score", {
    profile: { email: "li.wei@petrochina.com.cn", title: "VP of Operations", company: "PetroChina", industry: "Oil & Gas", companySize: 5000 },
    events: [{ type: "track", event: "Demo Requested", timestamp: Date.now() }],
  });
  assert.equal(res.status, 200);
  const r = await res.json();
  assert.equal(r.grade, "A2");
  assert.equal(r.engagement.breakdown[0].rule, "sales-request");
});

test("a compiled Personalizer decides per request", async () => {
  const cn = await (await mf.dispatchFetch(new URL("/decide?country=CN", base))).json();
  assert.deepEqual([cn.primarySegment, cn.decisions[0].variant, cn.decisions[0].content], ["china", "cn", "我们在上海有本地团队"]);
  const us = await (await mf.dispatchFetch(new URL("/decide?country=US", base))).json();
  assert.deepEqual([us.primarySegment, us.decisions[0].variant, us.decisions[0].content], [null, "default", null]);
});

test("forms validate with the full build's phone metadata", async () => {
  const ok = await (await post("/form", { email: "a@acme.example", phone: "138 0013 8000" })).json();
  assert.equal(ok.valid, true);
  assert.equal(ok.values.phone, "+8613800138000");
  const us = await (await mf.dispatchFetch(new URL("/phone?n=%2B1%20199%20555%200123", base))).json();
  assert.equal(us.valid, false, "libphonenumber's metadata: no US area code starts with 1");
});

test("errors reach the worker as typed Errors, and the isolate keeps working", async () => {
  const res = await mf.dispatchFetch(new URL("/bad", base));
  assert.equal(res.status, 400);
  const e = await res.json();
  assert.equal(e.code, "invalid_config");
  assert.equal(e.path, "slots");
  const again = await post("/score", { profile: {}, events: [] });
  assert.equal((await again.json()).grade, "D4");
});
