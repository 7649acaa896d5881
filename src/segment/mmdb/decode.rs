//! The data section decoder: MaxMind types → JSON values, with bounded
//! depth, value count and output size.

use crate::json::{Map, Number, Value};

use super::{MmdbError, MAX_DEPTH, MAX_OUTPUT_BYTES, MAX_VALUES};

pub(super) const T_POINTER: u8 = 1;
pub(super) const T_STRING: u8 = 2;
pub(super) const T_DOUBLE: u8 = 3;
pub(super) const T_BYTES: u8 = 4;
pub(super) const T_UINT16: u8 = 5;
pub(super) const T_UINT32: u8 = 6;
pub(super) const T_MAP: u8 = 7;
pub(super) const T_INT32: u8 = 8;
pub(super) const T_UINT64: u8 = 9;
pub(super) const T_UINT128: u8 = 10;
pub(super) const T_ARRAY: u8 = 11;
pub(super) const T_CONTAINER: u8 = 12;
pub(super) const T_END_MARKER: u8 = 13;
pub(super) const T_BOOL: u8 = 14;
pub(super) const T_FLOAT: u8 = 15;

/// Data-section decoder. `base` is where pointers count from, `end` the
/// first byte past the section.
pub(super) struct Decoder<'a> {
    buf: &'a [u8],
    base: usize,
    end: usize,
    values: usize,
    out_bytes: usize,
}

pub(super) fn corrupt(offset: usize, reason: impl Into<String>) -> MmdbError {
    MmdbError::CorruptData {
        offset,
        reason: reason.into(),
    }
}

impl<'a> Decoder<'a> {
    pub(super) fn new(buf: &'a [u8], base: usize, end: usize) -> Decoder<'a> {
        Decoder {
            buf,
            base,
            end: end.min(buf.len()),
            values: 0,
            out_bytes: 0,
        }
    }

    fn byte(&self, pos: usize) -> Result<u8, MmdbError> {
        if pos >= self.end {
            return Err(corrupt(pos, "field runs past the end of its section"));
        }
        self.buf
            .get(pos)
            .copied()
            .ok_or_else(|| corrupt(pos, "field runs past the end of the file"))
    }

    pub(super) fn slice(&self, pos: usize, len: usize) -> Result<&'a [u8], MmdbError> {
        let end = pos
            .checked_add(len)
            .filter(|e| *e <= self.end)
            .ok_or_else(|| corrupt(pos, format!("{len}-byte payload runs past the section end")))?;
        self.buf
            .get(pos..end)
            .ok_or_else(|| corrupt(pos, "payload runs past the end of the file"))
    }

    /// Bytes left in the section from `pos`.
    pub(super) fn remaining(&self, pos: usize) -> usize {
        self.end.saturating_sub(pos)
    }

    pub(super) fn be_uint(&self, pos: usize, len: usize) -> Result<u128, MmdbError> {
        let s = self.slice(pos, len)?;
        Ok(s.iter().fold(0u128, |acc, b| (acc << 8) | u128::from(*b)))
    }

    pub(super) fn decode(&mut self, pos: usize) -> Result<Value, MmdbError> {
        self.decode_value(pos, 0).map(|(v, _)| v)
    }

    /// Reads a control byte (and extended type / size bytes). Returns
    /// (type, size or pointer bits, payload position).
    pub(super) fn control(&self, pos: usize) -> Result<(u8, usize, usize), MmdbError> {
        let ctrl = self.byte(pos)?;
        let mut p = pos + 1;
        let mut ty = ctrl >> 5;
        if ty == T_POINTER {
            return Ok((ty, usize::from(ctrl & 0x1F), p));
        }
        if ty == 0 {
            let ext = self.byte(p)?;
            p += 1;
            ty = ext.saturating_add(7);
            if !(T_INT32..=T_FLOAT).contains(&ty) {
                return Err(corrupt(pos, format!("unknown extended type {ty}")));
            }
        }
        let low = usize::from(ctrl & 0x1F);
        let size = match low {
            0..=28 => low,
            29 => {
                let s = 29 + usize::from(self.byte(p)?);
                p += 1;
                s
            }
            30 => {
                let s = 285 + usize::try_from(self.be_uint(p, 2)?).unwrap_or(0);
                p += 2;
                s
            }
            _ => {
                let s = 65_821 + usize::try_from(self.be_uint(p, 3)?).unwrap_or(0);
                p += 3;
                s
            }
        };
        Ok((ty, size, p))
    }

    /// Decodes a pointer whose control bits are `bits`, payload at `p`.
    /// Returns (absolute target, position after the pointer).
    pub(super) fn pointer(&self, bits: usize, p: usize) -> Result<(usize, usize), MmdbError> {
        let ss = (bits >> 3) & 0x3;
        let vvv = bits & 0x7;
        let (rel, next) = match ss {
            0 => ((vvv << 8) | usize::from(self.byte(p)?), p + 1),
            1 => (
                2048 + ((vvv << 16) | usize::try_from(self.be_uint(p, 2)?).unwrap_or(0)),
                p + 2,
            ),
            2 => (
                526_336 + ((vvv << 24) | usize::try_from(self.be_uint(p, 3)?).unwrap_or(0)),
                p + 3,
            ),
            _ => (
                usize::try_from(self.be_uint(p, 4)?).unwrap_or(usize::MAX),
                p + 4,
            ),
        };
        let target = self
            .base
            .checked_add(rel)
            .filter(|t| *t < self.end)
            .ok_or_else(|| corrupt(p - 1, format!("pointer {rel} points past the data section")))?;
        Ok((target, next))
    }

    /// Decodes the value at `pos`; returns it and the position after it
    /// (after the pointer, when `pos` holds a pointer).
    ///
    /// Recursion goes through this function and [`Self::decode_container`]
    /// only; both keep small stack frames (scalars are decoded out of line)
    /// so [`MAX_DEPTH`] levels fit comfortably in a wasm stack.
    fn decode_value(&mut self, pos: usize, depth: usize) -> Result<(Value, usize), MmdbError> {
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(MmdbError::RecordTooLarge { offset: pos });
        }
        let (mut ty, mut size, mut p) = self.control(pos)?;
        let mut after: Option<usize> = None;
        if ty == T_POINTER {
            let (target, next) = self.pointer(size, p)?;
            after = Some(next);
            let (t2, s2, p2) = self.control(target)?;
            if t2 == T_POINTER {
                return Err(corrupt(target, "pointer points to another pointer"));
            }
            ty = t2;
            size = s2;
            p = p2;
        }
        let (value, end) = if ty == T_MAP || ty == T_ARRAY {
            if depth >= MAX_DEPTH {
                return Err(MmdbError::NestingTooDeep { offset: pos });
            }
            self.decode_container(ty, size, p, depth)?
        } else {
            self.decode_scalar(ty, size, p, pos)?
        };
        Ok((value, after.unwrap_or(end)))
    }

    #[inline(never)]
    fn decode_container(
        &mut self,
        ty: u8,
        size: usize,
        p: usize,
        depth: usize,
    ) -> Result<(Value, usize), MmdbError> {
        let mut q = p;
        if ty == T_MAP {
            // Each pair takes at least two bytes in place.
            if size > self.remaining(p) / 2 {
                return Err(self.container_too_big(p, size));
            }
            let mut m = Map::new();
            for _ in 0..size {
                let (k, nq) = self.decode_value(q, depth + 1)?;
                let Value::String(k) = k else {
                    return Err(corrupt(q, "map key is not a string"));
                };
                let (v, nq) = self.decode_value(nq, depth + 1)?;
                m.insert(k, v);
                q = nq;
            }
            Ok((Value::Object(m), q))
        } else {
            if size > self.remaining(p) {
                return Err(self.container_too_big(p, size));
            }
            let mut a = Vec::with_capacity(size.min(1024));
            for _ in 0..size {
                let (v, nq) = self.decode_value(q, depth + 1)?;
                a.push(v);
                q = nq;
            }
            Ok((Value::Array(a), q))
        }
    }

    #[cold]
    #[inline(never)]
    fn container_too_big(&self, p: usize, size: usize) -> MmdbError {
        corrupt(p, format!("container of {size} items cannot fit"))
    }

    /// Decodes a non-container value of type `ty` with payload at `p`.
    #[inline(never)]
    fn decode_scalar(
        &mut self,
        ty: u8,
        size: usize,
        p: usize,
        pos: usize,
    ) -> Result<(Value, usize), MmdbError> {
        let out = match ty {
            T_STRING => {
                let s = self.slice(p, size)?;
                self.count_bytes(p, size)?;
                let s =
                    std::str::from_utf8(s).map_err(|_| corrupt(p, "string is not valid UTF-8"))?;
                (Value::String(s.to_string()), p + size)
            }
            T_DOUBLE => {
                if size != 8 {
                    return Err(corrupt(p, format!("double of size {size} (must be 8)")));
                }
                let bits = u64::try_from(self.be_uint(p, 8)?).unwrap_or(0);
                (float_value(f64::from_bits(bits)), p + 8)
            }
            T_FLOAT => {
                if size != 4 {
                    return Err(corrupt(p, format!("float of size {size} (must be 4)")));
                }
                let bits = u32::try_from(self.be_uint(p, 4)?).unwrap_or(0);
                (float_value(f64::from(f32::from_bits(bits))), p + 4)
            }
            T_BYTES => {
                let s = self.slice(p, size)?;
                self.count_bytes(p, size)?;
                (
                    Value::Array(s.iter().map(|b| Value::from(*b)).collect()),
                    p + size,
                )
            }
            T_UINT16 | T_UINT32 | T_INT32 | T_UINT64 | T_UINT128 => {
                let max = match ty {
                    T_UINT16 => 2,
                    T_UINT32 | T_INT32 => 4,
                    T_UINT64 => 8,
                    _ => 16,
                };
                if size > max {
                    return Err(corrupt(p, format!("integer of type {ty} with size {size}")));
                }
                let v = self.be_uint(p, size)?;
                let value = if ty == T_INT32 {
                    let u = u32::try_from(v).unwrap_or(0);
                    Value::from(i32::from_ne_bytes(u.to_ne_bytes()))
                } else if let Ok(small) = u64::try_from(v) {
                    Value::from(small)
                } else {
                    Value::String(v.to_string())
                };
                (value, p + size)
            }
            T_BOOL => match size {
                0 => (Value::Bool(false), p),
                1 => (Value::Bool(true), p),
                _ => return Err(corrupt(p, format!("boolean with value {size}"))),
            },
            T_CONTAINER => return Err(corrupt(pos, "data cache container inside a record")),
            T_END_MARKER => return Err(corrupt(pos, "end marker inside a record")),
            _ => return Err(corrupt(pos, format!("unknown type {ty}"))),
        };
        Ok(out)
    }

    fn count_bytes(&mut self, pos: usize, n: usize) -> Result<(), MmdbError> {
        self.out_bytes = self.out_bytes.saturating_add(n);
        if self.out_bytes > MAX_OUTPUT_BYTES {
            return Err(MmdbError::RecordTooLarge { offset: pos });
        }
        Ok(())
    }
}

fn float_value(f: f64) -> Value {
    match Number::from_f64(f) {
        Some(n) => Value::Number(n),
        None if f.is_nan() => Value::String("NaN".into()),
        None if f > 0.0 => Value::String("Infinity".into()),
        None => Value::String("-Infinity".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(bytes: &[u8]) -> Result<Value, MmdbError> {
        Decoder::new(bytes, 0, bytes.len()).decode(0)
    }

    #[test]
    fn scalars() {
        assert_eq!(dec(&[0x43, b'a', b'b', b'c']).unwrap(), Value::from("abc"));
        assert_eq!(dec(&[0xa2, 0x01, 0x00]).unwrap(), Value::from(256));
        assert_eq!(dec(&[0xa0]).unwrap(), Value::from(0));
        assert_eq!(dec(&[0x00, 0x07]).unwrap(), Value::Bool(false));
        assert_eq!(dec(&[0x01, 0x07]).unwrap(), Value::Bool(true));
        assert!(dec(&[0x02, 0x07]).is_err());
        // int32 -1
        assert_eq!(
            dec(&[0x04, 0x01, 0xff, 0xff, 0xff, 0xff]).unwrap(),
            Value::from(-1)
        );
        // uint128 2^64 → string
        let mut v = vec![0x09, 0x03, 0x01];
        v.extend([0u8; 8]);
        assert_eq!(dec(&v).unwrap(), Value::from("18446744073709551616"));
        // truncated string
        assert!(dec(&[0x45, b'a']).is_err());
        // size 29 + next byte, truncated
        assert!(dec(&[0x5d]).is_err());
        // empty input
        assert!(dec(&[]).is_err());
    }

    #[test]
    fn pointers() {
        // 0: pointer to 2; 2: "x"
        assert_eq!(dec(&[0x20, 0x02, 0x41, b'x']).unwrap(), Value::from("x"));
        // pointer to itself → pointer to pointer error
        assert!(dec(&[0x20, 0x00]).is_err());
        // pointer out of range
        assert!(dec(&[0x20, 0x09]).is_err());
        // array containing a pointer to itself: depth limit, no hang
        let r = dec(&[0x01, 0x04, 0x20, 0x00]);
        assert!(matches!(r, Err(MmdbError::NestingTooDeep { .. })), "{r:?}");
    }

    #[test]
    fn fan_out_bomb_is_bounded() {
        // Array of 30 pointers to offset 0 (itself): each level multiplies;
        // must stop on depth or size budget quickly.
        let mut v = vec![0x1d, 0x04, 0x01];
        for _ in 0..30 {
            v.extend([0x20, 0x00]);
        }
        let r = dec(&v);
        assert!(r.is_err());
    }

    /// Nesting right up to the limit decodes, within a 512 KiB stack (wasm
    /// gets 1 MiB by default); one level more is refused.
    #[test]
    fn depth_limit_fits_small_stack() {
        let nested = |levels: usize| {
            let mut v = Vec::new();
            for _ in 0..levels {
                v.extend([0x01, 0x04]); // array of 1
            }
            v.push(0xa0); // uint32 0
            v
        };
        let ok = nested(MAX_DEPTH);
        let bad = nested(MAX_DEPTH + 1);
        let handle = std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(move || (dec(&ok).is_ok(), dec(&bad)))
            .unwrap();
        let (ok, bad) = handle.join().unwrap();
        assert!(ok);
        assert!(
            matches!(bad, Err(MmdbError::NestingTooDeep { .. })),
            "{bad:?}"
        );
    }

    #[test]
    fn huge_map_size_rejected() {
        assert!(dec(&[0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
