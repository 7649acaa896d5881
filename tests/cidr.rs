//! Named-account CIDR table: loading, boundaries, overlaps, bad input,
//! and a 1,000,000-prefix benchmark (`cargo test --release --test cidr --
//! --ignored --nocapture`).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Instant;

use nurture::segment::cidr::{Attributes, CidrTable, CidrTableBuilder, IssueKind};
use nurture::segment::ip::Prefix;
use serde_json::{json, Value};

fn company(t: &CidrTable, ip: &str) -> Option<String> {
    t.lookup_str(ip)
        .unwrap()
        .map(|m| m.attributes.company().unwrap_or("?").to_string())
}

fn matched(t: &CidrTable, ip: &str) -> Option<String> {
    t.lookup_str(ip).unwrap().map(|m| m.prefix.to_string())
}

const CSV: &str = "\
# accounts exported 2024-05-01
cidr,company,domain,industry,size
10.0.0.0/16,Acme Corp,acme.com,Manufacturing,5000

10.0.5.0/24,\"Acme Robotics, Inc.\",robotics.acme.com,Robotics,200
192.0.2.7,Solo Host,solo.example,,
2001:db8::/32,V6 Co,v6.example,Telecom,51-200
2001:db8:1::/48,\"V6 \"\"Sub\"\"\",sub.v6.example,Telecom,12
0.0.0.0/0,Everyone,,,
";

#[test]
fn csv_load_and_lookup() {
    let loaded = CidrTable::from_csv(CSV);
    assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
    assert!(loaded.warnings.is_empty());
    let t = loaded.table;
    assert_eq!(t.len(), 6);
    let m = t.lookup_str("10.0.5.9").unwrap().unwrap();
    assert_eq!(m.attributes.company(), Some("Acme Robotics, Inc."));
    assert_eq!(m.attributes.domain(), Some("robotics.acme.com"));
    assert_eq!(m.attributes.industry(), Some("Robotics"));
    assert_eq!(m.attributes.size(), Some(&json!(200)));
    assert_eq!(m.prefix.to_string(), "10.0.5.0/24");
    let m = t.lookup_str("10.0.6.1").unwrap().unwrap();
    assert_eq!(m.attributes.company(), Some("Acme Corp"));
    assert_eq!(m.attributes.size(), Some(&json!(5000)));
    // Empty fields are omitted.
    let m = t.lookup_str("192.0.2.7").unwrap().unwrap();
    assert_eq!(m.attributes.industry(), None);
    assert_eq!(m.prefix.len(), 32);
    let m = t.lookup_str("2001:db8:1:2::3").unwrap().unwrap();
    assert_eq!(m.attributes.company(), Some("V6 \"Sub\""));
    let m = t.lookup_str("2001:db8:2::").unwrap().unwrap();
    assert_eq!(m.attributes.size(), Some(&json!("51-200")));
    // /0 catches every other IPv4 address, but no IPv6 address.
    assert_eq!(company(&t, "8.8.8.8").as_deref(), Some("Everyone"));
    assert_eq!(matched(&t, "255.255.255.255").as_deref(), Some("0.0.0.0/0"));
    assert_eq!(company(&t, "2001:db9::"), None);
}

#[test]
fn boundaries() {
    let csv = "network,company\n10.1.0.0/16,Parent\n10.1.2.0/24,Child\n10.1.2.128/25,Grandchild\n10.1.255.255/32,Last\n";
    let t = CidrTable::from_csv(csv).table;
    let cases = [
        ("10.0.255.255", None),
        ("10.1.0.0", Some("Parent")),
        ("10.1.1.255", Some("Parent")),
        ("10.1.2.0", Some("Child")),
        ("10.1.2.127", Some("Child")),
        ("10.1.2.128", Some("Grandchild")),
        ("10.1.2.255", Some("Grandchild")),
        ("10.1.3.0", Some("Parent")),
        ("10.1.255.254", Some("Parent")),
        ("10.1.255.255", Some("Last")),
        ("10.2.0.0", None),
    ];
    for (ip, want) in cases {
        assert_eq!(company(&t, ip).as_deref(), want, "{ip}");
    }
    assert_eq!(matched(&t, "10.1.3.0").as_deref(), Some("10.1.0.0/16"));
    assert_eq!(matched(&t, "10.1.2.200").as_deref(), Some("10.1.2.128/25"));
}

#[test]
fn extremes_v4_and_v6() {
    let csv = "cidr,company\n\
               0.0.0.0/32,Zero\n\
               255.255.255.255/32,Max\n\
               ::/0,AllV6\n\
               ::/128,ZeroV6\n\
               ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128,MaxV6\n\
               ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127,Pair\n";
    let loaded = CidrTable::from_csv(csv);
    assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
    let t = loaded.table;
    assert_eq!(company(&t, "0.0.0.0").as_deref(), Some("Zero"));
    assert_eq!(company(&t, "0.0.0.1"), None);
    assert_eq!(company(&t, "255.255.255.254"), None);
    assert_eq!(company(&t, "255.255.255.255").as_deref(), Some("Max"));
    assert_eq!(company(&t, "::").as_deref(), Some("ZeroV6"));
    assert_eq!(company(&t, "::1").as_deref(), Some("AllV6"));
    assert_eq!(
        company(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffd").as_deref(),
        Some("AllV6")
    );
    assert_eq!(
        company(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe").as_deref(),
        Some("Pair")
    );
    assert_eq!(
        company(&t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff").as_deref(),
        Some("MaxV6")
    );
    // ::ffff:0:0/96 is IPv4-mapped space: looked up as IPv4, not covered by ::/0.
    assert_eq!(company(&t, "::ffff:0.0.0.0").as_deref(), Some("Zero"));
    assert_eq!(company(&t, "::ffff:0.0.0.1"), None);
    assert_eq!(
        company(&t, "::ffff:255.255.255.255").as_deref(),
        Some("Max")
    );
}

#[test]
fn v4_mapped_lookups_and_entries() {
    let csv = "cidr,company\n1.2.3.0/24,V4\n::ffff:5.6.0.0/112,MappedEntry\n";
    let t = CidrTable::from_csv(csv).table;
    assert_eq!(company(&t, "::ffff:1.2.3.4").as_deref(), Some("V4"));
    assert_eq!(company(&t, "1.2.3.4").as_deref(), Some("V4"));
    let m = t.lookup_str("::ffff:1.2.3.4").unwrap().unwrap();
    assert_eq!(m.prefix.to_string(), "1.2.3.0/24");
    // A mapped prefix is stored as IPv4 (5.6.0.0/16).
    assert_eq!(company(&t, "5.6.7.8").as_deref(), Some("MappedEntry"));
    assert_eq!(matched(&t, "5.6.7.8").as_deref(), Some("5.6.0.0/16"));
    // IPv4-compatible (::1.2.3.4) is plain IPv6.
    assert_eq!(company(&t, "::1.2.3.4"), None);
}

#[test]
fn malformed_csv_lines_are_reported_and_skipped() {
    let csv = "\
cidr,company
10.0.0.0/8,Good
192.168.0.0/16,Also good
not-an-ip,Bad
10.0.0.0/33,TooLong
10.0.0.1/8,HostBits
2001:db8::/129,TooLong6
10.1.0.0/16,Sub,extra
,Empty
10.0.0.0/8,Duplicate
01.2.3.4/32,LeadingZero
1.2.3.4/abc,BadLen
\"1.2.3.0/24,unterminated
";
    let loaded = CidrTable::from_csv(csv);
    let lines: Vec<(usize, IssueKind)> = loaded.rejected.iter().map(|i| (i.line, i.kind)).collect();
    assert_eq!(
        lines,
        vec![
            (4, IssueKind::BadPrefix),
            (5, IssueKind::BadPrefix),
            (6, IssueKind::Duplicate),
            (7, IssueKind::BadPrefix),
            (8, IssueKind::BadRecord),
            (9, IssueKind::MissingPrefix),
            (10, IssueKind::Duplicate),
            (11, IssueKind::BadPrefix),
            (12, IssueKind::BadPrefix),
            (13, IssueKind::BadRecord),
        ]
    );
    let msgs: Vec<String> = loaded.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        msgs[1],
        "line 5: \"10.0.0.0/33\": prefix length 33 is longer than 32"
    );
    assert_eq!(
        msgs[3],
        "line 7: \"2001:db8::/129\": prefix length 129 is longer than 128"
    );
    assert!(
        msgs[0].contains("not a valid IPv4 or IPv6 address"),
        "{}",
        msgs[0]
    );
    assert!(msgs[2].contains("duplicate of line 2"), "{}", msgs[2]);
    assert!(msgs[6].contains("duplicate of line 2"), "{}", msgs[6]);
    assert_eq!(loaded.warnings.len(), 1);
    assert_eq!(loaded.warnings[0].line, 6);
    assert_eq!(loaded.warnings[0].kind, IssueKind::HostBitsMasked);
    assert!(loaded.warnings[0].reason.contains("10.0.0.0/8"));
    // Good lines kept; first of the duplicates wins; the masked line 6 is
    // itself a duplicate of line 2 once masked.
    let t = loaded.table;
    assert_eq!(company(&t, "10.9.9.9").as_deref(), Some("Good"));
    assert_eq!(company(&t, "192.168.1.1").as_deref(), Some("Also good"));
    assert_eq!(t.len(), 2);
}

#[test]
fn csv_header_without_prefix_column() {
    let loaded = CidrTable::from_csv("company,domain\nAcme,acme.com\n");
    assert_eq!(loaded.rejected.len(), 1);
    assert_eq!(loaded.rejected[0].kind, IssueKind::BadHeader);
    assert!(loaded.table.is_empty());
    let loaded = CidrTable::from_csv("");
    assert!(loaded.rejected.is_empty());
    assert!(loaded.table.is_empty());
}

#[test]
fn json_load() {
    let text = r#"[
  {"cidr": "203.0.113.0/24", "company": "Example", "domain": "example.com", "size": 120, "tier": "gold"},
  {"cidr": "203.0.113.128/25", "company": "Example EU", "domain": "example.eu"},
  {"network": "2001:db8::/32", "company": "Six"},
  {"cidr": "203.0.113.0/40", "company": "Bad"},
  {"company": "NoCidr"},
  42,
  {"cidr": 7},
  {"cidr": "198.51.100.1/24", "company": "Masked"}
]"#;
    let loaded = CidrTable::from_json(text);
    let lines: Vec<(usize, IssueKind)> = loaded.rejected.iter().map(|i| (i.line, i.kind)).collect();
    assert_eq!(
        lines,
        vec![
            (5, IssueKind::BadPrefix),
            (6, IssueKind::MissingPrefix),
            (7, IssueKind::BadRecord),
            (8, IssueKind::BadPrefix),
        ]
    );
    assert_eq!(
        loaded.rejected[0].to_string(),
        "line 5: \"203.0.113.0/40\": prefix length 40 is longer than 32"
    );
    assert_eq!(loaded.warnings.len(), 1);
    assert_eq!(loaded.warnings[0].line, 9);
    let t = loaded.table;
    assert_eq!(t.len(), 4);
    let m = t.lookup_str("203.0.113.5").unwrap().unwrap();
    assert_eq!(m.attributes.get("tier"), Some(&json!("gold")));
    assert_eq!(m.attributes.size(), Some(&json!(120)));
    assert_eq!(company(&t, "203.0.113.200").as_deref(), Some("Example EU"));
    assert_eq!(company(&t, "2001:db8::1").as_deref(), Some("Six"));
    assert_eq!(company(&t, "198.51.100.77").as_deref(), Some("Masked"));
}

#[test]
fn json_lines_and_broken_json() {
    let text = "{\"cidr\": \"10.0.0.0/8\", \"company\": \"A\"}\n\n{\"cidr\": \"11.0.0.0/8\", \"company\": \n{\"cidr\": \"12.0.0.0/8\", \"company\": \"C\"}\n";
    let loaded = CidrTable::from_json(text);
    assert_eq!(loaded.rejected.len(), 1);
    assert_eq!(loaded.rejected[0].line, 3);
    assert_eq!(loaded.table.len(), 2);
    let loaded = CidrTable::from_json("[{\"cidr\": \"10.0.0.0/8\"}, {\"cidr\": ");
    assert_eq!(loaded.table.len(), 1);
    assert_eq!(loaded.rejected.len(), 1);
    assert!(loaded.rejected[0].reason.contains("unterminated"));
}

#[test]
fn garbage_addresses_are_rejected_on_lookup() {
    let t = CidrTable::from_csv("cidr,company\n0.0.0.0/0,All\n").table;
    for bad in [
        "",
        "1.2.3",
        "1.2.3.4.5",
        "256.1.1.1",
        "01.2.3.4",
        "1.2.3.4/8",
        "::g",
        "x",
    ] {
        assert!(t.lookup_str(bad).is_err(), "{bad:?}");
    }
    assert!(t.lookup_str(" 1.2.3.4 ").unwrap().is_some());
}

#[test]
fn identical_prefix_in_builder_first_wins() {
    let mut b = CidrTableBuilder::new();
    let mut a1 = Attributes::new();
    a1.insert("company", json!("First"));
    let mut a2 = Attributes::new();
    a2.insert("company", json!("Second"));
    let p = Prefix::parse("10.0.0.0/8").unwrap().prefix;
    b.insert(p, a1);
    b.insert(p, a2);
    let (t, dups) = b.build_with_duplicates();
    assert_eq!(dups.len(), 1);
    assert_eq!((dups[0].kept_tag, dups[0].dropped_tag), (0, 1));
    assert_eq!(company(&t, "10.1.1.1").as_deref(), Some("First"));
}

/// Brute-force check against a naive longest-prefix match on random
/// nested prefixes.
#[test]
fn matches_naive_longest_prefix() {
    let mut rng = Rng(7);
    let mut prefixes: Vec<(u32, u8, usize)> = Vec::new();
    let mut b = CidrTableBuilder::new();
    for i in 0..3000 {
        // Concentrate in 10.0.0.0/12 to force heavy nesting.
        let addr = 0x0A00_0000 | (rng.next() as u32 & 0x000F_FFFF);
        let len = 12 + (rng.next() % 21) as u8;
        let p = Prefix::new(IpAddr::V4(Ipv4Addr::from(addr)), len).unwrap();
        let IpAddr::V4(net) = p.addr() else {
            unreachable!()
        };
        let mut a = Attributes::new();
        a.insert("company", json!(format!("c{}", i % 50)));
        a.insert("id", json!(i));
        if !prefixes
            .iter()
            .any(|(n, l, _)| *n == u32::from(net) && *l == len)
        {
            prefixes.push((u32::from(net), len, i));
        }
        b.insert(p, a);
    }
    let t = b.build();
    for _ in 0..50_000 {
        let ip = 0x0A00_0000 | (rng.next() as u32 & 0x001F_FFFF);
        let naive = prefixes
            .iter()
            .filter(|(n, l, _)| {
                let mask = if *l == 0 {
                    0
                } else {
                    u32::MAX << (32 - u32::from(*l))
                };
                ip & mask == *n
            })
            .max_by_key(|(_, l, _)| *l)
            .map(|(_, _, id)| *id);
        let got = t
            .lookup(IpAddr::V4(Ipv4Addr::from(ip)))
            .map(|m| m.attributes.get("id").and_then(Value::as_u64).unwrap() as usize);
        assert_eq!(got, naive, "{}", Ipv4Addr::from(ip));
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// 1,000,000 random prefixes (90% IPv4 /8-/32, 10% IPv6 /16-/64) over
/// 50,000 accounts, loaded from CSV text, then random lookups.
#[test]
#[ignore]
fn bench_one_million_prefixes() {
    let mut rng = Rng(42);
    let n = 1_000_000;
    let mut csv = String::with_capacity(n * 60);
    csv.push_str("cidr,company,domain,industry,size\n");
    for _ in 0..n {
        let account = rng.next() % 50_000;
        if rng.next().is_multiple_of(10) {
            let len = 16 + rng.next() % 49;
            let a = Ipv6Addr::from((u128::from(rng.next()) << 64) | u128::from(rng.next()));
            let p = Prefix::new(IpAddr::V6(a), len as u8).unwrap();
            csv.push_str(&p.to_string());
        } else {
            // Mostly /20-/32, like real company allocations; some wide ones.
            let len = if rng.next().is_multiple_of(100) {
                8 + rng.next() % 12
            } else {
                20 + rng.next() % 13
            };
            let a = Ipv4Addr::from(rng.next() as u32);
            let p = Prefix::new(IpAddr::V4(a), len as u8).unwrap();
            csv.push_str(&p.to_string());
        }
        csv.push_str(&format!(
            ",Company {account},c{account}.example,Industry {},{}\n",
            account % 40,
            account % 5000
        ));
    }
    let t0 = Instant::now();
    let loaded = CidrTable::from_csv(&csv);
    let load = t0.elapsed();
    let t = loaded.table;
    let (i4, i6) = t.interval_counts();
    println!(
        "loaded {} prefixes ({} duplicates rejected) from {} MB of CSV in {:?}",
        t.len(),
        loaded.rejected.len(),
        csv.len() / 1_000_000,
        load
    );
    println!(
        "intervals v4={i4} v6={i6}, attribute sets={}, index bytes={} ({:.1} MB)",
        t.attribute_sets(),
        t.index_bytes(),
        t.index_bytes() as f64 / 1e6
    );

    // Builder path only (no CSV parsing), shared attributes.
    let mut rng = Rng(43);
    let accounts: Vec<Attributes> = (0..50_000)
        .map(|i| {
            let mut a = Attributes::new();
            a.insert("company", json!(format!("Company {i}")));
            a
        })
        .collect();
    let mut prefixes = Vec::with_capacity(n);
    for _ in 0..n {
        let len = 20 + rng.next() % 13;
        let p = Prefix::new(IpAddr::V4(Ipv4Addr::from(rng.next() as u32)), len as u8).unwrap();
        prefixes.push((p, (rng.next() % 50_000) as usize));
    }
    let t0 = Instant::now();
    let mut b = CidrTableBuilder::new();
    for (p, a) in &prefixes {
        b.insert(*p, accounts[*a].clone());
    }
    let t2 = b.build();
    println!(
        "builder: {} v4 prefixes in {:?}, index bytes={}",
        t2.len(),
        t0.elapsed(),
        t2.index_bytes()
    );

    let queries: Vec<IpAddr> = (0..2_000_000)
        .map(|_| IpAddr::V4(Ipv4Addr::from(rng.next() as u32)))
        .collect();
    let t0 = Instant::now();
    let mut hits = 0usize;
    for q in &queries {
        if t.lookup(*q).is_some() {
            hits += 1;
        }
    }
    let el = t0.elapsed();
    println!(
        "v4 lookups: {} in {:?} = {:.1} M/s ({hits} hits)",
        queries.len(),
        el,
        queries.len() as f64 / el.as_secs_f64() / 1e6
    );
    let queries6: Vec<IpAddr> = (0..1_000_000)
        .map(|_| {
            IpAddr::V6(Ipv6Addr::from(
                (u128::from(rng.next()) << 64) | u128::from(rng.next()),
            ))
        })
        .collect();
    let t0 = Instant::now();
    let mut hits6 = 0usize;
    for q in &queries6 {
        if t.lookup(*q).is_some() {
            hits6 += 1;
        }
    }
    let el = t0.elapsed();
    println!(
        "v6 lookups: {} in {:?} = {:.1} M/s ({hits6} hits)",
        queries6.len(),
        el,
        queries6.len() as f64 / el.as_secs_f64() / 1e6
    );
    assert_eq!(t.len() + loaded.rejected.len(), n);
    assert!(t.len() > 900_000);
}
