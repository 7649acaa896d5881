//! What kind of mailbox an e-mail address is: business, free provider,
//! disposable, or a role account (info@, sales@). Fit scoring uses this for
//! negative points, and form validation to reject throw-away addresses.
//!
//! The domain lists come from `data/email/` (see `SOURCES` there); `build.rs`
//! turns them into sorted lists that are searched by binary search. Without
//! the `email-lists` feature, a short list of the largest providers is used.

use std::sync::OnceLock;

/// The class of mailbox an address belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
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

#[cfg(feature = "email-lists")]
const FREE_LIST: &str = include_str!(concat!(env!("OUT_DIR"), "/free_domains.txt"));
#[cfg(feature = "email-lists")]
const DISPOSABLE_LIST: &str = include_str!(concat!(env!("OUT_DIR"), "/disposable_domains.txt"));
#[cfg(not(feature = "email-lists"))]
const FREE_LIST: &str = "";
#[cfg(not(feature = "email-lists"))]
const DISPOSABLE_LIST: &str = "";

struct DomainList {
    sorted: Vec<&'static str>,
}

impl DomainList {
    fn build(embedded: &'static str, core: &[&'static str]) -> Self {
        let mut sorted: Vec<&'static str> = embedded.lines().chain(core.iter().copied()).collect();
        sorted.sort_unstable();
        sorted.dedup();
        Self { sorted }
    }

    /// True when `domain` or any parent domain below the public suffix is
    /// listed: `mx.mailinator.com` is as disposable as `mailinator.com`.
    fn contains(&self, domain: &str) -> bool {
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
}

fn free_domains() -> &'static DomainList {
    static LIST: OnceLock<DomainList> = OnceLock::new();
    LIST.get_or_init(|| DomainList::build(FREE_LIST, CORE_FREE_DOMAINS))
}

fn disposable_domains() -> &'static DomainList {
    static LIST: OnceLock<DomainList> = OnceLock::new();
    LIST.get_or_init(|| DomainList::build(DISPOSABLE_LIST, CORE_DISPOSABLE_DOMAINS))
}

/// Splits an address into its local part and its lower-cased domain (without
/// a trailing dot). `None` when there is no `@` or either side is empty.
pub fn split_address(address: &str) -> Option<(&str, String)> {
    let (local, domain) = address.trim().rsplit_once('@')?;
    let domain = domain.trim_end_matches('.').to_lowercase();
    if local.is_empty() || domain.is_empty() {
        return None;
    }
    Some((local, domain))
}

pub fn is_free_domain(domain: &str) -> bool {
    free_domains().contains(&domain.to_lowercase())
}

pub fn is_disposable_domain(domain: &str) -> bool {
    disposable_domains().contains(&domain.to_lowercase())
}

/// `info@`, `sales+eu@` and the like. A `+tag` is ignored.
pub fn is_role_local_part(local: &str) -> bool {
    let base = local.split('+').next().unwrap_or(local).to_lowercase();
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
    Some(if disposable_domains().contains(&domain) {
        MailboxKind::Disposable
    } else if free_domains().contains(&domain) {
        MailboxKind::Free
    } else if is_role_local_part(local) {
        MailboxKind::Role
    } else {
        MailboxKind::Business
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(free_domains().sorted.len() > 10_000);
        assert!(disposable_domains().sorted.len() > 5_000);
        // From the shipped lists, not from the core lists above.
        assert!(is_disposable_domain("0-mail.com"));
        assert!(is_free_domain("000webmail.ddnss.de"));
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
