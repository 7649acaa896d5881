//! Calibrates a model from leads (JSON array or JSON Lines) natively and
//! times it: `cargo run --release --example calibrate -- leads.jsonl
//! [options.json] > model.json` (the report goes to stderr).

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: calibrate leads.jsonl [options.json]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let options = args
        .next()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null);
    let start = Instant::now();
    match nurture::calibrate::calibrate_text(&text, &options) {
        Ok(c) => {
            let seconds = start.elapsed().as_secs_f64();
            println!(
                "{}",
                serde_json::to_string_pretty(&c.model).unwrap_or_default()
            );
            eprintln!(
                "{}",
                serde_json::to_string_pretty(&c.report).unwrap_or_default()
            );
            eprintln!("calibrated {} leads in {seconds:.2} s", c.report.leads);
        }
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    }
}
