//! Forms: progressive profiling over several visits, validation with every
//! error code in every language, hostile values, and e-mail and phone checks
//! against real-world cases.

use nurture::email::{check_email, is_valid_whatwg, sanitize_input, MailboxKind};
use nurture::forms::{ErrorCode, Form, Language, ShowReason, ValidateOptions};
use nurture::phone::check_phone;
use nurture::ConfigDocument;
use nurture::Model;
use serde_json::{json, Map, Value};

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => panic!("not an object"),
    }
}

fn contact_form() -> Form {
    Form::from_value(json!({
        "id": "whitepaper",
        "honeypot": "website",
        "minFillSeconds": 3,
        "fields": [
            {"name": "email", "type": "email", "required": true, "always": true,
             "label": {"en": "Work e-mail", "zh-Hans": "工作邮箱", "zh-Hant": "公司電子郵件"}},
            {"name": "firstName", "type": "text", "required": true, "maxLength": 40, "label": "First name"},
            {"name": "company", "type": "text", "required": true},
            {"name": "title", "type": "text"},
            {"name": "companySize", "type": "number", "min": 1, "max": 1000000},
            {"name": "budget", "type": "select", "options": ["none", "planned", "approved"],
             "showIf": {"companySize": {"$gte": 100}}},
            {"name": "phone", "type": "phone", "defaultRegion": "CN"},
            {"name": "consent", "type": "consent", "required": true, "always": true},
            {"name": "utmSource", "type": "hidden"}
        ]
    }))
    .unwrap()
}

fn names(next: &nurture::forms::NextFields) -> Vec<&str> {
    next.fields.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn three_visit_journey_fills_the_profile_two_fields_at_a_time() {
    let form = Form::from_value(json!({"fields": [
        {"name": "email", "type": "email", "required": true},
        {"name": "company", "type": "text"},
        {"name": "title", "type": "text"},
        {"name": "industry", "type": "select", "options": ["energy", "retail"]},
        {"name": "country", "type": "country"}
    ]}))
    .unwrap();
    let model = Model::default_model();
    let mut profile = Map::new();
    let visits = [
        (
            vec!["email", "company"],
            json!({"email": "li.wei@petrochina.com.cn", "company": "PetroChina"}),
        ),
        (
            vec!["title", "industry"],
            json!({"title": "VP of Operations", "industry": "energy"}),
        ),
        (vec!["country"], json!({"country": "cn"})),
    ];
    let mut last_fit = f64::NEG_INFINITY;
    for (i, (expected, submission)) in visits.into_iter().enumerate() {
        let next = form.next_fields(&profile);
        assert_eq!(names(&next), expected, "visit {}", i + 1);
        assert!(!next.complete);
        let options = ValidateOptions {
            profile: Some(&profile),
            ..Default::default()
        };
        let result = form.submit(Some(&model), &obj(submission), &options);
        assert!(result.validation.valid, "{:?}", result.validation.errors);
        let merge = result.merge.unwrap();
        let mut newly = merge.newly_known.clone();
        newly.sort();
        let mut want = expected.clone();
        want.sort();
        assert_eq!(newly, want, "visit {}", i + 1);
        let fit = result.fit.unwrap().score;
        assert!(fit >= last_fit, "fit only grows here: {fit} < {last_fit}");
        last_fit = fit;
        profile = merge.profile;
    }
    assert_eq!(profile["country"], "CN");
    let done = form.next_fields(&profile);
    assert!(done.complete && done.fields.is_empty());
    assert!(last_fit > 0.0);
}

#[test]
fn always_fields_show_every_time_with_the_known_value() {
    let form = contact_form();
    let profile = obj(json!({"email": "li@acme-industrial.com", "firstName": "Li"}));
    let next = form.next_fields(&profile);
    assert_eq!(names(&next), ["email", "company", "title", "consent"]);
    assert_eq!(next.fields[0].reason, ShowReason::Always);
    assert_eq!(next.fields[0].value, Some(json!("li@acme-industrial.com")));
    assert_eq!(next.fields[1].reason, ShowReason::Unknown);
    assert_eq!(next.hidden, ["utmSource", "website"]);
    // companySize, phone wait (budget's condition does not hold yet).
    assert_eq!(next.remaining, 2);
}

#[test]
fn conditional_fields_follow_the_known_profile() {
    let form = contact_form();
    let base = json!({"email": "a@acme-industrial.com", "firstName": "A", "company": "Acme", "title": "CTO"});
    let small = obj(base.clone());
    assert_eq!(
        names(&form.next_fields(&small)),
        ["email", "companySize", "phone", "consent"]
    );
    let mut big = obj(base);
    big.insert("companySize".into(), json!(5000));
    assert_eq!(
        names(&form.next_fields(&big)),
        ["email", "budget", "phone", "consent"]
    );
    big.insert("companySize".into(), json!(20));
    assert_eq!(
        names(&form.next_fields(&big)),
        ["email", "phone", "consent"]
    );
}

#[test]
fn unasked_fields_are_reported_and_never_merged() {
    let form = contact_form();
    let submission = obj(json!({
        "email": "li@acme-industrial.com", "firstName": "Li", "company": "Acme",
        "consent": true, "title": "CTO", "isAdmin": true, "utmSource": "wechat"
    }));
    let v = form.validate(&submission, &ValidateOptions::default());
    let codes: Vec<(&str, &str)> = v
        .errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect();
    assert_eq!(codes, [("isAdmin", "not_asked"), ("title", "not_asked")]);
    assert!(!v.values.contains_key("title") && !v.values.contains_key("isAdmin"));
    assert_eq!(v.values["utmSource"], "wechat");
    // An explicit list of what was shown wins.
    let asked = vec![
        "email".to_string(),
        "title".to_string(),
        "consent".to_string(),
    ];
    let v = form.validate(
        &obj(json!({"email": "li@acme-industrial.com", "title": "CTO", "consent": "on"})),
        &ValidateOptions {
            asked: Some(&asked),
            ..Default::default()
        },
    );
    assert!(v.valid, "{:?}", v.errors);
    assert_eq!(v.values["consent"], true);
}

#[test]
fn empty_values_never_overwrite_known_ones() {
    let form = contact_form();
    let profile = obj(
        json!({"email": "li@acme-industrial.com", "firstName": "Li", "company": "Acme", "consent": true}),
    );
    let asked = vec![
        "email".into(),
        "title".into(),
        "consent".into(),
        "phone".into(),
    ];
    let r = form.submit(
        None,
        &obj(json!({"email": "li@acme-industrial.com", "title": "  ", "consent": true, "phone": null})),
        &ValidateOptions { profile: Some(&profile), asked: Some(&asked), ..Default::default() },
    );
    let merge = r.merge.unwrap();
    assert!(merge.newly_known.is_empty() && merge.updated.is_empty());
    assert_eq!(merge.profile, profile);
    let r = form.submit(
        None,
        &obj(json!({"email": "wei@acme-industrial.com", "consent": true})),
        &ValidateOptions {
            profile: Some(&profile),
            asked: Some(&asked),
            ..Default::default()
        },
    );
    assert_eq!(r.merge.unwrap().updated, ["email"]);
}

#[test]
fn free_mail_feeds_negative_fit_unless_the_form_requires_business_mail() {
    let form = contact_form();
    let model = Model::default_model();
    let asked = vec!["email".to_string(), "consent".to_string()];
    let submit = |form: &Form, email: &str| {
        form.submit(
            Some(&model),
            &obj(json!({"email": email, "consent": true})),
            &ValidateOptions {
                asked: Some(&asked),
                ..Default::default()
            },
        )
    };
    let free = submit(&form, "li.wei@qq.com");
    assert!(free.validation.valid);
    assert_eq!(free.validation.signals.email_kind, Some(MailboxKind::Free));
    let business = submit(&form, "li.wei@petrochina.com.cn");
    assert!(free.fit.unwrap().score < business.fit.unwrap().score);
    let strict = Form::from_value(json!({"requireBusinessEmail": true, "fields": [
        {"name": "email", "type": "email"}, {"name": "consent", "type": "consent"}]}))
    .unwrap();
    let r = submit(&strict, "li.wei@qq.com");
    assert_eq!(
        r.validation.errors[0].code,
        ErrorCode::BusinessEmailRequired
    );
}

/// A form with one field per check, and a submission that trips each code.
#[test]
fn every_error_code_in_every_language() {
    let form = Form::from_value(
        json!({"honeypot": "website", "minFillSeconds": 2, "maxUnknownFields": 20, "fields": [
            {"name": "required", "type": "text", "required": true},
            {"name": "tooLong", "type": "text", "maxLength": 3},
            {"name": "tooShort", "type": "text", "minLength": 3},
            {"name": "pattern", "type": "text", "pattern": "[A-Z]{2}\\d+"},
            {"name": "notAllowed", "type": "select", "options": ["a", "b"]},
            {"name": "notANumber", "type": "number"},
            {"name": "belowMin", "type": "number", "min": 10},
            {"name": "aboveMax", "type": "number", "max": 10},
            {"name": "invalidEmail", "type": "email"},
            {"name": "disposable", "type": "email"},
            {"name": "business", "type": "email", "businessEmail": true},
            {"name": "phone", "type": "phone", "defaultRegion": "CN"},
            {"name": "consent", "type": "consent", "required": true},
            {"name": "control", "type": "text"},
            {"name": "html", "type": "text"},
            {"name": "wrongType", "type": "text"}
        ]}),
    )
    .unwrap();
    let submission = obj(json!({
        "required": "", "tooLong": "abcd", "tooShort": "ab", "pattern": "ab12", "notAllowed": "c",
        "notANumber": "twelve", "belowMin": 9, "aboveMax": "11", "invalidEmail": "a@b@c",
        "disposable": "x@mailinator.com", "business": "x@gmail.com", "phone": "12345",
        "consent": false, "control": "a\u{0}b", "html": "<script>alert(1)</script>",
        "wrongType": {"a": 1}, "extra": 1
    }));
    let expected = [
        ("required", "required"),
        ("tooLong", "too_long"),
        ("tooShort", "too_short"),
        ("pattern", "pattern"),
        ("notAllowed", "not_allowed"),
        ("notANumber", "not_a_number"),
        ("belowMin", "below_min"),
        ("aboveMax", "above_max"),
        ("invalidEmail", "invalid_email"),
        ("disposable", "disposable_email"),
        ("business", "business_email_required"),
        ("phone", "invalid_phone"),
        ("consent", "consent_required"),
        ("control", "control_characters"),
        ("html", "html_not_allowed"),
        ("wrongType", "invalid_type"),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for language in Language::ALL {
        let v = form.validate(
            &submission,
            &ValidateOptions {
                language,
                ..Default::default()
            },
        );
        assert!(!v.valid);
        let got: Vec<(&str, &str)> = v
            .errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        assert_eq!(got[0], ("extra", "not_asked"));
        assert_eq!(&got[1..], &expected[..]);
        for e in &v.errors {
            assert_eq!(
                e.message,
                e.code.message(language, limit_of(&e.field)),
                "{}",
                e.field
            );
            seen.insert(e.code.as_str());
        }
        // Bots: the honeypot, and a form sent too fast.
        let bot = form.validate(
            &obj(json!({"website": "http://spam"})),
            &ValidateOptions {
                language,
                ..Default::default()
            },
        );
        assert_eq!(bot.errors.len(), 1);
        assert_eq!(bot.errors[0].code, ErrorCode::BotSuspected);
        let fast = form.validate(
            &obj(json!({"required": "x"})),
            &ValidateOptions {
                language,
                rendered_at: Some(1_000),
                now: Some(2_500),
                ..Default::default()
            },
        );
        assert_eq!(fast.errors[0].code, ErrorCode::BotSuspected);
        seen.insert("bot_suspected");
        let message = &fast.errors[0].message;
        match language {
            Language::En => assert!(message.is_ascii()),
            Language::ZhHans => assert!(message.contains("表单")),
            Language::ZhHant => assert!(message.contains("表單")),
        }
        let slow = form.validate(
            &obj(json!({"required": "x", "consent": true})),
            &ValidateOptions {
                language,
                rendered_at: Some(1_000),
                now: Some(3_500),
                ..Default::default()
            },
        );
        assert!(slow.valid, "{:?}", slow.errors);
    }
    let all: std::collections::BTreeSet<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(seen, all, "every code is produced by some submission");
}

fn limit_of(field: &str) -> Option<&'static str> {
    match field {
        "tooLong" | "tooShort" => Some("3"),
        "belowMin" | "aboveMax" => Some("10"),
        _ => None,
    }
}

#[test]
fn hostile_values_are_rejected_or_cleaned_without_panicking() {
    let form = Form::from_value(json!({"maxUnknownFields": 10, "fields": [
        {"name": "name", "type": "text"}, {"name": "email", "type": "email"},
        {"name": "phone", "type": "phone", "defaultRegion": "TW"}, {"name": "size", "type": "number"},
        {"name": "industry", "type": "select", "options": ["energy"]},
        {"name": "tags", "type": "multi-select", "options": ["a", "b"]},
        {"name": "country", "type": "country"}, {"name": "consent", "type": "consent"},
        {"name": "ref", "type": "hidden"}
    ]}))
    .unwrap();
    let huge = "a".repeat(10 * 1024 * 1024);
    let hostile: Vec<Value> = vec![
        json!(huge),
        json!(format!("{huge}@example.com")),
        json!("\u{0}\u{1}\u{1b}[31m"),
        json!("<img src=x onerror=alert(1)>"),
        json!("</textarea><script>alert(1)</script>"),
        json!("\u{202e}moc.elpmaxe@evil"),
        json!("admin\u{2066}@example.com"),
        json!("\u{200f}שלום"),
        json!("😀🎉👩‍👩‍👧"),
        json!("a\u{fffd}b"),
        json!("\u{fffd}"),
        json!("\u{feff}"),
        json!([1, [2, [3]]]),
        json!({"$gt": ""}),
        json!(1e308),
        json!(-0.0),
        json!(true),
        json!(["a", "a", "b", "b", "c"]),
        json!(vec!["a"; 100_000]),
    ];
    for value in &hostile {
        for field in form.field_names().collect::<Vec<_>>() {
            let submission = obj(json!({ field: value.clone() }));
            let v = form.validate(&submission, &ValidateOptions::default());
            for e in &v.errors {
                assert!(e.field.chars().count() <= 64);
            }
            if let Some(Value::String(s)) = v.values.get(field) {
                assert!(s.len() <= 4 * 500, "{field}: kept {} bytes", s.len());
                assert!(!s.contains('\u{0}') && !s.contains('\u{202e}') && !s.contains('\u{fffd}'));
            }
        }
    }
    // A hostile key is reported, cut short.
    let v = form.validate(
        &obj(json!({ huge.clone(): 1 })),
        &ValidateOptions::default(),
    );
    assert_eq!(v.errors[0].code, ErrorCode::NotAsked);
    assert_eq!(v.errors[0].field.len(), 64);
    // Emoji and right-to-left text are ordinary text for a text field.
    let v = form.validate(
        &obj(json!({"name": "  \u{200f}שלום 😀 "})),
        &ValidateOptions::default(),
    );
    assert_eq!(v.values["name"], "\u{200f}שלום 😀");
    // A lone surrogate from JS arrives as U+FFFD: refused, never stored.
    let v = form.validate(
        &obj(json!({"name": "Li\u{fffd}"})),
        &ValidateOptions::default(),
    );
    assert_eq!(v.errors[0].code, ErrorCode::ControlCharacters);
}

#[test]
fn form_errors_name_the_path() {
    let cases = [
        (
            json!({"fields": [{"name": "a", "type": "text", "pattern": "("}]}),
            "fields[0].pattern",
        ),
        (
            json!({"fields": [{"name": "a", "type": "text"}, {"name": "a", "type": "text"}]}),
            "fields[1].name",
        ),
        (
            json!({"fields": [{"name": "a", "type": "select"}]}),
            "fields[0].options",
        ),
        (
            json!({"fields": [{"name": "a", "type": "texts"}]}),
            "fields[0].type",
        ),
        (
            json!({"fields": [{"name": "a", "type": "text", "minLength": 5, "maxLength": 2}]}),
            "fields[0].minLength",
        ),
        (
            json!({"fields": [{"name": "a", "type": "number", "min": "x"}]}),
            "fields[0].min",
        ),
        (
            json!({"fields": [{"name": "a", "type": "phone", "defaultRegion": "XX"}]}),
            "fields[0].defaultRegion",
        ),
        (
            json!({"fields": [{"name": "a", "type": "text", "showIf": {"x": {"$bogus": 1}}}]}),
            "fields[0].showIf.x",
        ),
        (
            json!({"fields": [{"name": "a", "type": "country", "options": ["CN", "ZZ"]}]}),
            "fields[0].options[1]",
        ),
        (json!({"fields": [], "maxUnknownFields": 0}), "fields"),
        (
            json!({"fields": [{"name": "a", "type": "text"}], "honeypot": "a"}),
            "honeypot",
        ),
        (
            json!({"fields": [{"name": "a", "type": "text", "colour": 1}]}),
            "fields[0].colour",
        ),
    ];
    for (doc, path) in cases {
        let err = Form::from_value(doc.clone()).unwrap_err().errors.remove(0);
        assert!(err.path.starts_with(path), "{doc}: {err}");
    }
    let err = Form::from_value(json!({"fields": [{"name": "a", "type": "text", "pattern": "("}]}))
        .unwrap_err()
        .errors
        .remove(0);
    assert!(
        err.to_string()
            .starts_with("fields[0].pattern: invalid regular expression"),
        "{err}"
    );
    let report = Form::check_json(
        r#"{"fields": [{"name": "a", "type": "text", "min": 1, "options": ["x"]}]}"#,
    );
    assert!(report.errors.is_empty());
    assert_eq!(report.warnings.len(), 2);
}

#[test]
fn a_form_may_name_its_json_schema() {
    let form = Form::from_value(json!({
        "$schema": "./node_modules/nurture/schema/form.schema.json",
        "fields": [{"name": "email", "type": "email"}]
    }))
    .unwrap();
    assert!(form.warnings().is_empty(), "{:?}", form.warnings());
    // Only at the top: inside the document it is an unknown key like any other.
    let err = Form::from_value(json!({"fields": [{"name": "a", "type": "text", "$schema": "x"}]}))
        .unwrap_err()
        .errors
        .remove(0);
    assert_eq!(err.path, "fields[0].$schema");
}

// ------------------------------------------------------------- real-world cases

fn email_cases() -> Value {
    serde_json::from_str(include_str!("data/forms/email_cases.json")).unwrap()
}

#[test]
fn email_syntax_matches_browsers() {
    let doc = email_cases();
    let cases = doc["whatwg"]["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    for case in cases {
        let input = case["input"].as_str().unwrap();
        let valid = case["valid"].as_bool().unwrap();
        assert_eq!(is_valid_whatwg(&sanitize_input(input)), valid, "{input:?}");
    }
}

#[test]
fn email_check_on_classic_and_international_addresses() {
    let doc = email_cases();
    let cases = doc["check"]["cases"].as_array().unwrap();
    assert!(cases.len() >= 40);
    for case in cases {
        let input = case["input"].as_str().unwrap();
        let got = serde_json::to_value(check_email(input)).unwrap();
        assert_eq!(got["valid"], case["valid"], "{input:?}: {got}");
        for key in ["normalized", "kind", "reason"] {
            if let Some(expected) = case.get(key) {
                assert_eq!(&got[key], expected, "{input:?} {key}: {got}");
            }
        }
    }
}

#[test]
fn phone_numbers_from_many_regions() {
    // Written nationally with the region, internationally, and with 00.
    let cases = [
        ("010 6552 9988", "CN", "+861065529988", "CN"),
        ("138 0013 8000", "CN", "+8613800138000", "CN"),
        ("02 2345 6789", "TW", "+886223456789", "TW"),
        ("0912 345 678", "TW", "+886912345678", "TW"),
        ("2345 6789", "HK", "+85223456789", "HK"),
        ("6212 3456", "MO", "+85362123456", "MO"),
        ("6123 4567", "SG", "+6561234567", "SG"),
        ("(201) 555-0123", "US", "+12015550123", "US"),
        ("+1 416 555 0123", "US", "+14165550123", "CA"),
        ("030 123456", "DE", "+4930123456", "DE"),
        ("01 23 45 67 89", "FR", "+33123456789", "FR"),
        ("07400 123456", "GB", "+447400123456", "GB"),
        ("03-1234-5678", "JP", "+81312345678", "JP"),
        ("02-312-3456", "KR", "+8223123456", "KR"),
        ("0412 345 678", "AU", "+61412345678", "AU"),
        ("98765 43210", "IN", "+919876543210", "IN"),
        ("(11) 96123-4567", "BR", "+5511961234567", "BR"),
        ("06 12345678", "NL", "+31612345678", "NL"),
        ("+39 02 1234 5678", "CN", "+390212345678", "IT"),
        ("0041 44 668 18 00", "CN", "+41446681800", "CH"),
        ("+971 50 123 4567", "US", "+971501234567", "AE"),
        ("+7 912 345-67-89", "US", "+79123456789", "RU"),
        ("+1 268 464 1234", "US", "+12684641234", "AG"),
    ];
    for (input, region, e164, expected_region) in cases {
        let c = check_phone(input, Some(region));
        assert!(c.valid, "{input} ({region}): {c:?}");
        assert_eq!(c.e164.as_deref(), Some(e164), "{input}");
        // Without the metadata, +1 numbers outside the territories with
        // leading digits (AG, BS ...) read as the main region, US.
        if cfg!(feature = "phone-metadata") || expected_region != "CA" {
            assert_eq!(c.region.as_deref(), Some(expected_region), "{input}");
        }
    }
    for (input, region) in [
        ("123", "CN"),
        ("+86 10", "CN"),
        ("0000", "US"),
        ("+999 123 4567", "US"),
        ("phone", "CN"),
    ] {
        assert!(!check_phone(input, Some(region)).valid, "{input}");
    }
}

#[cfg(feature = "phone-metadata")]
#[test]
fn every_example_number_of_every_region_is_valid() {
    use phonenumber::metadata::DATABASE;
    use phonenumber::Type;
    let kinds = [
        Type::FixedLine,
        Type::Mobile,
        Type::TollFree,
        Type::PremiumRate,
        Type::SharedCost,
        Type::PersonalNumber,
        Type::Voip,
        Type::Pager,
        Type::Uan,
        Type::Voicemail,
    ];
    let (mut checked, mut regions) = (0, 0);
    let mut national_misses = Vec::new();
    let mut misses = Vec::new();
    for meta in DATABASE.iter() {
        regions += 1;
        let region = meta.id();
        for kind in kinds {
            let Some(example) = meta.descriptors().get(kind).and_then(|d| d.example()) else {
                continue;
            };
            let e164 = format!("+{}{}", meta.country_code(), example);
            let geo = (region != "001").then_some(region);
            let c = check_phone(&e164, geo);
            if c.e164.as_deref() != Some(e164.as_str()) {
                misses.push(format!("{region} {kind:?} {e164} → {c:?}"));
            }
            if let Some(r) = geo {
                // As a person in the region writes it (national format).
                let prefix = meta.national_prefix().unwrap_or("");
                let written = format!("{prefix}{example}");
                let national = check_phone(&written, Some(r));
                if national.e164.as_deref() != Some(e164.as_str()) {
                    national_misses.push(format!("{r} {written} → {national:?}"));
                }
            }
            checked += 1;
        }
    }
    assert!(
        regions > 240 && checked > 1000,
        "{regions} regions, {checked} numbers"
    );
    assert!(misses.is_empty(), "{misses:#?}");
    assert!(national_misses.is_empty(), "{national_misses:#?}");
    eprintln!("{checked} example numbers of {regions} regions");
}

#[test]
fn a_form_reports_every_error_at_once() {
    let report = Form::check(json!({
        "fields": [
            {"name": "email", "type": "email", "required": true},
            {"name": "size", "type": "number", "min": "ten"},
            {"name": "phone", "type": "phone", "showIf": {"country": {"$inn": ["CN"]}}},
            {"name": "role", "type": "text", "colour": "red"},
            {"name": "notes", "type": "text", "pattern": "("}
        ],
        "maxUnknownFields": 0
    }));
    let paths: Vec<&str> = report.errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "fields[1].min",
            "fields[3].colour",
            "fields[2].showIf.country.$inn",
            "fields[4].pattern",
            "maxUnknownFields",
        ],
        "{report}"
    );
}
