//! Writes the synthetic population of known effects (tests/support/
//! synthetic.rs) as JSON Lines: `cargo run --release --example
//! synthetic-leads -- [leads] [seed] > leads.jsonl`.

#[path = "../tests/support/synthetic.rs"]
#[allow(dead_code)]
mod synthetic;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let (leads, _) = synthetic::population(n, seed);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for lead in leads {
        writeln!(out, "{lead}")?;
    }
    out.flush()
}
