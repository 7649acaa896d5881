//! Turns the e-mail domain lists in `data/email/` into what the crate embeds
//! (see `src/email/lists.rs`), for the `email-lists` feature only:
//!
//! - the free-mail list, the allowlists and the public suffixes as sorted,
//!   lower-case, newline-joined text, searched by binary search without
//!   parsing anything at run time;
//! - the disposable-mail lists as a Golomb–Rice coded set of 36-bit hashes
//!   (`src/email/domain_hash.rs`, included here so both sides agree).
//!
//! It also says whether the build leaves regexes and the text of numbers to
//! the JS engine (the `js_engine` cfg).

use std::{
    env,
    error::Error,
    fmt::Write as _,
    fs,
    path::{Path, PathBuf},
};

#[allow(dead_code)]
#[path = "src/email/domain_hash.rs"]
mod domain_hash;

const FREE: &[&str] = &["data/email/free-email-domains.json"];
const DISPOSABLE: &[&str] = &[
    "data/email/mailchecker.txt",
    "data/email/disposable_email_blocklist.conf",
];
const ALLOW: &[&str] = &[
    "data/email/allowlist.conf",
    "data/email/allowlist-local.conf",
];
const SUFFIXES: &[&str] = &["data/email/public_suffixes.txt"];

fn main() -> Result<(), Box<dyn Error>> {
    println!("cargo:rerun-if-changed=build.rs");
    // `js_engine`: a wasm build without `rust-engines` (the page build),
    // whose regexes run on the JS engine's `RegExp` and whose numbers
    // become text through `Number.prototype.toString` (src/wasm/engine.rs).
    println!("cargo::rustc-check-cfg=cfg(js_engine)");
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32")
        && env::var_os("CARGO_FEATURE_RUST_ENGINES").is_none()
    {
        println!("cargo::rustc-cfg=js_engine");
    }
    println!("cargo:rerun-if-changed=src/email/domain_hash.rs");
    for source in [FREE, DISPOSABLE, ALLOW, SUFFIXES].concat() {
        println!("cargo:rerun-if-changed={source}");
    }
    if env::var_os("CARGO_FEATURE_EMAIL_LISTS").is_none() {
        return Ok(());
    }
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    write_text(FREE, &out_dir.join("free_domains.txt"))?;
    write_text(ALLOW, &out_dir.join("disposable_allowlist.txt"))?;
    write_text(SUFFIXES, &out_dir.join("public_suffixes.txt"))?;
    write_hash_set(DISPOSABLE, &out_dir)
}

/// The domains of the given files, lower-case, sorted and without repeats.
/// Accepts both a JSON array and one domain a line: every line is stripped of
/// quotes, commas and brackets, and `#` comments are dropped.
fn read_domains(sources: &[&str]) -> Result<Vec<String>, Box<dyn Error>> {
    let mut domains = Vec::new();
    for source in sources {
        let text = fs::read_to_string(source).map_err(|e| format!("reading {source}: {e}"))?;
        domains.extend(
            text.lines()
                .map(|line| line.split('#').next().unwrap_or(""))
                .map(|line| {
                    line.trim()
                        .trim_matches(|c| c == '"' || c == ',' || c == '[' || c == ']')
                        .trim()
                        .trim_end_matches('.')
                        .to_ascii_lowercase()
                })
                .filter(|d| !d.is_empty() && d.contains('.')),
        );
    }
    domains.sort();
    domains.dedup();
    Ok(domains)
}

fn write_text(sources: &[&str], target: &Path) -> Result<(), Box<dyn Error>> {
    fs::write(target, read_domains(sources)?.join("\n"))
        .map_err(|e| format!("writing {}: {e}", target.display()).into())
}

/// Writes `disposable_set.bin` (the Rice-coded gaps) and `disposable_set.rs`
/// (the block index and the `DISPOSABLE` constant that `lists.rs` includes).
fn write_hash_set(sources: &[&str], out_dir: &Path) -> Result<(), Box<dyn Error>> {
    let domains = read_domains(sources)?;
    let mut hashes: Vec<u64> = domains
        .iter()
        .map(|d| domain_hash::domain_hash(d))
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    let encoded = domain_hash::encoder::encode(&hashes);
    let set = domain_hash::HashSet {
        index: &encoded.index,
        bits: &encoded.bits,
        rice: encoded.rice,
        len: encoded.len,
    };
    if let Some(lost) = hashes.iter().find(|&&h| !set.contains(h)) {
        return Err(format!("the encoded disposable set lost hash {lost:#x}").into());
    }
    let bin = out_dir.join("disposable_set.bin");
    fs::write(&bin, &encoded.bits)?;
    let mut rs = format!(
        "// Written by build.rs from {sources:?}: {} domains, {} distinct hashes.\n\
         static DISPOSABLE_INDEX: [u64; {}] = [\n",
        domains.len(),
        hashes.len(),
        encoded.index.len(),
    );
    for entry in &encoded.index {
        writeln!(rs, "    {entry:#x},")?;
    }
    writeln!(
        rs,
        "];\nstatic DISPOSABLE_BITS: &[u8] = include_bytes!({bin:?});\n\
         const DISPOSABLE: HashSet<'static> = HashSet {{\n    \
         index: &DISPOSABLE_INDEX,\n    bits: DISPOSABLE_BITS,\n    \
         rice: {},\n    len: {},\n}};",
        encoded.rice, encoded.len,
    )?;
    fs::write(out_dir.join("disposable_set.rs"), rs)?;
    Ok(())
}
