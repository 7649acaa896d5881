//! The selective lookup: reads the [`GeoFields`] of a record straight from
//! the data section, skipping every other value by its control byte and
//! size, without building anything.
//!
//! Strings are borrowed from the database and only those returned are
//! checked for UTF-8, so a record that is damaged where the context does not
//! look (an invalid name in Japanese, an unknown type under `location`) can
//! still answer here while [`MmdbReader::lookup`] refuses it. Everything
//! read is bounds-checked as in the full decoder; the work per record is
//! capped by [`MAX_VALUES`] items visited (a map whose values point back to
//! maps with many repeated keys cannot make it explode).

use std::net::IpAddr;

use super::decode::{
    corrupt, Decoder, T_ARRAY, T_BOOL, T_CONTAINER, T_DOUBLE, T_END_MARKER, T_FLOAT, T_INT32,
    T_MAP, T_POINTER, T_STRING, T_UINT128, T_UINT16, T_UINT32, T_UINT64,
};
use super::fields::{non_finite, Base, GeoFields, GeoValue, FIELDS, NETWORK_COUNT};
use super::{MmdbError, MmdbReader, MAX_VALUES};
use crate::segment::ip::parse_ip;

impl<B: AsRef<[u8]>> MmdbReader<B> {
    /// The fields a visitor context reads for `ip`, decoded alone (see
    /// [`GeoFields`]); `Ok(None)` when the database has no data for it.
    pub fn lookup_fields(&self, ip: IpAddr) -> Result<Option<GeoFields<GeoValue<'_>>>, MmdbError> {
        let Some(hit) = self.locate(ip)? else {
            return Ok(None);
        };
        let mut walk = Walk {
            dec: self.decoder(),
            budget: MAX_VALUES,
        };
        let mut out = GeoFields::default();
        let mut traits = GeoFields::default();
        walk.value(hit.offset, |w, v| w.top(v, &mut out, &mut traits))?;
        let traits = traits.values_mut();
        for (slot, from_traits) in out.values_mut().iter_mut().zip(traits).take(NETWORK_COUNT) {
            if slot.is_none() {
                *slot = *from_traits;
            }
        }
        Ok(Some(out))
    }

    /// Parses `ip` strictly (see [`parse_ip`]) and reads its fields.
    pub fn lookup_fields_str(
        &self,
        ip: &str,
    ) -> Result<Option<GeoFields<GeoValue<'_>>>, MmdbError> {
        let ip = parse_ip(ip).map_err(MmdbError::InvalidAddress)?;
        self.lookup_fields(ip)
    }
}

/// A value with its pointer followed: type, size and payload position.
#[derive(Clone, Copy)]
struct Item {
    ty: u8,
    size: usize,
    payload: usize,
}

struct Walk<'a> {
    dec: Decoder<'a>,
    /// Items that may still be visited for this record.
    budget: usize,
}

impl<'a> Walk<'a> {
    #[inline(always)]
    fn spend(&mut self, pos: usize, n: usize) -> Result<(), MmdbError> {
        self.budget = self
            .budget
            .checked_sub(n)
            .ok_or(MmdbError::RecordTooLarge { offset: pos })?;
        Ok(())
    }

    /// Calls `f` on the value at `pos` (a pointer followed) and returns the
    /// position after it in place: after the pointer, or where `f` says the
    /// value ended.
    fn value(
        &mut self,
        pos: usize,
        f: impl FnOnce(&mut Self, Item) -> Result<usize, MmdbError>,
    ) -> Result<usize, MmdbError> {
        self.spend(pos, 1)?;
        let (ty, size, p) = self.dec.control(pos)?;
        if ty != T_POINTER {
            return f(
                self,
                Item {
                    ty,
                    size,
                    payload: p,
                },
            );
        }
        let (target, next) = self.dec.pointer(size, p)?;
        let (ty, size, payload) = self.dec.control(target)?;
        if ty == T_POINTER {
            return Err(corrupt(target, "pointer points to another pointer"));
        }
        f(self, Item { ty, size, payload })?;
        Ok(next)
    }

    /// Walks the pairs of a map, calling `on` with each key and the
    /// position of its value; `on` returns where the value ended, or `None`
    /// to have it skipped. Anything but a map is skipped whole. Returns the
    /// end of the map.
    fn entries(
        &mut self,
        item: Item,
        mut on: impl FnMut(&mut Self, &[u8], usize) -> Result<Option<usize>, MmdbError>,
    ) -> Result<usize, MmdbError> {
        if item.ty != T_MAP {
            return self.skip_payload(item);
        }
        let mut q = item.payload;
        for _ in 0..item.size {
            let mut key: &[u8] = &[];
            let vpos = self.value(q, |w, k| {
                if k.ty != T_STRING {
                    return Err(corrupt(k.payload, "map key is not a string"));
                }
                key = w.dec.slice(k.payload, k.size)?;
                Ok(k.payload + k.size)
            })?;
            q = match on(self, key, vpos)? {
                Some(end) => end,
                None => self.skip(vpos)?,
            };
        }
        Ok(q)
    }

    /// The top-level map: network keys, `traits` and the place maps.
    fn top(
        &mut self,
        item: Item,
        out: &mut GeoFields<GeoValue<'a>>,
        traits: &mut GeoFields<GeoValue<'a>>,
    ) -> Result<usize, MmdbError> {
        let [asn, as_organization, isp, organization, domain, connection_type, user_type, country, country_name, continent, region, region_name, city, postal_code, timezone, registered_country] =
            out.values_mut();
        let mut network = [
            asn,
            as_organization,
            isp,
            organization,
            domain,
            connection_type,
            user_type,
        ];
        self.entries(item, |w, key, v| {
            if let Some(slot) = network_key(key).and_then(|i| network.get_mut(i)) {
                return w.scalar(v, slot).map(Some);
            }
            let end = match key {
                b"traits" => {
                    *traits = GeoFields::default();
                    let slots = traits.values_mut();
                    w.value(v, |w, m| {
                        w.entries(m, |w, key, v| {
                            match network_key(key).and_then(|i| slots.get_mut(i)) {
                                Some(slot) => w.scalar(v, slot).map(Some),
                                None => Ok(None),
                            }
                        })
                    })?
                }
                b"country" => w.place(v, country, Some(&mut *country_name))?,
                b"registered_country" => w.place(v, registered_country, None)?,
                b"continent" => w.one(v, b"code", continent)?,
                b"postal" => w.one(v, b"code", postal_code)?,
                b"location" => w.one(v, b"time_zone", timezone)?,
                b"city" => {
                    *city = None;
                    w.value(v, |w, m| w.name_en(m, city))?
                }
                b"subdivisions" => {
                    *region = None;
                    *region_name = None;
                    w.value(v, |w, a| {
                        if a.ty != T_ARRAY || a.size == 0 {
                            return w.skip_payload(a);
                        }
                        let first = a.payload;
                        let after = w.value(first, |w, m| {
                            w.place_item(m, region, Some(&mut *region_name))
                        })?;
                        w.skip_items(after, a.size - 1)
                    })?
                }
                _ => return Ok(None),
            };
            Ok(Some(end))
        })
    }

    /// `{iso_code, names: {en}}` (country, subdivision, registered
    /// country); `name` is left alone when `None`.
    fn place(
        &mut self,
        pos: usize,
        code: &mut Option<GeoValue<'a>>,
        name: Option<&mut Option<GeoValue<'a>>>,
    ) -> Result<usize, MmdbError> {
        self.value(pos, |w, m| w.place_item(m, code, name))
    }

    fn place_item(
        &mut self,
        item: Item,
        code: &mut Option<GeoValue<'a>>,
        mut name: Option<&mut Option<GeoValue<'a>>>,
    ) -> Result<usize, MmdbError> {
        *code = None;
        if let Some(n) = name.as_deref_mut() {
            *n = None;
        }
        self.entries(item, |w, key, v| match (key, name.as_deref_mut()) {
            (b"iso_code", _) => w.scalar(v, code).map(Some),
            (b"names", Some(n)) => w.one(v, b"en", n).map(Some),
            _ => Ok(None),
        })
    }

    /// `{names: {en}}` into `slot`.
    fn name_en(&mut self, item: Item, slot: &mut Option<GeoValue<'a>>) -> Result<usize, MmdbError> {
        self.entries(item, |w, key, v| match key {
            b"names" => w.one(v, b"en", slot).map(Some),
            _ => Ok(None),
        })
    }

    /// The map at `pos`, of which only `key` is read into `slot`.
    fn one(
        &mut self,
        pos: usize,
        key: &[u8],
        slot: &mut Option<GeoValue<'a>>,
    ) -> Result<usize, MmdbError> {
        *slot = None;
        self.value(pos, |w, m| {
            w.entries(m, |w, k, v| {
                if k == key {
                    w.scalar(v, slot).map(Some)
                } else {
                    Ok(None)
                }
            })
        })
    }

    /// Reads the value at `pos` into `slot` as the context keeps it
    /// (non-blank string, number, boolean; anything else clears it).
    fn scalar(&mut self, pos: usize, slot: &mut Option<GeoValue<'a>>) -> Result<usize, MmdbError> {
        self.value(pos, |w, it| {
            let p = it.payload;
            let fixed = |want: usize| {
                if it.size == want {
                    Ok(())
                } else {
                    Err(corrupt(p, "float or double of the wrong size"))
                }
            };
            let (value, end) = match it.ty {
                T_STRING => {
                    let bytes = w.dec.slice(p, it.size)?;
                    let s = std::str::from_utf8(bytes)
                        .map_err(|_| corrupt(p, "string is not valid UTF-8"))?;
                    (text(s), p + it.size)
                }
                T_DOUBLE => {
                    fixed(8)?;
                    let f = f64::from_bits(u64::try_from(w.dec.be_uint(p, 8)?).unwrap_or(0));
                    (Some(float(f)), p + 8)
                }
                T_FLOAT => {
                    fixed(4)?;
                    let f = f32::from_bits(u32::try_from(w.dec.be_uint(p, 4)?).unwrap_or(0));
                    (Some(float(f64::from(f))), p + 4)
                }
                T_BOOL => (Some(GeoValue::Bool(it.size == 1)), w.skip_payload(it)?),
                T_UINT16 | T_UINT32 | T_INT32 | T_UINT64 | T_UINT128 => {
                    let max = match it.ty {
                        T_UINT16 => 2,
                        T_UINT32 | T_INT32 => 4,
                        T_UINT64 => 8,
                        _ => 16,
                    };
                    if it.size > max {
                        return Err(corrupt(p, "integer wider than its type"));
                    }
                    let end = p + it.size;
                    let v = w.dec.be_uint(p, it.size)?;
                    let n = if it.ty == T_INT32 {
                        let u = u32::try_from(v).unwrap_or(0);
                        GeoValue::Int(i64::from(i32::from_ne_bytes(u.to_ne_bytes())))
                    } else {
                        u64::try_from(v).map_or(GeoValue::BigUint(v), GeoValue::Uint)
                    };
                    (Some(n), end)
                }
                _ => (None, w.skip_payload(it)?),
            };
            *slot = value;
            Ok(end)
        })
    }

    /// Skips the value at `pos` (a pointer is skipped, not followed).
    fn skip(&mut self, pos: usize) -> Result<usize, MmdbError> {
        self.skip_items(pos, 1)
    }

    /// Skips the payload of an item already read (a container's items).
    fn skip_payload(&mut self, item: Item) -> Result<usize, MmdbError> {
        let (end, pending) = self.advance(item.ty, item.size, item.payload)?;
        self.skip_items(end, pending)
    }

    /// Skips `count` consecutive values starting at `pos`, containers with
    /// their contents, and returns the position after them.
    fn skip_items(&mut self, pos: usize, count: usize) -> Result<usize, MmdbError> {
        let mut pending = count;
        let mut q = pos;
        while pending > 0 {
            self.spend(q, 1)?;
            let (ty, size, p) = self.dec.control(q)?;
            let (end, more) = self.advance(ty, size, p)?;
            pending = pending - 1 + more;
            q = end;
        }
        Ok(q)
    }

    /// Where the payload of an item of type `ty` and `size` at `p` ends, and
    /// how many items a container holds.
    #[inline(always)]
    fn advance(&self, ty: u8, size: usize, p: usize) -> Result<(usize, usize), MmdbError> {
        let bytes = match ty {
            T_POINTER => ((size >> 3) & 0x3) + 1,
            T_MAP | T_ARRAY => {
                let items = if ty == T_MAP {
                    size.saturating_mul(2)
                } else {
                    size
                };
                // Each item takes at least one byte in place.
                if items > self.dec.remaining(p) {
                    return Err(corrupt(p, "container cannot fit in the data section"));
                }
                return Ok((p, items));
            }
            T_BOOL => 0,
            T_CONTAINER => return Err(corrupt(p, "data cache container inside a record")),
            T_END_MARKER => return Err(corrupt(p, "end marker inside a record")),
            _ => size,
        };
        self.dec.slice(p, bytes)?;
        Ok((p + bytes, 0))
    }
}

/// The index of the network field stored under `key`.
fn network_key(key: &[u8]) -> Option<usize> {
    FIELDS
        .iter()
        .take(NETWORK_COUNT)
        .position(|(_, base, path)| {
            *base == Base::Network && path.first().map(|k| k.as_bytes()) == Some(key)
        })
}

/// `s` unless it is blank.
fn text(s: &str) -> Option<GeoValue<'_>> {
    (!s.trim().is_empty()).then_some(GeoValue::Str(s))
}

fn float(f: f64) -> GeoValue<'static> {
    if f.is_finite() {
        GeoValue::Float(f)
    } else {
        GeoValue::Str(non_finite(f))
    }
}
