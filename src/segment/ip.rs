//! IP address and CIDR prefix parsing.
//!
//! Parsing is delegated to `std::net`, which is strict: no leading zeros in
//! IPv4 octets (`010.0.0.1` is rejected, because some tools read it as octal),
//! no shorthand like `10.1`, no hex octets. Surrounding whitespace and IPv6
//! brackets (`[2001:db8::1]`) are accepted; zone ids (`fe80::1%eth0`) are not.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Why an address string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IpParseError {
    /// The string is empty (or only whitespace).
    Empty,
    /// The string is not an IPv4 or IPv6 address in standard notation.
    Invalid(String),
}

impl fmt::Display for IpParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpParseError::Empty => write!(f, "empty address"),
            IpParseError::Invalid(s) => write!(f, "{s:?} is not a valid IPv4 or IPv6 address"),
        }
    }
}

impl std::error::Error for IpParseError {}

/// Parses an IPv4 or IPv6 address (strict, see the module docs).
pub fn parse_ip(s: &str) -> Result<IpAddr, IpParseError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(IpParseError::Empty);
    }
    let inner = t
        .strip_prefix('[')
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(t);
    if let Ok(v4) = inner.parse::<Ipv4Addr>() {
        // Brackets are only meaningful around IPv6.
        if inner.len() == t.len() {
            return Ok(IpAddr::V4(v4));
        }
    }
    match inner.parse::<Ipv6Addr>() {
        Ok(v6) => Ok(IpAddr::V6(v6)),
        Err(_) => Err(IpParseError::Invalid(t.to_string())),
    }
}

/// Why a prefix string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrefixError {
    /// The address part could not be parsed.
    Address(IpParseError),
    /// The part after `/` is not a decimal number.
    BadLength(String),
    /// The prefix length is larger than the address width.
    TooLong {
        /// Length given.
        len: u32,
        /// 32 for IPv4, 128 for IPv6.
        max: u8,
    },
}

impl fmt::Display for PrefixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PrefixError::Address(e) => write!(f, "{e}"),
            PrefixError::BadLength(s) => write!(f, "prefix length {s:?} is not a number"),
            PrefixError::TooLong { len, max } => {
                write!(f, "prefix length {len} is longer than {max}")
            }
        }
    }
}

impl std::error::Error for PrefixError {}

/// A network: an address with all bits beyond `len` cleared.
///
/// IPv4-mapped IPv6 prefixes (`::ffff:10.0.0.0/104`) are normalised to
/// IPv4 (`10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix {
    addr: IpAddr,
    len: u8,
}

/// Result of [`Prefix::parse`]: the prefix plus whether host bits had to
/// be cleared (`10.0.0.1/8` → `10.0.0.0/8`, `had_host_bits = true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedPrefix {
    /// The normalised network.
    pub prefix: Prefix,
    /// True when the input had bits set beyond the prefix length.
    pub had_host_bits: bool,
}

pub(crate) fn mask_v4(a: u32, len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        a & (u32::MAX << (32 - u32::from(len.min(32))))
    }
}

pub(crate) fn mask_v6(a: u128, len: u8) -> u128 {
    if len == 0 {
        0
    } else {
        a & (u128::MAX << (128 - u32::from(len.min(128))))
    }
}

impl Prefix {
    /// Builds a prefix, clearing host bits. Returns `None` when `len`
    /// exceeds the address width.
    pub fn new(addr: IpAddr, len: u8) -> Option<Prefix> {
        match addr {
            IpAddr::V4(a) => {
                if len > 32 {
                    return None;
                }
                let m = mask_v4(u32::from(a), len);
                Some(Prefix {
                    addr: IpAddr::V4(Ipv4Addr::from(m)),
                    len,
                })
            }
            IpAddr::V6(a) => {
                if len > 128 {
                    return None;
                }
                if len >= 96 {
                    if let Some(v4) = a.to_ipv4_mapped() {
                        return Prefix::new(IpAddr::V4(v4), len - 96);
                    }
                }
                let m = mask_v6(u128::from(a), len);
                Some(Prefix {
                    addr: IpAddr::V6(Ipv6Addr::from(m)),
                    len,
                })
            }
        }
    }

    /// Parses `a.b.c.d/n`, `x::/n`, or a bare address (host route: /32 or
    /// /128).
    pub fn parse(s: &str) -> Result<ParsedPrefix, PrefixError> {
        let t = s.trim();
        let (addr_s, len_s) = match t.split_once('/') {
            Some((a, l)) => (a, Some(l.trim())),
            None => (t, None),
        };
        let addr = parse_ip(addr_s).map_err(PrefixError::Address)?;
        let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
        let len: u32 = match len_s {
            None => u32::from(max),
            Some(l) => {
                if l.is_empty() || l.len() > 3 || !l.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(PrefixError::BadLength(l.to_string()));
                }
                l.parse::<u32>()
                    .map_err(|_| PrefixError::BadLength(l.to_string()))?
            }
        };
        if len > u32::from(max) {
            return Err(PrefixError::TooLong { len, max });
        }
        let len8 = u8::try_from(len).map_err(|_| PrefixError::TooLong { len, max })?;
        let prefix = Prefix::new(addr, len8).ok_or(PrefixError::TooLong { len, max })?;
        let had_host_bits = match (addr, prefix.addr) {
            (IpAddr::V4(a), _) => mask_v4(u32::from(a), len8) != u32::from(a),
            (IpAddr::V6(a), _) => mask_v6(u128::from(a), len8) != u128::from(a),
        };
        Ok(ParsedPrefix {
            prefix,
            had_host_bits,
        })
    }

    /// The network address (host bits cleared).
    pub fn addr(&self) -> IpAddr {
        self.addr
    }

    /// The prefix length.
    pub fn len(&self) -> u8 {
        self.len
    }

    /// True for `/0`.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// First address of the network.
    pub fn first(&self) -> IpAddr {
        self.addr
    }

    /// Last address of the network.
    pub fn last(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(a) => {
                let host = if self.len >= 32 {
                    0
                } else {
                    u32::MAX >> u32::from(self.len)
                };
                IpAddr::V4(Ipv4Addr::from(u32::from(a) | host))
            }
            IpAddr::V6(a) => {
                let host = if self.len >= 128 {
                    0
                } else {
                    u128::MAX >> u32::from(self.len)
                };
                IpAddr::V6(Ipv6Addr::from(u128::from(a) | host))
            }
        }
    }

    /// True when `ip` is inside this network. IPv4-mapped IPv6 addresses
    /// match IPv4 networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => mask_v4(u32::from(a), self.len) == u32::from(n),
            (IpAddr::V6(n), IpAddr::V6(a)) => mask_v6(u128::from(a), self.len) == u128::from(n),
            _ => false,
        }
    }
}

/// Maps IPv4-mapped IPv6 (`::ffff:a.b.c.d`) to IPv4; other addresses are
/// returned unchanged.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

impl fmt::Display for Prefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl Prefix {
    /// `addr/len`, as `Display` writes it, without `core::fmt`
    /// ([`crate::text`]: the page build ships none).
    pub fn text(&self) -> String {
        let mut out = ip_text(self.addr);
        out.push('/');
        out.push_str(&crate::text::int_text(i64::from(self.len)));
        out
    }
}

/// An address as `IpAddr`'s `Display` writes it (RFC 5952: lower-case hex,
/// the first longest run of two or more zero groups as `::`, an
/// IPv4-mapped address as `::ffff:a.b.c.d`), without `core::fmt`.
pub fn ip_text(ip: IpAddr) -> String {
    let mut out = String::with_capacity(39);
    match ip {
        IpAddr::V4(v4) => push_ipv4(&mut out, v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => {
                out.push_str("::ffff:");
                push_ipv4(&mut out, v4);
            }
            None => push_ipv6(&mut out, v6.segments()),
        },
    }
    out
}

fn push_ipv4(out: &mut String, ip: std::net::Ipv4Addr) {
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push('.');
        }
        out.push_str(&crate::text::int_text(i64::from(octet)));
    }
}

fn push_ipv6(out: &mut String, segments: [u16; 8]) {
    // The first longest run of zero groups, as (start, length).
    let (mut best, mut run) = ((0, 0), (0, 0));
    for (i, &segment) in segments.iter().enumerate() {
        if segment != 0 {
            run = (0, 0);
            continue;
        }
        if run.1 == 0 {
            run.0 = i;
        }
        run.1 += 1;
        if run.1 > best.1 {
            best = run;
        }
    }
    let groups = |out: &mut String, part: &[u16]| {
        for (i, &segment) in part.iter().enumerate() {
            if i > 0 {
                out.push(':');
            }
            push_hex(out, segment);
        }
    };
    if best.1 > 1 {
        groups(out, segments.get(..best.0).unwrap_or_default());
        out.push_str("::");
        groups(out, segments.get(best.0 + best.1..).unwrap_or_default());
    } else {
        groups(out, &segments);
    }
}

/// A group in lower-case hex without leading zeros.
fn push_hex(out: &mut String, group: u16) {
    let mut started = false;
    for shift in [12u16, 8, 4, 0] {
        let digit = u32::from((group >> shift) & 0xF);
        if digit != 0 || started || shift == 0 {
            started = true;
            out.extend(char::from_digit(digit, 16));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_text_is_what_display_writes() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        let mut addresses: Vec<IpAddr> = [
            "::",
            "::1",
            "::ffff:1.2.3.4",
            "::1.2.3.4",
            "1::",
            "0.0.0.0",
            "255.255.255.255",
        ]
        .iter()
        .map(|a| a.parse().unwrap())
        .collect();
        for _ in 0..20_000 {
            let bits = next();
            // Groups that are often zero, so that runs of every length and
            // place (and ties between runs) come up.
            let mut segments = [0u16; 8];
            for (i, s) in segments.iter_mut().enumerate() {
                if (bits >> (i * 2)) & 3 != 0 {
                    *s = (next() >> (i % 4 * 13)) as u16 & [0xF, 0xFF, 0xFFF, 0xFFFF][i % 4];
                }
            }
            if bits >> 60 == 0 {
                segments[..5].fill(0);
                segments[5] = 0xFFFF;
            }
            addresses.push(IpAddr::V6(std::net::Ipv6Addr::from(segments)));
            addresses.push(IpAddr::V4(std::net::Ipv4Addr::from((next() >> 16) as u32)));
        }
        for a in addresses {
            assert_eq!(ip_text(a), a.to_string());
        }
        let p = Prefix::parse("2001:db8::/32").unwrap().prefix;
        assert_eq!(p.text(), p.addr.to_string() + "/32");
    }

    #[test]
    fn parse_addresses() {
        assert!(parse_ip("1.2.3.4").is_ok());
        assert!(parse_ip(" ::1 ").is_ok());
        assert!(parse_ip("[2001:db8::1]").is_ok());
        assert!(parse_ip("[1.2.3.4]").is_err());
        assert!(parse_ip("01.2.3.4").is_err());
        assert!(parse_ip("1.2.3").is_err());
        assert!(parse_ip("1.2.3.256").is_err());
        assert!(parse_ip("0x1.2.3.4").is_err());
        assert!(parse_ip("fe80::1%eth0").is_err());
        assert_eq!(parse_ip(""), Err(IpParseError::Empty));
        assert!(parse_ip("hello").is_err());
    }

    #[test]
    fn parse_prefixes() {
        let p = Prefix::parse("10.0.0.1/8").unwrap();
        assert!(p.had_host_bits);
        assert_eq!(p.prefix.to_string(), "10.0.0.0/8");
        let p = Prefix::parse("10.0.0.1").unwrap();
        assert_eq!(p.prefix.len(), 32);
        let p = Prefix::parse("::ffff:10.0.0.0/104").unwrap();
        assert_eq!(p.prefix.to_string(), "10.0.0.0/8");
        assert_eq!(
            Prefix::parse("10.0.0.0/33").unwrap_err().to_string(),
            "prefix length 33 is longer than 32"
        );
        assert!(Prefix::parse("10.0.0.0/").is_err());
        assert!(Prefix::parse("10.0.0.0/+8").is_err());
        assert!(Prefix::parse("10.0.0.0/-1").is_err());
        assert!(Prefix::parse("::/129").is_err());
        let p = Prefix::parse("::/0").unwrap().prefix;
        assert_eq!(
            p.last().to_string(),
            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        );
        let p = Prefix::parse("0.0.0.0/0").unwrap().prefix;
        assert_eq!(p.last().to_string(), "255.255.255.255");
        assert!(p.contains("::ffff:1.2.3.4".parse().unwrap()));
    }
}
