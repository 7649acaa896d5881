//! A JSON value as a compact tagged tree: one tag byte per value, lengths
//! and integers as LEB128 varints, floats as 8 little-endian bytes.
//!
//! | tag | value |
//! |-----|-------|
//! | 0 | null |
//! | 1, 2 | false, true |
//! | 3 | an integer ≥ 0, varint |
//! | 4 | an integer < 0, varint of `-(n + 1)` |
//! | 5 | any other number, f64 |
//! | 6 | a string: varint byte length, UTF-8 |
//! | 7 | an array: varint count, the elements |
//! | 8 | an object: varint count, then each key (varint length, UTF-8) and value |
//!
//! Integers keep their kind (`1` stays an integer, `1.0` a float), so what
//! serde reads from the tree is what it read from the JSON. Reading checks
//! every length against the bytes left and limits nesting, so a crafted
//! payload cannot allocate more than it carries or exhaust the stack.

use crate::json::{Map, Number, Value};

use super::read::Wire;
use super::CompiledError;

pub(super) const NULL: u8 = 0;
pub(super) const FALSE: u8 = 1;
pub(super) const TRUE: u8 = 2;
pub(super) const UINT: u8 = 3;
pub(super) const NEG_INT: u8 = 4;
pub(super) const FLOAT: u8 = 5;
pub(super) const STRING: u8 = 6;
pub(super) const ARRAY: u8 = 7;
pub(super) const OBJECT: u8 = 8;

/// Deeper than any config a person writes, far below the stack.
pub const MAX_DEPTH: usize = 128;

pub(super) const CORRUPT: CompiledError =
    CompiledError::Corrupt("the payload does not decode: expected a tree of JSON values");

fn write_varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn write_str(s: &str, out: &mut Vec<u8>) {
    write_varint(s.len() as u64, out);
    out.extend_from_slice(s.as_bytes());
}

/// Appends `value`'s tree to `out`.
pub fn write(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(NULL),
        Value::Bool(false) => out.push(FALSE),
        Value::Bool(true) => out.push(TRUE),
        Value::Number(n) => {
            if let Some(u) = n.as_u64() {
                out.push(UINT);
                write_varint(u, out);
            } else if let Some(i) = n.as_i64() {
                out.push(NEG_INT);
                // i < 0 here: -(i + 1) fits in u64 without overflow.
                write_varint((-(i + 1)) as u64, out);
            } else {
                out.push(FLOAT);
                out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_le_bytes());
            }
        }
        Value::String(s) => {
            out.push(STRING);
            write_str(s, out);
        }
        Value::Array(items) => {
            out.push(ARRAY);
            write_varint(items.len() as u64, out);
            for item in items {
                write(item, out);
            }
        }
        Value::Object(map) => {
            out.push(OBJECT);
            write_varint(map.len() as u64, out);
            for (key, item) in map {
                write_str(key, out);
                write(item, out);
            }
        }
    }
}

/// Reads trees from a payload, one after the other.
pub struct Reader<'a> {
    /// The primitives (bytes, varints, lengths, text) are read as the
    /// compiled structures read theirs ([`Wire`]); only the tags and what
    /// a tree makes of them are this reader's.
    wire: Wire<'a>,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader {
            wire: Wire::new(bytes),
        }
    }

    pub fn at_end(&self) -> bool {
        self.wire.rest().is_empty()
    }

    /// What follows the trees read so far.
    pub fn rest(&self) -> &'a [u8] {
        self.wire.rest()
    }

    /// The next tree.
    pub fn value(&mut self) -> Result<Value, CompiledError> {
        self.read(0)
    }

    /// `value` if nothing read so far failed to decode.
    fn checked<T>(&self, value: T) -> Result<T, CompiledError> {
        if self.wire.is_bad() {
            Err(CORRUPT)
        } else {
            Ok(value)
        }
    }

    pub(super) fn byte(&mut self) -> Result<u8, CompiledError> {
        let b = self.wire.byte();
        self.checked(b)
    }

    /// The next tag, left to be read.
    #[cfg(not(feature = "page-only"))]
    pub(super) fn peek(&self) -> Option<u8> {
        self.wire.rest().first().copied()
    }

    pub(super) fn varint(&mut self) -> Result<u64, CompiledError> {
        let n = self.wire.varint();
        self.checked(n)
    }

    /// A count of items that each take at least one byte: never more than
    /// the bytes left, so a damaged count cannot reserve gigabytes.
    pub(super) fn count(&mut self) -> Result<usize, CompiledError> {
        let n = self.wire.seq_len();
        self.checked(n)
    }

    /// A string's text, borrowed from the bytes.
    pub(super) fn str(&mut self) -> Result<&'a str, CompiledError> {
        let s = self.wire.str();
        self.checked(s)
    }

    fn string(&mut self) -> Result<String, CompiledError> {
        self.str().map(str::to_owned)
    }

    pub(super) fn negative(&mut self) -> Result<i64, CompiledError> {
        let n = i64::try_from(self.varint()?).map_err(|_| CORRUPT)?;
        Ok(-n - 1)
    }

    /// A float's value; NaN and the infinities have no JSON form and are
    /// never written.
    pub(super) fn float(&mut self) -> Result<f64, CompiledError> {
        let x = self.wire.f64();
        self.checked(x)
            .and_then(|x| Some(x).filter(|x| x.is_finite()).ok_or(CORRUPT))
    }

    /// Passes over the next tree, checking it as [`Reader::value`] does
    /// without building it, and returns its bytes: how a payload is cut
    /// into its documents before they are read.
    pub fn skip(&mut self) -> Result<&'a [u8], CompiledError> {
        let start = self.wire.rest();
        self.pass(0)?;
        let passed = start.len() - self.wire.rest().len();
        start.get(..passed).ok_or(CORRUPT)
    }

    fn pass(&mut self, depth: usize) -> Result<(), CompiledError> {
        if depth > MAX_DEPTH {
            return Err(CORRUPT);
        }
        match self.byte()? {
            NULL | FALSE | TRUE => {}
            UINT => {
                self.varint()?;
            }
            NEG_INT => {
                self.negative()?;
            }
            FLOAT => {
                self.float()?;
            }
            STRING => {
                self.str()?;
            }
            ARRAY => {
                for _ in 0..self.count()? {
                    self.pass(depth + 1)?;
                }
            }
            OBJECT => {
                for _ in 0..self.count()? {
                    self.str()?;
                    self.pass(depth + 1)?;
                }
            }
            _ => return Err(CORRUPT),
        }
        Ok(())
    }

    fn read(&mut self, depth: usize) -> Result<Value, CompiledError> {
        if depth > MAX_DEPTH {
            return Err(CORRUPT);
        }
        Ok(match self.byte()? {
            NULL => Value::Null,
            FALSE => Value::Bool(false),
            TRUE => Value::Bool(true),
            UINT => Value::Number(self.varint()?.into()),
            NEG_INT => Value::Number(self.negative()?.into()),
            FLOAT => Value::Number(Number::from_f64(self.float()?).ok_or(CORRUPT)?),
            STRING => Value::String(self.string()?),
            ARRAY => {
                let n = self.count()?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.read(depth + 1)?);
                }
                Value::Array(items)
            }
            OBJECT => {
                let n = self.count()?;
                let mut map = Map::new();
                for _ in 0..n {
                    let key = self.string()?;
                    let item = self.read(depth + 1)?;
                    map.insert(key, item);
                }
                Value::Object(map)
            }
            _ => return Err(CORRUPT),
        })
    }
}
