//! Turns the e-mail domain lists in `data/email/` into sorted, lower-case,
//! newline-joined strings, so the crate embeds them compactly and looks a
//! domain up by binary search without parsing JSON at run time.

use std::{env, fs, path::Path};

fn main() {
    println!("cargo:rerun-if-changed=data/email/free-email-domains.json");
    println!("cargo:rerun-if-changed=data/email/disposable_email_blocklist.conf");
    let out_dir = env::var("OUT_DIR").unwrap_or_else(|_| ".".into());
    write_list(
        "data/email/free-email-domains.json",
        Path::new(&out_dir).join("free_domains.txt"),
    );
    write_list(
        "data/email/disposable_email_blocklist.conf",
        Path::new(&out_dir).join("disposable_domains.txt"),
    );
}

/// Accepts both the JSON array and the one-domain-a-line format: every line is
/// stripped of quotes, commas and brackets, and comments are dropped.
fn write_list(source: &str, target: std::path::PathBuf) {
    let text = fs::read_to_string(source).unwrap_or_else(|e| panic!("reading {source}: {e}"));
    let mut domains: Vec<String> = text
        .lines()
        .map(|line| line.split('#').next().unwrap_or(""))
        .map(|line| {
            line.trim()
                .trim_matches(|c| c == '"' || c == ',' || c == '[' || c == ']')
                .trim()
                .to_ascii_lowercase()
        })
        .filter(|d| !d.is_empty() && d.contains('.'))
        .collect();
    domains.sort();
    domains.dedup();
    fs::write(&target, domains.join("\n"))
        .unwrap_or_else(|e| panic!("writing {}: {e}", target.display()));
}
