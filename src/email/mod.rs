//! What kind of mailbox an e-mail address is: business, free provider,
//! disposable, or a role account (info@, sales@). Fit scoring uses this for
//! negative points, and form validation to reject throw-away addresses.
//!
//! The domain lists and the rules for disposable mail are in `lists.rs`;
//! their data comes from `data/email/` (sources, versions and licences in its
//! `README.md`). Without the `email-lists` feature, short lists of the largest
//! providers are used.

#[cfg(any(feature = "email-lists", test))]
mod domain_hash;
mod lists;

use lists::free_domains;
pub use lists::{disposable_match, DisposableMatch, FREE_TLDS};

/// The class of mailbox an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum MailboxKind {
    /// A company's own domain: the strongest sign of a real buyer.
    Business,
    /// A free webmail provider (gmail.com, qq.com, outlook.com ...).
    Free,
    /// A throw-away provider (mailinator.com ...): nobody reads it later.
    Disposable,
    /// A shared inbox such as info@ or sales@: a company, but no person.
    Role,
}

/// Local parts that name a function rather than a person.
const ROLE_LOCAL_PARTS: &[&str] = &[
    "abuse",
    "accounts",
    "admin",
    "administrator",
    "billing",
    "careers",
    "contact",
    "enquiries",
    "enquiry",
    "hello",
    "help",
    "helpdesk",
    "hostmaster",
    "hr",
    "info",
    "inquiries",
    "inquiry",
    "jobs",
    "mail",
    "marketing",
    "media",
    "no-reply",
    "noc",
    "noreply",
    "office",
    "postmaster",
    "press",
    "privacy",
    "recruiting",
    "root",
    "sales",
    "security",
    "service",
    "support",
    "team",
    "webmaster",
];

/// Splits an address into its local part and its lower-cased domain (without
/// a trailing dot). `None` when there is no `@` or either side is empty.
pub fn split_address(address: &str) -> Option<(&str, String)> {
    let (local, domain) = address.trim().rsplit_once('@')?;
    let domain = crate::text::lowercase(domain.trim_end_matches('.'));
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    Some((local, domain))
}

pub fn is_free_domain(domain: &str) -> bool {
    free_domains().contains(&crate::text::lowercase(domain))
}

pub fn is_disposable_domain(domain: &str) -> bool {
    lists::is_disposable(&crate::text::lowercase(domain))
}

/// `info@`, `sales+eu@` and the like. A `+tag` is ignored.
pub fn is_role_local_part(local: &str) -> bool {
    let base = crate::text::lowercase(local.split('+').next().unwrap_or(local));
    ROLE_LOCAL_PARTS.binary_search(&base.as_str()).is_ok()
}

/// Universities and schools: `.edu`, `.edu.cn`, `.ac.uk`, `.ac.jp` ... A lead
/// on such a domain is most often a student or a researcher, not a buyer.
pub fn is_academic_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let n = labels.len();
    let last = labels.last().copied().unwrap_or("");
    let second_last = if n >= 2 {
        labels.get(n - 2).copied().unwrap_or("")
    } else {
        ""
    };
    last == "edu" || (n >= 3 && (second_last == "edu" || (second_last == "ac" && last.len() == 2)))
}

/// Classifies a syntactically plausible address. Disposable wins over free
/// (many lists carry both), free over role, role over business.
pub fn classify(address: &str) -> Option<MailboxKind> {
    let (local, domain) = split_address(address)?;
    Some(if lists::is_disposable(&domain) {
        MailboxKind::Disposable
    } else if free_domains().contains(&domain) {
        MailboxKind::Free
    } else if is_role_local_part(local) {
        MailboxKind::Role
    } else {
        MailboxKind::Business
    })
}

/// Longest address accepted: RFC 5321's 254 octets for a forward path.
pub const MAX_ADDRESS_LEN: usize = 254;
/// Longest local part (RFC 5321).
pub const MAX_LOCAL_LEN: usize = 64;

/// Why an address is not usable, in stable `snake_case` codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EmailProblem {
    /// Nothing was given.
    Empty,
    /// Longer than 254 characters, or a local part longer than 64.
    TooLong,
    /// No `@`, or more than one outside the allowed characters.
    MissingAt,
    /// The local part has a character `<input type=email>` does not accept
    /// (spaces, quotes, `:`, non-ASCII ...).
    InvalidLocalPart,
    /// The domain is not a valid host name, or IDNA could not convert it.
    InvalidDomain,
    /// A valid address for a browser (`user@localhost`) but without a dot in
    /// the domain, so no mail can reach it from the Internet.
    NoDotInDomain,
}

/// The answer of [`check_email`] (`checkEmail()` in JavaScript).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EmailCheck {
    pub valid: bool,
    /// The mailbox class; `business` when the address is invalid.
    pub kind: MailboxKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<EmailProblem>,
    /// The address as it should be stored: trimmed, line breaks removed as a
    /// browser does, the domain lower-cased and in punycode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<String>,
}

fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b".!#$%&'*+/=?^_`{|}~-".contains(&b)
}

/// The WHATWG "valid e-mail address" production, exactly as browsers judge
/// `<input type=email>`: `atext`/`.` in the local part, then labels of 1–63
/// letters, digits and inner hyphens. ASCII only: an IDN domain must be
/// converted first (see [`check_email`]).
pub fn is_valid_whatwg(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty() && local.bytes().all(is_atext) && is_valid_domain(domain)
}

fn is_valid_domain(domain: &str) -> bool {
    !domain.is_empty()
        && domain.split('.').all(|label| {
            let bytes = label.as_bytes();
            (1..=63).contains(&bytes.len())
                && bytes
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
                && bytes.first() != Some(&b'-')
                && bytes.last() != Some(&b'-')
        })
}

/// Strips what a browser's value sanitization strips from an e-mail input:
/// line breaks anywhere, and ASCII whitespace at both ends.
pub fn sanitize_input(address: &str) -> String {
    address
        .chars()
        .filter(|c| *c != '\n' && *c != '\r')
        .collect::<String>()
        .trim_matches(|c: char| c.is_ascii_whitespace())
        .to_string()
}

/// Checks an address the way a browser does (value sanitization, IDNA to
/// punycode as Chromium does for IDN domains, the WHATWG production), adds
/// the RFC 5321 length limits and the need for a dot in the domain, and
/// classifies it.
pub fn check_email(address: &str) -> EmailCheck {
    let invalid = |reason| EmailCheck {
        valid: false,
        kind: MailboxKind::Business,
        reason: Some(reason),
        normalized: None,
    };
    // Cheap bound first: a hostile 10 MB string is refused before any scan.
    if address.len() > MAX_ADDRESS_LEN * 8 {
        return invalid(EmailProblem::TooLong);
    }
    let clean = sanitize_input(address);
    if clean.is_empty() {
        return invalid(EmailProblem::Empty);
    }
    let Some((local, domain)) = clean.split_once('@') else {
        return invalid(EmailProblem::MissingAt);
    };
    if local.is_empty() || !local.bytes().all(is_atext) {
        return invalid(if domain.contains('@') {
            EmailProblem::MissingAt
        } else {
            EmailProblem::InvalidLocalPart
        });
    }
    let ascii_domain = if domain.is_ascii() {
        domain.to_ascii_lowercase()
    } else {
        match domain_to_ascii(domain) {
            Some(d) => d,
            None => return invalid(EmailProblem::InvalidDomain),
        }
    };
    if !is_valid_domain(&ascii_domain) {
        return invalid(EmailProblem::InvalidDomain);
    }
    if local.len() > MAX_LOCAL_LEN || local.len() + 1 + ascii_domain.len() > MAX_ADDRESS_LEN {
        return invalid(EmailProblem::TooLong);
    }
    if !ascii_domain.contains('.') {
        return invalid(EmailProblem::NoDotInDomain);
    }
    let normalized = format!("{local}@{ascii_domain}");
    EmailCheck {
        valid: true,
        kind: classify(&normalized).unwrap_or(MailboxKind::Business),
        reason: None,
        normalized: Some(normalized),
    }
}

/// An internationalized domain in its ASCII (punycode) form, as browsers send
/// it. With the `idna` feature this is UTS #46 processing (the edge build);
/// without it, a lighter version for the page: lower-casing stands in for
/// UTS #46 mapping (no Unicode normalization tables), then RFC 3492 punycode.
#[cfg(feature = "idna")]
fn domain_to_ascii(domain: &str) -> Option<String> {
    idna::domain_to_ascii(domain).ok()
}

#[cfg(not(feature = "idna"))]
fn domain_to_ascii(domain: &str) -> Option<String> {
    domain_to_ascii_light(domain)
}

#[cfg_attr(feature = "idna", allow(dead_code))]
fn domain_to_ascii_light(domain: &str) -> Option<String> {
    // The two UTS #46 mappings that people type most: full-width ASCII (an
    // IME left on) and the ideographic full stops, which separate labels.
    let mapped: String = domain
        .chars()
        .map(|c| match c {
            '\u{3002}' | '\u{FF0E}' | '\u{FF61}' => '.',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect();
    let lower = crate::text::lowercase(&mapped);
    let mut labels = Vec::new();
    for label in lower.split('.') {
        if label.is_ascii() {
            labels.push(label.to_string());
        } else if label
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '@')
        {
            return None;
        } else {
            labels.push(format!("xn--{}", punycode_encode(label)?));
        }
    }
    Some(labels.join("."))
}

/// RFC 3492 punycode encoding of one label (without the `xn--` prefix).
/// `None` on arithmetic overflow, which only absurdly long labels reach.
#[cfg_attr(feature = "idna", allow(dead_code))]
fn punycode_encode(label: &str) -> Option<String> {
    const BASE: u32 = 36;
    const T_MIN: u32 = 1;
    const T_MAX: u32 = 26;
    fn digit(d: u32) -> char {
        // 0..=25 → a..z, 26..=35 → 0..9
        char::from_digit((d + 10) % 36, 36).unwrap_or('a')
    }
    fn adapt(delta: u32, points: u32, first: bool) -> u32 {
        let mut delta = if first { delta / 700 } else { delta / 2 };
        delta += delta / points.max(1);
        let mut k = 0;
        while delta > ((BASE - T_MIN) * T_MAX) / 2 {
            delta /= BASE - T_MIN;
            k += BASE;
        }
        k + (BASE - T_MIN + 1) * delta / (delta + 38)
    }
    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let mut output: String = label.chars().filter(char::is_ascii).collect();
    let basic = u32::try_from(output.len()).ok()?;
    let total = u32::try_from(input.len()).ok()?;
    let mut handled = basic;
    if basic > 0 {
        output.push('-');
    }
    let (mut n, mut delta, mut bias) = (128u32, 0u32, 72u32);
    while handled < total {
        let m = input.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &input {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    output.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                output.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(output)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn light_punycode_matches_known_encodings() {
        for (unicode, ascii) in [
            ("münchen.de", "xn--mnchen-3ya.de"),
            ("MÜNCHEN.DE", "xn--mnchen-3ya.de"),
            ("bücher.example", "xn--bcher-kva.example"),
            ("中国移动.中国", "xn--fiq02ib9d179b.xn--fiqs8s"),
            ("例え.テスト", "xn--r8jz45g.xn--zckzah"),
            ("пример.рф", "xn--e1afmkfd.xn--p1ai"),
            ("ñandú.com", "xn--and-6ma2c.com"),
            ("例子。中国", "xn--fsqu00a.xn--fiqs8s"),
            ("ＥＸＡＭＰＬＥ.com", "example.com"),
        ] {
            assert_eq!(
                domain_to_ascii_light(unicode).as_deref(),
                Some(ascii),
                "{unicode}"
            );
            #[cfg(feature = "idna")]
            assert_eq!(
                domain_to_ascii(unicode).as_deref(),
                Some(ascii),
                "idna: {unicode}"
            );
        }
        assert_eq!(domain_to_ascii_light("例 子.example"), None);
    }

    #[test]
    fn role_list_is_sorted_for_binary_search() {
        let mut sorted = ROLE_LOCAL_PARTS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, ROLE_LOCAL_PARTS);
    }

    #[test]
    fn classifies_each_kind() {
        assert_eq!(
            classify("li.wei@petrochina.com.cn"),
            Some(MailboxKind::Business)
        );
        assert_eq!(classify("Someone@Gmail.com"), Some(MailboxKind::Free));
        assert_eq!(classify("x@qq.com"), Some(MailboxKind::Free));
        assert_eq!(classify("x@mailinator.com"), Some(MailboxKind::Disposable));
        assert_eq!(
            classify("x@eu.mailinator.com"),
            Some(MailboxKind::Disposable)
        );
        assert_eq!(classify("sales@acme.example"), Some(MailboxKind::Role));
        assert_eq!(classify("info+web@acme.example"), Some(MailboxKind::Role));
        assert_eq!(classify("no-at-sign"), None);
        assert_eq!(classify("@acme.example"), None);
    }

    #[cfg(feature = "email-lists")]
    #[test]
    fn full_lists_are_embedded() {
        // From the shipped lists, not from the core lists.
        assert!(is_disposable_domain("0-mail.com"));
        assert!(is_disposable_domain("X.0-Mail.com"));
        assert!(is_free_domain("000webmail.ddnss.de"));
    }

    #[test]
    fn whatwg_production() {
        assert!(is_valid_whatwg("a@b"));
        assert!(is_valid_whatwg("!#$%&'*+/=?^_`{|}~.-@com.com"));
        assert!(!is_valid_whatwg("someone@do-.com"));
        assert!(!is_valid_whatwg("a@b..c"));
        assert!(!is_valid_whatwg("\"q\"@b.c"));
    }

    #[test]
    fn check_email_normalizes_idn_and_classifies() {
        let c = check_email("  Li.Wei@MÜNCHEN.de\n");
        assert!(c.valid);
        assert_eq!(c.normalized.as_deref(), Some("Li.Wei@xn--mnchen-3ya.de"));
        assert_eq!(c.kind, MailboxKind::Business);
        assert_eq!(
            check_email("x@mailinator.com").kind,
            MailboxKind::Disposable
        );
        assert_eq!(check_email("info@acme.example").kind, MailboxKind::Role);
        assert_eq!(
            check_email("a@localhost").reason,
            Some(EmailProblem::NoDotInDomain)
        );
        assert_eq!(check_email("").reason, Some(EmailProblem::Empty));
        assert_eq!(
            check_email(&"a".repeat(10_000_000)).reason,
            Some(EmailProblem::TooLong)
        );
        assert_eq!(
            check_email("mañana@foo.com").reason,
            Some(EmailProblem::InvalidLocalPart)
        );
    }

    #[test]
    fn academic_domains() {
        assert!(is_academic_domain("mit.edu"));
        assert!(is_academic_domain("pku.edu.cn"));
        assert!(is_academic_domain("ox.ac.uk"));
        assert!(!is_academic_domain("acme.com"));
        assert!(!is_academic_domain("ac.uk"));
    }
}
