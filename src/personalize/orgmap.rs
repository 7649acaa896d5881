//! Organization → industry (and other attribute) mapping rules, so an IP
//! database without industry data still yields `industry`.
//!
//! ```json
//! "orgRules": [
//!   {"id": "petrochina", "contains": "PetroChina", "set": {"industry": "Oil & Gas"}},
//!   {"id": "edu", "field": "domain", "suffix": ".edu", "set": {"industry": "Education"}},
//!   {"id": "daimler", "asn": [31399], "set": {"industry": "Manufacturing", "company": "Daimler"}},
//!   {"id": "banks", "regex": "\\b(bank|banco)\\b", "set": {"industry": "Financial Services"}}
//! ]
//! ```
//!
//! Each rule has exactly one matcher:
//! - `equals`, `contains`: a string or a list of strings (any of them),
//!   compared case-insensitively;
//! - `suffix`: domain suffixes; `.edu` and `edu` both match `mit.edu` and
//!   `edu` itself, never `myedu.com`;
//! - `regex`: a JavaScript-syntax regex, case-insensitive unless
//!   `caseSensitive: true`, compiled at load;
//! - `asn`: a list of AS numbers.
//!
//! `field` says what is matched: `asOrganization`, `organization`, `isp`,
//! `domain` or `company` (the resolved company name). Without it, `suffix`
//! looks at `domain` and the other matchers at every name field
//! (`asOrganization`, `organization`, `isp`, `company`, `domain`).
//!
//! Rules run in order; every matching rule contributes the keys of its `set`
//! that no earlier matching rule set (the first rule to set a key wins).

use crate::json::{Map, Value};
use serde::Deserialize;

use super::strings::Strings;
use crate::compiled::read::{Wire, WireRead};
use crate::diagnostics::Diagnostics;
use crate::regex::{compile_js_regex, Regex};

/// What a rule matches; without it, `suffix` looks at `domain` and the other
/// matchers at every name field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub enum OrgField {
    AsOrganization,
    Organization,
    Isp,
    Domain,
    Company,
}

/// Maps an organization name, domain or AS number to attributes (`set`).
/// Give exactly one matcher: `equals`, `contains`, `suffix`, `regex` or
/// `asn`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct OrgRuleConfig {
    pub id: String,
    #[serde(default)]
    pub field: Option<OrgField>,
    /// Names equal to one of these, ignoring case.
    #[serde(default)]
    pub equals: Option<Strings>,
    /// Names containing one of these, ignoring case.
    #[serde(default)]
    pub contains: Option<Strings>,
    /// Domain suffixes: `.edu` and `edu` both match `mit.edu`, never
    /// `myedu.com`.
    #[serde(default)]
    pub suffix: Option<Strings>,
    /// A JavaScript-syntax regular expression, case-insensitive unless
    /// `caseSensitive`.
    #[serde(default)]
    pub regex: Option<String>,
    #[serde(default)]
    pub case_sensitive: bool,
    /// AS numbers.
    #[serde(default)]
    pub asn: Option<Vec<u64>>,
    /// Attributes the rule gives a matching visitor.
    pub set: Map<String, Value>,
}

#[derive(Debug, Clone, serde::Serialize)]
enum Matcher {
    Equals(Vec<String>),
    Contains(Vec<String>),
    Suffix(Vec<String>),
    Regex(Regex),
    Asn(Vec<u64>),
}

#[derive(Debug, Clone, serde::Serialize)]
struct OrgRule {
    id: String,
    #[serde(with = "org_fields")]
    fields: &'static [OrgField],
    matcher: Matcher,
    #[serde(with = "crate::compiled::wire::object")]
    set: Map<String, Value>,
}

/// Compiled rules.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct OrgRules {
    rules: Vec<OrgRule>,
}

/// The facts rules are matched against.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrgFacts<'a> {
    pub as_organization: Option<&'a str>,
    pub organization: Option<&'a str>,
    pub isp: Option<&'a str>,
    pub domain: Option<&'a str>,
    pub company: Option<&'a str>,
    pub asn: Option<u64>,
}

impl OrgFacts<'_> {
    fn get(&self, field: OrgField) -> Option<&str> {
        match field {
            OrgField::AsOrganization => self.as_organization,
            OrgField::Organization => self.organization,
            OrgField::Isp => self.isp,
            OrgField::Domain => self.domain,
            OrgField::Company => self.company,
        }
    }
}

const NAME_FIELDS: &[OrgField] = &[
    OrgField::AsOrganization,
    OrgField::Organization,
    OrgField::Isp,
    OrgField::Company,
    OrgField::Domain,
];
const DOMAIN_FIELD: &[OrgField] = &[OrgField::Domain];

fn single(field: OrgField) -> &'static [OrgField] {
    match field {
        OrgField::AsOrganization => &[OrgField::AsOrganization],
        OrgField::Organization => &[OrgField::Organization],
        OrgField::Isp => &[OrgField::Isp],
        OrgField::Domain => DOMAIN_FIELD,
        OrgField::Company => &[OrgField::Company],
    }
}

fn lower_all(list: Strings) -> Vec<String> {
    list.0
        .into_iter()
        .map(|s| crate::text::lowercase(&s))
        .collect()
}

impl OrgRules {
    /// Compiles rules; `base` is the config path of the list (`orgRules`).
    /// Compiles the rules at `base` in the document; a rule with an error
    /// is recorded in `d` and left out.
    pub fn compile(configs: Vec<OrgRuleConfig>, base: &str, d: &mut Diagnostics) -> OrgRules {
        let mut rules = Vec::with_capacity(configs.len());
        for (i, c) in configs.into_iter().enumerate() {
            let path = |field: &str| {
                if field.is_empty() {
                    format!("{base}[{i}]")
                } else {
                    format!("{base}[{i}].{field}")
                }
            };
            if c.id.is_empty() {
                d.error(path("id"), "must not be empty");
                continue;
            }
            if rules.iter().any(|r: &OrgRule| r.id == c.id) {
                d.error(path("id"), "duplicate rule id");
                continue;
            }
            let given = [
                c.equals.is_some(),
                c.contains.is_some(),
                c.suffix.is_some(),
                c.regex.is_some(),
                c.asn.is_some(),
            ]
            .iter()
            .filter(|b| **b)
            .count();
            if given != 1 {
                d.error(
                    path(""),
                    "give exactly one of equals, contains, suffix, regex, asn",
                );
                continue;
            }
            let default_fields = if c.suffix.is_some() {
                DOMAIN_FIELD
            } else {
                NAME_FIELDS
            };
            let fields = c.field.map(single).unwrap_or(default_fields);
            let matcher = if let Some(list) = c.equals {
                Matcher::Equals(lower_all(list))
            } else if let Some(list) = c.contains {
                Matcher::Contains(lower_all(list))
            } else if let Some(list) = c.suffix {
                Matcher::Suffix(
                    lower_all(list)
                        .into_iter()
                        .map(|s| s.trim_start_matches('.').to_string())
                        .collect(),
                )
            } else if let Some(source) = c.regex {
                match compile_js_regex(&source, !c.case_sensitive) {
                    Ok(re) => Matcher::Regex(re),
                    Err(e) => {
                        d.error(path("regex"), format!("invalid regex: {e}"));
                        continue;
                    }
                }
            } else {
                Matcher::Asn(c.asn.unwrap_or_default())
            };
            rules.push(OrgRule {
                id: c.id,
                fields,
                matcher,
                set: c.set,
            });
        }
        OrgRules { rules }
    }

    /// True when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Attributes from every matching rule (first setter of a key wins),
    /// plus `rule` (the first matching rule) and `rules` (key → rule id).
    /// `None` when no rule matches.
    pub fn apply(&self, facts: &OrgFacts<'_>) -> Option<Map<String, Value>> {
        let mut out: Option<Map<String, Value>> = None;
        let mut by = Map::new();
        for rule in &self.rules {
            if !rule.matches(facts) {
                continue;
            }
            let map = out.get_or_insert_with(|| {
                let mut m = Map::new();
                m.insert("rule".into(), Value::String(rule.id.clone()));
                m
            });
            for (k, v) in &rule.set {
                if k != "rule" && k != "rules" && !map.contains_key(k) {
                    map.insert(k.clone(), v.clone());
                    by.insert(k.clone(), Value::String(rule.id.clone()));
                }
            }
        }
        if let Some(map) = out.as_mut() {
            map.insert("rules".into(), Value::Object(by));
        }
        out
    }
}

impl OrgRule {
    fn matches(&self, facts: &OrgFacts<'_>) -> bool {
        if let Matcher::Asn(list) = &self.matcher {
            return facts.asn.is_some_and(|a| list.contains(&a));
        }
        self.fields.iter().any(|f| {
            let Some(value) = facts.get(*f) else {
                return false;
            };
            match &self.matcher {
                Matcher::Regex(re) => re.is_match(value),
                Matcher::Equals(list) => {
                    let v = crate::text::lowercase(value.trim());
                    list.contains(&v)
                }
                Matcher::Contains(list) => {
                    let v = crate::text::lowercase(value);
                    list.iter().any(|s| v.contains(s.as_str()))
                }
                Matcher::Suffix(list) => {
                    let v = crate::text::lowercase(value.trim().trim_end_matches('.'));
                    list.iter().any(|s| {
                        v == *s
                            || (v.len() > s.len()
                                && v.ends_with(s.as_str())
                                && v.as_bytes().get(v.len() - s.len() - 1) == Some(&b'.'))
                    })
                }
                Matcher::Asn(_) => false,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Issue;
    use serde_json::json;

    fn rules(v: Value) -> Result<OrgRules, Issue> {
        let configs: Vec<OrgRuleConfig> = serde_json::from_value(v).unwrap();
        let mut d = Diagnostics::default();
        let rules = OrgRules::compile(configs, "orgRules", &mut d);
        match d.errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(rules),
        }
    }

    #[test]
    fn contains_suffix_asn_and_regex() {
        let r = rules(json!([
            {"id": "pc", "contains": "petrochina", "set": {"industry": "Oil & Gas"}},
            {"id": "edu", "suffix": ".edu", "set": {"industry": "Education", "size": 1}},
            {"id": "daimler", "asn": [31399], "set": {"industry": "Manufacturing"}},
            {"id": "bank", "field": "isp", "regex": "\\bbank\\b", "set": {"industry": "Finance"}}
        ]))
        .unwrap();
        let f = OrgFacts {
            as_organization: Some("PETROCHINA Co Ltd"),
            ..Default::default()
        };
        assert_eq!(r.apply(&f).unwrap()["industry"], "Oil & Gas");
        let f = OrgFacts {
            domain: Some("CS.MIT.EDU"),
            ..Default::default()
        };
        let d = r.apply(&f).unwrap();
        assert_eq!(d["industry"], "Education");
        assert_eq!(d["rules"]["size"], "edu");
        let f = OrgFacts {
            domain: Some("myedu.com"),
            ..Default::default()
        };
        assert!(r.apply(&f).is_none());
        let f = OrgFacts {
            asn: Some(31399),
            ..Default::default()
        };
        assert_eq!(r.apply(&f).unwrap()["rule"], "daimler");
        let f = OrgFacts {
            isp: Some("First Bank of X"),
            organization: Some("bankers"),
            ..Default::default()
        };
        assert_eq!(r.apply(&f).unwrap()["industry"], "Finance");
    }

    #[test]
    fn bad_rules_name_the_path() {
        let e = rules(json!([{"id": "a", "regex": "(", "set": {}}]))
            .err()
            .unwrap();
        assert_eq!(e.path, "orgRules[0].regex");
        let e = rules(json!([{"id": "a", "set": {}}])).err().unwrap();
        assert_eq!(e.path, "orgRules[0]");
        let e = rules(json!([{"id": "a", "asn": [1], "contains": "x", "set": {}}]))
            .err()
            .unwrap();
        assert!(e.message.contains("exactly one"));
    }
}

/// A rule's fields in a compiled config: which of the constant lists.
mod org_fields {
    use super::{single, OrgField, NAME_FIELDS};
    use crate::compiled::read::Wire;
    use serde::{Serialize, Serializer};

    const ORDER: [OrgField; 5] = [
        OrgField::AsOrganization,
        OrgField::Organization,
        OrgField::Isp,
        OrgField::Domain,
        OrgField::Company,
    ];

    pub fn serialize<S: Serializer>(fields: &&[OrgField], s: S) -> Result<S::Ok, S::Error> {
        let code = match fields {
            [one] => ORDER
                .iter()
                .position(|f| f == one)
                .map_or(0, |i| i as u8 + 1),
            _ => 0,
        };
        code.serialize(s)
    }

    /// As [`serialize`] writes it, for [`crate::compiled::read`].
    pub fn read(w: &mut Wire<'_>) -> &'static [OrgField] {
        match w.byte() {
            0 => NAME_FIELDS,
            code => match ORDER.get(usize::from(code) - 1) {
                Some(f) => single(*f),
                None => w.invalid(NAME_FIELDS),
            },
        }
    }
}

impl WireRead for Matcher {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => Matcher::Equals(w.read()),
            1 => Matcher::Contains(w.read()),
            2 => Matcher::Suffix(w.read()),
            3 => match Regex::read_compiled(w) {
                Some(regex) => Matcher::Regex(regex),
                None => Matcher::Asn(Vec::new()),
            },
            4 => Matcher::Asn(w.read()),
            _ => w.invalid(Matcher::Asn(Vec::new())),
        }
    }
}

impl WireRead for OrgRule {
    fn read(w: &mut Wire<'_>) -> Self {
        OrgRule {
            id: w.read(),
            fields: org_fields::read(w),
            matcher: w.read(),
            set: w.read(),
        }
    }
}

impl WireRead for OrgRules {
    fn read(w: &mut Wire<'_>) -> Self {
        OrgRules { rules: w.read() }
    }
}
