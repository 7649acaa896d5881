//! Domain names as 36-bit hashes, and a compact sorted set of such hashes.
//!
//! The full build knows about 61,000 disposable-mail domains. As text they
//! would cost about 900 KB (300 KB gzip); as 36-bit hashes, sorted, with the
//! gaps between neighbours Golomb–Rice coded, they take under 3 bytes each
//! and do not compress further. The price is false matches: a domain that is
//! not listed matches with probability `len / 2^36` per name looked up
//! (about 1 in 1.1 million for 61,000 hashes); the lookup of `lists.rs`
//! looks up at most one name per label of the address's domain.
//!
//! `build.rs` includes this file with `#[path]` to encode the set, so the
//! encoder and the decoder cannot drift apart.

/// The width of a domain hash.
pub const HASH_BITS: u32 = 36;

/// Hashes per block. Each block's first hash is stored whole in the index,
/// so a lookup decodes at most `BLOCK - 1` gaps.
pub const BLOCK: usize = 64;

/// An index entry is one `u64`: the block's first hash in the high
/// [`HASH_BITS`] bits, the bit offset of its gaps in the low `OFFSET_BITS`.
pub const OFFSET_BITS: u32 = 64 - HASH_BITS;

/// The hash of a lower-case ASCII domain name: FNV-1a 64, then MurmurHash3's
/// 64-bit finalizer (FNV alone spreads short keys poorly in the high bits),
/// keeping the top [`HASH_BITS`] bits. Stable: the data depends on it.
pub fn domain_hash(domain: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in domain.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    h >> (64 - HASH_BITS)
}

/// The Rice parameter for `len` hashes spread evenly over `2^HASH_BITS`:
/// about log2 of the mean gap times ln 2, the optimum for geometric gaps.
pub fn rice_parameter(len: usize) -> u32 {
    let len = u64::try_from(len.max(1)).unwrap_or(u64::MAX);
    let scaled_gap = ((1u64 << HASH_BITS) / len).saturating_mul(709) / 1024;
    63u32.saturating_sub(scaled_gap.max(1).leading_zeros())
}

/// The encoder: used by `build.rs` (which includes this file) and the tests,
/// so the library itself never calls it.
#[cfg_attr(not(test), allow(dead_code))]
pub mod encoder {
    use super::{rice_parameter, BLOCK, OFFSET_BITS};

    /// A set encoded by [`encode`]: per block, its first hash and the bit offset
    /// of the gaps that follow it (see [`OFFSET_BITS`]); the gaps themselves;
    /// the Rice parameter.
    pub struct Encoded {
        pub index: Vec<u64>,
        pub bits: Vec<u8>,
        pub rice: u32,
        pub len: usize,
    }

    /// Encodes sorted, distinct hashes. Used by `build.rs` and the tests.
    pub fn encode(sorted: &[u64]) -> Encoded {
        let rice = rice_parameter(sorted.len());
        let mut bits = BitWriter::default();
        let mut index = Vec::with_capacity(sorted.len().div_ceil(BLOCK));
        for block in sorted.chunks(BLOCK) {
            let mut prev = block.first().copied().unwrap_or(0);
            index.push(prev << OFFSET_BITS | bits.len as u64);
            for &h in block.iter().skip(1) {
                let gap = h.saturating_sub(prev);
                for _ in 0..(gap >> rice) {
                    bits.push(true);
                }
                bits.push(false);
                for i in (0..rice).rev() {
                    bits.push((gap >> i) & 1 == 1);
                }
                prev = h;
            }
        }
        Encoded {
            index,
            bits: bits.bytes,
            rice,
            len: sorted.len(),
        }
    }

    #[derive(Default)]
    struct BitWriter {
        bytes: Vec<u8>,
        len: usize,
    }

    impl BitWriter {
        fn push(&mut self, bit: bool) {
            if self.len % 8 == 0 {
                self.bytes.push(0);
            }
            if bit {
                if let Some(last) = self.bytes.last_mut() {
                    *last |= 0x80 >> (self.len % 8);
                }
            }
            self.len += 1;
        }
    }
}

/// A sorted set of hashes as [`encoder::encode`] wrote it, read in place: a binary
/// search over the block index, then at most `BLOCK - 1` gaps decoded.
#[derive(Clone, Copy)]
pub struct HashSet<'a> {
    pub index: &'a [u64],
    pub bits: &'a [u8],
    pub rice: u32,
    pub len: usize,
}

impl HashSet<'_> {
    /// Whether `hash` is in the set. Malformed data (a truncated bit
    /// stream) answers `false` rather than failing.
    pub fn contains(&self, hash: u64) -> bool {
        let block = self
            .index
            .partition_point(|&entry| entry >> OFFSET_BITS <= hash);
        let Some(&entry) = block.checked_sub(1).and_then(|b| self.index.get(b)) else {
            return false;
        };
        let first = entry >> OFFSET_BITS;
        let offset = entry & ((1 << OFFSET_BITS) - 1);
        if first == hash {
            return true;
        }
        let in_block = self
            .len
            .saturating_sub((block - 1) * BLOCK)
            .min(BLOCK)
            .saturating_sub(1);
        let mut reader = BitReader {
            bytes: self.bits,
            pos: usize::try_from(offset).unwrap_or(usize::MAX),
        };
        let mut value = first;
        for _ in 0..in_block {
            let Some(gap) = reader.rice(self.rice) else {
                return false;
            };
            value = value.saturating_add(gap);
            if value >= hash {
                return value == hash;
            }
        }
        false
    }
}

struct BitReader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    /// The next 64 bits from `pos` (zeros past the end), of which at least
    /// the first 57 are real bits of the stream.
    fn window(&self) -> u64 {
        let at = self.pos / 8;
        let word = match self.bytes.get(at..at + 8) {
            Some(eight) => {
                let mut buf = [0u8; 8];
                buf.copy_from_slice(eight);
                u64::from_be_bytes(buf)
            }
            None => (0..8).fold(0u64, |w, i| {
                (w << 8) | u64::from(self.bytes.get(at + i).copied().unwrap_or(0))
            }),
        };
        word << (self.pos % 8)
    }

    fn advance(&mut self, bits: usize) -> Option<()> {
        self.pos += bits;
        (self.pos <= self.bytes.len() * 8).then_some(())
    }

    /// One Rice-coded value: a unary quotient (ones ended by a zero), then
    /// `k` remainder bits (`k` < 57). `None` past the end of the stream.
    fn rice(&mut self, k: u32) -> Option<u64> {
        let mut quotient = 0u64;
        loop {
            let ones = self.window().leading_ones();
            if ones < 57 {
                quotient += u64::from(ones);
                self.advance(ones as usize + 1)?;
                break;
            }
            quotient += 57;
            self.advance(57)?;
        }
        let remainder = match k {
            0 => 0,
            k => self.window() >> (64 - k.min(56)),
        };
        self.advance(k as usize)?;
        Some((quotient << k) | remainder)
    }
}

#[cfg(test)]
mod tests {
    use super::encoder::{encode, Encoded};
    use super::*;

    fn set_of(encoded: &Encoded) -> HashSet<'_> {
        HashSet {
            index: &encoded.index,
            bits: &encoded.bits,
            rice: encoded.rice,
            len: encoded.len,
        }
    }

    #[test]
    fn round_trips_every_member_and_rejects_neighbours() {
        // A deterministic spread of hashes: the hashes of generated names.
        let mut hashes: Vec<u64> = (0..10_000)
            .map(|i| domain_hash(&format!("d{i}.example")))
            .collect();
        hashes.sort_unstable();
        hashes.dedup();
        let encoded = encode(&hashes);
        let set = set_of(&encoded);
        assert!(hashes.iter().all(|&h| set.contains(h)));
        let members: std::collections::HashSet<u64> = hashes.iter().copied().collect();
        for &h in &hashes {
            for probe in [h.wrapping_sub(1), h + 1] {
                assert_eq!(set.contains(probe), members.contains(&probe));
            }
        }
        assert!(!set.contains(0) || members.contains(&0));
        assert!(!set.contains((1 << HASH_BITS) - 1) || members.contains(&((1 << HASH_BITS) - 1)));
    }

    #[test]
    fn empty_and_truncated_sets_answer_false() {
        let encoded = encode(&[]);
        assert!(!set_of(&encoded).contains(42));
        let mut hashes: Vec<u64> = (0..500)
            .map(|i| domain_hash(&format!("x{i}.test")))
            .collect();
        hashes.sort_unstable();
        let encoded = encode(&hashes);
        let truncated = HashSet {
            bits: &encoded.bits[..encoded.bits.len() / 2],
            ..set_of(&encoded)
        };
        // Members in the lost half are simply not found; nothing fails.
        let found = hashes.iter().filter(|&&h| truncated.contains(h)).count();
        assert!(found < hashes.len() && found > hashes.len() / 3);
    }

    #[test]
    fn hash_is_stable() {
        // The data in the wasm depends on these exact values.
        assert_eq!(domain_hash("mailinator.com"), 0x7_d85c_a460);
        assert_eq!(domain_hash("gmail.com"), 0x1_922a_f28b);
        assert_eq!(rice_parameter(61_000), 19);
    }
}
