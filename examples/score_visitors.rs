//! Scores a file of sample visitors with the built-in default model and
//! prints each one's grade, state and the points behind them.
//!
//! `cargo run --example score_visitors [-- path/to/visitors.json [model.json]]`

use std::{env, fs, process::ExitCode};

use nurture::score::{Model, ScoreOptions};
use nurture::ConfigDocument;
use serde_json::Value;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let path = args.first().cloned().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sample-visitors.json").into()
    });
    let model = match args.get(1) {
        None => Model::default_model(),
        Some(model_path) => match fs::read_to_string(model_path)
            .map_err(|e| e.to_string())
            .and_then(|t| Model::from_json(&t).map_err(|e| e.to_string()))
        {
            Ok(m) => m,
            Err(e) => {
                eprintln!("{model_path}: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    for warning in model.warnings() {
        eprintln!("warning: {warning}");
    }
    let doc: Value = match fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str(&t).map_err(|e| e.to_string()))
    {
        Ok(doc) => doc,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Ok(now) = nurture::time::from_json(&doc["now"]) else {
        eprintln!("{path}: \"now\" must be a timestamp");
        return ExitCode::FAILURE;
    };
    let empty = Vec::new();
    let visitors = doc["visitors"].as_array().unwrap_or(&empty);
    println!(
        "nurture: scoring {} visitors with the model \"{}\" at {}\n",
        visitors.len(),
        model.config().name.as_deref().unwrap_or("unnamed"),
        doc["now"].as_str().unwrap_or("now")
    );
    for visitor in visitors {
        let events = visitor["events"].as_array().unwrap_or(&empty);
        let r = model.score(
            visitor["profile"].as_object(),
            events,
            now,
            &ScoreOptions::default(),
        );
        println!("━━ {}", visitor["name"].as_str().unwrap_or("visitor"));
        println!(
            "   grade {}  ·  fit {} ({})  ·  engagement {} (level {})  ·  {:?} · {:?} · {}",
            r.grade,
            r.fit.score,
            r.fit.grade,
            r.engagement.score,
            r.engagement.level,
            r.tier,
            r.stage,
            if r.mql.qualified { "MQL" } else { "nurture" }
        );
        for p in &r.fit.breakdown {
            println!(
                "     fit {:>+7.2}  {:<26} {} = {}",
                p.points, p.rule, p.field, p.value
            );
        }
        for p in &r.engagement.breakdown {
            println!(
                "     eng {:>+7.2}  {:<26} event {} {}{} · {} × {} × decay {} (age {} d){}",
                p.points,
                p.rule,
                p.event_index,
                p.action,
                p.url
                    .as_deref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default(),
                p.action_points,
                p.touchpoint_weight,
                p.decay,
                p.age_days,
                if p.capped { " [capped]" } else { "" }
            );
        }
        if let Some(i) = &r.engagement.inactivity {
            println!(
                "     eng {:>+7.2}  inactivity                 {} days without interaction",
                i.points, i.days_since_last_interaction
            );
        }
        if !r.interests.is_empty() {
            let list: Vec<String> = r
                .interests
                .iter()
                .map(|i| format!("{} {}", i.tag, i.weight))
                .collect();
            println!("     interests: {}", list.join(", "));
        }
        for x in &r.rejected {
            println!("     rejected event {}: {}", x.index, x.reason);
        }
        println!("     MQL: {}\n", r.mql.reason);
    }
    ExitCode::SUCCESS
}
