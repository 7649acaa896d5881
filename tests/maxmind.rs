//! MaxMind DB reader against MaxMind's test databases.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nurture::segment::ip::Prefix;
#[cfg(feature = "maxmind-fields")]
use nurture::segment::mmdb::{FieldValue, GeoFields};
use nurture::segment::mmdb::{MmdbError, MmdbReader};
use serde_json::{json, Value};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/maxmind/");

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn open(name: &str) -> MmdbReader<Vec<u8>> {
    MmdbReader::from_bytes(read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// A network from a source JSON file, in search-tree coordinates (IPv4
/// networks live at `::a.b.c.d/96+n`).
struct Net {
    text: String,
    prefix: Prefix,
    start: u128,
    end: u128,
    record: Value,
}

fn tree_range(p: &Prefix) -> (u128, u128, u8) {
    let (first, last, len) = match (p.first(), p.last()) {
        (IpAddr::V4(f), IpAddr::V4(l)) => (
            u128::from(u32::from(f)),
            u128::from(u32::from(l)),
            p.len() + 96,
        ),
        (IpAddr::V6(f), IpAddr::V6(l)) => (u128::from(f), u128::from(l), p.len()),
        _ => unreachable!(),
    };
    (first, last, len)
}

fn tree_pos(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn source(name: &str) -> Vec<Net> {
    let v: Value = serde_json::from_slice(&read(name)).unwrap();
    let mut out = Vec::new();
    for item in v.as_array().unwrap() {
        for (k, rec) in item.as_object().unwrap() {
            // Some source networks have host bits set (`::74.209.24.0/116`);
            // the writer masks them, and so does `Prefix::parse`.
            let parsed = Prefix::parse(k).unwrap();
            let (start, end, _) = tree_range(&parsed.prefix);
            out.push(Net {
                text: k.clone(),
                prefix: parsed.prefix,
                start,
                end,
                record: as_written(None, rec),
            });
        }
    }
    out
}

/// The record as the test writer stores it: numbers under these keys are
/// written as doubles (`"latitude": 37` reads back as `37.0`); every other
/// number is an unsigned integer and reads back unchanged.
fn as_written(key: Option<&str>, v: &Value) -> Value {
    const FLOAT_KEYS: [&str; 5] = [
        "ip_risk",
        "latitude",
        "longitude",
        "score",
        "static_ip_score",
    ];
    match v {
        Value::Number(n) if key.is_some_and(|k| FLOAT_KEYS.contains(&k)) => {
            json!(n.as_f64().unwrap())
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), as_written(Some(k), v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(|x| as_written(key, x)).collect()),
        other => other.clone(),
    }
}

/// Looks up the first and last address of every network in `json` and
/// compares with the record the writer stored there (a later network
/// inserted over an earlier one replaces it). Returns the number of
/// networks checked.
fn check_geoip(mmdb: &str, json: &str) -> usize {
    let reader = open(mmdb);
    let nets = source(json);
    let mut checked = 0;
    for (i, net) in nets.iter().enumerate() {
        let overlapped = nets
            .iter()
            .enumerate()
            .any(|(j, o)| j != i && o.start <= net.end && net.start <= o.end);
        for ip in [net.prefix.first(), net.prefix.last()] {
            let pos = tree_pos(ip);
            let winner = nets
                .iter()
                .rposition(|o| o.start <= pos && pos <= o.end)
                .unwrap();
            let expected = &nets[winner];
            let hit = reader
                .lookup(ip)
                .unwrap_or_else(|e| panic!("{mmdb} {ip}: {e}"))
                .unwrap_or_else(|| panic!("{mmdb} {ip} ({}): no record", net.text));
            assert_eq!(
                hit.record, expected.record,
                "{mmdb} {ip} (network {}, expected from {})",
                net.text, expected.text
            );
            assert!(hit.network.contains(ip), "{mmdb} {ip}");
            // The writer merges neighbours holding identical data, so the
            // matched network may be wider than the source network, never
            // narrower unless a later network was inserted inside it.
            if !overlapped {
                assert!(
                    hit.prefix_len <= net.prefix.len(),
                    "{mmdb} {ip}: /{} narrower than {}",
                    hit.prefix_len,
                    net.text
                );
            }
            // IPv4 networks are also reachable through the IPv6 tree at
            // ::a.b.c.d and through the IPv4-mapped alias.
            if let IpAddr::V4(v4) = ip {
                let compat = IpAddr::V6(Ipv6Addr::from(u128::from(u32::from(v4))));
                let hit6 = reader.lookup(compat).unwrap().unwrap();
                assert_eq!(hit6.record, hit.record);
                assert_eq!(hit6.prefix_len, hit.prefix_len + 96);
                let mapped = IpAddr::V6(v4.to_ipv6_mapped());
                assert_eq!(reader.lookup(mapped).unwrap().unwrap(), hit);
            }
        }
        checked += 1;
    }
    checked
}

#[test]
fn geoip2_city() {
    assert_eq!(
        check_geoip("GeoIP2-City-Test.mmdb", "GeoIP2-City-Test.json"),
        251
    );
}

#[test]
fn geoip2_country() {
    assert_eq!(
        check_geoip("GeoIP2-Country-Test.mmdb", "GeoIP2-Country-Test.json"),
        345
    );
}

#[test]
fn geoip2_connection_type() {
    assert_eq!(
        check_geoip(
            "GeoIP2-Connection-Type-Test.mmdb",
            "GeoIP2-Connection-Type-Test.json"
        ),
        25
    );
}

#[test]
fn geoip2_domain() {
    assert_eq!(
        check_geoip("GeoIP2-Domain-Test.mmdb", "GeoIP2-Domain-Test.json"),
        91
    );
}

#[test]
fn geoip2_enterprise() {
    assert_eq!(
        check_geoip("GeoIP2-Enterprise-Test.mmdb", "GeoIP2-Enterprise-Test.json"),
        34
    );
}

#[test]
fn geolite2_asn() {
    assert_eq!(
        check_geoip("GeoLite2-ASN-Test.mmdb", "GeoLite2-ASN-Test.json"),
        720
    );
}

#[test]
fn metadata_fields() {
    let r = open("GeoIP2-City-Test.mmdb");
    let m = r.metadata();
    assert_eq!(m.database_type, "GeoIP2-City");
    assert_eq!(m.ip_version, 6);
    assert_eq!(m.record_size, 28);
    assert_eq!(m.binary_format_major_version, 2);
    assert_eq!(m.binary_format_minor_version, 0);
    assert_eq!(m.languages, vec!["en", "zh"]);
    assert_eq!(
        m.description.get("zh").map(String::as_str),
        Some("小型数据库")
    );
    assert!(m.build_epoch > 1_600_000_000);
    assert!(m.node_count > 0);
}

/// The networks 1.1.1.1 .. 1.1.1.32 as the MaxMind test writer splits them.
const V4_NETS: [(&str, u8); 6] = [
    ("1.1.1.1", 32),
    ("1.1.1.2", 31),
    ("1.1.1.4", 30),
    ("1.1.1.8", 29),
    ("1.1.1.16", 28),
    ("1.1.1.32", 32),
];

/// ::1:ffff:ffff .. ::2:0:59.
const V6_NETS: [(&str, u8); 5] = [
    ("::1:ffff:ffff", 128),
    ("::2:0:0", 122),
    ("::2:0:40", 124),
    ("::2:0:50", 125),
    ("::2:0:58", 127),
];

fn check_v4_nets(reader: &MmdbReader<Vec<u8>>, ip_prefix: &str) -> usize {
    let mut n = 0;
    for (net, len) in V4_NETS {
        let p = Prefix::parse(&format!("{net}/{len}")).unwrap().prefix;
        for ip in [p.first(), p.last()] {
            let hit = reader.lookup(ip).unwrap().unwrap();
            assert_eq!(
                hit.record,
                json!({ "ip": format!("{ip_prefix}{net}") }),
                "{ip}"
            );
            assert_eq!(hit.prefix_len, len, "{ip}");
            assert_eq!(hit.network, p);
            n += 1;
        }
    }
    for miss in [
        "1.1.1.0",
        "1.1.1.33",
        "1.1.1.255",
        "0.0.0.0",
        "255.255.255.255",
    ] {
        assert_eq!(reader.lookup_str(miss).unwrap(), None, "{miss}");
    }
    n
}

fn check_v6_nets(reader: &MmdbReader<Vec<u8>>) -> usize {
    let mut n = 0;
    for (net, len) in V6_NETS {
        let p = Prefix::parse(&format!("{net}/{len}")).unwrap().prefix;
        for ip in [p.first(), p.last()] {
            let hit = reader.lookup(ip).unwrap().unwrap();
            assert_eq!(hit.record, json!({ "ip": net }), "{ip}");
            assert_eq!(hit.prefix_len, len, "{ip}");
            n += 1;
        }
    }
    for miss in ["::1:ffff:fffe", "::2:0:5a", "::", "ffff::"] {
        assert_eq!(reader.lookup_str(miss).unwrap(), None, "{miss}");
    }
    n
}

#[test]
fn test_db_ipv4_24() {
    let r = open("MaxMind-DB-test-ipv4-24.mmdb");
    assert_eq!(r.metadata().ip_version, 4);
    assert_eq!(r.metadata().record_size, 24);
    assert_eq!(check_v4_nets(&r, ""), 12);
    // IPv4-mapped IPv6 works; other IPv6 is an error in an IPv4 database.
    assert_eq!(
        r.lookup_str("::ffff:1.1.1.1").unwrap().unwrap().record,
        json!({"ip": "1.1.1.1"})
    );
    assert_eq!(
        r.lookup_str("::1:ffff:ffff"),
        Err(MmdbError::Ipv6InIpv4Database)
    );
}

#[test]
fn test_db_ipv6_24() {
    let r = open("MaxMind-DB-test-ipv6-24.mmdb");
    assert_eq!(r.metadata().ip_version, 6);
    assert_eq!(check_v6_nets(&r), 10);
    assert_eq!(r.lookup_str("1.1.1.1").unwrap(), None);
}

#[test]
fn test_db_mixed_24() {
    let r = open("MaxMind-DB-test-mixed-24.mmdb");
    assert_eq!(check_v4_nets(&r, "::"), 12);
    assert_eq!(check_v6_nets(&r), 10);
    // Aliases: IPv4-mapped and 6to4.
    for ip in ["::ffff:1.1.1.1", "2002:101:101::", "::1.1.1.1"] {
        assert_eq!(
            r.lookup_str(ip).unwrap().unwrap().record,
            json!({"ip": "::1.1.1.1"}),
            "{ip}"
        );
    }
    let hit = r.lookup_str("2002:101:101::").unwrap().unwrap();
    assert_eq!(hit.prefix_len, 48);
    assert_eq!(hit.network.to_string(), "2002:101:101::/48");
}

#[test]
fn decoder_all_types() {
    let r = open("MaxMind-DB-test-decoder.mmdb");
    let hit = r.lookup_str("::1.1.1.0").unwrap().unwrap();
    assert_eq!(hit.prefix_len, 120);
    let rec = hit.record;
    let float = rec["float"].as_f64().unwrap();
    assert!((float - 1.1).abs() < 1e-6, "{float}");
    let mut rest = rec.clone();
    rest.as_object_mut().unwrap().remove("float");
    assert_eq!(
        rest,
        json!({
            "array": [1, 2, 3],
            "boolean": true,
            "bytes": [0, 0, 0, 42],
            "double": 42.123456,
            "int32": -268435456,
            "map": {"mapX": {"arrayX": [7, 8, 9], "utf8_stringX": "hello"}},
            "uint16": 100,
            "uint32": 268435456,
            "uint64": 1152921504606846976u64,
            "uint128": "1329227995784915872903807060280344576",
            "utf8_string": "unicode! ☯ - ♫",
        })
    );
    // Same record through the IPv4 path.
    assert_eq!(r.lookup_str("1.1.1.1").unwrap().unwrap().record, rec);
    assert_eq!(r.lookup_str("1.1.1.1").unwrap().unwrap().prefix_len, 24);

    let zero = r.lookup_str("::0.0.0.0").unwrap().unwrap().record;
    assert_eq!(
        zero,
        json!({
            "array": [], "boolean": false, "bytes": [], "double": 0.0, "float": 0.0,
            "int32": 0, "map": {}, "uint16": 0, "uint32": 0, "uint64": 0,
            "uint128": 0, "utf8_string": "",
        })
    );
    let max = r.lookup_str("::255.255.255.255").unwrap().unwrap().record;
    assert_eq!(
        max,
        json!({
            "double": "Infinity", "float": "Infinity", "int32": 2147483647,
            "uint16": 65535, "uint32": 4294967295u32,
            "uint64": 18446744073709551615u64,
            "uint128": "340282366920938463463374607431768211455",
        })
    );
    for ip in [
        "::2.2.0.0",
        "::2.2.255.255",
        "::3.0.0.0",
        "::4.5.6.7",
        "abcd::",
        "1000::1234:ffff",
    ] {
        assert_eq!(
            r.lookup_str(ip).unwrap().unwrap().record["uint16"],
            json!(100),
            "{ip}"
        );
    }
}

#[test]
fn broken_pointers() {
    let r = open("MaxMind-DB-test-broken-pointers-24.mmdb");
    // Good records still decode.
    assert_eq!(
        r.lookup_str("1.1.1.1").unwrap().unwrap().record,
        json!({"ip": "1.1.1.1"})
    );
    // The record for 1.1.1.16/28 holds a pointer past the data section.
    let e = r.lookup_str("1.1.1.16").unwrap_err();
    assert!(matches!(e, MmdbError::CorruptData { .. }), "{e:?}");
    assert!(e.to_string().contains("pointer"), "{e}");
    // The tree record for 1.1.1.32 points past the data section.
    let e = r.lookup_str("1.1.1.32").unwrap_err();
    assert!(matches!(e, MmdbError::CorruptSearchTree(_)), "{e:?}");
}

#[test]
fn broken_search_tree() {
    let r = open("MaxMind-DB-test-broken-search-tree-24.mmdb");
    assert_eq!(
        r.lookup_str("1.1.1.1").unwrap().unwrap().record,
        json!({"ip": "1.1.1.1"})
    );
    // The root's right record points back to the root: a cycle. The walk is
    // bounded by the address width and reports the corruption.
    let e = r.lookup_str("255.255.255.255").unwrap_err();
    assert!(matches!(e, MmdbError::CorruptSearchTree(_)), "{e:?}");
}

#[test]
fn invalid_node_count() {
    let e = MmdbReader::from_bytes(read("GeoIP2-City-Test-Invalid-Node-Count.mmdb")).unwrap_err();
    assert!(matches!(e, MmdbError::InvalidNodeCount { .. }), "{e:?}");
    assert!(e.to_string().contains("node_count"), "{e}");
}

#[test]
fn not_a_database() {
    assert_eq!(
        MmdbReader::from_bytes(&b"hello"[..]).unwrap_err(),
        MmdbError::MetadataNotFound
    );
    assert_eq!(
        MmdbReader::from_bytes(&b""[..]).unwrap_err(),
        MmdbError::MetadataNotFound
    );
    let r = open("GeoIP2-City-Test.mmdb");
    assert!(matches!(
        r.lookup_str("not an ip"),
        Err(MmdbError::InvalidAddress(_))
    ));
}

/// The context's fields, as JSON values.
#[cfg(feature = "maxmind-fields")]
fn as_json<V: FieldValue>(f: &GeoFields<V>) -> Vec<(&'static str, Option<Value>)> {
    f.entries()
        .map(|(k, v)| (k, v.map(FieldValue::to_value)))
        .collect()
}

/// Every lookup outcome for a reader over damaged bytes: must return, not
/// panic or hang; the selective lookup answers like the full one whenever
/// that answers.
fn poke(bytes: &[u8]) -> usize {
    let Ok(r) = MmdbReader::from_bytes(bytes) else {
        return 0;
    };
    let ips: [IpAddr; 6] = [
        IpAddr::V4(Ipv4Addr::new(1, 1, 1, 1)),
        IpAddr::V4(Ipv4Addr::new(2, 125, 160, 216)),
        IpAddr::V4(Ipv4Addr::new(81, 2, 69, 160)),
        IpAddr::V4(Ipv4Addr::new(255, 255, 255, 255)),
        "2001:218::1".parse().unwrap(),
        "2a02:d200::1".parse().unwrap(),
    ];
    let mut answered = 1;
    for ip in ips {
        let Ok(full) = r.lookup(ip) else {
            continue;
        };
        answered += 1;
        // The selective lookup checks less, never more: whenever the full
        // lookup answers, it answers the same fields.
        #[cfg(feature = "maxmind-fields")]
        assert_eq!(
            r.lookup_fields(ip)
                .unwrap_or_else(|e| panic!("{ip}: {e}"))
                .map(|f| as_json(&f)),
            full.map(|m| as_json(&GeoFields::from_record(&m.record))),
            "{ip}"
        );
        #[cfg(not(feature = "maxmind-fields"))]
        let _ = full;
    }
    answered
}

#[test]
fn truncated_files_never_panic() {
    for name in [
        "MaxMind-DB-test-decoder.mmdb",
        "MaxMind-DB-test-mixed-24.mmdb",
        "GeoIP2-City-Test.mmdb",
    ] {
        let bytes = read(name);
        let step = (bytes.len() / 1500).max(1);
        let mut opened = 0;
        let mut len = 0;
        while len <= bytes.len() {
            if poke(&bytes[..len]) > 0 {
                opened += 1;
            }
            len += step;
        }
        // Cutting the end removes the metadata, so only the full file opens.
        assert_eq!(poke(&bytes), 7, "{name}");
        assert!(opened <= 2, "{name}: {opened}");
        // Cutting the front keeps the metadata: the tree no longer fits
        // or points at garbage.
        let mut start = 1;
        while start < bytes.len() {
            poke(&bytes[start..]);
            start += step;
        }
    }
}

/// Flips bytes all over a valid file (deterministic pseudo-random): every
/// open and lookup must return.
#[test]
fn corrupted_bytes_never_panic() {
    let good = read("GeoIP2-City-Test.mmdb");
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..2000 {
        let mut b = good.clone();
        for _ in 0..(next() % 8 + 1) {
            let i = (next() as usize) % b.len();
            b[i] = next() as u8;
        }
        poke(&b);
    }
    // Also corrupt the metadata region specifically.
    let marker = good.len() - 300;
    for i in marker..good.len() {
        for v in [0u8, 0xff, 0x1f, 0xe0] {
            let mut b = good.clone();
            b[i] = v;
            poke(&b);
        }
    }
}

/// Lookup + decode throughput on the City test database
/// (`cargo test --release --test maxmind -- --ignored --nocapture`).
#[test]
#[ignore]
fn bench_city_lookups() {
    let r = open("GeoIP2-City-Test.mmdb");
    let ips: Vec<IpAddr> = [
        "81.2.69.160",
        "2.125.160.216",
        "175.16.199.1",
        "2001:218::1",
        "1.1.1.1",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    let n = 200_000;
    let t0 = std::time::Instant::now();
    let mut hits = 0;
    for i in 0..n {
        if r.lookup(ips[i % ips.len()]).unwrap().is_some() {
            hits += 1;
        }
    }
    let el = t0.elapsed();
    println!(
        "mmdb: {n} lookups+decodes in {el:?} = {:.0} k/s ({hits} hits)",
        n as f64 / el.as_secs_f64() / 1e3
    );
}
