//! Validations per second for a 10-field form (`bench/contact-form.json`),
//! natively. `cargo bench --bench forms`; the wasm figure comes from
//! `bench/forms.bench.mjs`, both run by `scripts/bench.sh`.

use std::time::Instant;

use nurture::forms::{Form, ValidateOptions};
use nurture::ConfigDocument;
use serde_json::json;

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/bench/contact-form.json");
    let Ok(form) = std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|t| Form::from_json(&t).map_err(|e| e.to_string()))
    else {
        eprintln!("{path}: cannot load the form");
        return;
    };
    let submission = json!({
        "email": "li.wei@petrochina.com.cn", "firstName": "Wei", "lastName": "Li",
        "company": "PetroChina", "title": "VP of Operations", "industry": "Oil & gas",
        "companySize": 5000, "phone": "+86 10 5998 6000", "country": "CN", "consent": true
    });
    let Some(submission) = submission.as_object() else {
        return;
    };
    let asked: Vec<String> = form.field_names().map(str::to_string).collect();
    let options = ValidateOptions {
        asked: Some(&asked),
        ..ValidateOptions::default()
    };
    let first = form.validate(submission, &options);
    if !first.valid {
        eprintln!(
            "the benchmark submission should be valid: {:?}",
            first.errors
        );
        return;
    }
    // One round under callgrind (scripts/profile.sh): the same profile.
    let rounds = if std::env::var_os("NURTURE_BENCH_QUICK").is_some() {
        1
    } else {
        15
    };
    let mut samples: Vec<f64> = (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..2_000 {
                std::hint::black_box(form.validate(submission, &options));
            }
            t.elapsed().as_secs_f64() / 2_000.0
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    let per_call = samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN);
    println!("native.form_validations_per_sec={:.0}", 1.0 / per_call);
}
