// Deploying the edge worker from the packed tarball alone, as a team would:
// a fresh project installs the package (no Rust toolchain on PATH), writes
// wrangler.toml and the entry with `npx nurture init-worker`, makes its keys
// with `npx nurture keygen`, bundles the entry, and the bundle runs in
// workerd (Miniflare) with the bindings of that wrangler.toml and the site
// config read from its KV namespace.
//
// The bundle is made with esbuild under wrangler's settings (helpers.mjs,
// bundleWorker), not with `wrangler deploy --dry-run`: wrangler 4 needs
// Node 22 and this machine and CI run Node 20. esbuild is the bundler
// inside wrangler.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { bin, bundleWorker, freshProject, root, run } from "./helpers.mjs";

const SITE = readFileSync(path.join(root, "tests", "data", "site-config.json"), "utf8");
const ACCOUNTS = readFileSync(path.join(root, "tests", "data", "accounts.csv"), "utf8");
const PAGE = '<!doctype html><html><head><title>t</title></head><body><div data-nurture-slot="hero"><h1>Our hero</h1></div></body></html>';

/**
 * The part of TOML that wrangler.toml uses here: [table], [[array of
 * tables]], key = "string" | number | boolean | ["list"] | [{inline}], comments.
 */
function parseToml(text) {
  const doc = {};
  let at = doc;
  const value = (raw) => JSON.parse(raw.replace(/(\{|,)\s*([A-Za-z_]+)\s*=/g, '$1"$2":'));
  for (const line of text.split("\n").map((l) => l.replace(/\s+#.*$|^#.*$/, "").trim()).filter(Boolean)) {
    let m;
    if ((m = /^\[\[([\w.]+)\]\]$/.exec(line))) {
      const keys = m[1].split(".");
      let t = doc;
      for (const k of keys.slice(0, -1)) t = t[k] ??= {};
      (t[keys.at(-1)] ??= []).push((at = {}));
    } else if ((m = /^\[([\w.]+)\]$/.exec(line))) {
      at = doc;
      for (const k of m[1].split(".")) at = at[k] ??= {};
    } else if ((m = /^([\w-]+)\s*=\s*(.+)$/.exec(line))) {
      at[m[1]] = value(m[2]);
    } else {
      throw new Error(`wrangler.toml: cannot read ${line}`);
    }
  }
  return doc;
}

const noRust = { ...process.env, PATH: process.env.PATH.split(path.delimiter).filter((p) => !p.includes(".cargo")).join(path.delimiter) };

let dir;
let toml;
let mf;
let keys;
let admin;
let origin;
let originUrl;

before(async () => {
  origin = http.createServer((req, res) => res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(PAGE));
  await new Promise((resolve) => origin.listen(0, "127.0.0.1", resolve));
  originUrl = `http://127.0.0.1:${origin.address().port}/`;

  dir = freshProject("deploy-worker");
  const init = run("npx", ["--offline", "nurture", "init-worker", "."], { cwd: dir, env: noRust });
  assert.equal(init.status, 0, init.stderr);
  assert.match(init.stdout, /wrote wrangler\.toml/);
  toml = parseToml(readFileSync(path.join(dir, "wrangler.toml"), "utf8"));
  const key = run("npx", ["--offline", "nurture", "keygen"], { cwd: dir, env: noRust });
  assert.equal(key.status, 0, key.stderr);
  keys = key.stdout.trim();
  admin = run("npx", ["--offline", "nurture", "keygen", "--token"], { cwd: dir, env: noRust }).stdout.trim();

  const dist = path.join(dir, "dist");
  await bundleWorker(dir, toml.main, dist);
  const gz = (f) => gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length;
  console.log(`deployed bundle: index.js ${statSync(path.join(dist, "index.js")).size} bytes (${gz("index.js")} gzip), nurture_bg.wasm ${gz("nurture_bg.wasm")} gzip`);

  // The bindings of the project's wrangler.toml, as wrangler dev would give them.
  const consumers = Object.fromEntries(toml.queues.consumers.map((c) => [c.queue, {
    maxBatchSize: c.max_batch_size, maxBatchTimeout: c.max_batch_timeout, maxRetries: c.max_retries, deadLetterQueue: c.dead_letter_queue,
  }]));
  mf = new Miniflare({
    modules: [
      { type: "ESModule", path: path.join(dist, "index.js") },
      { type: "CompiledWasm", path: path.join(dist, "nurture_bg.wasm") },
    ],
    modulesRoot: dist,
    compatibilityDate: toml.compatibility_date,
    // The vars of wrangler.toml, ORIGIN_URL pointed at a local site (the
    // deployment step "set ORIGIN_URL"), and the secrets keygen made.
    bindings: { ...toml.vars, ORIGIN_URL: originUrl, NURTURE_KEYS: keys, ADMIN_TOKEN: admin },
    kvNamespaces: toml.kv_namespaces.map((k) => k.binding),
    durableObjects: Object.fromEntries(toml.durable_objects.bindings.map((b) => [b.name, { className: b.class_name, useSQLite: toml.migrations.some((m) => m.new_sqlite_classes.includes(b.class_name)) }])),
    queueProducers: Object.fromEntries(toml.queues.producers.map((p) => [p.binding, { queueName: p.queue }])),
    queueConsumers: consumers,
  });
  await mf.ready;
  // wrangler kv key put site --path site-config.json --binding NURTURE_CONFIG
  const kv = await mf.getKVNamespace("NURTURE_CONFIG");
  await kv.put("site", SITE);
  await kv.put("accounts", ACCOUNTS);
});
after(async () => {
  await mf?.dispose();
  await new Promise((resolve) => origin.close(resolve));
});

const get = (p, headers = {}) => mf.dispatchFetch(new URL(p, "https://www.example.com"), { headers: { "cf-connecting-ip": "198.51.100.9", ...headers } });

test("init-worker wrote a wrangler.toml with the Durable Objects, queues, dead-letter queue, KV namespace and migrations", () => {
  assert.equal(toml.main, "src/index.js");
  assert.deepEqual(toml.durable_objects.bindings.map((b) => [b.name, b.class_name]), [["VISITORS", "VisitorState"], ["DEAD_LETTERS", "DeadLetterStore"]]);
  assert.deepEqual(toml.migrations, [{ tag: "v1", new_sqlite_classes: ["VisitorState", "DeadLetterStore"] }]);
  assert.deepEqual(toml.queues.producers, [{ binding: "FORWARD_QUEUE", queue: "nurture-forward" }]);
  const dlq = toml.queues.consumers.find((c) => c.queue === "nurture-forward").dead_letter_queue;
  assert.equal(dlq, toml.vars.DEAD_LETTER_QUEUE);
  assert.ok(toml.queues.consumers.some((c) => c.queue === dlq), "the dead-letter queue is consumed too");
  assert.deepEqual(toml.kv_namespaces.map((k) => k.binding), ["NURTURE_CONFIG"]);
  assert.ok(toml.routes.length > 0);
  assert.match(readFileSync(path.join(dir, "src", "index.js"), "utf8"), /export \{ default, VisitorState, DeadLetterStore \} from "nurture\/worker"/);
  // Run again: nothing is overwritten.
  const again = run("npx", ["--offline", "nurture", "init-worker", "."], { cwd: dir, env: noRust });
  assert.match(again.stdout, /kept wrangler\.toml/);
});

test("keygen prints a key NURTURE_KEYS takes and a bearer token, new each time", () => {
  assert.match(keys, /^[A-Za-z0-9_-]{1,32}:[A-Za-z0-9_-]{43}$/);
  assert.match(admin, /^[A-Za-z0-9_-]{43}$/);
  const other = run("npx", ["--offline", "nurture", "keygen", "--kid", "spring"], { cwd: dir, env: noRust }).stdout.trim();
  assert.match(other, /^spring:[A-Za-z0-9_-]{43}$/);
  assert.notEqual(other.split(":")[1], keys.split(":")[1]);
  const bad = run("npx", ["--offline", "nurture", "keygen", "--kid", "no spaces"], { cwd: dir, env: noRust });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--kid/);
});

test("the package ships no demo configuration in its worker", () => {
  const bundle = readFileSync(path.join(dir, "node_modules", "nurture", "worker", "index.js"), "utf8");
  assert.ok(!bundle.includes("Forgewell"), "no demo template, sample account or form");
  assert.ok(existsSync(path.join(dir, "node_modules", "nurture", "nurture_bg.wasm")));
});

test("/v1/health reports the version of the config read from KV", async () => {
  const res = await get("/v1/health");
  const h = await res.json();
  assert.equal(res.status, 200, JSON.stringify(h));
  const version = createHash("sha256")
    .update([["site", SITE], ["model", ""], ["forms", ""], ["accounts", ACCOUNTS]].map(([k, t]) => `${k}\u0000${t.trim()}`).join("\u0000"))
    .digest("hex").slice(0, 16);
  assert.deepEqual([h.ok, h.config], [true, { version, source: "kv" }]);
});

test("/v1/config serves what KV holds, with the same version", async () => {
  const res = await get("/v1/config", { origin: "https://www.example.com" });
  const c = await res.json();
  assert.equal(res.status, 200);
  assert.deepEqual(c, { version: (await (await get("/v1/health")).json()).config.version, site: JSON.parse(SITE), model: null });
  assert.equal(res.headers.get("etag"), `"${c.version}"`);
  assert.equal(res.headers.get("access-control-allow-origin"), "https://www.example.com");
});

test("an event batch is scored and a page is personalized with the KV config", async () => {
  const res = await mf.dispatchFetch("https://www.example.com/v1/events", {
    method: "POST",
    headers: { "content-type": "application/json", "cf-connecting-ip": "198.51.100.9" },
    body: JSON.stringify({ consent: true, events: [{ type: "page", timestamp: Date.now(), properties: { path: "/pricing" } }] }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(body.accepted.length, 1);
  assert.match(body.score.grade, /^[A-D][1-4]$/);
  const token = res.headers.get("x-nurture-visitor");
  assert.ok(token?.startsWith("v1."), "signed with the keygen key");
  const page = await get("/", { "x-nurture-visitor": token });
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /<script type="application\/json" id="nurture-decisions">/);
  const decisions = JSON.parse(/id="nurture-decisions">(.*?)<\/script>/s.exec(html)[1]);
  assert.ok(decisions.decisions.some((d) => d.slot === "hero"), "the hero slot of the KV site config was decided");
  const dead = await mf.dispatchFetch("https://www.example.com/v1/admin/dead-letters", { headers: { authorization: `Bearer ${admin}` } });
  assert.equal(dead.status, 200, "ADMIN_TOKEN from keygen --token works");
});

test("bundled at build time instead: bundleConfig() in the entry, no KV, versioned by its text", async () => {
  const entry = `import site from "../nurture/site-config.json";
import { bundleConfig } from "nurture/worker";
bundleConfig({ site });
export { default, VisitorState, DeadLetterStore } from "nurture/worker";
`;
  mkdirSync(path.join(dir, "nurture"), { recursive: true });
  writeFileSync(path.join(dir, "nurture", "site-config.json"), SITE);
  writeFileSync(path.join(dir, "src", "bundled.js"), entry);
  const out = path.join(dir, "dist-bundled");
  await bundleWorker(dir, "src/bundled.js", out);
  const bundled = new Miniflare({
    modules: [
      { type: "ESModule", path: path.join(out, "index.js") },
      { type: "CompiledWasm", path: path.join(out, "nurture_bg.wasm") },
    ],
    modulesRoot: out,
    compatibilityDate: toml.compatibility_date,
    bindings: { NURTURE_KEYS: keys },
    durableObjects: { VISITORS: { className: "VisitorState", useSQLite: true }, DEAD_LETTERS: { className: "DeadLetterStore", useSQLite: true } },
  });
  try {
    const h = await (await bundled.dispatchFetch("https://w.example/v1/health")).json();
    // The JSON import is re-serialized: its version is the hash of that text.
    const text = JSON.stringify(JSON.parse(SITE));
    const version = createHash("sha256").update(`site\u0000${text}\u0000model\u0000\u0000forms\u0000\u0000accounts\u0000`).digest("hex").slice(0, 16);
    assert.deepEqual([h.ok, h.config], [true, { version, source: "bundled" }], JSON.stringify(h));
    const c = await (await bundled.dispatchFetch("https://w.example/v1/config")).json();
    assert.deepEqual(c.site, JSON.parse(SITE));
  } finally {
    await bundled.dispose();
  }
});

test("a TypeScript entry re-exporting nurture/worker type-checks with skipLibCheck off and no DOM lib", () => {
  writeFileSync(path.join(dir, "src", "entry.ts"), `import worker, { bundleConfig } from "nurture/worker";
export { default, VisitorState, DeadLetterStore } from "nurture/worker";
bundleConfig({ site: { slots: [] } });
const f: (request: unknown, env: unknown, ctx: unknown) => Promise<unknown> = worker.fetch;
void f;
`);
  writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({
    compilerOptions: { target: "es2022", module: "es2022", moduleResolution: "bundler", lib: ["es2022"], types: [], strict: true, noEmit: true, skipLibCheck: false },
    files: ["src/entry.ts"],
  }));
  const r = run(bin("tsc"), ["-p", "tsconfig.json"], { cwd: dir });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  // and a misuse is caught
  writeFileSync(path.join(dir, "src", "entry.ts"), `import { bundleConfig } from "nurture/worker";\nbundleConfig("site");\n`);
  const bad = run(bin("tsc"), ["-p", "tsconfig.json"], { cwd: dir });
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /bundleConfig|TS2345|TS2559/);
});
