//! The visitor context as conditions read it, answered from typed fields.
//!
//! [`ContextView`] holds what a context is made of (the visitor, the network
//! facts of its address, its named account and what the org rules derived)
//! and answers `getPath` for any path of the layout [`context`](super::context)
//! describes, producing only the value asked for, borrowed where the visitor
//! or the view already holds it. Deciding reads it directly: a condition
//! names a handful of paths, and building the whole context as a JSON tree
//! per visitor (cloning the visitor's request, profile and page into it, then
//! dropping it) was most of what deciding cost.
//!
//! [`ContextView::to_value`] writes the whole context out, for the API that
//! shows it; it is built from the same answers, so what a user sees is what
//! conditions read.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::net::IpAddr;

use crate::json::{Map, Value};

use super::context::{add_ip_facts, useful, Tables, Visitor};
use super::orgmap::{OrgFacts, OrgRules};
use crate::segment::cidr::CidrMatch;
#[cfg(not(feature = "page-only"))]
use crate::segment::ip::parse_ip;
use crate::targeting::condition::{value_at_path, Attributes};

/// Every top-level key of a context, in the order the layout lists them.
const KEYS: [&str; 31] = [
    "id",
    "ip",
    "account",
    "derived",
    "request",
    "profile",
    "page",
    "path",
    "referrer",
    "utm",
    "company",
    "domain",
    "industry",
    "companySize",
    "country",
    "region",
    "city",
    "continent",
    "asn",
    "asOrganization",
    "score",
    "grade",
    "tier",
    "stage",
    "mql",
    "interests",
    "interestShares",
    "seen",
    "sources",
    "segment",
    "segments",
];

/// Where a resolved top-level value came from, as `sources` names it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Source<'a> {
    Named(&'static str),
    /// An org mapping rule: `rule:<id>`.
    Rule(&'a str),
}

impl Source<'_> {
    fn label(self) -> String {
        match self {
            Source::Named(s) => s.to_string(),
            Source::Rule(id) => {
                let mut label = String::with_capacity(5 + id.len());
                label.push_str("rule:");
                label.push_str(id);
                label
            }
        }
    }
}

/// One top-level entry of the context, before a path walks into it.
enum Entry<'v> {
    Value(Cow<'v, Value>),
    Map(&'v Map<String, Value>),
    Account(&'v CidrMatch<'v>),
}

/// What a context adds to its visitor when no lookup table is given: the
/// network facts of its request and what the org rules derived. It depends
/// on the visitor's address, request and profile and on the org rules
/// only, so a visitor held in memory keeps it between decisions
/// ([`ContextView::with_base`]) instead of deriving it again for each.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ViewBase {
    ip: Map<String, Value>,
    from_request: Vec<&'static str>,
    derived: Option<Map<String, Value>>,
}

impl ViewBase {
    /// The base of `visitor`'s context under `org_rules`, with no tables.
    pub fn of(visitor: &Visitor, org_rules: &OrgRules) -> ViewBase {
        let view = ContextView::new(visitor, &Tables::default(), org_rules, 0);
        ViewBase {
            ip: view.ip.into_owned(),
            from_request: view.from_request.into_owned(),
            derived: view.derived.map(Cow::into_owned),
        }
    }
}

/// A visitor's context, answered field by field. Segments are set once
/// evaluated ([`with_segments`](Self::with_segments)); before that the
/// context has none, as segment conditions see it.
pub struct ContextView<'a> {
    visitor: &'a Visitor,
    top_interests: usize,
    /// Network facts: MaxMind, then the request attributes.
    ip: Cow<'a, Map<String, Value>>,
    /// The `ip` keys taken from the request attributes (the rest are
    /// MaxMind's).
    from_request: Cow<'a, [&'static str]>,
    account: Option<CidrMatch<'a>>,
    derived: Option<Cow<'a, Map<String, Value>>>,
    segments: Option<Vec<&'a str>>,
    /// Built on first use: the ranked interests and their shares.
    interests: OnceCell<Option<(Value, Map<String, Value>)>>,
}

impl<'a> ContextView<'a> {
    /// The context of `visitor`; `top_interests` is how many interest tags
    /// go into `interests`.
    pub fn new(
        visitor: &'a Visitor,
        tables: &Tables<'a>,
        org_rules: &OrgRules,
        top_interests: usize,
    ) -> ContextView<'a> {
        // The page runtime never knows its visitor's address (the edge
        // does): the page build reads none and links no address parsing or
        // printing.
        #[cfg(feature = "page-only")]
        let addr = None;
        #[cfg(not(feature = "page-only"))]
        let addr = visitor.ip.as_deref().and_then(|s| parse_ip(s.trim()).ok());
        let (ip, from_request) = network_facts(visitor, tables, addr);
        let account = addr.and_then(|a| tables.accounts.and_then(|t| t.lookup(a)));
        let mut view = ContextView {
            visitor,
            top_interests,
            ip: Cow::Owned(ip),
            from_request: Cow::Owned(from_request),
            account,
            derived: None,
            segments: None,
            interests: OnceCell::new(),
        };
        view.derived = view.derive(org_rules).map(Cow::Owned);
        view
    }

    /// The context of `visitor` with no lookup tables, its network facts
    /// and derived fields taken from `base` (which [`ViewBase::of`] made
    /// for the same visitor and org rules).
    pub fn with_base(
        visitor: &'a Visitor,
        base: &'a ViewBase,
        top_interests: usize,
    ) -> ContextView<'a> {
        ContextView {
            visitor,
            top_interests,
            ip: Cow::Borrowed(&base.ip),
            from_request: Cow::Borrowed(&base.from_request),
            account: None,
            derived: base.derived.as_ref().map(Cow::Borrowed),
            segments: None,
            interests: OnceCell::new(),
        }
    }

    /// The same context with its `segments` (highest priority first) and
    /// `segment` (the first) set.
    pub fn with_segments(mut self, segments: Vec<&'a str>) -> ContextView<'a> {
        self.segments = Some(segments);
        self
    }

    /// The visitor's id, which experiments and holdouts hash.
    pub fn id(&self) -> &'a str {
        &self.visitor.id
    }

    /// The segments set by [`with_segments`](Self::with_segments).
    pub fn segments(&self) -> &[&'a str] {
        self.segments.as_deref().unwrap_or_default()
    }

    /// The whole context as one JSON object, as conditions see it.
    pub fn to_value(&self) -> Value {
        let mut ctx = Map::new();
        for key in KEYS {
            if let Some(entry) = self.entry(key) {
                ctx.insert(key.to_string(), entry_value(entry, &[]).into_owned());
            }
        }
        Value::Object(ctx)
    }

    /// The org mapping rules over what is known before them: the account's
    /// or the profile's company, the first domain known, the network facts.
    fn derive(&self, org_rules: &OrgRules) -> Option<Map<String, Value>> {
        let company = self
            .account_field("company")
            .and_then(|v| useful(Some(v)))
            .or_else(|| useful(self.profile_field("company")));
        let domain = self
            .account_field("domain")
            .and_then(|v| useful(Some(v)))
            .or_else(|| useful(self.profile_field("domain")))
            .or_else(|| useful(self.ip.get("domain")));
        org_rules.apply(&OrgFacts {
            as_organization: self.ip.get("asOrganization").and_then(Value::as_str),
            organization: self.ip.get("organization").and_then(Value::as_str),
            isp: self.ip.get("isp").and_then(Value::as_str),
            domain: domain.and_then(Value::as_str),
            company: company.and_then(Value::as_str),
            asn: self.ip.get("asn").and_then(Value::as_u64),
        })
    }

    fn account_field(&self, key: &str) -> Option<&'a Value> {
        self.account.and_then(|m| m.attributes.as_map().get(key))
    }

    fn profile_field(&self, key: &str) -> Option<&'a Value> {
        self.visitor.profile.as_ref().and_then(|p| p.get(key))
    }

    fn request_field(&self, key: &str) -> Option<&'a Value> {
        self.visitor.request.as_ref().and_then(|r| r.get(key))
    }

    fn ip_source(&self, key: &str) -> &'static str {
        if self.from_request.contains(&key) {
            "request"
        } else {
            "maxmind"
        }
    }

    /// A resolved top-level value (`company`, `country`, `asn`, …) and its
    /// source: the first source that knows it, in the order the context's
    /// precedence gives.
    fn resolve(&self, key: &str) -> Option<(&Value, Source<'_>)> {
        let named = |source: &'static str, value: Option<&'a Value>| {
            useful(value).map(|v| (v, Source::Named(source)))
        };
        let from_ip =
            |key: &str| useful(self.ip.get(key)).map(|v| (v, Source::Named(self.ip_source(key))));
        match key {
            "company" | "domain" | "industry" | "companySize" => {
                let (account_key, profile_key) = match key {
                    "companySize" => ("size", "companySize"),
                    _ => (key, key),
                };
                let (rule_value, rule) = self.rule_source(key, account_key);
                named("account", self.account_field(account_key))
                    .or_else(|| named("profile", self.profile_field(profile_key)))
                    .or_else(|| useful(rule_value).map(|v| (v, rule)))
                    .or_else(|| match key {
                        "domain" => from_ip(key),
                        _ => None,
                    })
            }
            "country" | "region" | "city" | "continent" => {
                from_ip(key).or_else(|| named("profile", self.profile_field(key)))
            }
            "asn" | "asOrganization" => {
                from_ip(key).or_else(|| named("request", self.request_field(key)))
            }
            _ => None,
        }
    }

    /// The value an org rule set for `key` (or its account-table name
    /// `alt`) and the rule that set it.
    fn rule_source(&self, key: &str, alt: &str) -> (Option<&Value>, Source<'_>) {
        let Some(d) = &self.derived else {
            return (None, Source::Rule(""));
        };
        let (value, name) = match d.get(key) {
            Some(v) => (Some(v), key),
            None => (d.get(alt), alt),
        };
        let rule = d
            .get("rules")
            .and_then(|r| r.get(name))
            .and_then(Value::as_str)
            .unwrap_or("");
        (value, Source::Rule(rule))
    }

    /// `sources`: where each resolved value came from.
    fn sources(&self) -> Map<String, Value> {
        let mut sources = Map::new();
        for key in &KEYS[10..20] {
            if let Some((_, source)) = self.resolve(key) {
                sources.insert((*key).to_string(), Value::String(source.label()));
            }
        }
        sources
    }

    /// `interests` (the top tags, strongest first) and `interestShares`
    /// (every tag's share), or `None` when the score names no interest.
    fn interest_values(&self) -> Option<&(Value, Map<String, Value>)> {
        self.interests
            .get_or_init(|| {
                let score = self.visitor.score.as_ref()?;
                if score.interests.is_empty() {
                    return None;
                }
                let ranked = score.ranked_shares();
                let mut shares = Map::new();
                for (tag, share) in &ranked {
                    shares.insert((*tag).to_string(), Value::from(*share));
                }
                let top = ranked
                    .iter()
                    .take(self.top_interests)
                    .map(|(tag, _)| Value::String((*tag).to_string()))
                    .collect();
                Some((Value::Array(top), shares))
            })
            .as_ref()
    }

    /// `interestShares`, as recommendations read it.
    pub(super) fn interest_shares(&self) -> Option<&Map<String, Value>> {
        self.interest_values().map(|(_, shares)| shares)
    }

    /// A resolved top-level value, as recommendations read it.
    pub(super) fn resolved(&self, key: &str) -> Option<&Value> {
        self.resolve(key).map(|(v, _)| v)
    }

    /// The visitor, as recommendations read its profile, score and `seen`.
    pub(super) fn visitor(&self) -> &'a Visitor {
        self.visitor
    }

    /// The context's top-level `key`, or `None` when it has no such key.
    fn entry(&self, key: &str) -> Option<Entry<'_>> {
        let owned = |v: Value| Some(Entry::Value(Cow::Owned(v)));
        let visitor = self.visitor;
        let score = visitor.score.as_ref();
        match key {
            "id" => owned(Value::String(visitor.id.clone())),
            "ip" => (!self.ip.is_empty()).then_some(Entry::Map(self.ip.as_ref())),
            "account" => self.account.as_ref().map(Entry::Account),
            "derived" => self.derived.as_deref().map(Entry::Map),
            "request" => visitor.request.as_ref().map(Entry::Map),
            "profile" => visitor.profile.as_ref().map(Entry::Map),
            "page" => visitor.page.as_ref().map(Entry::Map),
            "path" | "referrer" | "utm" => visitor
                .page
                .as_ref()
                .and_then(|p| p.get(key))
                .map(|v| Entry::Value(Cow::Borrowed(v))),
            "company" | "domain" | "industry" | "companySize" | "country" | "region" | "city"
            | "continent" | "asn" | "asOrganization" => self
                .resolve(key)
                .map(|(v, _)| Entry::Value(Cow::Borrowed(v))),
            "score" => {
                let score = score?;
                let mut s = Map::new();
                if let Some(fit) = score.fit {
                    s.insert("fit".into(), Value::from(fit));
                }
                if let Some(engagement) = score.engagement {
                    s.insert("engagement".into(), Value::from(engagement));
                }
                if s.is_empty() {
                    return None;
                }
                owned(Value::Object(s))
            }
            "grade" => owned(Value::String(score?.grade.clone()?)),
            "tier" => owned(Value::String(score?.tier?.as_str().into())),
            "stage" => owned(Value::String(score?.stage?.as_str().into())),
            "mql" => owned(Value::Bool(score?.mql?)),
            "interests" => self
                .interest_values()
                .map(|(top, _)| Entry::Value(Cow::Borrowed(top))),
            "interestShares" => self.interest_shares().map(Entry::Map),
            "seen" => owned(Value::Array(
                visitor.seen.iter().cloned().map(Value::String).collect(),
            )),
            "sources" => owned(Value::Object(self.sources())),
            "segment" => {
                let segments = self.segments.as_ref()?;
                owned(
                    segments
                        .first()
                        .map_or(Value::Null, |s| Value::String((*s).to_string())),
                )
            }
            "segments" => owned(Value::Array(
                self.segments
                    .as_ref()?
                    .iter()
                    .map(|s| Value::String((*s).to_string()))
                    .collect(),
            )),
            _ => None,
        }
    }
}

impl Attributes for ContextView<'_> {
    fn get_path(&self, path: &[String]) -> Cow<'_, Value> {
        let Some((key, rest)) = path.split_first() else {
            return Cow::Owned(self.to_value());
        };
        match self.entry(key) {
            Some(entry) => entry_value(entry, rest),
            None => Cow::Owned(Value::Null),
        }
    }
}

/// The value at `rest` under one top-level entry.
fn entry_value<'v>(entry: Entry<'v>, rest: &[String]) -> Cow<'v, Value> {
    match entry {
        Entry::Value(Cow::Borrowed(v)) => value_at_path(v, rest),
        Entry::Value(Cow::Owned(v)) => match rest {
            [] => Cow::Owned(v),
            _ => Cow::Owned(value_at_path(&v, rest).into_owned()),
        },
        Entry::Map(map) => match rest.split_first() {
            None => Cow::Owned(Value::Object(map.clone())),
            Some((key, rest)) => match map.get(key) {
                Some(v) => value_at_path(v, rest),
                None => Cow::Owned(Value::Null),
            },
        },
        Entry::Account(m) => {
            let named = |v: Value| {
                Cow::Owned(value_at_path(&v, rest.get(1..).unwrap_or_default()).into_owned())
            };
            match rest.first().map(String::as_str) {
                None => {
                    let mut account = m.attributes.as_map().clone();
                    account.insert("named".into(), Value::Bool(true));
                    account.insert("network".into(), Value::String(m.prefix.text()));
                    Cow::Owned(Value::Object(account))
                }
                Some("named") => named(Value::Bool(true)),
                Some("network") => named(Value::String(m.prefix.text())),
                Some(key) => match m.attributes.as_map().get(key) {
                    Some(v) => value_at_path(v, rest.get(1..).unwrap_or_default()),
                    None => Cow::Owned(Value::Null),
                },
            }
        }
    }
}

/// The network facts of the visitor's address (MaxMind) and of its request
/// attributes, and which keys the request gave.
fn network_facts(
    visitor: &Visitor,
    tables: &Tables<'_>,
    addr: Option<IpAddr>,
) -> (Map<String, Value>, Vec<&'static str>) {
    let mut ip = Map::new();
    if let Some(addr) = addr {
        ip.insert(
            "address".into(),
            Value::String(crate::segment::ip::ip_text(addr)),
        );
        for db in tables.maxmind {
            db.add_facts(addr, &mut ip);
        }
    }
    let from_request = match &visitor.request {
        Some(request) => add_ip_facts(request, &mut ip),
        None => Vec::new(),
    };
    (ip, from_request)
}

// Property tests: proptest is a host-only dev-dependency.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
