//! The browser runtime's DOM layer in headless Chromium: slot swaps and
//! their undo, the anti-flicker timeout, edge-applied slots, stored state
//! that is corrupt or foreign, consent gating (incl. Global Privacy
//! Control), and the edge's visitor token when the edge is on another origin.
#![cfg(target_arch = "wasm32")]

use js_sys::{Object, Promise, Reflect};
use nurture::delivery::{valid_token, MAX_OUTBOX};
use nurture::page::state::{ResetReason, Stored, MAX_BYTES, MAX_EVENTS};
use nurture::page::{random_id, start, swap_slot, Nurture};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{Document, Element, Storage};

wasm_bindgen_test_configure!(run_in_browser);

fn doc() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

fn storage() -> Storage {
    web_sys::window().unwrap().local_storage().unwrap().unwrap()
}

async fn sleep(ms: i32) {
    let p = Promise::new(&mut |ok, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&ok, ms)
            .unwrap();
    });
    JsFuture::from(p).await.unwrap();
}

/// A fresh test area with two slots holding their default content. (Not the
/// whole body: the test runner reports through an element in it.)
fn root() -> Element {
    let d = doc();
    if let Some(root) = d.get_element_by_id("nurture-test-root") {
        return root;
    }
    let root = d.create_element("div").unwrap();
    root.set_id("nurture-test-root");
    d.body().unwrap().append_child(&root).unwrap();
    root
}

fn page() -> Element {
    let d = doc();
    root().set_inner_html(
        r#"<section data-nurture-slot="hero"><h1>Default hero</h1><p>as shipped</p></section>
           <p data-nurture-slot="banner">default banner</p>"#,
    );
    d.query_selector("[data-nurture-slot=hero]")
        .unwrap()
        .unwrap()
}

fn to_js(v: &Value) -> JsValue {
    js_sys::JSON::parse(&v.to_string()).unwrap()
}

fn from_js(v: JsValue) -> Value {
    serde_json::from_str(&js_sys::JSON::stringify(&v).unwrap().as_string().unwrap()).unwrap()
}

fn config() -> Value {
    json!({
        "slots": [
            {"id": "hero", "variants": [{"id": "tpl", "when": {"path": {"$exists": true}}, "kind": "html-template",
                                          "content": "<h1>Personal hero</h1>"}]},
            {"id": "banner", "variants": [{"id": "txt", "when": {"path": {"$exists": true}},
                                            "content": "<img src=x onerror=alert(1)> as text"}]}
        ]
    })
}

/// [`config()`] as the build under test takes it: the page-only build
/// (`--features page-only`) reads compiled configs only.
fn config_js() -> JsValue {
    if cfg!(feature = "page-only") {
        js_sys::Uint8Array::from(COMPILED).into()
    } else {
        to_js(&config())
    }
}

fn options(key: &str, extra: Value) -> JsValue {
    let mut o = json!({"storageKey": key, "autoTrack": false});
    if let (Value::Object(o), Value::Object(e)) = (&mut o, extra) {
        o.extend(e);
    }
    let opts = to_js(&o);
    Reflect::set(&opts, &"config".into(), &config_js()).unwrap();
    opts
}

fn stop(n: &Nurture, key: &str) {
    n.stop();
    let s = storage();
    s.remove_item(key).unwrap();
    let mut opt = key.to_string();
    opt.push_str(":optout");
    s.remove_item(&opt).unwrap();
}

#[wasm_bindgen_test]
fn swap_text_and_template_then_undo() {
    let hero = page();
    let before = hero.inner_html();
    let decision = to_js(
        &json!({"slot": "hero", "variant": "v", "kind": "html-template",
                                 "content": "<h2>New</h2><p>from config</p>"}),
    );
    let mut undo = swap_slot(hero.clone().into(), decision).unwrap().unwrap();
    assert_eq!(hero.inner_html(), "<h2>New</h2><p>from config</p>");
    assert_eq!(
        hero.get_attribute("data-nurture-applied").as_deref(),
        Some("v")
    );
    undo.undo();
    assert_eq!(hero.inner_html(), before);
    assert!(!hero.has_attribute("data-nurture-applied"));
    undo.undo(); // a second undo does nothing
    assert_eq!(hero.inner_html(), before);

    // Text is never parsed as HTML.
    let text =
        to_js(&json!({"slot": "hero", "variant": "t", "kind": "text", "content": "<b>bold?</b>"}));
    let mut undo = swap_slot(hero.clone().into(), text).unwrap().unwrap();
    assert_eq!(hero.text_content().unwrap(), "<b>bold?</b>");
    assert!(hero.query_selector("b").unwrap().is_none());
    undo.undo();
    assert_eq!(hero.inner_html(), before);

    // A list (menu) with a javascript: link keeps the text, drops the link.
    let menu = to_js(
        &json!({"slot": "hero", "variant": "m", "content": {"items": [
        {"text": "Pricing", "href": "/pricing.html"}, {"text": "Evil", "href": "JavaScript:alert(1)"}, "Plain"]}}),
    );
    let mut undo = swap_slot(hero.clone().into(), menu).unwrap().unwrap();
    assert_eq!(hero.query_selector_all("a").unwrap().length(), 1);
    assert_eq!(hero.text_content().unwrap(), "PricingEvilPlain");
    undo.undo();

    // The default variant leaves the element alone and needs no undo.
    let default = to_js(&json!({"slot": "hero", "variant": "default", "content": "x"}));
    assert!(swap_slot(hero.clone().into(), default).unwrap().is_none());
    assert_eq!(hero.inner_html(), before);
}

#[wasm_bindgen_test]
fn start_swaps_every_slot_and_consent_revoke_undoes() {
    let hero = page();
    let key = "nurture-test-swap";
    let n = start(options(key, json!({}))).unwrap();
    assert_eq!(hero.inner_html(), "<h1>Personal hero</h1>");
    let banner = doc()
        .query_selector("[data-nurture-slot=banner]")
        .unwrap()
        .unwrap();
    assert_eq!(
        banner.text_content().unwrap(),
        "<img src=x onerror=alert(1)> as text"
    );
    assert!(banner.query_selector("img").unwrap().is_none());
    assert!(doc()
        .query_selector("[data-nurture-pending]")
        .unwrap()
        .is_none());
    let state = from_js(n.state());
    assert_eq!(state["applied"].as_array().unwrap().len(), 2);

    n.consent(false);
    assert_eq!(hero.inner_html(), "<h1>Default hero</h1><p>as shipped</p>");
    assert_eq!(banner.text_content().unwrap(), "default banner");
    assert!(storage().get_item(key).unwrap().is_none());
    assert_eq!(
        storage()
            .get_item("nurture-test-swap:optout")
            .unwrap()
            .as_deref(),
        Some("1")
    );
    assert_eq!(from_js(n.decisions()), Value::Null);
    stop(&n, key);
}

#[wasm_bindgen_test]
async fn anti_flicker_gives_up_and_shows_the_default() {
    let hero = page();
    let key = "nurture-test-flicker";
    // A config that never arrives.
    let never = Promise::new(&mut |_, _| {});
    let opts = options(key, json!({"antiFlickerMs": 5000}));
    Reflect::set(&opts, &"config".into(), &never).unwrap();
    let n = start(opts).unwrap();
    assert!(
        hero.has_attribute("data-nurture-pending"),
        "hidden while waiting"
    );
    assert!(
        !doc().body().unwrap().has_attribute("data-nurture-pending"),
        "only slots are hidden"
    );
    sleep(150).await;
    assert!(hero.has_attribute("data-nurture-pending"));
    // antiFlickerMs is capped at 300 ms whatever the options say.
    sleep(250).await;
    assert!(!hero.has_attribute("data-nurture-pending"));
    assert_eq!(hero.inner_html(), "<h1>Default hero</h1><p>as shipped</p>");
    stop(&n, key);
}

#[wasm_bindgen_test]
async fn a_late_config_does_not_swap_under_the_reader() {
    let hero = page();
    let key = "nurture-test-late";
    let mut resolve: Option<js_sys::Function> = None;
    let late = Promise::new(&mut |ok, _| resolve = Some(ok));
    let opts = options(key, json!({"antiFlickerMs": 50}));
    Reflect::set(&opts, &"config".into(), &late).unwrap();
    let n = start(opts).unwrap();
    sleep(120).await;
    assert!(!hero.has_attribute("data-nurture-pending"));
    resolve
        .unwrap()
        .call1(&JsValue::NULL, &config_js())
        .unwrap();
    sleep(20).await;
    assert_eq!(hero.inner_html(), "<h1>Default hero</h1><p>as shipped</p>");
    // The decisions are known, for the next page view.
    assert_eq!(from_js(n.decisions())["decisions"][0]["variant"], "tpl");
    stop(&n, key);
}

#[wasm_bindgen_test]
fn slots_applied_by_the_edge_are_not_redone() {
    let hero = page();
    hero.set_attribute("data-nurture-applied", "edge-variant")
        .unwrap();
    hero.set_inner_html("<h1>From the edge</h1>");
    let script = doc().create_element("script").unwrap();
    script.set_attribute("type", "application/json").unwrap();
    script.set_id("nurture-decisions");
    script.set_text_content(Some(
        r#"{"decisions":[{"slot":"banner","variant":"edge-banner"}]}"#,
    ));
    root().append_child(&script).unwrap();
    let key = "nurture-test-edge";
    let n = start(options(key, json!({}))).unwrap();
    assert_eq!(hero.inner_html(), "<h1>From the edge</h1>");
    let banner = doc()
        .query_selector("[data-nurture-slot=banner]")
        .unwrap()
        .unwrap();
    assert_eq!(banner.text_content().unwrap(), "default banner");
    let applied = from_js(n.state())["applied"].clone();
    assert_eq!(
        applied,
        json!([{"slot": "hero", "variant": "edge-variant", "by": "edge"},
                               {"slot": "banner", "variant": "edge-banner", "by": "edge"}])
    );
    stop(&n, key);
}

/// A menu (`{items}` content) is not rendered by the edge's HTMLRewriter:
/// the edge marks it `appliedAtEdge: false` in its script, and the page
/// renders the edge's choice (made with the visitor's company from the IP,
/// which the page does not know), not a decision of its own.
#[wasm_bindgen_test]
fn decisions_the_edge_left_to_the_page_are_rendered_as_the_edge_chose() {
    page();
    let script = doc().create_element("script").unwrap();
    script.set_attribute("type", "application/json").unwrap();
    script.set_id("nurture-decisions");
    script.set_text_content(Some(
        &json!({"decisions": [
            {"slot": "banner", "variant": "account-menu", "kind": "text", "appliedAtEdge": false,
             "content": {"items": [{"text": "Your account team", "href": "/contact.html"},
                                   {"text": "Bad link", "href": "javascript:alert(1)"}, "Pricing"]}},
            {"slot": "hero", "variant": "default", "content": null, "appliedAtEdge": true}
        ]})
        .to_string(),
    ));
    root().append_child(&script).unwrap();
    let key = "nurture-test-edge-left";
    // The page's own config would choose "txt" for the banner.
    let n = start(options(key, json!({}))).unwrap();
    let banner = doc()
        .query_selector("[data-nurture-slot=banner]")
        .unwrap()
        .unwrap();
    assert_eq!(
        banner.inner_html(),
        r#"<a href="/contact.html">Your account team</a><span>Bad link</span><span>Pricing</span>"#
    );
    assert_eq!(
        banner.get_attribute("data-nurture-applied").as_deref(),
        Some("account-menu")
    );
    let hero = doc()
        .query_selector("[data-nurture-slot=hero]")
        .unwrap()
        .unwrap();
    assert_eq!(hero.inner_html(), "<h1>Default hero</h1><p>as shipped</p>");
    assert!(doc()
        .query_selector("[data-nurture-pending]")
        .unwrap()
        .is_none());
    let applied = from_js(n.state())["applied"].clone();
    assert_eq!(
        applied,
        json!([{"slot": "hero", "variant": "default", "by": "edge"},
               {"slot": "banner", "variant": "account-menu", "by": "edge"}])
    );
    // Withdrawn consent undoes what the page rendered, the edge's choice too.
    n.consent(false);
    assert_eq!(banner.text_content().unwrap(), "default banner");
    stop(&n, key);
}

#[wasm_bindgen_test]
fn corrupt_or_foreign_storage_is_reset_and_reported_once() {
    page();
    for (key, text, reason) in [
        ("nurture-test-corrupt", "{\"v\":1,\"id\":", "corrupt"),
        ("nurture-test-foreign", "{\"theme\":\"dark\"}", "foreign"),
        ("nurture-test-version", "{\"v\":99,\"id\":\"x\"}", "version"),
        (
            "nurture-test-badid",
            "{\"v\":1,\"id\":\"<script>\",\"seq\":0}",
            "corrupt",
        ),
    ] {
        storage().set_item(key, text).unwrap();
        let n = start(options(key, json!({}))).unwrap();
        assert_eq!(from_js(n.state())["reset"], reason, "{key}");
        n.track("Download".into(), JsValue::UNDEFINED).unwrap();
        let stored = storage().get_item(key).unwrap().unwrap();
        let stored = Stored::parse(&stored).expect("a fresh, valid state replaced it");
        assert_eq!(stored.id, n.visitor_id());
        assert_eq!(stored.events.len(), 1);
        n.stop();
        // The next load finds a good state: nothing to report.
        let again = start(options(key, json!({}))).unwrap();
        assert_eq!(from_js(again.state())["reset"], Value::Null);
        assert_eq!(again.visitor_id(), stored.id);
        assert_eq!(from_js(again.score())["engagement"]["score"], 10.0);
        stop(&again, key);
    }
}

#[wasm_bindgen_test]
fn the_page_scores_back_office_actions_zero_as_the_edge_does() {
    page();
    let key = "nurture-test-untrusted";
    storage().remove_item(key).unwrap();
    let n = start(options(key, json!({}))).unwrap();
    for name in ["Demo Requested", "Webinar Attended", "Download"] {
        n.track(name.into(), JsValue::UNDEFINED).unwrap();
    }
    let score = from_js(n.score());
    // Only the download counts: the default model takes a demo request or a
    // webinar only from a back-office source, and the page is a browser.
    assert_eq!(score["engagement"]["score"], 10.0);
    let unscored: Vec<&str> = score["unscored"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["rule"].as_str().unwrap())
        .collect();
    assert_eq!(unscored, ["sales-request", "live-stream"]);
    let sales = score["engagement"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "sales-request")
        .unwrap();
    assert_eq!(sales["untrusted"], 1);
    assert_eq!(sales["points"], 0.0);
    stop(&n, key);
}

#[wasm_bindgen_test]
fn stored_state_parse_and_bounds() {
    let id = random_id().unwrap();
    assert_eq!(id.len(), 32);
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(id, random_id().unwrap());
    let mut s = Stored::new(id);
    assert_eq!(Stored::parse("[1,2]"), Err(ResetReason::Foreign));
    for i in 0..1000 {
        s.push_event(json!({"type": "page", "messageId": i.to_string(), "properties": {"path": "/x".repeat(80)}}), true);
    }
    assert_eq!(s.events.len(), MAX_EVENTS);
    assert_eq!(s.outbox.len(), MAX_OUTBOX);
    let text = s.to_text();
    assert!(text.len() <= MAX_BYTES);
    assert!(Stored::parse(&text).is_ok());
}

#[wasm_bindgen_test]
fn consent_required_stores_nothing_until_granted() {
    let hero = page();
    let key = "nurture-test-consent";
    storage().remove_item(key).unwrap();
    let n = start(options(
        key,
        json!({"consent": "required", "endpoint": "http://127.0.0.1:9/never"}),
    ))
    .unwrap();
    n.track("Download".into(), JsValue::UNDEFINED).unwrap();
    n.identify(to_js(&json!({"email": "a@b.example"}))).unwrap();
    assert!(storage().get_item(key).unwrap().is_none(), "nothing stored");
    assert_eq!(
        hero.inner_html(),
        "<h1>Default hero</h1><p>as shipped</p>",
        "nothing personalized"
    );
    assert_eq!(from_js(n.state())["consent"], false);
    // Scored locally in memory all the same.
    assert_eq!(from_js(n.score())["engagement"]["score"], 10.0);

    n.consent(true);
    assert_eq!(hero.inner_html(), "<h1>Personal hero</h1>");
    let stored = Stored::parse(&storage().get_item(key).unwrap().unwrap()).unwrap();
    assert_eq!(stored.consent, Some(true));
    assert_eq!(stored.events.len(), 2);
    n.stop();

    // Remembered on the next page load.
    page();
    let again = start(options(key, json!({"consent": "required"}))).unwrap();
    assert_eq!(from_js(again.state())["consent"], true);
    again.consent(false);
    assert!(storage().get_item(key).unwrap().is_none());
    stop(&again, key);
}

#[wasm_bindgen_test]
fn global_privacy_control_is_honoured() {
    let hero = page();
    let key = "nurture-test-gpc";
    let nav = web_sys::window().unwrap().navigator();
    let desc = Object::new();
    Reflect::set(&desc, &"value".into(), &JsValue::TRUE).unwrap();
    Reflect::set(&desc, &"configurable".into(), &JsValue::TRUE).unwrap();
    Reflect::define_property(
        nav.unchecked_ref::<Object>(),
        &"globalPrivacyControl".into(),
        &desc,
    )
    .unwrap();
    let n = start(options(key, json!({}))).unwrap();
    n.track("Demo Requested".into(), JsValue::UNDEFINED)
        .unwrap();
    let state = from_js(n.state());
    assert_eq!(
        (
            state["consent"].clone(),
            state["globalPrivacyControl"].clone()
        ),
        (json!(false), json!(true))
    );
    assert!(storage().get_item(key).unwrap().is_none());
    assert_eq!(hero.inner_html(), "<h1>Default hero</h1><p>as shipped</p>");
    Reflect::delete_property(
        nav.unchecked_ref::<Object>(),
        &"globalPrivacyControl".into(),
    )
    .unwrap();
    stop(&n, key);
}

#[wasm_bindgen_test]
fn stored_token_is_kept_and_a_bad_one_dropped_alone() {
    let token = "v1.k2.AAAAAAAAAAAAAAAAAAAAAA.1700000000.sig_-";
    assert!(valid_token(token));
    for bad in ["", "v1.k2.x\ny", "v1 k2", &"a".repeat(201)] {
        assert!(!valid_token(bad), "{bad:?}");
    }
    let mut s = Stored::new(random_id().unwrap());
    s.push_event(json!({"type": "page", "messageId": "m1"}), true);
    s.token = Some(token.into());
    let text = s.to_text();
    assert_eq!(Stored::parse(&text).unwrap().token.as_deref(), Some(token));
    // A state stored before the field existed reads as it is.
    s.token = None;
    let old = s.to_text();
    assert!(!old.contains("token"));
    assert_eq!(Stored::parse(&old).unwrap(), s);
    // A token that could not be a header value goes; the events stay.
    let mut v: Value = serde_json::from_str(&text).unwrap();
    v["token"] = json!("v1.k2\r\nset-cookie: x");
    let parsed = Stored::parse(&v.to_string()).unwrap();
    assert_eq!((parsed.token, parsed.outbox.len()), (None, 1));
}

/// Replaces `window.fetch` with a recorder: each call's URL, token header
/// and body go to `window.__nurtureCalls`; the answer is the next of
/// `window.__nurtureAnswers` (`{status, token}`), else a 200 without token.
/// Returns the real `fetch`.
fn fake_fetch() -> JsValue {
    let w = web_sys::window().unwrap();
    let real = Reflect::get(&w, &"fetch".into()).unwrap();
    let fake = js_sys::Function::new_with_args(
        "url, init",
        r#"const h = (init && init.headers) || {};
           window.__nurtureCalls.push({ url, token: h["x-nurture-visitor"] ?? null, body: JSON.parse(init.body) });
           const a = window.__nurtureAnswers.shift() || { status: 200 };
           const headers = { get: (n) => (n.toLowerCase() === "x-nurture-visitor" ? a.token ?? null : null) };
           return Promise.resolve({ status: a.status, ok: a.status < 300, headers });"#,
    );
    Reflect::set(&w, &"__nurtureCalls".into(), &js_sys::Array::new()).unwrap();
    Reflect::set(&w, &"__nurtureAnswers".into(), &js_sys::Array::new()).unwrap();
    Reflect::set(&w, &"fetch".into(), &fake).unwrap();
    real
}

fn answer(status: u16, token: Option<&str>) {
    let answers = Reflect::get(&web_sys::window().unwrap(), &"__nurtureAnswers".into()).unwrap();
    // Into the page's own array (`Array::from` would copy it).
    answers
        .unchecked_into::<js_sys::Array>()
        .push(&to_js(&json!({"status": status, "token": token})));
}

/// `[(url, token sent)]` of every recorded call.
fn calls() -> Vec<(String, Option<String>)> {
    let calls =
        from_js(Reflect::get(&web_sys::window().unwrap(), &"__nurtureCalls".into()).unwrap());
    calls
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["url"].as_str().unwrap().to_string(),
                c["token"].as_str().map(str::to_string),
            )
        })
        .collect()
}

fn stored_token(key: &str) -> Option<String> {
    Stored::parse(&storage().get_item(key).unwrap().unwrap())
        .unwrap()
        .token
}

#[wasm_bindgen_test]
async fn cross_origin_endpoint_keeps_and_sends_the_token_same_origin_does_not() {
    page();
    let real = fake_fetch();
    let key = "nurture-test-token";
    storage().remove_item(key).unwrap();
    let (t1, t2) = (
        "v1.k2.AAAAAAAAAAAAAAAAAAAAAA.1.first",
        "v1.k2.AAAAAAAAAAAAAAAAAAAAAA.2.second",
    );
    let n = start(options(
        key,
        json!({"endpoint": "http://edge.invalid/", "batchMs": 0}),
    ))
    .unwrap();

    // The first batch has no token; the answer's is kept.
    answer(200, Some(t1));
    n.track("A".into(), JsValue::UNDEFINED).unwrap();
    sleep(30).await;
    assert_eq!(
        calls(),
        vec![("http://edge.invalid/v1/events".to_string(), None)]
    );
    assert_eq!(stored_token(key).as_deref(), Some(t1));
    // The next one sends it; a newer token (a re-signed one) replaces it.
    answer(200, Some(t2));
    n.track("B".into(), JsValue::UNDEFINED).unwrap();
    sleep(30).await;
    assert_eq!(calls().get(1).unwrap().1.as_deref(), Some(t1));
    assert_eq!(stored_token(key).as_deref(), Some(t2));
    // Refused (expired, retired key): dropped, and the batch goes again
    // at once without it, so the edge starts a new visitor.
    answer(401, None);
    answer(200, Some(t1));
    n.track("C".into(), JsValue::UNDEFINED).unwrap();
    sleep(50).await;
    let c = calls();
    assert_eq!(c.len(), 4, "{c:?}");
    assert_eq!((c[2].1.as_deref(), c[3].1.as_deref()), (Some(t2), None));
    assert_eq!(stored_token(key).as_deref(), Some(t1));
    assert_eq!(from_js(n.state())["unsent"], 0);
    // Withdrawn consent takes the token with the rest of the state.
    n.consent(false);
    assert!(storage().get_item(key).unwrap().is_none());
    n.consent(true);
    n.track("D".into(), JsValue::UNDEFINED).unwrap();
    sleep(30).await;
    assert_eq!(calls().last().unwrap().1, None);
    stop(&n, key);

    // Same origin: the cookie names the visitor; no token kept or sent.
    fake_fetch();
    let origin = web_sys::window().unwrap().location().origin().unwrap();
    let n = start(options(key, json!({"endpoint": origin, "batchMs": 0}))).unwrap();
    answer(200, Some(t1));
    n.track("A".into(), JsValue::UNDEFINED).unwrap();
    sleep(30).await;
    n.track("B".into(), JsValue::UNDEFINED).unwrap();
    sleep(30).await;
    let c = calls();
    assert_eq!(c.len(), 2, "{c:?}");
    assert!(c.iter().all(|(_, t)| t.is_none()), "{c:?}");
    assert_eq!(stored_token(key), None);
    stop(&n, key);
    Reflect::set(&web_sys::window().unwrap(), &"fetch".into(), &real).unwrap();
}

/// The DOM tests' site config compiled (kept in step with
/// `data/compiled/dom-site.json` by tests/compiled.rs): the page build has
/// no compiler.
const COMPILED: &[u8] = include_bytes!("data/compiled/dom-site.nrc");

fn compiled_options(key: &str, config: JsValue, extra: Value) -> JsValue {
    let opts = options(key, extra);
    Reflect::set(&opts, &"config".into(), &config).unwrap();
    opts
}

/// `btoa` over the bytes as a binary string, as the edge embeds them.
fn base64(bytes: &[u8]) -> JsValue {
    let binary: String = bytes.iter().map(|b| char::from(*b)).collect();
    let btoa: js_sys::Function = Reflect::get(&js_sys::global(), &"btoa".into())
        .unwrap()
        .unchecked_into();
    btoa.call1(&JsValue::NULL, &binary.into()).unwrap()
}

#[wasm_bindgen_test]
fn a_compiled_config_swaps_like_its_json_as_bytes_or_base64() {
    let fixture: Value = serde_json::from_str(include_str!("data/compiled/dom-site.json")).unwrap();
    assert_eq!(fixture, config(), "the fixture is this file's config()");
    let key = "nurture-test-compiled";
    let buffer = js_sys::Uint8Array::from(COMPILED).buffer();
    for config in [
        js_sys::Uint8Array::from(COMPILED).into(),
        buffer.into(),
        base64(COMPILED),
    ] {
        let hero = page();
        let n = start(compiled_options(key, config, json!({}))).unwrap();
        assert_eq!(hero.inner_html(), "<h1>Personal hero</h1>");
        let state = from_js(n.state());
        assert_eq!(state["applied"].as_array().unwrap().len(), 2);
        assert_eq!(state["configError"], Value::Null);
        let version = state["configVersion"].as_str().unwrap().to_string();
        assert_eq!(version.len(), 16, "{version}");
        stop(&n, key);
    }
}

#[wasm_bindgen_test]
async fn a_refused_compiled_config_keeps_the_defaults_and_the_outbox() {
    let key = "nurture-test-compiled-bad";
    let mut newer = COMPILED.to_vec();
    newer[4] = nurture::compiled::FORMAT_VERSION + 1;
    // Version 1: the documents only, no compiled structures.
    let mut older = COMPILED.to_vec();
    older[4] = 1;
    let mut flipped = COMPILED.to_vec();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x04;
    let truncated = &COMPILED[..COMPILED.len() - 3];
    let late: JsValue = js_sys::Uint8Array::from(truncated).into();
    let mut cases: Vec<(&str, JsValue)> = vec![
        (
            "compiled_config_version",
            js_sys::Uint8Array::from(&newer[..]).into(),
        ),
        (
            "compiled_config_version",
            js_sys::Uint8Array::from(&older[..]).into(),
        ),
        (
            "compiled_config_corrupt",
            js_sys::Uint8Array::from(&flipped[..]).into(),
        ),
        (
            "compiled_config_corrupt",
            js_sys::Uint8Array::from(truncated).into(),
        ),
        ("compiled_config_corrupt", base64(&flipped)),
        // Arriving later, through a promise, is refused alike.
        ("compiled_config_corrupt", Promise::resolve(&late).into()),
    ];
    if cfg!(feature = "page-only") {
        // The page-only build reads no JSON: a raw config, given or
        // arriving later, is refused alike (and says how to compile it).
        let raw = to_js(&config());
        cases.push(("raw_config_unsupported", raw.clone()));
        cases.push(("raw_config_unsupported", Promise::resolve(&raw).into()));
    }
    for (code, config) in cases {
        let hero = page();
        // A visitor with two events still to send.
        let mut stored = Stored::new("0123456789abcdef0123456789abcdef".into());
        for seq in 0..2 {
            stored.push_event(
                json!({"type": "track", "event": "Kept", "messageId": format!("m-{seq}"),
                       "timestamp": 1_795_632_120_000i64}),
                true,
            );
        }
        storage().set_item(key, &stored.to_text()).unwrap();
        let n = start(compiled_options(
            key,
            config,
            json!({"endpoint": "https://edge.invalid", "batchMs": 60000}),
        ))
        .unwrap();
        sleep(10).await;
        assert_eq!(
            hero.inner_html(),
            "<h1>Default hero</h1><p>as shipped</p>",
            "{code}"
        );
        assert!(!hero.has_attribute("data-nurture-applied"));
        assert!(doc()
            .query_selector("[data-nurture-pending]")
            .unwrap()
            .is_none());
        let state = from_js(n.state());
        assert_eq!(state["configError"]["code"], code);
        assert!(state["configError"]["message"].as_str().unwrap().len() > 10);
        assert_eq!(state["decisions"], Value::Null);
        assert_eq!(state["applied"], json!([]));
        assert_eq!(state["unsent"], 2, "{code}: the outbox is kept");
        let kept = Stored::parse(&storage().get_item(key).unwrap().unwrap()).unwrap();
        assert_eq!(kept.outbox.len(), 2);
        // The runtime still tracks: the visitor's next event is kept too.
        n.track("After".into(), JsValue::UNDEFINED).unwrap();
        assert_eq!(from_js(n.state())["unsent"], 3);
        stop(&n, key);
    }
}

/// The page-only build refuses a raw `options.model` when `start` is
/// called, naming the routes that work, and takes a compiled one.
#[cfg(feature = "page-only")]
#[wasm_bindgen_test]
fn the_page_only_build_takes_a_compiled_model_and_refuses_a_raw_one() {
    page();
    let key = "nurture-test-raw-model";
    let opts = options(key, json!({"model": {"fit": {}}}));
    let err = start(opts).err().unwrap();
    assert_eq!(
        Reflect::get(&err, &"code".into()).unwrap(),
        "raw_config_unsupported"
    );
    let message = js_sys::Error::from(err).message().as_string().unwrap();
    assert!(message.contains("npx nurture compile"), "{message}");
    assert!(message.contains("format=compiled"), "{message}");
    let model = include_bytes!("../src/score/default_model.nrc");
    let opts = options(key, json!({}));
    let model_js: JsValue = js_sys::Uint8Array::from(&model[..]).into();
    Reflect::set(&opts, &"model".into(), &model_js).unwrap();
    let n = start(opts).unwrap();
    n.track("Download".into(), JsValue::UNDEFINED).unwrap();
    assert_eq!(from_js(n.score())["engagement"]["score"], 10.0);
    // A compiled site config where a model was expected is refused.
    let opts = options(key, json!({}));
    let site_js: JsValue = js_sys::Uint8Array::from(COMPILED).into();
    Reflect::set(&opts, &"model".into(), &site_js).unwrap();
    let err = start(opts).err().unwrap();
    assert_eq!(
        Reflect::get(&err, &"code".into()).unwrap(),
        "compiled_config_corrupt"
    );
    stop(&n, key);
}
