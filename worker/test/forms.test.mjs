// /v1/forms/:formId against the built worker in workerd: progressive
// profiling across visits on the stored profile, JSON and plain HTML form
// posts, errors in three languages, the merged score, segments in what is
// forwarded, and decisions that follow what the visitor told us.
import test, { after, before } from "node:test";
import assert from "node:assert/strict";
import { startWorker, startCollector, waitFor, ok } from "./harness.mjs";
import { makeToken, visitorOutsideHoldout } from "./tokens.mjs";

let mf;
let col;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  col = await startCollector();
  mf = await startWorker({ vars: { COLLECTOR_URL: col.url, IP_RATE_BURST: "100000", VISITOR_RATE_BURST: "100000", TEST_HOOKS: "1" } });
});
after(async () => {
  await mf?.dispose();
  await col?.close();
});

function req(path, { method = "GET", headers = {}, body, raw, ip = "192.0.2.44" } = {}) {
  const h = { "cf-connecting-ip": ip, ...headers };
  const init = { method, headers: h };
  if (raw !== undefined) init.body = raw;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    h["content-type"] ??= "application/json";
  }
  return mf.dispatchFetch(`http://worker.test${path}`, init);
}

test("GET answers the fields to ask and a signed token binding visitor, form, fields and time", async () => {
  const res = await req("/v1/forms/contact");
  const body = await ok(res);
  assert.deepEqual(body.fields.map((f) => f.name), ["email", "company", "title", "industry"]);
  assert.equal(body.fields[0].reason, "always");
  assert.deepEqual(body.hidden, ["website_url"]);
  assert.equal(body.complete, false);
  assert.match(body.token, /^f1\.k2\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
  const payload = JSON.parse(Buffer.from(body.token.split(".")[2], "base64url").toString());
  assert.deepEqual(payload.a, ["email", "company", "title", "industry", "website_url"]);
  assert.equal(payload.f, "contact");
  assert.equal(payload.t, body.renderedAt);
  const vid = res.headers.get("x-nurture-visitor");
  assert.equal(payload.v, vid.split(".")[2]);
  assert.match(res.headers.get("set-cookie"), /^nurture_vid=v1\./);
  assert.equal(res.headers.get("cache-control"), "private, no-store");
  // the white-paper form asks e-mail and company always, then two unknown
  const wp = await ok(await req("/v1/forms/white-paper"));
  assert.deepEqual(wp.fields.map((f) => f.name), ["email", "company", "title", "industry"]);
});

test("two visits: a JSON post merges into the stored profile, scores it, forwards it with segments; the next GET asks what is still unknown", async () => {
  const cookie = `nurture_vid=${makeToken()}`;
  const ip = "203.0.113.10"; // PetroChina Example Co. in the sample accounts
  const first = await ok(await req("/v1/forms/contact", { headers: { cookie }, ip }));
  await sleep(2100); // the contact form's minimum fill time
  const res = await req("/v1/forms/contact", {
    method: "POST", ip, headers: { cookie },
    body: { token: first.token, fields: { email: "li.wei@petrochina.com.cn", company: "PetroChina", title: "VP of Operations", industry: "Oil & gas", website_url: "" } },
  });
  const body = await ok(res);
  assert.equal(body.valid, true);
  assert.deepEqual(body.newlyKnown.sort(), ["company", "email", "industry", "title"]);
  assert.ok(body.fit.score > 0, JSON.stringify(body.fit));
  assert.equal(typeof body.score.grade, "string");
  assert.equal(body.primarySegment, "key-account");
  assert.ok(body.segments.includes("oil-gas"));
  assert.deepEqual(body.next.fields.map((f) => f.name), ["email", "companySize", "phone"]);
  assert.match(body.next.token, /^f1\./);
  assert.equal(res.headers.get("set-cookie"), null, "the cookie was valid: nothing to set");

  const again = await ok(await req("/v1/forms/contact", { headers: { cookie }, ip }));
  assert.deepEqual(again.fields.map((f) => f.name), ["email", "companySize", "phone"]);
  // Known, not handed back: the page shows the field without the stored value.
  assert.equal(again.fields[0].known, true);
  assert.equal("value" in again.fields[0], false);

  const visitorId = body.visitorId;
  assert.ok(await waitFor(() => [...col.byKey.values()].some((m) => m.visitorId === visitorId && m.event.event === "Form Submitted")));
  const sent = [...col.byKey.values()].find((m) => m.visitorId === visitorId && m.event.event === "Form Submitted");
  assert.equal(sent.primarySegment, "key-account");
  assert.ok(sent.segments.includes("oil-gas"));
  assert.deepEqual(sent.event.properties.fields.sort(), ["company", "email", "industry", "title"]);
  assert.equal(sent.profile.company, "PetroChina");
});

test("a plain HTML form post (urlencoded, every input sent, empty ones included) is accepted", async () => {
  const got = await req("/v1/forms/contact");
  const first = await ok(got);
  await sleep(2100);
  // No cookie (a page on another origin, or consent not yet given): the
  // visitor token the GET answered rides in a hidden input.
  const form = new URLSearchParams({
    email: "anna@shopwise.example", company: "ShopWise", title: "Marketing Manager", industry: "Retail",
    companySize: "", phone: "", website_url: "", nurture_token: first.token, nurture_visitor: got.headers.get("x-nurture-visitor"),
  });
  const res = await req("/v1/forms/contact", { method: "POST", raw: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://worker.test" } });
  const body = await ok(res);
  assert.deepEqual(body.newlyKnown.sort(), ["company", "email", "industry", "title"]);
  assert.match(res.headers.get("set-cookie"), /^nurture_vid=v1\.k2\./, "the first post names the visitor of the token");
  assert.equal(res.headers.get("access-control-allow-origin"), "http://worker.test", "the worker's own origin is allowed");
});

test("per-field errors with stable codes, in English, Simplified and Traditional Chinese", async () => {
  // One form load per language: a refused post re-arms its token's minimum
  // fill time, as a person correcting a field takes that long anyway.
  const LANGS = ["en-GB,en;q=0.9", "zh-CN,zh;q=0.9", "zh-TW;q=0.9,en;q=0.2"];
  const loads = [];
  for (const lang of LANGS) {
    const res = await req("/v1/forms/contact");
    loads.push({ lang, form: await ok(res), visitor: res.headers.get("x-nurture-visitor") });
  }
  await sleep(2100);
  const post = ({ lang, form, visitor }) => req("/v1/forms/contact", {
    method: "POST", headers: { "accept-language": lang, "x-nurture-visitor": visitor },
    body: { token: form.token, fields: { email: "someone@gmail.com", company: "<b>Acme</b>", title: "CTO" } },
  });
  const got = {};
  for (const load of loads) {
    const { lang } = load;
    const res = await post(load);
    const text = await res.text();
    assert.equal(res.status, 422, text);
    const { error } = JSON.parse(text);
    assert.equal(error.code, "invalid_fields");
    got[lang] = error.details.errors;
  }
  for (const errors of Object.values(got)) {
    assert.deepEqual(errors.map((e) => [e.field, e.code]), [["email", "business_email_required"], ["company", "html_not_allowed"]]);
  }
  assert.match(got["en-GB,en;q=0.9"][0].message, /[A-Za-z]/);
  assert.notEqual(got["zh-CN,zh;q=0.9"][0].message, got["en-GB,en;q=0.9"][0].message);
  assert.notEqual(got["zh-TW;q=0.9,en;q=0.2"][0].message, got["zh-CN,zh;q=0.9"][0].message);
  assert.match(got["zh-CN,zh;q=0.9"][0].message, /[\u4e00-\u9fff]/);
  // nothing was stored: the same token still works with good values, once
  // the fill time has run again from the refused attempt
  await sleep(2100);
  const good = await req("/v1/forms/contact", { method: "POST", headers: { "x-nurture-visitor": loads[0].visitor }, body: { token: loads[0].form.token, fields: { email: "cto@acme.example", company: "Acme", title: "CTO" } } });
  assert.equal(good.status, 200, await good.text());
});

test("the token's render time drives the minimum fill time, and the honeypot catches bots", async () => {
  const got = await req("/v1/forms/contact");
  const first = await ok(got);
  const headers = { "x-nurture-visitor": got.headers.get("x-nurture-visitor") };
  const fast = await req("/v1/forms/contact", { method: "POST", headers, body: { token: first.token, fields: { email: "cto@acme.example" } } });
  assert.equal(fast.status, 422);
  assert.equal((await fast.json()).error.code, "bot_suspected");
  await sleep(2100);
  const pot = await req("/v1/forms/contact", { method: "POST", headers, body: { token: first.token, fields: { email: "cto@acme.example", website_url: "http://spam.example" } } });
  assert.equal(pot.status, 422);
  assert.equal((await pot.json()).error.code, "bot_suspected");
});

test("decisions follow the profile the visitor gave in a form", async () => {
  const cookie = `nurture_vid=${makeToken({ visitorId: await visitorOutsideHoldout() })}`;
  const before = await ok(await req("/v1/decide", { headers: { cookie } }));
  assert.equal(before.decisions.find((d) => d.slot === "hero").variant, "default");
  const first = await ok(await req("/v1/forms/white-paper", { headers: { cookie } }));
  await sleep(2100);
  await ok(await req("/v1/forms/white-paper", {
    method: "POST", headers: { cookie },
    body: { token: first.token, fields: { email: "sam@northwind.example", company: "Northwind", industry: "Retail" } },
  }));
  const afterForm = await ok(await req("/v1/decide", { headers: { cookie } }));
  assert.equal(afterForm.decisions.find((d) => d.slot === "hero").variant, "retail-hero");
  assert.ok(afterForm.segments.includes("retail"));
});

test("forwarded events carry the visitor's segments (segments, primarySegment)", async () => {
  const res = await req("/v1/events", { method: "POST", ip: "203.0.113.10", body: { events: [{ type: "page", messageId: "seg-1", properties: { path: "/pricing" } }] } });
  const body = await ok(res);
  assert.ok(await waitFor(() => [...col.byKey.values()].some((m) => m.visitorId === body.visitorId && m.kind === "event")));
  const sent = [...col.byKey.values()].find((m) => m.visitorId === body.visitorId && m.kind === "event");
  assert.equal(sent.primarySegment, "key-account");
  assert.deepEqual(sent.segments, ["key-account", "oil-gas"]);
});

test("a visitor's segments follow its address from batch to batch (the object's last segments are not reused)", async () => {
  const cookie = `nurture_vid=${makeToken()}`;
  const segmentsOf = async (ip, id) => {
    const body = await ok(await req("/v1/events", { method: "POST", ip, headers: { cookie }, body: { events: [{ type: "track", event: "Seen", messageId: id }] } }));
    assert.ok(await waitFor(() => [...col.byKey.values()].some((m) => m.visitorId === body.visitorId && m.event?.messageId === id)));
    return [...col.byKey.values()].find((m) => m.visitorId === body.visitorId && m.event?.messageId === id).segments;
  };
  // The named account's range, then an address outside it, then the range again.
  assert.ok((await segmentsOf("203.0.113.10", "memo-1")).includes("key-account"));
  assert.ok((await segmentsOf("203.0.113.10", "memo-2")).includes("key-account"));
  assert.ok(!(await segmentsOf("198.51.100.7", "memo-3")).includes("key-account"));
  assert.ok((await segmentsOf("203.0.113.10", "memo-4")).includes("key-account"));
});

const coreOf = async () => (await ok(await mf.dispatchFetch("http://worker.test/v1/health"))).core;

test("each form is compiled once per core instance, not per request", async () => {
  for (const id of ["contact", "white-paper"]) await ok(await req(`/v1/forms/${id}`));
  const warm = await coreOf();
  assert.ok(warm.cachedForms >= 2, JSON.stringify(warm));
  for (let i = 0; i < 5; i++) {
    for (const id of ["contact", "white-paper"]) await ok(await req(`/v1/forms/${id}`));
  }
  const later = await coreOf();
  assert.equal(later.formCompiles, warm.formCompiles, JSON.stringify({ warm, later }));
  assert.equal(later.cachedForms, warm.cachedForms);
});

test("after the core traps and restarts, forms are compiled again on the new instance and still validate", async () => {
  const cookie = `nurture_vid=${makeToken()}`;
  const token = async () => (await ok(await req("/v1/forms/contact", { headers: { cookie } }))).token;
  const post = (t, fields) => req("/v1/forms/contact", {
    method: "POST", headers: { cookie }, body: { token: t, fields: { website_url: "", ...fields } },
  });
  const disposable = async (res) => {
    const text = await res.text();
    assert.equal(res.status, 422, text);
    assert.deepEqual(JSON.parse(text).error.details.errors.map((e) => [e.field, e.code]), [["email", "disposable_email"]]);
  };
  // The visitor's object compiles and caches the form on a first post.
  const first = await token();
  await sleep(2100); // the contact form's minimum fill time
  await disposable(await post(first, { email: "x@mailinator.com" }));
  // Its object then traps (events for the same visitor) and gets a new instance.
  const trap = await ok(await req("/v1/events", {
    method: "POST", headers: { cookie, "x-nurture-test-trap": "1" },
    body: { events: [{ type: "page", timestamp: Date.now(), properties: { path: "/pricing" } }] },
  }));
  assert.ok(trap.coreRestarts >= 1);
  const [second, third] = [await token(), await token()];
  await sleep(2100);
  // A handle kept from the dead instance would point into the new one's
  // memory; these posts must validate on a freshly compiled form.
  await disposable(await post(second, { email: "x@mailinator.com" }));
  const good = await ok(await post(third, { email: "li.wei@petrochina.com.cn", company: "PetroChina" }));
  assert.equal(good.valid, true);
  assert.deepEqual(good.newlyKnown.sort(), ["company", "email"]);
});
