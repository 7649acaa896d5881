//! The reader of the compiled structures (format version 2, [`super::wire`]):
//! postcard's encoding of them, read by hand. Postcard with serde's derived
//! readers instantiated a visitor per type and per field for the one
//! deserializer (about 52 KB of the page's 235 KB of wasm); this is one
//! non-generic cursor ([`Wire`]) and a small [`WireRead`] impl next to each
//! compiled type, which reads its fields in their declared order. Reads do
//! not return a `Result`: the first thing that does not decode marks the
//! cursor bad, and [`from_bytes`] refuses the whole (see [`Wire`]).
//!
//! Postcard's format, as far as the compiled structures use it: unsigned
//! integers (`u16` and wider, `usize`, lengths, variant indexes) are LEB128
//! varints, signed ones zigzag varints, `u8` one raw byte, `f64` eight
//! bytes little-endian, `bool` one byte 0 or 1, `Option` a 0/1 byte then
//! the value, an enum its variant index then the variant's fields,
//! sequences, maps, strings and byte strings their length then the items;
//! structs, tuples and arrays are their fields in order, with nothing
//! around them. Trailing bytes after the structure are left unread, as
//! `postcard::from_bytes` leaves them.
//!
//! `src/compiled/drift.rs` and the tests below check it against postcard's
//! writer: written, read, written again, the same bytes.

use std::collections::HashSet;
use std::hash::{BuildHasher, Hash};

/// A compiled structure that does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bad;

/// A cursor over the compiled structures' bytes.
///
/// Reads never fail on the spot: the first thing that does not decode (the
/// bytes run out, a bool is neither 0 nor 1, an unknown variant, text that
/// is not UTF-8…) marks the cursor bad and drops the bytes left, and every
/// later read gives a zero, an empty text or list, a first variant, without
/// reading. [`from_bytes`] then refuses the whole. So a struct is read as
/// its fields one after the other, with no `Result` to check and no partly
/// built value to drop at each of them: that was most of the reader's wasm.
pub struct Wire<'a> {
    bytes: &'a [u8],
    bad: bool,
    /// Levels of nested conditions being read ([`Wire::descend`]).
    depth: usize,
}

impl<'a> Wire<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Wire {
            bytes,
            bad: false,
            depth: 0,
        }
    }

    /// The bytes not read yet (none once bad).
    pub fn rest(&self) -> &'a [u8] {
        self.bytes
    }

    /// Whether something did not decode.
    pub fn is_bad(&self) -> bool {
        self.bad
    }

    /// Marks the bytes as not decoding; nothing more is read.
    #[inline(never)]
    pub fn fail(&mut self) {
        self.bad = true;
        self.bytes = &[];
    }

    /// [`Wire::fail`], then `value`: an unknown variant's stand-in.
    pub fn invalid<T>(&mut self, value: T) -> T {
        self.fail();
        value
    }

    /// The next `n` bytes (none once bad).
    #[inline(never)]
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        match self.bytes.split_at_checked(n) {
            Some((head, rest)) => {
                self.bytes = rest;
                head
            }
            None => {
                self.fail();
                &[]
            }
        }
    }

    /// One raw byte (postcard's `u8`).
    #[inline(never)]
    pub fn byte(&mut self) -> u8 {
        match self.bytes.split_first() {
            Some((&b, rest)) => {
                self.bytes = rest;
                b
            }
            None => {
                self.fail();
                0
            }
        }
    }

    /// An unsigned varint of at most 64 bits.
    #[inline(never)]
    pub fn varint(&mut self) -> u64 {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte();
            // The tenth byte holds bit 63 only: anything more would not fit
            // a u64 (postcard refuses it the same way).
            if shift == 63 && b > 1 {
                break;
            }
            n |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return n;
            }
        }
        self.invalid(0)
    }

    /// A `usize` (varint).
    #[inline(never)]
    pub fn usize(&mut self) -> usize {
        let n = self.varint();
        usize::try_from(n).unwrap_or_else(|_| self.invalid(0))
    }

    /// A `u32` (varint); also an enum's variant index.
    #[inline(never)]
    pub fn u32(&mut self) -> u32 {
        let n = self.varint();
        u32::try_from(n).unwrap_or_else(|_| self.invalid(0))
    }

    /// A sequence's length, never more than the bytes left (every item
    /// the compiled structures hold takes at least one byte), so a damaged
    /// length cannot reserve gigabytes.
    #[inline(never)]
    pub fn seq_len(&mut self) -> usize {
        let n = self.usize();
        if n <= self.bytes.len() {
            n
        } else {
            self.invalid(0)
        }
    }

    /// An `i64` (zigzag varint).
    pub fn i64(&mut self) -> i64 {
        let n = self.varint();
        ((n >> 1) as i64) ^ -((n & 1) as i64)
    }

    /// An `f64`, eight bytes little-endian.
    #[inline(never)]
    pub fn f64(&mut self) -> f64 {
        let b: [u8; 8] = self.take(8).try_into().unwrap_or_default();
        f64::from_le_bytes(b)
    }

    /// A `bool`: one byte, 0 or 1; also whether an `Option` holds a value.
    #[inline(never)]
    pub fn bool(&mut self) -> bool {
        match self.byte() {
            0 => false,
            1 => true,
            _ => self.invalid(false),
        }
    }

    /// A byte string: its length, then its bytes.
    #[inline(never)]
    pub fn bytes(&mut self) -> &'a [u8] {
        let len = self.seq_len();
        self.take(len)
    }

    /// A string's text, borrowed from the bytes.
    #[inline(never)]
    pub fn str(&mut self) -> &'a str {
        let bytes = self.bytes();
        std::str::from_utf8(bytes).unwrap_or_else(|_| self.invalid(""))
    }

    /// Enters one more level of a recursive structure, refused (`false`,
    /// and the cursor bad) past `limit`: a crafted file could nest deeper
    /// than the wasm stack holds, and a stack overflow in wasm traps and
    /// kills the instance.
    pub fn descend(&mut self, limit: usize) -> bool {
        if self.depth >= limit {
            return self.invalid(false);
        }
        self.depth += 1;
        true
    }

    /// Leaves the level entered by [`Wire::descend`].
    pub fn ascend(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// One level of a recursive structure: `read` between
    /// [`Wire::descend`] and [`Wire::ascend`], or `too_deep` (and the
    /// cursor bad) past `limit`.
    pub fn nested<T>(&mut self, limit: usize, too_deep: T, read: impl FnOnce(&mut Self) -> T) -> T {
        if !self.descend(limit) {
            return too_deep;
        }
        let value = read(self);
        self.ascend();
        value
    }

    /// Reads a `T`.
    pub fn read<T: WireRead>(&mut self) -> T {
        T::read(self)
    }
}

/// A compiled structure read from its postcard bytes: implemented next to
/// each compiled type, reading its fields in their declared order (a
/// struct literal's fields are evaluated in the order written). What does
/// not decode marks the cursor bad ([`Wire`]).
pub trait WireRead: Sized {
    fn read(w: &mut Wire<'_>) -> Self;
}

/// Reads a whole `T` from the start of `bytes` (trailing bytes ignored),
/// refused if any of it does not decode.
pub fn from_bytes<T: WireRead>(bytes: &[u8]) -> Result<T, Bad> {
    let mut w = Wire::new(bytes);
    let value = T::read(&mut w);
    if w.bad {
        Err(Bad)
    } else {
        Ok(value)
    }
}

impl WireRead for String {
    fn read(w: &mut Wire<'_>) -> Self {
        w.str().to_owned()
    }
}

impl WireRead for bool {
    fn read(w: &mut Wire<'_>) -> Self {
        w.bool()
    }
}

impl WireRead for f64 {
    fn read(w: &mut Wire<'_>) -> Self {
        w.f64()
    }
}

impl WireRead for usize {
    fn read(w: &mut Wire<'_>) -> Self {
        w.usize()
    }
}

impl WireRead for u64 {
    fn read(w: &mut Wire<'_>) -> Self {
        w.varint()
    }
}

impl WireRead for u32 {
    fn read(w: &mut Wire<'_>) -> Self {
        w.u32()
    }
}

impl WireRead for i64 {
    fn read(w: &mut Wire<'_>) -> Self {
        w.i64()
    }
}

impl<T: WireRead> WireRead for Option<T> {
    fn read(w: &mut Wire<'_>) -> Self {
        if w.bool() {
            Some(T::read(w))
        } else {
            None
        }
    }
}

impl<T: WireRead> WireRead for Box<T> {
    fn read(w: &mut Wire<'_>) -> Self {
        Box::new(T::read(w))
    }
}

impl<T: WireRead> WireRead for Vec<T> {
    fn read(w: &mut Wire<'_>) -> Self {
        let mut out = Vec::new();
        for _ in 0..w.seq_len() {
            out.push(T::read(w));
        }
        out
    }
}

/// A set: its length, then its items (which the full build writes sorted,
/// so one read back writes the same bytes again).
impl<T: WireRead + Eq + Hash, S: BuildHasher + Default> WireRead for HashSet<T, S> {
    fn read(w: &mut Wire<'_>) -> Self {
        let len = w.seq_len();
        let mut out = HashSet::with_capacity_and_hasher(len, S::default());
        for _ in 0..len {
            out.insert(T::read(w));
        }
        out
    }
}

impl<A: WireRead, B: WireRead> WireRead for (A, B) {
    fn read(w: &mut Wire<'_>) -> Self {
        (A::read(w), B::read(w))
    }
}

impl<A: WireRead, B: WireRead, C: WireRead> WireRead for (A, B, C) {
    fn read(w: &mut Wire<'_>) -> Self {
        (A::read(w), B::read(w), C::read(w))
    }
}

/// A fixed-size array: its items, no length.
impl<T: WireRead, const N: usize> WireRead for [T; N] {
    fn read(w: &mut Wire<'_>) -> Self {
        std::array::from_fn(|_| T::read(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: serde::Serialize + WireRead>(value: &T) {
        let bytes = postcard::to_allocvec(value).unwrap();
        let read: T = from_bytes(&bytes).unwrap();
        assert_eq!(postcard::to_allocvec(&read).unwrap(), bytes);
        for cut in 0..bytes.len() {
            assert!(from_bytes::<T>(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn primitives_read_as_postcard_writes_them() {
        for n in [0u64, 1, 127, 128, 300, u64::from(u32::MAX), u64::MAX] {
            round_trip(&n);
            round_trip(&(n as usize));
        }
        for n in [0i64, -1, 1, 63, -64, 64, i64::MIN, i64::MAX] {
            round_trip(&n);
        }
        for x in [0.0f64, -0.0, 1.5, f64::MAX, f64::NEG_INFINITY] {
            round_trip(&x);
        }
        round_trip(&(true, false));
        round_trip(&String::from("为工业 text"));
        round_trip(&vec![Some(1u32), None, Some(u32::MAX)]);
        round_trip(&[1.0f64, 2.0, 3.0]);
        round_trip(&(String::from("a"), 1.0f64, 2usize));
        let set: HashSet<String> = ["a", "b", "c"].map(String::from).into();
        let bytes = postcard::to_allocvec(&set).unwrap();
        assert_eq!(from_bytes::<HashSet<String>>(&bytes).unwrap(), set);
    }

    #[test]
    fn malformed_input_is_refused() {
        // A bool that is neither 0 nor 1, an overlong varint, a length past
        // the end, text that is not UTF-8, a u32 out of range.
        assert_eq!(from_bytes::<bool>(&[2]), Err(Bad));
        assert_eq!(from_bytes::<u64>(&[0xFF; 11]), Err(Bad));
        // Ten bytes whose last holds more than bit 63, as postcard says.
        let mut past_u64 = [0xFFu8; 10];
        past_u64[9] = 0x02;
        assert_eq!(from_bytes::<u64>(&past_u64), Err(Bad));
        assert!(postcard::from_bytes::<u64>(&past_u64).is_err());
        past_u64[9] = 0x01;
        assert_eq!(from_bytes::<u64>(&past_u64), Ok(u64::MAX));
        assert_eq!(from_bytes::<Vec<u64>>(&[200, 1, 0]), Err(Bad));
        assert_eq!(from_bytes::<String>(&[2, 0xC3, 0x28]), Err(Bad));
        assert_eq!(from_bytes::<u32>(&[0xFF, 0xFF, 0xFF, 0xFF, 0x7F]), Err(Bad));
        let mut w = Wire::new(&[0]);
        assert!(w.descend(1));
        w.ascend();
        assert!(w.descend(1) && !w.is_bad());
        assert!(!w.descend(1) && w.is_bad());
        // Once bad, nothing more is read.
        assert_eq!((w.byte(), w.seq_len(), w.str()), (0, 0, ""));
    }
}
