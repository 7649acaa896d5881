//! Writes the synthetic population of known effects (tests/support/
//! synthetic.rs) as JSON Lines: `cargo run --release --example
//! synthetic-leads -- [leads] [seed] [min events a lead] > leads.jsonl`
//! (with a minimum, `Email Opened` events pad every lead up to it: the speed
//! benchmark's 10,000 leads × 30 events).

#[path = "../tests/support/synthetic.rs"]
#[allow(dead_code)]
mod synthetic;

use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let seed: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(7);
    let events: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(0);
    let (mut leads, _) = synthetic::population(n, seed);
    let mut rng = synthetic::Rng::new(seed ^ 0xE5);
    for lead in &mut leads {
        synthetic::pad(lead, events, &mut rng);
    }
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for lead in leads {
        writeln!(out, "{lead}")?;
    }
    out.flush()
}
