//! The selective MaxMind lookup (`MmdbReader::lookup_fields`) against the
//! full-record lookup: the same fields for every network of MaxMind's test
//! databases, and typed errors (never a panic) on damaged files.
#![cfg(feature = "maxmind-fields")]

use std::collections::BTreeMap;
use std::net::IpAddr;

use nurture::personalize::{build_context, IpDatabase, OrgRules, Tables, Visitor};
use nurture::segment::ip::Prefix;
use nurture::segment::mmdb::{Field, FieldValue, GeoFields, MmdbError, MmdbReader};
use serde_json::{json, Value};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/maxmind/");

fn read(name: &str) -> Vec<u8> {
    std::fs::read(format!("{DIR}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn open(name: &str) -> MmdbReader<Vec<u8>> {
    MmdbReader::from_bytes(read(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The fields as the JSON values a context stores, absent ones left out.
fn as_json<V: FieldValue>(f: &GeoFields<V>) -> BTreeMap<&'static str, Value> {
    f.entries()
        .filter_map(|(k, v)| v.map(|v| (k, v.to_value())))
        .collect()
}

/// First, middle and last address of every network in a test database's
/// JSON source.
fn addresses(json: &str) -> Vec<IpAddr> {
    let v: Value = serde_json::from_slice(&read(json)).unwrap();
    let mut out = Vec::new();
    for item in v.as_array().unwrap() {
        for key in item.as_object().unwrap().keys() {
            let p = Prefix::parse(key).unwrap().prefix;
            let mid = match (p.first(), p.last()) {
                (IpAddr::V4(a), IpAddr::V4(b)) => {
                    let (a, b) = (u32::from(a), u32::from(b));
                    IpAddr::V4((a + (b - a) / 2).into())
                }
                (IpAddr::V6(a), IpAddr::V6(b)) => {
                    let (a, b) = (u128::from(a), u128::from(b));
                    IpAddr::V6((a + (b - a) / 2).into())
                }
                _ => unreachable!(),
            };
            out.extend([p.first(), mid, p.last()]);
        }
    }
    out
}

/// For every address of `json`, the selective fields equal those taken
/// from the full record. Returns how often each field was present.
fn same_as_full(mmdb: &str, json: &str) -> BTreeMap<&'static str, usize> {
    let reader = open(mmdb);
    let mut seen = BTreeMap::new();
    let ips = addresses(json);
    assert!(ips.len() > 20, "{json}: {} addresses", ips.len());
    for ip in ips {
        let full = reader
            .lookup(ip)
            .unwrap_or_else(|e| panic!("{mmdb} {ip}: {e}"));
        let fields = reader
            .lookup_fields(ip)
            .unwrap_or_else(|e| panic!("{mmdb} {ip}: {e}"));
        let (Some(full), Some(fields)) = (full, fields) else {
            panic!("{mmdb} {ip}: a record for one lookup and not the other");
        };
        let expected = as_json(&GeoFields::from_record(&full.record));
        let got = as_json(&fields);
        assert_eq!(got, expected, "{mmdb} {ip}");
        for k in got.keys() {
            *seen.entry(*k).or_insert(0) += 1;
        }
    }
    seen
}

#[test]
fn city_fields_match_the_full_record() {
    let seen = same_as_full("GeoIP2-City-Test.mmdb", "GeoIP2-City-Test.json");
    for key in [
        "country",
        "countryName",
        "continent",
        "region",
        "regionName",
        "city",
        "postalCode",
        "timezone",
        "registeredCountry",
    ] {
        assert!(seen.get(key).copied().unwrap_or(0) > 0, "{key}: {seen:?}");
    }
}

#[test]
fn country_fields_match_the_full_record() {
    let seen = same_as_full("GeoIP2-Country-Test.mmdb", "GeoIP2-Country-Test.json");
    assert!(seen["country"] > 100, "{seen:?}");
    assert!(!seen.contains_key("city"), "{seen:?}");
}

#[test]
fn asn_fields_match_the_full_record() {
    let seen = same_as_full("GeoLite2-ASN-Test.mmdb", "GeoLite2-ASN-Test.json");
    assert!(seen["asn"] > 1000, "{seen:?}");
    assert!(seen["asOrganization"] > 1000, "{seen:?}");
}

#[test]
fn connection_type_fields_match_the_full_record() {
    let seen = same_as_full(
        "GeoIP2-Connection-Type-Test.mmdb",
        "GeoIP2-Connection-Type-Test.json",
    );
    assert!(seen["connectionType"] > 20, "{seen:?}");
}

#[test]
fn domain_fields_match_the_full_record() {
    let seen = same_as_full("GeoIP2-Domain-Test.mmdb", "GeoIP2-Domain-Test.json");
    assert!(seen["domain"] > 100, "{seen:?}");
}

#[test]
fn enterprise_fields_match_the_full_record() {
    let seen = same_as_full("GeoIP2-Enterprise-Test.mmdb", "GeoIP2-Enterprise-Test.json");
    // Network facts under `traits`.
    for key in [
        "asn",
        "asOrganization",
        "isp",
        "organization",
        "connectionType",
        "userType",
        "city",
        "region",
    ] {
        assert!(seen.get(key).copied().unwrap_or(0) > 0, "{key}: {seen:?}");
    }
}

/// A database that only answers whole records: the context takes its
/// fields from them (the trait's default, and the page build's path).
struct FullRecords(MmdbReader<Vec<u8>>);

impl IpDatabase for FullRecords {
    fn record(&self, ip: IpAddr) -> Option<Value> {
        self.0.record(ip)
    }
}

/// The visitor context built over the selective lookups equals the one
/// built over full records, for every address of the City, Enterprise,
/// ASN and Connection-Type sources, with all four databases at once.
#[test]
fn contexts_are_the_same_either_way() {
    let names = [
        "GeoIP2-Connection-Type-Test",
        "GeoLite2-ASN-Test",
        "GeoIP2-Enterprise-Test",
        "GeoIP2-City-Test",
    ];
    let fast: Vec<MmdbReader<Vec<u8>>> = names.iter().map(|n| open(&format!("{n}.mmdb"))).collect();
    let slow: Vec<FullRecords> = names
        .iter()
        .map(|n| FullRecords(open(&format!("{n}.mmdb"))))
        .collect();
    let fast: Vec<&dyn IpDatabase> = fast.iter().map(|d| d as &dyn IpDatabase).collect();
    let slow: Vec<&dyn IpDatabase> = slow.iter().map(|d| d as &dyn IpDatabase).collect();
    let rules = OrgRules::default();
    let mut with_city = 0;
    for n in names {
        for ip in addresses(&format!("{n}.json")) {
            let visitor = Visitor {
                id: "v".into(),
                ip: Some(ip.to_string()),
                ..Visitor::default()
            };
            let build = |dbs: &[&dyn IpDatabase]| {
                let tables = Tables {
                    accounts: None,
                    maxmind: dbs,
                };
                build_context(&visitor, &tables, &rules, 3)
            };
            let ctx = build(&fast);
            assert_eq!(ctx, build(&slow), "{ip}");
            if ctx.get("city").is_some() {
                with_city += 1;
            }
        }
    }
    assert!(with_city > 50, "{with_city}");
}

#[test]
fn known_addresses() {
    let city = open("GeoIP2-City-Test.mmdb");
    let f = city.lookup_fields_str("81.2.69.142").unwrap().unwrap();
    assert_eq!(
        Value::from_iter(as_json(&f).into_iter().map(|(k, v)| (k.to_string(), v))),
        json!({"country": "GB", "countryName": "United Kingdom", "continent": "EU",
            "region": "ENG", "regionName": "England", "city": "London",
            "timezone": "Europe/London", "registeredCountry": "US"})
    );
    // IPv4-mapped IPv6 is looked up as IPv4.
    assert_eq!(
        city.lookup_fields_str("::ffff:81.2.69.142").unwrap(),
        Some(f)
    );
    assert_eq!(city.lookup_fields_str("1.1.1.1").unwrap(), None);
    assert!(matches!(
        city.lookup_fields_str("81.2.69"),
        Err(MmdbError::InvalidAddress(_))
    ));
    let asn = open("GeoLite2-ASN-Test.mmdb");
    let f = asn.lookup_fields_str("1.0.0.1").unwrap().unwrap();
    assert_eq!(f.get(Field::Asn).map(|v| v.to_value()), Some(json!(15169)));
    assert_eq!(
        f.get(Field::AsOrganization).map(|v| v.to_value()),
        Some(json!("Google Inc."))
    );
    let v4 = open("MaxMind-DB-test-ipv4-24.mmdb");
    assert!(matches!(
        v4.lookup_fields_str("::1"),
        Err(MmdbError::Ipv6InIpv4Database)
    ));
}

/// The decoder test database holds every type under keys no context reads:
/// all are skipped, none is returned.
#[test]
fn every_type_is_skipped() {
    let r = open("MaxMind-DB-test-decoder.mmdb");
    let mut hits = 0;
    for ip in ["1.1.1.1", "::1.1.1.3", "::2.2.0.1", "::0.0.0.0"] {
        if let Some(f) = r.lookup_fields_str(ip).unwrap() {
            assert_eq!(f, GeoFields::default(), "{ip}");
            hits += 1;
        }
    }
    assert!(hits >= 2, "{hits}");
}

#[test]
fn broken_pointers_are_typed_errors() {
    let r = open("MaxMind-DB-test-broken-pointers-24.mmdb");
    assert_eq!(
        r.lookup_fields_str("1.1.1.1").unwrap(),
        Some(GeoFields::default())
    );
    // The record for 1.1.1.16/28 is a pointer past the data section.
    let e = r.lookup_fields_str("1.1.1.16").unwrap_err();
    assert!(matches!(e, MmdbError::CorruptData { .. }), "{e:?}");
    let e = r.lookup_fields_str("1.1.1.32").unwrap_err();
    assert!(matches!(e, MmdbError::CorruptSearchTree(_)), "{e:?}");
    let r = open("MaxMind-DB-test-broken-search-tree-24.mmdb");
    let e = r.lookup_fields_str("255.255.255.255").unwrap_err();
    assert!(matches!(e, MmdbError::CorruptSearchTree(_)), "{e:?}");
}

/// A map whose values all point back to itself, with 100 `country` keys
/// and 100 `names` keys: read naively, country × names × pairs is two
/// million items. The walk stops at its item budget with a typed error.
#[test]
fn pointer_fan_out_is_bounded() {
    // `n` pairs, alternately `country` and `names`, all pointing to the
    // map itself (offset 0).
    let self_map = |n: usize| {
        let mut data = head(7, n);
        for i in 0..n {
            data.extend(s(if i % 2 == 0 { "country" } else { "names" }));
            data.extend([0x20, 0x00]);
        }
        let r = MmdbReader::from_bytes(single_record_db(&data)).unwrap();
        // `Ok(true)`: a record, with none of the fields.
        r.lookup_fields_str("1.2.3.4")
            .map(|f| f == Some(GeoFields::default()))
    };
    let got = self_map(200);
    assert!(
        matches!(got, Err(MmdbError::RecordTooLarge { .. })),
        "{got:?}"
    );
    // The same map with 10 of each answers (nothing to find).
    assert_eq!(self_map(20), Ok(true));
}

/// An IPv4 database with one node whose both records point at the data
/// section's first byte, holding `data`.
fn single_record_db(data: &[u8]) -> Vec<u8> {
    // node_count 1, record size 24: record value = node_count + 16 → data
    // offset 0.
    let mut b = vec![0x00, 0x00, 0x11, 0x00, 0x00, 0x11];
    b.extend([0u8; 16]);
    b.extend(data);
    b.extend(b"\xAB\xCD\xEFMaxMind.com");
    // Metadata map of 6 pairs.
    b.push(0xe6);
    let key = |b: &mut Vec<u8>, k: &str| {
        b.push(0x40 | k.len() as u8);
        b.extend(k.as_bytes());
    };
    key(&mut b, "binary_format_major_version");
    b.extend([0xa1, 2]);
    key(&mut b, "record_size");
    b.extend([0xa1, 24]);
    key(&mut b, "ip_version");
    b.extend([0xa1, 4]);
    key(&mut b, "node_count");
    b.extend([0xc1, 1]);
    key(&mut b, "database_type");
    key(&mut b, "Test");
    key(&mut b, "build_epoch");
    b.extend([0xa0]);
    b
}

// A small MaxMind data-section encoder for hand-made records.
fn head(ty: u8, size: usize) -> Vec<u8> {
    let (ext, low) = if ty > 7 {
        (Some(ty - 7), 0)
    } else {
        (None, ty << 5)
    };
    let mut out = Vec::new();
    let rest: Vec<u8> = match size {
        0..=28 => {
            out.push(low | size as u8);
            vec![]
        }
        _ => {
            assert!(size < 285);
            out.push(low | 29);
            vec![(size - 29) as u8]
        }
    };
    if let Some(e) = ext {
        out.push(e);
    }
    out.extend(rest);
    out
}
fn s(text: &str) -> Vec<u8> {
    [head(2, text.len()), text.as_bytes().to_vec()].concat()
}
fn m(pairs: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = head(7, pairs.len());
    for (k, v) in pairs {
        out.extend(s(k));
        out.extend(v);
    }
    out
}
fn a(items: &[Vec<u8>]) -> Vec<u8> {
    [head(11, items.len()), items.concat()].concat()
}
fn uint(ty: u8, bytes: &[u8]) -> Vec<u8> {
    [head(ty, bytes.len()), bytes.to_vec()].concat()
}

/// Odd but valid records: repeated keys (the last counts), blank strings,
/// containers and numbers where strings are expected, non-finite floats,
/// big integers, booleans. The selective fields equal the full record's.
#[test]
fn odd_records_match_the_full_record() {
    let names = |en: Vec<u8>| m(&[("de", s("x")), ("en", en)]);
    let records = [
        m(&[
            (
                "country",
                m(&[("iso_code", s("AA")), ("names", names(s("A")))]),
            ),
            ("country", m(&[("names", names(s("B")))])),
            ("isp", s("  ")),
            (
                "traits",
                m(&[
                    ("isp", s("Traits ISP")),
                    ("autonomous_system_number", uint(8, &[0xff; 4])),
                ]),
            ),
            ("organization", s("Top")),
            (
                "traits",
                m(&[("organization", s("Lost")), ("user_type", uint(14, &[]))]),
            ),
        ]),
        m(&[
            ("subdivisions", m(&[("iso_code", s("NO"))])),
            (
                "city",
                m(&[
                    ("names", m(&[("en", uint(6, &[1, 2]))])),
                    ("names", s("flat")),
                ]),
            ),
            (
                "postal",
                m(&[(
                    "code",
                    [vec![0x68], f64::NAN.to_be_bytes().to_vec()].concat(),
                )]),
            ),
            ("location", m(&[("time_zone", uint(10, &[1; 16]))])),
            (
                "continent",
                m(&[(
                    "code",
                    [vec![0x04, 0x08], f32::INFINITY.to_be_bytes().to_vec()].concat(),
                )]),
            ),
            ("registered_country", a(&[s("not a map")])),
        ]),
        m(&[
            (
                "subdivisions",
                a(&[
                    m(&[("names", names(s("First"))), ("iso_code", s("F"))]),
                    m(&[("iso_code", s("S"))]),
                ]),
            ),
            (
                "autonomous_system_number",
                uint(9, &[0, 0, 0, 0, 0, 0, 1, 0]),
            ),
            (
                "connection_type",
                [vec![0x68], 2.5f64.to_be_bytes().to_vec()].concat(),
            ),
            ("domain", uint(4, b"bytes")),
            ("user_type", head(14, 1)),
        ]),
        s("not a map"),
        a(&[]),
    ];
    let mut present = 0;
    for (i, data) in records.iter().enumerate() {
        let bytes = single_record_db(data);
        let r = MmdbReader::from_bytes(&bytes[..]).unwrap_or_else(|e| panic!("{i}: {e}"));
        let full = r
            .lookup_str("1.2.3.4")
            .unwrap_or_else(|e| panic!("{i}: {e}"))
            .unwrap();
        let expected = as_json(&GeoFields::from_record(&full.record));
        let got = as_json(&r.lookup_fields_str("1.2.3.4").unwrap().unwrap());
        assert_eq!(got, expected, "record {i}: {}", full.record);
        present += got.len();
    }
    // 0: countryName, organization, userType (the second `traits` replaced
    // the first); 1: postalCode, timezone, continent; 2: region,
    // regionName, asn, connectionType, userType.
    assert_eq!(present, 11);
}
