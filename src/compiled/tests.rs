use serde_json::{json, Value};

use super::*;

fn site() -> Value {
    json!({
        "segments": [{"id": "china", "when": {"country": "CN", "name": {"$regex": "^pe"}}}],
        "slots": [{
            "id": "hero",
            "default": {"content": "Software for industry"},
            "variants": [{"id": "cn", "segment": "china", "content": {"title": "为工业", "n": -3, "f": 0.5, "big": 18446744073709551615u64}}]
        }]
    })
}

#[test]
fn trees_keep_every_value_and_the_kind_of_each_number() {
    let values = [
        json!(null),
        json!([
            true,
            false,
            0,
            1,
            -1,
            i64::MIN,
            u64::MAX,
            1.0,
            -0.25,
            1e300,
            ""
        ]),
        json!({"a": {"b": [{"c": "ü"}]}, "": []}),
        site(),
    ];
    for v in values {
        let mut bytes = Vec::new();
        tree::write(&v, &mut bytes);
        let mut reader = tree::Reader::new(&bytes);
        let back = reader.value().unwrap();
        assert!(reader.at_end());
        assert_eq!(back, v);
        // `1.0` stays a float, `1` an integer: serde reads them differently.
        assert_eq!(back.to_string(), v.to_string());
    }
}

#[test]
fn a_site_config_round_trips_with_its_source_hash() {
    let bytes = compile(&site(), None).unwrap();
    let compiled = Compiled::read(&bytes).unwrap();
    assert_eq!(compiled.kind, Kind::Site);
    assert_eq!(compiled.site.as_ref(), Some(&site()));
    assert_eq!(compiled.source, source_hash(&site()));
    // The hash is the start of the SHA-256 of the document's sorted text.
    let text = serde_json::to_string(&site()).unwrap();
    assert_eq!(compiled.source[..], sha256::digest(text.as_bytes())[..8]);
    let loaded = compiled.load().unwrap();
    assert!(loaded.personalizer.is_some() && loaded.model.is_none());
}

#[test]
fn the_edge_document_keeps_its_version_and_both_documents() {
    let model: Value = serde_json::from_str(crate::score::DEFAULT_MODEL_JSON).unwrap();
    let doc = json!({"version": "0123456789abcdef", "site": site(), "model": model});
    let bytes = compile(&doc, None).unwrap();
    let compiled = Compiled::read(&bytes).unwrap();
    assert_eq!(compiled.kind, Kind::Edge);
    assert_eq!(compiled.version(), "0123456789abcdef");
    assert_eq!(compiled.model.as_ref(), Some(&model));
    let loaded = compiled.load().unwrap();
    assert!(loaded.personalizer.is_some() && loaded.model.is_some());

    // Without a model: the built-in one (none in the compiled form).
    let bytes = compile(&json!({"site": site(), "model": null}), None).unwrap();
    let compiled = Compiled::read(&bytes).unwrap();
    assert_eq!(compiled.model, None);
    assert_eq!(compiled.load().unwrap().version.len(), 16);
}

#[test]
fn bad_documents_are_refused_with_paths_from_the_top() {
    let doc = json!({"site": {"slots": [{"id": 3}]}, "model": {"fit": {"rules": [{"id": "x"}]}}});
    let d = compile(&doc, None).unwrap_err();
    let paths: Vec<&str> = d.errors.iter().map(|i| i.path.as_str()).collect();
    assert!(
        paths.iter().any(|p| p.starts_with("site.slots[0]")),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|p| p.starts_with("model.fit.rules[0]")),
        "{paths:?}"
    );
    let d = compile(&json!({"site": site(), "version": "v1"}), None).unwrap_err();
    assert_eq!(d.errors[0].path, "version");
    let d = compile(&json!({"site": site(), "extra": 1}), None).unwrap_err();
    assert_eq!(d.errors[0].path, "extra");
    let d = compile(&json!({"slots": "no"}), Some(Kind::Site)).unwrap_err();
    assert_eq!(d.errors[0].path, "slots");
}

#[test]
fn another_format_version_is_refused_by_name() {
    // Version 1 (documents only, what builds before compiled structures
    // wrote) and a future version alike, by both readers.
    for found in [1, 3] {
        let mut bytes = compile(&site(), None).unwrap();
        bytes[4] = found;
        let err = Compiled::read(&bytes).unwrap_err();
        assert_eq!(err, CompiledError::Version { found });
        assert_eq!(Frame::read(&bytes).unwrap_err(), err);
        assert_eq!(err.code(), "compiled_config_version");
        assert_eq!(
            err.message(),
            format!("compiled with format version {found}, this build reads version 2: compile the config again with this version of nurture")
        );
    }
}

#[test]
fn every_truncation_is_refused() {
    let bytes = compile(&site(), None).unwrap();
    for len in 0..bytes.len() {
        let err = Compiled::read(&bytes[..len]).unwrap_err();
        assert_eq!(err.code(), "compiled_config_corrupt", "length {len}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(
        Compiled::read(&longer).unwrap_err().code(),
        "compiled_config_corrupt"
    );
}

#[test]
fn every_flipped_bit_is_refused() {
    let bytes = compile(&site(), None).unwrap();
    for at in 0..bytes.len() {
        for bit in 0..8 {
            let mut damaged = bytes.clone();
            damaged[at] ^= 1 << bit;
            let err = Compiled::read(&damaged).unwrap_err();
            let expected = if at == 4 {
                "compiled_config_version"
            } else {
                "compiled_config_corrupt"
            };
            assert_eq!(err.code(), expected, "byte {at} bit {bit}");
        }
    }
}

#[test]
fn json_and_other_bytes_are_not_compiled_configs() {
    let text = serde_json::to_vec(&site()).unwrap();
    assert!(!Compiled::looks_compiled(&text));
    let err = Compiled::read(&text).unwrap_err();
    assert_eq!(err.code(), "compiled_config_corrupt");
    assert!(err.message().starts_with("not a compiled config"));
}

#[test]
fn a_crafted_payload_cannot_reserve_more_than_it_carries_or_nest_too_deep() {
    // A valid frame around payloads that lie: a huge count, deep nesting,
    // an unknown tag, bad UTF-8, a float that is not a number.
    let mut deep = [7u8, 1].repeat(tree::MAX_DEPTH + 2);
    deep.push(0);
    let payloads: [Vec<u8>; 5] = [
        vec![7, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F],
        deep,
        vec![9],
        vec![6, 2, 0xC3, 0x28],
        [vec![5], f64::NAN.to_le_bytes().to_vec()].concat(),
    ];
    for payload in payloads {
        let bytes = frame(Kind::Site, [0; 8], &payload);
        let err = Compiled::read(&bytes).unwrap_err();
        assert_eq!(err.code(), "compiled_config_corrupt");
        // The page's frame reader passes over the trees and refuses alike.
        assert_eq!(Frame::read(&bytes).unwrap_err(), err);
    }
}

#[test]
fn documents_without_their_compiled_structures_are_refused() {
    // A version-2 frame around documents only, as version 1 wrote them.
    let mut payload = Vec::new();
    tree::write(&site(), &mut payload);
    let bytes = frame(Kind::Site, [0; 8], &payload);
    for err in [
        Compiled::read(&bytes).unwrap_err(),
        Frame::read(&bytes).unwrap_err(),
    ] {
        assert_eq!(err.code(), "compiled_config_corrupt");
        assert_eq!(
            err.message(),
            "truncated: expected the compiled structures after the documents"
        );
    }
}

/// A frame around `document`'s tree and `section` as its compiled
/// structures, with a valid checksum.
fn with_section(document: &Value, section: &[u8]) -> Vec<u8> {
    let mut payload = Vec::new();
    tree::write(document, &mut payload);
    payload.extend_from_slice(&(section.len() as u32).to_le_bytes());
    payload.extend_from_slice(section);
    frame(Kind::Site, [0; 8], &payload)
}

#[test]
fn compiled_structures_that_do_not_decode_are_refused_when_loaded() {
    let good = wire::encode(&crate::personalize::Personalizer::from_value(site()).unwrap());
    let mut damaged = good.clone();
    damaged.truncate(good.len() / 2);
    let longer = [good.clone(), vec![0]].concat();
    for section in [vec![], vec![0xFF; 9], damaged] {
        let bytes = with_section(&site(), &section);
        let err = Frame::read(&bytes).unwrap().load().err().unwrap();
        assert_eq!(err.code(), "compiled_config_corrupt");
        assert_eq!(
            err.message(),
            "the compiled site config does not decode: compile it again with this version of nurture"
        );
    }
    // Trailing bytes inside a section: postcard stops early, the length
    // says more. Accepted as long as what is read is whole; a section's
    // length is covered by the checksum.
    assert!(Frame::read(&with_section(&site(), &longer)).is_ok());
    assert!(Frame::read(&with_section(&site(), &good))
        .unwrap()
        .load()
        .is_ok());
}

#[test]
fn compiled_ahead_the_values_inside_documents_arrive_whole() {
    let bytes = compile(&site(), None).unwrap();
    let ahead = Frame::read(&bytes).unwrap().load().unwrap();
    let by_value = Compiled::read(&bytes).unwrap().load().unwrap();
    assert_eq!(ahead.version, by_value.version);
    assert_eq!(ahead.kind, by_value.kind);
    // Every number kind and the non-ASCII text in `content` arrive as in
    // the source (as a tree inside the compiled structures).
    let (ahead, by_value) = (ahead.personalizer.unwrap(), by_value.personalizer.unwrap());
    // The segment's `$regex`, compiled again from its text, matches.
    let mut ctx = json!({"country": "CN", "name": "petro"});
    assert_eq!(ahead.segments_of(&ctx), ["china"]);
    assert_eq!(ahead.segments_of(&ctx), by_value.segments_of(&ctx));
    ctx["segments"] = json!(["china"]);
    let decided = ahead.decide_context(&ctx);
    assert_eq!(decided, by_value.decide_context(&ctx));
    let text = serde_json::to_value(&decided).unwrap().to_string();
    assert!(
        text.contains("为工业") && text.contains("18446744073709551615"),
        "{text}"
    );
}

#[test]
fn a_document_that_no_longer_compiles_is_refused_when_loaded() {
    let section = wire::encode(&crate::personalize::Personalizer::from_value(site()).unwrap());
    let compiled = Compiled::read(&with_section(&json!({"slots": "no"}), &section)).unwrap();
    let err = compiled.load().err().unwrap();
    assert_eq!(err.code(), "compiled_config_corrupt");
}

#[test]
fn crc32_matches_zlib() {
    let mut crc = Crc32::new();
    crc.update(b"123456789");
    assert_eq!(crc.finish(), 0xCBF4_3926);
}

#[test]
fn decimals_are_written_without_formatting() {
    for n in [0u32, 7, 10, 255, 4_294_967_295] {
        let mut s = String::new();
        push_decimal(&mut s, n);
        assert_eq!(s, n.to_string());
    }
}

#[test]
fn the_same_document_compiles_to_the_same_bytes() {
    // `$in` lists are hashed sets in the compiled structures, with fixed
    // keys: the same list iterates, and is written, in the same order.
    let items: Vec<Value> = (0..64)
        .map(|i| json!(format!("s{i}")))
        .chain((0..64).map(|i| json!(i)))
        .collect();
    let mut doc = site();
    doc["segments"][0]["when"]["city"] = json!({"$in": items});
    let first = compile(&doc, None).unwrap();
    for _ in 0..4 {
        assert_eq!(compile(&doc, None).unwrap(), first);
    }
}
