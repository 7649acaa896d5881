//! The domain lists behind [`super::classify`]: free-mail providers and
//! disposable (throw-away) mail.
//!
//! Every build knows the largest free providers and a handful of disposable
//! services (the `CORE_` lists). With the `email-lists` feature (the default,
//! what Node and the edge worker load) it also embeds, from `data/email/`
//! (sources, versions and licences in its `README.md`):
//!
//! - the free-mail list, as sorted text;
//! - about 61,000 disposable-mail domains (mailchecker and
//!   disposable-email-domains) as 36-bit hashes (`domain_hash.rs`);
//! - the allowlists: legitimate providers the lists get wrong, and alias
//!   services whose addresses reach a real person; they win over everything;
//! - the public suffixes where the subdomain walk stops;
//! - one general rule: the former Freenom TLDs ([`FREE_TLDS`]).
//!
//! The page build (`--no-default-features`) keeps only the core lists, so
//! the wasm that pages download stays small; the edge checks again in full.

use std::sync::OnceLock;

/// The largest free providers, always known even without the full lists.
const CORE_FREE_DOMAINS: &[&str] = &[
    "126.com",
    "139.com",
    "163.com",
    "aol.com",
    "foxmail.com",
    "gmail.com",
    "gmx.com",
    "gmx.de",
    "googlemail.com",
    "hotmail.com",
    "icloud.com",
    "live.com",
    "mail.com",
    "mail.ru",
    "me.com",
    "msn.com",
    "naver.com",
    "outlook.com",
    "proton.me",
    "protonmail.com",
    "qq.com",
    "sina.com",
    "sohu.com",
    "web.de",
    "yahoo.co.jp",
    "yahoo.com",
    "yahoo.com.tw",
    "yandex.ru",
    "yeah.net",
    "zoho.com",
];

/// The best-known throw-away services, always known.
const CORE_DISPOSABLE_DOMAINS: &[&str] = &[
    "10minutemail.com",
    "guerrillamail.com",
    "mailinator.com",
    "sharklasers.com",
    "temp-mail.org",
    "throwawaymail.com",
    "trashmail.com",
    "yopmail.com",
];

/// The TLDs Freenom gave away free (.tk, and .ml .ga .cf .gq for their
/// registries) until it stopped in 2023. In the training half of the
/// evaluation lists they hold 12.8 % (ivolo) and 11.8 % (wesbos) of the
/// throw-away domains that no shipped list names, and none of the 5,074
/// legitimate providers (allowlists, free-mail providers on no disposable
/// list). Registry zones below them (gov.ml, edu.ml ...) are public
/// suffixes and not caught. See `data/email/README.md`.
pub const FREE_TLDS: &[&str] = &["cf", "ga", "gq", "ml", "tk"];

#[cfg(feature = "email-lists")]
const FREE_LIST: &str = include_str!(concat!(env!("OUT_DIR"), "/free_domains.txt"));
#[cfg(not(feature = "email-lists"))]
const FREE_LIST: &str = "";

/// Why a domain counts as disposable: the answer of [`disposable_match`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisposableMatch {
    /// The domain itself is listed.
    Listed,
    /// A parent domain is listed: `mx.mailinator.com` under `mailinator.com`.
    ParentListed,
    /// Not listed, but under one of the [`FREE_TLDS`] (full build only).
    FreeTld,
}

pub(super) struct DomainList {
    sorted: Vec<&'static str>,
}

impl DomainList {
    /// The built-in lists alone (the light builds embed no others): kept
    /// sorted and unique in the source (`core_lists_are_sorted`), so these
    /// builds carry no sort for them.
    #[cfg(not(feature = "email-lists"))]
    fn build(embedded: &'static str, core: &[&'static str]) -> Self {
        debug_assert!(embedded.is_empty());
        Self {
            sorted: core.to_vec(),
        }
    }

    #[cfg(feature = "email-lists")]
    fn build(embedded: &'static str, core: &[&'static str]) -> Self {
        let mut sorted: Vec<&'static str> = embedded.lines().chain(core.iter().copied()).collect();
        sorted.sort_unstable();
        sorted.dedup();
        Self { sorted }
    }

    /// True when `domain` or any parent domain below the public suffix is
    /// listed: `mx.mailinator.com` is as disposable as `mailinator.com`.
    pub(super) fn contains(&self, domain: &str) -> bool {
        let mut rest = domain;
        loop {
            if self.sorted.binary_search(&rest).is_ok() {
                return true;
            }
            match rest.split_once('.') {
                Some((_, parent)) if parent.contains('.') => rest = parent,
                _ => return false,
            }
        }
    }

    #[cfg(feature = "email-lists")]
    fn contains_exact(&self, domain: &str) -> bool {
        self.sorted.binary_search(&domain).is_ok()
    }
}

pub(super) fn free_domains() -> &'static DomainList {
    static LIST: OnceLock<DomainList> = OnceLock::new();
    LIST.get_or_init(|| DomainList::build(FREE_LIST, CORE_FREE_DOMAINS))
}

#[cfg(not(feature = "email-lists"))]
fn disposable_domains() -> &'static DomainList {
    static LIST: OnceLock<DomainList> = OnceLock::new();
    LIST.get_or_init(|| DomainList::build("", CORE_DISPOSABLE_DOMAINS))
}

/// Whether a lower-case domain is disposable (see [`disposable_match`]).
pub(super) fn is_disposable(domain: &str) -> bool {
    #[cfg(feature = "email-lists")]
    return full::disposable_match(domain).is_some();
    #[cfg(not(feature = "email-lists"))]
    return disposable_domains().contains(domain);
}

/// Why a lower-case domain counts as disposable, or `None`. Full build: the
/// domain and each parent are checked in turn, the longest first; an
/// allowlisted name ends the walk with `None`, so does a public suffix above
/// the domain (`x.pp.ua` is not caught because `pp.ua` is listed); then the
/// free-TLD rule. Page build: the core list and its parents only.
pub fn disposable_match(domain: &str) -> Option<DisposableMatch> {
    #[cfg(feature = "email-lists")]
    return full::disposable_match(domain);
    #[cfg(not(feature = "email-lists"))]
    return disposable_domains().contains(domain).then_some(
        if CORE_DISPOSABLE_DOMAINS.contains(&domain) {
            DisposableMatch::Listed
        } else {
            DisposableMatch::ParentListed
        },
    );
}

#[cfg(feature = "email-lists")]
mod full {
    use super::super::domain_hash::{domain_hash, HashSet};
    use super::{DisposableMatch, DomainList, CORE_DISPOSABLE_DOMAINS, FREE_TLDS};
    use std::sync::OnceLock;

    // `DISPOSABLE: HashSet<'static>`, written by build.rs.
    include!(concat!(env!("OUT_DIR"), "/disposable_set.rs"));

    const ALLOWLIST: &str = include_str!(concat!(env!("OUT_DIR"), "/disposable_allowlist.txt"));
    const SUFFIXES: &str = include_str!(concat!(env!("OUT_DIR"), "/public_suffixes.txt"));

    fn allowlist() -> &'static DomainList {
        static LIST: OnceLock<DomainList> = OnceLock::new();
        LIST.get_or_init(|| DomainList::build(ALLOWLIST, &[]))
    }

    fn suffixes() -> &'static DomainList {
        static LIST: OnceLock<DomainList> = OnceLock::new();
        LIST.get_or_init(|| DomainList::build(SUFFIXES, &[]))
    }

    fn listed(name: &str) -> bool {
        DISPOSABLE.contains(domain_hash(name)) || CORE_DISPOSABLE_DOMAINS.contains(&name)
    }

    pub(super) fn disposable_match(domain: &str) -> Option<DisposableMatch> {
        let mut name = domain;
        loop {
            if allowlist().contains_exact(name) {
                return None;
            }
            let suffix = suffixes().contains_exact(name);
            if suffix && name.len() < domain.len() {
                // Registrations below a public suffix belong to different
                // people: one listed does not make its neighbours disposable.
                return None;
            }
            if listed(name) {
                return Some(if name.len() == domain.len() {
                    DisposableMatch::Listed
                } else {
                    DisposableMatch::ParentListed
                });
            }
            if suffix {
                return None;
            }
            match name.split_once('.') {
                Some((_, parent)) if parent.contains('.') => name = parent,
                _ => break,
            }
        }
        let (_, tld) = name.rsplit_once('.')?;
        FREE_TLDS.contains(&tld).then_some(DisposableMatch::FreeTld)
    }

    #[cfg(test)]
    mod tests {
        use super::super::super::domain_hash::domain_hash;
        use super::*;

        /// Every name of the committed lists is found by its hash.
        #[test]
        fn every_listed_domain_is_in_the_set() {
            for text in [
                include_str!("../../data/email/mailchecker.txt"),
                include_str!("../../data/email/disposable_email_blocklist.conf"),
            ] {
                for line in text
                    .lines()
                    .filter(|l| !l.starts_with('#') && l.contains('.'))
                {
                    let name = line.trim().to_ascii_lowercase();
                    assert!(DISPOSABLE.contains(domain_hash(&name)), "{name}");
                }
            }
            const { assert!(DISPOSABLE.len > 60_000) };
        }

        /// No free-mail provider that no disposable list names collides with a
        /// listed hash (nor with a parent's).
        #[test]
        fn no_hash_collision_with_unlisted_free_providers() {
            let unlisted = include_str!("../../tests/data/disposable/free-unlisted.txt");
            let hits: Vec<&str> = unlisted
                .lines()
                .filter(|l| !l.starts_with('#'))
                .filter(|d| matches!(disposable_match(d), Some(DisposableMatch::Listed)))
                .collect();
            assert!(hits.is_empty(), "{hits:?}");
        }

        #[test]
        fn walk_allowlist_suffixes_and_free_tlds() {
            use DisposableMatch::*;
            for (domain, want) in [
                ("mailinator.com", Some(Listed)),
                ("eu.mailinator.com", Some(ParentListed)),
                ("a.b.mailinator.com", Some(ParentListed)),
                ("0-mail.com", Some(Listed)),
                // Alias services and the upstream allowlist win, subdomains too.
                ("duck.com", None),
                ("mozmail.com", None),
                ("johndoe.anonaddy.com", None),
                ("privaterelay.appleid.com", None),
                ("nus.edu.sg", None),
                ("hush.com", None),
                // A listed public suffix matches only itself.
                ("pp.ua", Some(Listed)),
                ("acme.pp.ua", None),
                ("msk.ru", Some(Listed)),
                ("shop.msk.ru", None),
                // The free TLDs, but not the registry zones below them.
                ("never-listed-example.tk", Some(FreeTld)),
                ("mail.never-listed-example.ga", Some(FreeTld)),
                ("ministere.gouv.ml", None),
                ("gov.ml", None),
                ("tk", None),
                ("acme.example", None),
                ("gmail.com", None),
            ] {
                assert_eq!(disposable_match(domain), want, "{domain}");
            }
            for core in CORE_DISPOSABLE_DOMAINS {
                assert_eq!(disposable_match(core), Some(Listed), "{core}");
            }
        }
    }
}

#[cfg(test)]
mod core_list_tests {
    use super::{CORE_DISPOSABLE_DOMAINS, CORE_FREE_DOMAINS};

    /// The light builds binary-search these as written.
    #[test]
    fn core_lists_are_sorted() {
        for list in [CORE_FREE_DOMAINS, CORE_DISPOSABLE_DOMAINS] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }
}
