//! The lean value against `serde_json`'s on the same operations.

use proptest::prelude::*;

use super::{Map, Number, Value};

type JsonValue = serde_json::Value;
type JsonMap = serde_json::Map<String, JsonValue>;

fn lean(v: &JsonValue) -> Value {
    match v {
        JsonValue::Null => Value::Null,
        JsonValue::Bool(b) => Value::Bool(*b),
        JsonValue::Number(n) => Value::Number(lean_number(n)),
        JsonValue::String(s) => Value::String(s.clone()),
        JsonValue::Array(items) => Value::Array(items.iter().map(lean).collect()),
        JsonValue::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                out.insert(k.clone(), lean(v));
            }
            Value::Object(out)
        }
    }
}

fn lean_number(n: &serde_json::Number) -> Number {
    if let Some(u) = n.as_u64() {
        Number::from(u)
    } else if let Some(i) = n.as_i64() {
        Number::from(i)
    } else {
        Number::from_f64(n.as_f64().unwrap()).unwrap()
    }
}

fn json_number() -> impl Strategy<Value = serde_json::Number> {
    prop_oneof![
        any::<u64>().prop_map(serde_json::Number::from),
        any::<i64>().prop_map(serde_json::Number::from),
        (-3i64..3).prop_map(serde_json::Number::from),
        (-3i32..3).prop_map(|i| serde_json::Number::from_f64(f64::from(i)).unwrap()),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| serde_json::Number::from_f64(f).unwrap()),
    ]
}

/// Keys from a small alphabet, so maps share and collide on keys, with
/// non-ASCII and prefixes to exercise the byte order.
fn key() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "", "a", "A", "ab", "b", "Z", "é", "a\u{0}", "$eq", "10", "9",
    ])
    .prop_map(str::to_owned)
}

fn json_value() -> impl Strategy<Value = JsonValue> {
    let leaf = prop_oneof![
        Just(JsonValue::Null),
        any::<bool>().prop_map(JsonValue::Bool),
        json_number().prop_map(JsonValue::Number),
        key().prop_map(JsonValue::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(JsonValue::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|entries| JsonValue::Object(entries.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Op {
    Insert(String, JsonValue),
    Remove(String),
    Get(String),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (key(), json_value()).prop_map(|(k, v)| Op::Insert(k, v)),
        key().prop_map(Op::Remove),
        key().prop_map(Op::Get),
    ]
}

fn same_entries(a: &JsonMap, b: &Map<String, Value>) -> bool {
    a.len() == b.len()
        && a.is_empty() == b.is_empty()
        && a.iter()
            .zip(b.iter())
            .all(|((ka, va), (kb, vb))| ka == kb && lean(va) == *vb)
        && a.keys().eq(b.keys())
}

proptest! {
    #[test]
    fn equality_is_serde_jsons(a in json_value(), b in json_value()) {
        prop_assert_eq!(a == b, lean(&a) == lean(&b));
        let ours = lean(&a);
        prop_assert_eq!(ours.clone(), ours);
    }

    #[test]
    fn numbers_answer_as_serde_jsons(a in json_number(), b in json_number()) {
        let (x, y) = (lean_number(&a), lean_number(&b));
        prop_assert_eq!(a == b, x == y);
        prop_assert_eq!(a.as_f64(), x.as_f64());
        prop_assert_eq!(a.as_i64(), x.as_i64());
        prop_assert_eq!(a.as_u64(), x.as_u64());
        prop_assert_eq!(a.is_f64(), x.is_f64());
        prop_assert_eq!(a.is_i64(), x.is_i64());
        prop_assert_eq!(a.is_u64(), x.is_u64());
        if !a.is_f64() {
            prop_assert_eq!(a.to_string(), x.to_string());
        }
        let f = a.as_f64().unwrap_or(0.0);
        prop_assert_eq!(JsonValue::from(f).is_null(), Value::from(f).is_null());
    }

    #[test]
    fn objects_iterate_in_serde_jsons_order(v in json_value()) {
        if let JsonValue::Object(map) = &v {
            let Value::Object(ours) = lean(&v) else {
                panic!("an object became something else");
            };
            prop_assert!(same_entries(map, &ours));
            let collected: Map<String, Value> =
                map.iter().rev().map(|(k, v)| (k.clone(), lean(v))).collect();
            prop_assert_eq!(&collected, &ours);
        }
    }

    #[test]
    fn map_operations_answer_as_serde_jsons(ops in prop::collection::vec(op(), 0..40)) {
        let mut theirs = JsonMap::new();
        let mut ours = Map::new();
        for op in ops {
            match op {
                Op::Insert(k, v) => {
                    let old = theirs.insert(k.clone(), v.clone());
                    prop_assert_eq!(old.as_ref().map(lean), ours.insert(k, lean(&v)));
                }
                Op::Remove(k) => {
                    prop_assert_eq!(theirs.remove(&k).as_ref().map(lean), ours.remove(&k));
                }
                Op::Get(k) => {
                    prop_assert_eq!(theirs.get(&k).map(lean), ours.get(&k).cloned());
                    prop_assert_eq!(theirs.contains_key(&k), ours.contains_key(k.as_str()));
                    let object = Value::Object(ours.clone());
                    prop_assert_eq!(
                        theirs.get(&k).map(lean).unwrap_or(Value::Null),
                        object[k.as_str()].clone()
                    );
                }
            }
            prop_assert!(same_entries(&theirs, &ours));
        }
    }

    #[test]
    fn serde_reads_and_writes_the_same_text(v in json_value()) {
        let text = serde_json::to_string(&v).unwrap();
        prop_assert_eq!(&serde_json::to_string(&lean(&v)).unwrap(), &text);
        // serde_json's own reading of the text (not always `v`: without
        // `float_roundtrip` a float may read back a bit off).
        let read: JsonValue = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), lean(&read));
    }
}

#[test]
fn later_entries_win_when_collected() {
    let pairs = [("b", 1), ("a", 2), ("b", 3), ("a", 4), ("c", 5)];
    let ours: Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), Value::from(*v)))
        .collect();
    let theirs: JsonMap = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), JsonValue::from(*v)))
        .collect();
    assert!(same_entries(&theirs, &ours));
}

#[test]
fn numbers_keep_their_kind() {
    assert_ne!(Value::from(1u32), Value::from(1.0));
    assert_eq!(Value::from(1u32), Value::from(1i64));
    assert_eq!(Value::from(-1i32), Value::from(-1i64));
    assert_eq!(Value::from(f64::NAN), Value::Null);
    assert_eq!(Number::from(-5i64).to_string(), "-5");
    assert_eq!(Number::from(u64::MAX).to_string(), u64::MAX.to_string());
}

#[test]
fn values_index_as_serde_jsons() {
    let v = lean(&serde_json::json!({"a": [1, {"b": "x"}], "c": null}));
    assert_eq!(v["a"][1]["b"].as_str(), Some("x"));
    assert_eq!(v["missing"][3], Value::Null);
    assert_eq!(v.get("a").and_then(|a| a.get(0)), Some(&Value::from(1u8)));
    assert!(v["c"].is_null());
    assert!(v.get("c").is_some());
}
