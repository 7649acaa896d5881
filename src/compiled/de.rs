//! A serde `Deserializer` over the tagged tree ([`super::tree`]): the
//! documents' types are read straight from the compiled bytes, with no
//! `serde_json::Value` built for the whole document and no path tracked.
//! Strings are handed to serde borrowed from the bytes. A field typed as
//! `Value` in a document (a condition's `when`, a slot's `content`) still
//! gets one, through `Value`'s own `Deserialize`.
//!
//! It answers serde as `serde_json`'s reader of a `&Value` does, so a
//! document reads the same either way (`tests/compiled.rs` checks it): an
//! integer stays an integer (`visit_u64`/`visit_i64`), a null is `None`
//! for an `Option`, an enum is a string (a unit variant) or an object of
//! one key. A compiled config was checked when it was compiled, so any
//! failure here means it was damaged: the error carries no message (the
//! page build keeps no formatting machinery), and the caller refuses the
//! config as corrupt.

use std::fmt;

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde::forward_to_deserialize_any;

use super::tree::{self, Reader, MAX_DEPTH};

/// A tree that does not read as the type asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeError;

impl fmt::Display for TreeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the compiled tree does not read as the document")
    }
}

impl std::error::Error for TreeError {}

impl de::Error for TreeError {
    // The message is dropped: building it would pull serde's and the
    // standard library's formatting into the page build.
    fn custom<T: fmt::Display>(_: T) -> Self {
        TreeError
    }
}

impl From<super::CompiledError> for TreeError {
    fn from(_: super::CompiledError) -> Self {
        TreeError
    }
}

/// Reads one document of type `T` from `tree`, which must hold exactly
/// one tree.
pub fn from_tree<T: DeserializeOwned>(tree: &[u8]) -> Result<T, TreeError> {
    let mut de = TreeDeserializer {
        reader: Reader::new(tree),
        depth: 0,
    };
    let value = T::deserialize(&mut de)?;
    if de.reader.at_end() {
        Ok(value)
    } else {
        Err(TreeError)
    }
}

struct TreeDeserializer<'de> {
    reader: Reader<'de>,
    depth: usize,
}

impl<'de> TreeDeserializer<'de> {
    fn nested(&mut self) -> Result<(), TreeError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(TreeError);
        }
        Ok(())
    }
}

impl<'de> de::Deserializer<'de> for &mut TreeDeserializer<'de> {
    type Error = TreeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        match self.reader.byte()? {
            tree::NULL => visitor.visit_unit(),
            tree::FALSE => visitor.visit_bool(false),
            tree::TRUE => visitor.visit_bool(true),
            tree::UINT => visitor.visit_u64(self.reader.varint()?),
            tree::NEG_INT => visitor.visit_i64(self.reader.negative()?),
            tree::FLOAT => visitor.visit_f64(self.reader.float()?),
            tree::STRING => visitor.visit_borrowed_str(self.reader.str()?),
            tree::ARRAY => {
                let left = self.reader.count()?;
                self.nested()?;
                let mut items = Items { de: self, left };
                let value = visitor.visit_seq(&mut items)?;
                finish(items.de, items.left, value)
            }
            tree::OBJECT => {
                let left = self.reader.count()?;
                self.nested()?;
                let mut entries = Items { de: self, left };
                let value = visitor.visit_map(&mut entries)?;
                finish(entries.de, entries.left, value)
            }
            _ => Err(TreeError),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, TreeError> {
        if self.reader.peek() == Some(tree::NULL) {
            self.reader.byte()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, TreeError> {
        visitor.visit_newtype_struct(self)
    }

    /// `"variant"` (a unit variant) or `{"variant": content}`.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TreeError> {
        match self.reader.byte()? {
            tree::STRING => visitor.visit_enum(self.reader.str()?.into_deserializer()),
            tree::OBJECT if self.reader.count()? == 1 => {
                let variant = self.reader.str()?;
                self.nested()?;
                let value = visitor.visit_enum(Variant { de: self, variant })?;
                self.depth -= 1;
                Ok(value)
            }
            _ => Err(TreeError),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// Ends an array or object: every item must have been read, as
/// serde_json's reader of a `Value` requires.
fn finish<T>(de: &mut TreeDeserializer<'_>, left: usize, value: T) -> Result<T, TreeError> {
    if left != 0 {
        return Err(TreeError);
    }
    de.depth -= 1;
    Ok(value)
}

/// The items of an array, or the entries of an object, still to read.
struct Items<'a, 'de> {
    de: &'a mut TreeDeserializer<'de>,
    left: usize,
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = TreeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, TreeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

impl<'de> MapAccess<'de> for Items<'_, 'de> {
    type Error = TreeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, TreeError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let key = self.de.reader.str()?;
        seed.deserialize(BorrowedStrDeserializer::<TreeError>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, TreeError> {
        seed.deserialize(&mut *self.de)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}

/// The one entry of an object read as an enum's variant.
struct Variant<'a, 'de> {
    de: &'a mut TreeDeserializer<'de>,
    variant: &'de str,
}

impl<'a, 'de> EnumAccess<'de> for Variant<'a, 'de> {
    type Error = TreeError;
    type Variant = &'a mut TreeDeserializer<'de>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, Self::Variant), TreeError> {
        let variant = seed.deserialize(BorrowedStrDeserializer::<TreeError>::new(self.variant))?;
        Ok((variant, self.de))
    }
}

impl<'de> VariantAccess<'de> for &mut TreeDeserializer<'de> {
    type Error = TreeError;

    fn unit_variant(self) -> Result<(), TreeError> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, TreeError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, TreeError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, TreeError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}
