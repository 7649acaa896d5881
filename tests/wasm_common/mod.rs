//! Checks shared by the Node and the browser wasm test binaries: the scoring,
//! personalization and form entry points, called with JS values exactly as
//! JavaScript passes them.

use js_sys::{Reflect, JSON};
use nurture::wasm::handles::{ModelHandle, PersonalizerHandle};
use nurture::wasm::personalize::decide_js;
use nurture::wasm::score::{check_model_js, default_model_js, score_js};
use nurture::wasm::tables::{segment_of_js, CidrTableHandle, MaxMindDbHandle};
use wasm_bindgen::{JsCast, JsValue};

const NOW: f64 = 1_795_632_120_000.0;
const DAY: f64 = 86_400_000.0;

fn js(json: &str) -> JsValue {
    JSON::parse(json).expect("test JSON parses")
}

fn get(value: &JsValue, path: &str) -> JsValue {
    path.split('.').fold(value.clone(), |v, key| {
        Reflect::get(&v, &key.into()).expect("property")
    })
}

fn hot_lead() -> (JsValue, JsValue) {
    let profile = js(
        r#"{"email":"li.wei@petrochina.com.cn","title":"VP of Operations","company":"PetroChina",
        "industry":"Oil & Gas","companySize":5000,"country":"CN","budget":"approved","timeline":"this quarter"}"#,
    );
    let events = js(&format!(
        r#"[{{"type":"track","event":"Event Attended","timestamp":{}}},
            {{"type":"page","timestamp":{},"properties":{{"path":"/case-studies/refinery","dwellSeconds":120}}}},
            {{"type":"page","timestamp":{},"properties":{{"path":"/pricing","dwellSeconds":90}}}},
            {{"type":"track","event":"Demo Requested","timestamp":{}}}]"#,
        NOW - 60.0 * DAY,
        NOW - 30.0 * DAY,
        NOW,
        NOW
    ));
    (profile, events)
}

pub fn scores_a_hot_lead_with_the_default_model() {
    let (profile, events) = hot_lead();
    let result = score_js(
        JsValue::NULL,
        profile,
        events,
        NOW.into(),
        JsValue::UNDEFINED,
    )
    .expect("score succeeds");
    assert_eq!(get(&result, "fit.score").as_f64(), Some(85.0));
    assert_eq!(get(&result, "engagement.score").as_f64(), Some(72.5));
    assert_eq!(get(&result, "grade").as_string().as_deref(), Some("A1"));
    assert_eq!(get(&result, "tier").as_string().as_deref(), Some("hot"));
    assert_eq!(
        get(&result, "stage").as_string().as_deref(),
        Some("decision")
    );
    assert_eq!(get(&result, "mql.qualified").as_bool(), Some(true));
    // The result is plain JSON: objects, not Maps.
    let text = JSON::stringify(&result)
        .expect("stringify")
        .as_string()
        .unwrap_or_default();
    assert!(text.contains("\"breakdown\""), "{text}");
}

pub fn model_class_compiles_once_and_scores_many() {
    let model = ModelHandle::new(default_model_js().expect("default model")).expect("compiles");
    let (profile, events) = hot_lead();
    for _ in 0..3 {
        let result = model
            .score(
                profile.clone(),
                events.clone(),
                NOW.into(),
                js(r#"{"breakdown":false}"#),
            )
            .expect("score");
        assert_eq!(get(&result, "grade").as_string().as_deref(), Some("A1"));
        assert_eq!(
            js_sys::Array::from(&get(&result, "engagement.breakdown")).length(),
            0
        );
    }
    assert_eq!(
        js_sys::Array::from(&model.warnings().expect("warnings")).length(),
        0
    );
}

fn thrown(result: Result<impl Sized, JsValue>) -> (String, String, String) {
    let err = result.err().expect("should throw");
    let error: &js_sys::Error = err.dyn_ref().expect("an Error object");
    (
        get(&err, "code").as_string().unwrap_or_default(),
        get(&err, "path").as_string().unwrap_or_default(),
        error.message().as_string().unwrap_or_default(),
    )
}

pub fn bad_config_throws_an_error_with_code_and_path() {
    let bad = js(r#"{"engagement":{"rules":[{"id":"a","points":1},{"id":"b","points":"ten"}]}}"#);
    let (code, path, message) = thrown(ModelHandle::new(bad));
    assert_eq!(code, "invalid_config");
    assert_eq!(path, "engagement.rules[1].points");
    assert_eq!(
        message,
        "engagement.rules[1].points: invalid type: string \"ten\", expected a number"
    );
    let report = check_model_js(js(r#"{"fit":{"grades":{"A":1,"B":2,"C":3}}}"#)).expect("report");
    assert_eq!(js_sys::Array::from(&get(&report, "errors")).length(), 1);
}

pub fn wrong_shaped_arguments_throw_and_the_instance_keeps_working() {
    let cases: Vec<(JsValue, JsValue, JsValue, &str)> = vec![
        (js("[1,2]"), js("[]"), NOW.into(), "profile"),
        (js("{}"), js(r#"{"not":"an array"}"#), NOW.into(), "events"),
        (js("{}"), "events".into(), NOW.into(), "events"),
        (js("{}"), js("[]"), "yesterday".into(), "now"),
        (js("{}"), js("[]"), f64::NAN.into(), "now"),
    ];
    for (profile, events, now, path) in cases {
        let (code, got_path, _) = thrown(score_js(
            JsValue::NULL,
            profile,
            events,
            now,
            JsValue::UNDEFINED,
        ));
        assert_eq!(
            (code.as_str(), got_path.as_str()),
            ("invalid_argument", path)
        );
    }
    // Bad events inside a good array are rejected with reasons, not thrown.
    let result = score_js(
        JsValue::NULL,
        JsValue::NULL,
        js(r#"[42, {"type":"page"}]"#),
        NOW.into(),
        JsValue::UNDEFINED,
    )
    .expect("score");
    assert_eq!(js_sys::Array::from(&get(&result, "rejected")).length(), 2);
    // Values nested deeper than the stack allows, and cycles, are refused
    // before they reach serde (they used to overflow the stack and trap).
    let cyclic = js_sys::Object::new();
    Reflect::set(&cyclic, &"self".into(), &cyclic).expect("set");
    let deep = js(&format!("{}{}", "[".repeat(5000), "]".repeat(5000)));
    for profile in [cyclic.into(), deep] {
        let (code, path, message) = thrown(score_js(
            JsValue::NULL,
            profile,
            js("[]"),
            NOW.into(),
            JsValue::UNDEFINED,
        ));
        assert_eq!(
            (code.as_str(), path.as_str()),
            ("invalid_argument", "profile")
        );
        assert!(message.contains("512 levels"), "{message}");
    }
    // And the instance still answers.
    scores_a_hot_lead_with_the_default_model();
}

pub fn score_options_source_and_browser_traits() {
    let (profile, events) = hot_lead();
    let model = ModelHandle::new(js(
        r#"{"fit":{"browserTraits":["utmSource"]},"engagement":{"rules":[
            {"id":"offline","event":"Event Attended","points":50,"source":"server"},
            {"id":"demo","event":"Demo Requested","points":40,"source":"server"}]}}"#,
    ))
    .expect("compiles");
    let traits = model.browser_traits().expect("browserTraits");
    assert_eq!(
        JSON::stringify(&traits).expect("stringify").as_string(),
        Some(r#"["utmSource"]"#.to_string())
    );
    let server = model
        .score(
            profile.clone(),
            events.clone(),
            NOW.into(),
            js(r#"{"source":"server"}"#),
        )
        .expect("score");
    assert_eq!(get(&server, "engagement.score").as_f64(), Some(52.5)); // 50 × 0.25 + 40
    assert_eq!(js_sys::Array::from(&get(&server, "unscored")).length(), 0);
    let browser = model
        .score_json(
            profile.clone(),
            JSON::stringify(&events).expect("stringify").into(),
            NOW.into(),
            js(r#"{"source":"browser","breakdown":false}"#),
        )
        .expect("scoreJson");
    assert_eq!(get(&browser, "engagement.score").as_f64(), Some(0.0));
    let unscored = js_sys::Array::from(&get(&browser, "unscored"));
    assert_eq!(unscored.length(), 2);
    assert_eq!(
        get(&unscored.get(0), "rule").as_string().as_deref(),
        Some("offline")
    );
    for bad in [r#"{"source":"edge"}"#, r#"{"source":true}"#] {
        let (code, path, _) = thrown(score_js(
            JsValue::NULL,
            profile.clone(),
            events.clone(),
            NOW.into(),
            js(bad),
        ));
        assert_eq!(
            (code.as_str(), path.as_str()),
            ("invalid_argument", "options.source")
        );
    }
}

const SITE_CONFIG: &str = include_str!("../data/site-config.json");
const ACCOUNTS_CSV: &str = include_str!("../data/accounts.csv");
const ASN_MMDB: &[u8] = include_bytes!("../data/maxmind/GeoLite2-ASN-Test.mmdb");

fn tables(cidr: JsValue, maxmind: &[JsValue]) -> JsValue {
    let tables = js_sys::Object::new();
    let list = js_sys::Array::new();
    for db in maxmind {
        list.push(db);
    }
    Reflect::set(&tables, &"cidr".into(), &cidr).expect("set");
    Reflect::set(&tables, &"maxmind".into(), &list).expect("set");
    tables.into()
}

fn decision(result: &JsValue, slot: usize, key: &str) -> String {
    let list = js_sys::Array::from(&get(result, "decisions"));
    get(&list.get(slot as u32), key)
        .as_string()
        .unwrap_or_default()
}

pub fn decide_segments_named_accounts_and_maxmind() {
    let table = CidrTableHandle::from_csv(ACCOUNTS_CSV.into()).expect("table");
    assert_eq!(
        js_sys::Array::from(&table.rejected().expect("rejected")).length(),
        1
    );
    let hit = table.lookup("203.0.113.9".into()).expect("lookup");
    assert_eq!(
        get(&hit, "attributes.industry").as_string().as_deref(),
        Some("Oil & Gas")
    );
    assert!(table.lookup("192.0.2.1".into()).expect("lookup").is_null());
    assert_eq!(
        thrown(table.lookup("999.0.0.1".into())).0,
        "invalid_argument"
    );
    let db = MaxMindDbHandle::new(js_sys::Uint8Array::from(ASN_MMDB).into()).expect("mmdb");
    assert_eq!(
        get(
            &db.lookup("53.1.2.3".into()).expect("lookup"),
            "autonomous_system_number"
        )
        .as_f64(),
        Some(31399.0)
    );
    let (code, path, _) = thrown(MaxMindDbHandle::new(
        js_sys::Uint8Array::from(&b"not a database"[..]).into(),
    ));
    assert_eq!(
        (code.as_str(), path.as_str()),
        ("invalid_argument", "bytes")
    );
    // Not bytes, not text: typed errors, where the glue used to write out of bounds.
    let (code, path, _) = thrown(MaxMindDbHandle::new(JsValue::from(3)));
    assert_eq!(
        (code.as_str(), path.as_str()),
        ("invalid_argument", "bytes")
    );
    let (code, path, _) = thrown(CidrTableHandle::from_csv(JsValue::from(3)));
    assert_eq!((code.as_str(), path.as_str()), ("invalid_argument", "text"));
    let (code, path, _) = thrown(table.lookup(JsValue::NULL));
    assert_eq!((code.as_str(), path.as_str()), ("invalid_argument", "ip"));

    let tables = tables(table.into(), &[db.into()]);
    let config = js(SITE_CONFIG);
    let oil = decide_js(
        config.clone(),
        js(r#"{"id":"v-1001","ip":"203.0.113.9"}"#),
        tables.clone(),
    )
    .expect("decide");
    assert_eq!(
        get(&oil, "primarySegment").as_string().as_deref(),
        Some("key-account")
    );
    assert_eq!(decision(&oil, 1, "variant"), "oil-gas-menu");
    let daimler = decide_js(
        config.clone(),
        js(r#"{"id":"v-1001","ip":"53.1.2.3"}"#),
        tables.clone(),
    )
    .expect("decide");
    assert_eq!(
        get(&daimler, "primarySegment").as_string().as_deref(),
        Some("manufacturing")
    );
    // The compiled class gives the same, sticky experiment assignment.
    let site = PersonalizerHandle::new(config.clone()).expect("compiles");
    let cta = decision(&oil, 2, "variant");
    for _ in 0..3 {
        let again = site
            .decide(js(r#"{"id":"v-1001","ip":"203.0.113.9"}"#), tables.clone())
            .expect("decide");
        assert_eq!(decision(&again, 2, "variant"), cta);
        assert_eq!(decision(&again, 2, "reason.kind"), "experiment");
    }
    // Request attributes alone.
    let seg = segment_of_js(
        JsValue::UNDEFINED,
        js(r#"{"country":"CN","asn":4134}"#),
        JsValue::UNDEFINED,
        config.clone(),
    )
    .expect("segmentOf");
    assert_eq!(
        get(&seg, "primarySegment").as_string().as_deref(),
        Some("china")
    );
    assert_eq!(get(&seg, "context.asn").as_f64(), Some(4134.0));
    // Bad config and bad arguments throw with code and path.
    let (code, path, _) = thrown(decide_js(
        js(r#"{"slots":[{"id":"a","variants":[{"id":"v","when":{"x":{"$regex":"("}}}]}]}"#),
        js(r#"{"id":"v"}"#),
        JsValue::UNDEFINED,
    ));
    assert_eq!(
        (code.as_str(), path.as_str()),
        ("invalid_config", "slots[0].variants[0].when.x.$regex")
    );
    let (code, path, _) = thrown(site.decide(js(r#"{"id":"v","seen":[1]}"#), JsValue::UNDEFINED));
    assert_eq!(
        (code.as_str(), path.as_str()),
        ("invalid_argument", "visitor.seen[0]")
    );
    let (_, path, _) = thrown(site.decide(js(r#"{"id":"v"}"#), js(r#"{"cidr":{}}"#)));
    assert_eq!(path, "tables.cidr");
}

pub fn forms_check_email_and_validate_form() {
    use nurture::wasm::forms::{check_email_js, check_phone_js, next_fields_js, validate_form_js};
    let email = check_email_js("  Li@MÜNCHEN.de ".into()).expect("checkEmail");
    assert_eq!(get(&email, "valid").as_bool(), Some(true));
    assert_eq!(get(&email, "kind").as_string().as_deref(), Some("business"));
    assert_eq!(
        get(&email, "normalized").as_string().as_deref(),
        Some("Li@xn--mnchen-3ya.de")
    );
    let bad = check_email_js("x@mailinator".into()).expect("checkEmail");
    assert_eq!(get(&bad, "valid").as_bool(), Some(false));
    let phone = check_phone_js("138 0013 8000".into(), "CN".into()).expect("checkPhone");
    assert_eq!(
        get(&phone, "e164").as_string().as_deref(),
        Some("+8613800138000")
    );
    let form = js(
        r#"{"fields":[{"name":"email","type":"email","required":true},
        {"name":"company","type":"text"},{"name":"title","type":"text"}]}"#,
    );
    let next = next_fields_js(form.clone(), JsValue::NULL).expect("nextFields");
    assert_eq!(js_sys::Array::from(&get(&next, "fields")).length(), 2);
    let result = validate_form_js(
        form.clone(),
        js(r#"{"email":"x@yopmail.com","company":"�","extra":1}"#),
        js(r#"{"language":"zh-Hant"}"#),
    )
    .expect("validateForm");
    assert_eq!(get(&result, "valid").as_bool(), Some(false));
    let text = JSON::stringify(&result)
        .expect("stringify")
        .as_string()
        .unwrap_or_default();
    for code in [
        "disposable_email",
        "control_characters",
        "not_asked",
        "不接受一次性電子郵件地址",
    ] {
        assert!(text.contains(code), "{code}: {text}");
    }
    // Wrong shapes throw with a code and a path.
    let (code, path, _) = thrown(check_email_js(JsValue::from_f64(1.0)));
    assert_eq!(
        (code.as_str(), path.as_str()),
        ("invalid_argument", "address")
    );
    let (code, path, _) = thrown(validate_form_js(
        js(r#"{"fields":[{"name":"a","type":"text","pattern":"("}]}"#),
        js("{}"),
        JsValue::UNDEFINED,
    ));
    assert_eq!(
        (code.as_str(), path.as_str()),
        ("invalid_config", "fields[0].pattern")
    );
    let (_, path, _) = thrown(validate_form_js(form, js("[1]"), JsValue::UNDEFINED));
    assert_eq!(path, "submission");
}

/// Declares every check above as a `#[wasm_bindgen_test]` in the including
/// test binary, so Node and the browser run the same list.
#[macro_export]
macro_rules! wasm_tests {
    ($($name:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test::wasm_bindgen_test]
            fn $name() {
                wasm_common::$name();
            }
        )*
    };
}

#[macro_export]
macro_rules! all_wasm_tests {
    () => {
        $crate::wasm_tests!(
            scores_a_hot_lead_with_the_default_model,
            model_class_compiles_once_and_scores_many,
            bad_config_throws_an_error_with_code_and_path,
            wrong_shaped_arguments_throw_and_the_instance_keeps_working,
            score_options_source_and_browser_traits,
            decide_segments_named_accounts_and_maxmind,
            forms_check_email_and_validate_form,
        );
    };
}
