// End to end, the demo as `make demo` runs it: the built worker (worker/dist,
// in workerd through Miniflare) in front of the demo site, with its built-in
// config, which is the same file the pages' runtime loads
// (demo/site-config.json). The visitor's address decides at the edge:
// slots with string content arrive already swapped in the HTML, and a slot
// whose variant the edge leaves to the page (the menu's `{items}`) is
// rendered by the runtime as the edge chose it, with what only the edge
// knows (the company behind the IP). Needs pkg/ and worker/dist.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startSiteAndWorker } from "./browser.mjs";

let stack, collector, worker, browser;

before(async () => {
  stack = await startSiteAndWorker((site, col) => ({
    NURTURE_KEYS: "e2e:edge-demo-test-secret-0123456",
    ADMIN_TOKEN: "e2e-admin-token",
    ORIGIN_URL: `${site.origin}/`,
    COLLECTOR_URL: col.url,
  }));
  ({ collector, browser } = stack);
  worker = stack.url.origin;
});
after(() => stack?.close());

/** The home page as a visitor from `ip` sees it once the runtime has run. */
async function visit(ip) {
  const html = await (await fetch(`${worker}/`, { headers: { "cf-connecting-ip": ip } })).text();
  const context = await browser.newContext({ extraHTTPHeaders: { "cf-connecting-ip": ip } });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${worker}/`);
  await page.waitForFunction(() => window.nurture && window.nurture.decisions(), null, { timeout: 15_000 });
  const menu = await page.$eval("[data-nurture-slot=menu]", (el) => ({
    applied: el.getAttribute("data-nurture-applied"),
    links: [...el.querySelectorAll("a")].map((a) => [a.textContent, a.getAttribute("href")]),
  }));
  const hero = await page.$eval("[data-nurture-slot=hero] h1", (el) => el.textContent);
  const applied = await page.evaluate(() => window.nurture.state().applied);
  await context.close();
  assert.deepEqual(errors, []);
  return { html, menu, hero, applied };
}

test("a named account's address: the hero comes swapped in the HTML, the menu the edge chose is rendered by the page", async () => {
  // 203.0.113.0/24 is PetroChina Example (demo/accounts.csv): a key
  // account in the oil & gas industry.
  const v = await visit("203.0.113.10");
  assert.match(v.html, /data-nurture-slot="hero" data-nurture-applied="oil-gas-hero"><h1>Refinery uptime, predicted<\/h1>/);
  const embedded = JSON.parse(/<script type="application\/json" id="nurture-decisions">([\s\S]*?)<\/script>/.exec(v.html)[1]);
  const menu = embedded.decisions.find((d) => d.slot === "menu");
  assert.equal(menu.variant, "key-account-menu");
  assert.equal(menu.appliedAtEdge, false, "a menu's {items} is left to the page");
  assert.equal(v.hero, "Refinery uptime, predicted");
  assert.equal(v.menu.applied, "key-account-menu");
  assert.deepEqual(v.menu.links[0], ["Your account team", "/contact.html"]);
  const by = Object.fromEntries(v.applied.map((a) => [a.slot, `${a.variant} by ${a.by}`]));
  assert.equal(by.hero, "oil-gas-hero by edge");
  assert.equal(by.menu, "key-account-menu by edge");
});

test("another account's address gets its industry's hero and keeps the site's own menu", async () => {
  // 198.51.100.0/25 is Northwind Retail: retail, not a key account.
  const v = await visit("198.51.100.10");
  assert.match(v.html, /data-nurture-applied="retail-hero"/);
  assert.equal(v.hero, "Cold chains that never break");
  assert.notEqual(v.menu.applied, "key-account-menu");
  assert.ok(v.menu.links.some(([text]) => text === "Careers"), "the origin's menu, untouched");
});
