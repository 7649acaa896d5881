//! Condition evaluation, CIDR lookups and MaxMind lookups, natively.
//! `cargo bench --bench targeting`; `scripts/bench.sh` runs it and writes the
//! figures into BENCHMARKS.md next to the wasm and JS-library figures.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use nurture::segment::{Attributes, CidrTableBuilder, MmdbReader, Prefix};
use nurture::targeting::{choose_variation, eval_condition, get_bucket_ranges, hash, Condition};
use serde_json::{json, Value};

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(0.0)
}

/// Median seconds for one run of `f` (which does `work` operations).
fn seconds(rounds: usize, mut f: impl FnMut()) -> f64 {
    // One round under callgrind (scripts/profile.sh): the same profile.
    let rounds = if std::env::var_os("NURTURE_BENCH_QUICK").is_some() {
        1
    } else {
        rounds
    };
    f();
    median(
        (0..rounds)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .collect(),
    )
}

/// xorshift: the same pseudo-random prefixes in every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn conditions() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vectors/growthbook-cases.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let Ok(doc) = serde_json::from_str::<Value>(&text) else {
        return;
    };
    let cases: Vec<(Value, Value, Value)> = doc["evalCondition"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            (
                c[1].clone(),
                c[2].clone(),
                c.get(4).cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    let compiled: Vec<(Condition, &Value, &Value)> = cases
        .iter()
        .map(|(c, a, g)| (Condition::compile_lenient(c).0, a, g))
        .collect();
    let reps = 200;
    let evals = (cases.len() * reps) as f64;
    let once = seconds(9, || {
        for _ in 0..reps {
            for (c, a, g) in &compiled {
                std::hint::black_box(c.eval(a, g));
            }
        }
    });
    let each = seconds(9, || {
        for _ in 0..reps {
            for (c, a, g) in &cases {
                std::hint::black_box(eval_condition(a, c, Some(g)));
            }
        }
    });
    println!("native.condition_vectors={}", cases.len());
    println!(
        "native.condition_compiled_evals_per_sec={:.0}",
        evals / once
    );
    println!(
        "native.condition_compile_and_eval_per_sec={:.0}",
        evals / each
    );
}

/// Hashing and bucketing on GrowthBook's shared vectors (`hash` v1/v2,
/// `getBucketRange`, `chooseVariation`), the figures next to GrowthBook's JS.
fn hashing() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/vectors/growthbook-cases.json"
    );
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    let Ok(doc) = serde_json::from_str::<Value>(&text) else {
        return;
    };
    let list = |key: &str| doc[key].as_array().cloned().unwrap_or_default();
    let hashes: Vec<(String, String, u32)> = list("hash")
        .iter()
        .map(|c| {
            (
                c[0].as_str().unwrap_or("").to_string(),
                c[1].as_str().unwrap_or("").to_string(),
                c[2].as_u64().unwrap_or(0) as u32,
            )
        })
        .collect();
    type Bucket = (i64, f64, Option<Vec<f64>>);
    let buckets: Vec<Bucket> = list("getBucketRange")
        .iter()
        .map(|c| {
            let args = &c[1];
            let weights = args[2]
                .as_array()
                .map(|w| w.iter().map(|x| x.as_f64().unwrap_or(f64::NAN)).collect());
            (
                args[0].as_i64().unwrap_or(0),
                args[1].as_f64().unwrap_or(1.0),
                weights,
            )
        })
        .collect();
    let choices: Vec<(f64, Vec<(f64, f64)>)> = list("chooseVariation")
        .iter()
        .map(|c| {
            let ranges = c[2]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| (r[0].as_f64().unwrap_or(0.0), r[1].as_f64().unwrap_or(0.0)))
                .collect();
            (c[1].as_f64().unwrap_or(0.0), ranges)
        })
        .collect();
    let reps = 5_000;
    let per_sec = |n: usize, f: &mut dyn FnMut()| (reps * n) as f64 / seconds(9, f);
    let h = per_sec(hashes.len(), &mut || {
        for _ in 0..reps {
            for (s, v, ver) in &hashes {
                std::hint::black_box(hash(s, v, *ver));
            }
        }
    });
    let b = per_sec(buckets.len(), &mut || {
        for _ in 0..reps {
            for (n, c, w) in &buckets {
                std::hint::black_box(get_bucket_ranges(*n, *c, w.as_deref()));
            }
        }
    });
    let c = per_sec(choices.len(), &mut || {
        for _ in 0..reps {
            for (n, r) in &choices {
                std::hint::black_box(choose_variation(*n, r));
            }
        }
    });
    println!("native.hash_per_sec={h:.0}");
    println!("native.bucket_per_sec={b:.0}");
    println!("native.choose_per_sec={c:.0}");
}

fn cidr() {
    for n in [10_000usize, 100_000, 1_000_000] {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let accounts: Vec<Attributes> = (0..50_000)
            .map(|i| {
                let mut a = Attributes::new();
                a.insert("company", json!(format!("Company {i}")));
                a.insert("industry", json!(format!("Industry {}", i % 40)));
                a
            })
            .collect();
        let prefixes: Vec<(Prefix, usize)> = (0..n)
            .filter_map(|_| {
                let account = (rng.next() % 50_000) as usize;
                let p = if rng.next() % 10 == 0 {
                    let a = Ipv6Addr::from((u128::from(rng.next()) << 64) | u128::from(rng.next()));
                    Prefix::new(IpAddr::V6(a), (16 + rng.next() % 49) as u8)
                } else {
                    let len = if rng.next() % 100 == 0 {
                        8 + rng.next() % 12
                    } else {
                        20 + rng.next() % 13
                    };
                    Prefix::new(IpAddr::V4(Ipv4Addr::from(rng.next() as u32)), len as u8)
                };
                p.map(|p| (p, account))
            })
            .collect();
        let rss_before = peak_rss_kib();
        let t = Instant::now();
        let mut builder = CidrTableBuilder::new();
        for (p, account) in &prefixes {
            if let Some(a) = accounts.get(*account) {
                builder.insert(*p, a.clone());
            }
        }
        let table = builder.build();
        let build = t.elapsed().as_secs_f64();
        let probes: Vec<IpAddr> = (0..200_000)
            .map(|_| IpAddr::V4(Ipv4Addr::from(rng.next() as u32)))
            .collect();
        let lookup = seconds(7, || {
            for ip in &probes {
                std::hint::black_box(table.lookup(*ip));
            }
        });
        println!("native.cidr_{n}_build_ms={:.0}", build * 1e3);
        println!(
            "native.cidr_{n}_index_mib={:.1}",
            table.index_bytes() as f64 / 1_048_576.0
        );
        println!(
            "native.cidr_{n}_peak_rss_growth_mib={:.0}",
            (peak_rss_kib().saturating_sub(rss_before)) as f64 / 1024.0
        );
        println!(
            "native.cidr_{n}_lookups_per_sec={:.0}",
            probes.len() as f64 / lookup
        );
    }
}

fn maxmind() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/maxmind/GeoIP2-City-Test.mmdb"
    );
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    let Ok(reader) = MmdbReader::from_bytes(bytes) else {
        return;
    };
    // Addresses that are in the test database (and a few that are not).
    let ips: Vec<IpAddr> = [
        "81.2.69.142",
        "2.125.160.216",
        "216.160.83.56",
        "89.160.20.112",
        "67.43.156.1",
        "1.1.1.1",
        "2001:218::1",
    ]
    .iter()
    .filter_map(|s| s.parse().ok())
    .collect();
    // A tenth under callgrind (scripts/profile.sh).
    let reps = if std::env::var_os("NURTURE_BENCH_QUICK").is_some() {
        2_000
    } else {
        20_000
    };
    let rate = |lookup: &dyn Fn(IpAddr)| {
        let t = seconds(7, || {
            for _ in 0..reps {
                ips.iter().for_each(|ip| lookup(*ip));
            }
        });
        (reps * ips.len()) as f64 / t
    };
    let full = rate(&|ip| {
        std::hint::black_box(reader.lookup(ip).ok());
    });
    println!("native.mmdb_city_lookups_per_sec={full:.0}");
    // The fields a visitor context reads, decoded alone.
    let fields = rate(&|ip| {
        std::hint::black_box(reader.lookup_fields(ip).ok());
    });
    println!("native.mmdb_city_fields_lookups_per_sec={fields:.0}");
}

fn main() {
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let only = std::env::var("NURTURE_BENCH_ONLY").unwrap_or_default();
    let run = |section: &str| only.is_empty() || only.split(',').any(|o| o == section);
    if run("conditions") {
        conditions();
    }
    if run("hashing") {
        hashing();
    }
    if run("maxmind") {
        maxmind();
    }
    if run("cidr") {
        cidr();
    }
}
