// The page runtime's slots in Chromium, on pkg/browser (JSON config) and
// pkg/page (compiled): swapSlot and its undo, start() swapping every slot,
// the anti-flicker timeout, a late config, slots the edge applied or left
// to the page, compiled configs taken (bytes, ArrayBuffer, base64) or
// refused. Ported from tests/wasm_dom.rs (see dom-fixture.mjs).
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { BUILDS, CONFIG, SITE_JSON, DEFAULT_HERO, engagementOf, onPage, useDomFixture } from "./dom-fixture.mjs";

useDomFixture();

for (const build of BUILDS) describe(`${build} build`, () => {
  test("swap_text_and_template_then_undo: swapSlot swaps text, a template and a menu, and undoes", async () => {
    await onPage(build, async (page) => {
      const r = await page.evaluate(() => {
        const hero = t.reset();
        const before = hero.innerHTML;
        const r = { before };
        let undo = t.swapSlot(hero, { slot: "hero", variant: "v", kind: "html-template", content: "<h2>New</h2><p>from config</p>" });
        r.template = [hero.innerHTML, hero.getAttribute("data-nurture-applied")];
        undo.undo();
        r.undone = [hero.innerHTML, hero.hasAttribute("data-nurture-applied")];
        undo.undo(); // a second undo does nothing
        r.undoneTwice = hero.innerHTML;
        undo = t.swapSlot(hero, { slot: "hero", variant: "t", kind: "text", content: "<b>bold?</b>" });
        r.text = [hero.textContent, hero.querySelector("b") === null];
        undo.undo();
        r.textUndone = hero.innerHTML;
        undo = t.swapSlot(hero, { slot: "hero", variant: "m", content: { items: [
          { text: "Pricing", href: "/pricing.html" }, { text: "Evil", href: "JavaScript:alert(1)" }, "Plain"] } });
        r.menu = [hero.querySelectorAll("a").length, hero.textContent];
        undo.undo();
        const none = t.swapSlot(hero, { slot: "hero", variant: "default", content: "x" });
        r.default = [none === undefined || none === null, hero.innerHTML];
        return r;
      });
      assert.equal(r.before, '<h1>Default hero</h1><p>as shipped</p>');
      assert.deepEqual(r.template, ["<h2>New</h2><p>from config</p>", "v"]);
      assert.deepEqual(r.undone, [r.before, false]);
      assert.equal(r.undoneTwice, r.before);
      // Text is never parsed as HTML.
      assert.deepEqual(r.text, ["<b>bold?</b>", true]);
      assert.equal(r.textUndone, r.before);
      // A list (menu) with a javascript: link keeps the text, drops the link.
      assert.deepEqual(r.menu, [1, "PricingEvilPlain"]);
      // The default variant leaves the element alone and needs no undo.
      assert.deepEqual(r.default, [true, r.before]);
    });
  });

  test("start_swaps_every_slot_and_consent_revoke_undoes", async () => {
    await onPage(build, async (page) => {
      const key = "nurture-test-swap";
      const r = await page.evaluate((key) => {
        const hero = t.reset();
        const n = t.start(t.options(key));
        const banner = t.$("[data-nurture-slot=banner]");
        const r = {
          hero: hero.innerHTML, banner: banner.textContent, img: banner.querySelector("img") !== null,
          pending: t.$("[data-nurture-pending]") !== null, applied: n.state().applied.length,
        };
        n.consent(false);
        Object.assign(r, {
          heroAfter: hero.innerHTML, bannerAfter: banner.textContent, stored: localStorage.getItem(key),
          optout: localStorage.getItem(key + ":optout"), decisions: n.decisions() ?? null,
        });
        t.stop(n, key);
        return r;
      }, key);
      assert.equal(r.hero, "<h1>Personal hero</h1>");
      assert.equal(r.banner, "<img src=x onerror=alert(1)> as text");
      assert.equal(r.img, false);
      assert.equal(r.pending, false);
      assert.equal(r.applied, 2);
      assert.equal(r.heroAfter, DEFAULT_HERO);
      assert.equal(r.bannerAfter, "default banner");
      assert.equal(r.stored, null);
      assert.equal(r.optout, "1");
      assert.equal(r.decisions, null);
    });
  });

  test("anti_flicker_gives_up_and_shows_the_default: slots hidden at most 300 ms", async () => {
    await onPage(build, async (page) => {
      const r = await page.evaluate(async () => {
        const hero = t.reset();
        const key = "nurture-test-flicker";
        // A config that never arrives.
        const n = t.start(t.options(key, { antiFlickerMs: 5000, config: new Promise(() => {}) }));
        const r = { waiting: hero.hasAttribute("data-nurture-pending"), body: document.body.hasAttribute("data-nurture-pending") };
        await t.sleep(150);
        r.at150 = hero.hasAttribute("data-nurture-pending");
        // antiFlickerMs is capped at 300 ms whatever the options say.
        await t.sleep(250);
        r.at400 = hero.hasAttribute("data-nurture-pending");
        r.hero = hero.innerHTML;
        t.stop(n, key);
        return r;
      });
      assert.equal(r.waiting, true, "hidden while waiting");
      assert.equal(r.body, false, "only slots are hidden");
      assert.equal(r.at150, true);
      assert.equal(r.at400, false);
      assert.equal(r.hero, DEFAULT_HERO);
    });
  });

  test("a_late_config_does_not_swap_under_the_reader", async () => {
    await onPage(build, async (page) => {
      const r = await page.evaluate(async () => {
        const hero = t.reset();
        const key = "nurture-test-late";
        let resolve;
        const late = new Promise((ok) => { resolve = ok; });
        const n = t.start(t.options(key, { antiFlickerMs: 50, config: late }));
        await t.sleep(120);
        const pending = hero.hasAttribute("data-nurture-pending");
        resolve(t.config);
        await t.sleep(20);
        const r = { pending, hero: hero.innerHTML, variant: n.decisions()?.decisions[0].variant };
        t.stop(n, key);
        return r;
      });
      assert.equal(r.pending, false);
      assert.equal(r.hero, DEFAULT_HERO);
      // The decisions are known, for the next page view.
      assert.equal(r.variant, "tpl");
    });
  });

  test("slots_applied_by_the_edge_are_not_redone", async () => {
    await onPage(build, async (page) => {
      const r = await page.evaluate(() => {
        const hero = t.reset();
        hero.setAttribute("data-nurture-applied", "edge-variant");
        hero.innerHTML = "<h1>From the edge</h1>";
        t.edgeScript({ decisions: [{ slot: "banner", variant: "edge-banner" }] });
        const key = "nurture-test-edge";
        const n = t.start(t.options(key));
        const r = { hero: hero.innerHTML, banner: t.$("[data-nurture-slot=banner]").textContent, applied: n.state().applied };
        t.stop(n, key);
        return r;
      });
      assert.equal(r.hero, "<h1>From the edge</h1>");
      assert.equal(r.banner, "default banner");
      assert.deepEqual(r.applied, [
        { slot: "hero", variant: "edge-variant", by: "edge" },
        { slot: "banner", variant: "edge-banner", by: "edge" },
      ]);
    });
  });

  // A menu ({items} content) is not rendered by the edge's HTMLRewriter: the
  // edge marks it appliedAtEdge: false and the page renders the edge's
  // choice (made with the company from the IP, which the page does not
  // know), not a decision of its own.
  test("decisions_the_edge_left_to_the_page_are_rendered_as_the_edge_chose", async () => {
    await onPage(build, async (page) => {
      const r = await page.evaluate(() => {
        t.reset();
        t.edgeScript({ decisions: [
          { slot: "banner", variant: "account-menu", kind: "text", appliedAtEdge: false,
            content: { items: [{ text: "Your account team", href: "/contact.html" },
                               { text: "Bad link", href: "javascript:alert(1)" }, "Pricing"] } },
          { slot: "hero", variant: "default", content: null, appliedAtEdge: true },
        ] });
        const key = "nurture-test-edge-left";
        // The page's own config would choose "txt" for the banner.
        const n = t.start(t.options(key));
        const banner = t.$("[data-nurture-slot=banner]");
        const r = {
          banner: banner.innerHTML, variant: banner.getAttribute("data-nurture-applied"),
          hero: t.$("[data-nurture-slot=hero]").innerHTML, pending: t.$("[data-nurture-pending]") !== null,
          applied: n.state().applied,
        };
        // Withdrawn consent undoes what the page rendered, the edge's choice too.
        n.consent(false);
        r.bannerAfter = banner.textContent;
        t.stop(n, key);
        return r;
      });
      assert.equal(r.banner, '<a href="/contact.html">Your account team</a><span>Bad link</span><span>Pricing</span>');
      assert.equal(r.variant, "account-menu");
      assert.equal(r.hero, DEFAULT_HERO);
      assert.equal(r.pending, false);
      assert.deepEqual(r.applied, [
        { slot: "hero", variant: "default", by: "edge" },
        { slot: "banner", variant: "account-menu", by: "edge" },
      ]);
      assert.equal(r.bannerAfter, "default banner");
    });
  });

  test("a_compiled_config_swaps_like_its_json_as_bytes_or_base64", async () => {
    assert.deepEqual(SITE_JSON, CONFIG, "the fixture is this file's config");
    await onPage(build, async (page) => {
      for (const form of ["bytes", "buffer", "base64", "base64url"]) {
        const r = await page.evaluate((form) => {
          // URL-safe, unpadded and wrapped: how some servers embed it.
          const url = () => t.base64(t.compiled).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "").replace(/(.{76})/g, "$1\n");
          const config = { bytes: t.compiled, buffer: t.compiled.slice().buffer, base64: t.base64(t.compiled), base64url: form === "base64url" ? url() : null }[form];
          const hero = t.reset();
          const key = "nurture-test-compiled";
          const n = t.start(t.options(key, { config }));
          const s = n.state();
          const r = { hero: hero.innerHTML, applied: s.applied.length, error: s.configError, version: s.configVersion };
          t.stop(n, key);
          return r;
        }, form);
        assert.equal(r.hero, "<h1>Personal hero</h1>", form);
        assert.equal(r.applied, 2, form);
        assert.equal(r.error, null, form);
        assert.match(r.version, /^[0-9a-f]{16}$/, form);
      }
    });
  });

  test("a_refused_compiled_config_keeps_the_defaults_and_the_outbox", async () => {
    await onPage(build, async (page) => {
      const cases = [
        ["compiled_config_version", "newer"],
        // Version 1: the documents only, no compiled structures.
        ["compiled_config_version", "older"],
        ["compiled_config_corrupt", "flipped"],
        ["compiled_config_corrupt", "truncated"],
        ["compiled_config_corrupt", "flipped base64"],
        // Arriving later, through a promise, is refused alike.
        ["compiled_config_corrupt", "truncated later"],
      ];
      if (build === "page") {
        // The page-only build reads no JSON: a raw config, given or arriving
        // later, is refused alike (and says how to compile it).
        cases.push(["raw_config_unsupported", "raw"], ["raw_config_unsupported", "raw later"]);
      }
      for (const [code, form] of cases) {
        const r = await page.evaluate(async (form) => {
          const c = t.compiled;
          const newer = c.slice();
          newer[4] = c[4] + 1;
          const older = c.slice();
          older[4] = 1;
          const flipped = c.slice();
          flipped[flipped.length >> 1] ^= 0x04;
          const truncated = c.slice(0, c.length - 3);
          const config = {
            newer, older, flipped, truncated, "flipped base64": t.base64(flipped),
            "truncated later": Promise.resolve(truncated), raw: t.json, "raw later": Promise.resolve(t.json),
          }[form];
          const hero = t.reset();
          const key = "nurture-test-compiled-bad";
          // A visitor with two events still to send.
          const events = [0, 1].map((seq) => ({ type: "track", event: "Kept", messageId: `m-${seq}`, timestamp: 1_795_632_120_000 }));
          localStorage.setItem(key, JSON.stringify({ v: 1, id: "0123456789abcdef0123456789abcdef", seq: 0, profile: {}, events, outbox: events }));
          const n = t.start(t.options(key, { config, endpoint: "https://edge.invalid", batchMs: 60000 }));
          await t.sleep(10);
          const s = n.state();
          const r = {
            hero: hero.innerHTML, applied: hero.hasAttribute("data-nurture-applied"), pending: t.$("[data-nurture-pending]") !== null,
            error: s.configError, decisions: s.decisions, appliedList: s.applied, unsent: s.unsent, kept: t.stored(key).outbox.length,
          };
          // The runtime still tracks: the visitor's next event is kept too.
          n.track("After");
          r.unsentAfter = n.state().unsent;
          t.stop(n, key);
          return r;
        }, form);
        assert.equal(r.hero, DEFAULT_HERO, form);
        assert.equal(r.applied, false, form);
        assert.equal(r.pending, false, form);
        assert.equal(r.error?.code, code, form);
        assert.ok(r.error.message.length > 10, form);
        assert.equal(r.decisions, null, form);
        assert.deepEqual(r.appliedList, [], form);
        assert.equal(r.unsent, 2, `${form}: the outbox is kept`);
        assert.equal(r.kept, 2, form);
        assert.equal(r.unsentAfter, 3, form);
      }
    });
  });

  if (build === "page") {
    // The page-only build refuses a raw options.model when start is called,
    // naming the routes that work, and takes a compiled one.
    test("the_page_only_build_takes_a_compiled_model_and_refuses_a_raw_one", async () => {
      await onPage(build, async (page) => {
        const r = await page.evaluate(() => {
          t.reset();
          const key = "nurture-test-raw-model";
          const error = (options) => {
            try { t.start(options); } catch (e) { return { code: e.code, message: e.message }; }
            return null;
          };
          const r = { raw: error(t.options(key, { model: { fit: {} } })) };
          const n = t.start(t.options(key, { model: t.model }));
          n.track("Download");
          r.score = n.score();
          // A compiled site config where a model was expected is refused.
          r.site = error(t.options(key, { model: t.compiled }));
          t.stop(n, key);
          return r;
        });
        assert.equal(r.raw?.code, "raw_config_unsupported");
        assert.ok(r.raw.message.includes("npx nurture compile"), r.raw.message);
        assert.ok(r.raw.message.includes("format=compiled"), r.raw.message);
        assert.equal(engagementOf(r.score), 10);
        assert.equal(r.site?.code, "compiled_config_corrupt");
      });
    });
  }
});
