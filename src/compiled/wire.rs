//! The compiled structures' encoding (format version 2): what a full build
//! compiled (a [`Model`], a [`Personalizer`]) in postcard, so the page
//! loads it without the config documents' readers, without validation and
//! without the compilers. Regexes travel as their pattern text and are
//! compiled again by the loading build's engine (the browser's `RegExp` in
//! the page); JSON values (slot content, saved groups, `$eq` operands…)
//! travel as trees ([`super::tree`]), which postcard cannot describe.
//!
//! Private types derive `Serialize`/`Deserialize` where they are defined;
//! the helpers below are named by their `#[serde(with)]` attributes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

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
    postcard::from_bytes(bytes).map_err(|_| SITE_DOES_NOT_DECODE)
}

/// A model's compiled structures.
pub fn model(bytes: &[u8]) -> Result<Model, CompiledError> {
    postcard::from_bytes::<crate::score::wire::Parts>(bytes)
        .map(Model::from_parts)
        .map_err(|_| MODEL_DOES_NOT_DECODE)
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

fn from_tree<E: serde::de::Error>(bytes: &[u8]) -> Result<Value, E> {
    let mut reader = tree::Reader::new(bytes);
    let value = reader.value().map_err(|_| E::custom("bad value tree"))?;
    if reader.at_end() {
        Ok(value)
    } else {
        Err(E::custom("bad value tree"))
    }
}

/// A JSON value as its tree.
pub mod value {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Value, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&tree_bytes(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Value, D::Error> {
        from_tree(<&[u8]>::deserialize(d)?)
    }
}

/// An optional JSON value as its tree.
pub mod opt_value {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Option<Value>, s: S) -> Result<S::Ok, S::Error> {
        v.as_ref().map(tree_bytes).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
        <Option<&[u8]>>::deserialize(d)?.map(from_tree).transpose()
    }
}

/// A JSON object as its tree.
pub mod object {
    use super::*;

    pub fn serialize<S: Serializer>(v: &Map<String, Value>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&tree_bytes(&Value::Object(v.clone())))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Map<String, Value>, D::Error> {
        match from_tree(<&[u8]>::deserialize(d)?)? {
            Value::Object(map) => Ok(map),
            _ => Err(serde::de::Error::custom("expected an object tree")),
        }
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

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<MatrixWeights, D::Error> {
        let [industry, role, company_size, region, current_stage, next_stage, any_stage, interest, tier] =
            <[f64; 9]>::deserialize(d)?;
        Ok(MatrixWeights {
            industry,
            role,
            company_size,
            region,
            current_stage,
            next_stage,
            any_stage,
            interest,
            tier,
        })
    }
}
