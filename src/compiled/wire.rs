//! The compiled structures' encoding (format version 2): what a full build
//! compiled (a [`Model`], a [`Personalizer`]) in postcard, so the page
//! loads it without the config documents' readers, without validation and
//! without the compilers. Regexes travel as their pattern text and are
//! compiled again by the loading build's engine (the browser's `RegExp` in
//! the page); JSON values (slot content, saved groups, `$eq` operands…)
//! travel as trees ([`super::tree`]), which postcard cannot describe.
//!
//! Private types derive `Serialize` where they are defined, and the
//! helpers below are named by their `#[serde(with)]` attributes: the full
//! build writes with serde and postcard. Every build reads with
//! [`super::read`], by hand (serde's derived readers were a fifth of the
//! page's wasm), each type's [`WireRead`] impl next to its definition.

use crate::json::{Map, Value};
use serde::{Serialize, Serializer};

use super::read::{self, Wire, WireRead};
use super::tree;
use super::CompiledError;
use crate::personalize::Personalizer;
use crate::score::Model;

/// The compiled structures of a document, in postcard.
pub fn encode<T: Serialize>(compiled: &T) -> Vec<u8> {
    postcard::to_allocvec(compiled).unwrap_or_default()
}

/// A site config's compiled structures.
pub fn personalizer(bytes: &[u8]) -> Result<Personalizer, CompiledError> {
    read::from_bytes(bytes).map_err(|_| SITE_DOES_NOT_DECODE)
}

/// A model's compiled structures.
pub fn model(bytes: &[u8]) -> Result<Model, CompiledError> {
    read::from_bytes::<crate::score::wire::Parts>(bytes)
        .map(Model::from_parts)
        .map_err(|_| MODEL_DOES_NOT_DECODE)
}

/// A site config's compiled structures read by hand and written again
/// with serde and postcard: the same bytes, or the reader has drifted from
/// the writer (what tests/properties.rs checks on generated configs;
/// src/compiled/drift.rs on the known ones). `None` if they do not read.
#[cfg(feature = "config-compiler")]
#[doc(hidden)]
pub fn rewrite_site(bytes: &[u8]) -> Option<Vec<u8>> {
    read::from_bytes::<Personalizer>(bytes)
        .ok()
        .map(|p| encode(&p))
}

/// [`rewrite_site`] for a model's compiled structures.
#[cfg(feature = "config-compiler")]
#[doc(hidden)]
pub fn rewrite_model(bytes: &[u8]) -> Option<Vec<u8>> {
    read::from_bytes::<crate::score::wire::Parts>(bytes)
        .ok()
        .map(|p| encode(&p))
}

const SITE_DOES_NOT_DECODE: CompiledError = CompiledError::Corrupt(
    "the compiled site config does not decode: compile it again with this version of nurture",
);
const MODEL_DOES_NOT_DECODE: CompiledError = CompiledError::Corrupt(
    "the compiled model does not decode: compile it again with this version of nurture",
);

fn tree_bytes(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    tree::write(value, &mut out);
    out
}

/// A JSON value as its tree, inside a byte string ([`value`]).
impl WireRead for Value {
    fn read(w: &mut Wire<'_>) -> Self {
        let mut reader = tree::Reader::new(w.bytes());
        match reader.value() {
            Ok(value) if reader.at_end() => value,
            _ => w.invalid(Value::Null),
        }
    }
}

/// A JSON object as its tree ([`object`]).
impl WireRead for Map<String, Value> {
    fn read(w: &mut Wire<'_>) -> Self {
        match Value::read(w) {
            Value::Object(map) => map,
            _ => w.invalid(Map::new()),
        }
    }
}

/// A JSON value as its tree.
pub mod value {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&tree_bytes(v))
    }
}

/// An optional JSON value as its tree.
pub mod opt_value {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(tree_bytes).serialize(s)
    }
}

/// A JSON object as its tree.
pub mod object {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Map<String, Value>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&tree_bytes(&Value::Object(v.clone())))
    }
}

/// The content matrix's weights, in their order.
pub mod weights {
    use super::*;
    use crate::personalize::content::MatrixWeights;

    pub fn serialize<S: Serializer>(w: &MatrixWeights, s: S) -> Result<S::Ok, S::Error> {
        [
            w.industry,
            w.role,
            w.company_size,
            w.region,
            w.current_stage,
            w.next_stage,
            w.any_stage,
            w.interest,
            w.tier,
        ]
        .serialize(s)
    }
}
