//! The context as it was built before [`ContextView`](super::super::view::ContextView):
//! one JSON tree per visitor. Kept as the oracle the view is tested against.

use crate::json::{Map, Value};

use super::{useful, Tables, Visitor, REQUEST_FACTS};
use crate::personalize::orgmap::OrgRules;
use crate::score::ScoreSummary;
use crate::segment::ip::parse_ip;

/// Records where a resolved value came from.
struct Resolver<'a> {
    ctx: &'a mut Map<String, Value>,
    sources: Map<String, Value>,
}

impl Resolver<'_> {
    /// Sets `key` from the first candidate that has a useful value.
    fn resolve(&mut self, key: &str, candidates: &[(&str, Option<&Value>)]) {
        for (source, value) in candidates {
            if let Some(v) = useful(*value) {
                self.ctx.insert(key.to_string(), v.clone());
                self.sources
                    .insert(key.to_string(), Value::String((*source).to_string()));
                return;
            }
        }
    }
}

/// Builds the context for `visitor`. `top_interests` is how many interest
/// tags go into `interests`. Segments are not evaluated here.
pub fn build_context_tree(
    visitor: &Visitor,
    tables: &Tables<'_>,
    org_rules: &OrgRules,
    top_interests: usize,
) -> Value {
    let mut ctx = Map::new();
    ctx.insert("id".into(), Value::String(visitor.id.clone()));

    // ---- network facts: MaxMind > request
    let addr = visitor.ip.as_deref().and_then(|s| parse_ip(s.trim()).ok());
    let mut ip = Map::new();
    let mut ip_sources: Map<String, Value> = Map::new();
    if let Some(addr) = addr {
        ip.insert("address".into(), Value::String(addr.to_string()));
        for db in tables.maxmind {
            db.add_facts(addr, &mut ip);
        }
    }
    for key in ip.keys() {
        ip_sources.insert(key.clone(), Value::String("maxmind".into()));
    }
    if let Some(request) = &visitor.request {
        for (from, to) in REQUEST_FACTS {
            if ip.contains_key(to) {
                continue;
            }
            if let Some(v) = useful(request.get(from)) {
                // Cloudflare sends `asn` as a number; a string "13335" is
                // accepted too, so `{"asn": 13335}` matches either way.
                let v = match (to, v) {
                    ("asn", Value::String(s)) => s
                        .trim()
                        .parse::<u64>()
                        .map(Value::from)
                        .unwrap_or_else(|_| v.clone()),
                    _ => v.clone(),
                };
                ip.insert(to.to_string(), v);
                ip_sources.insert(to.to_string(), Value::String("request".into()));
            }
        }
    }

    // ---- named account table
    let account: Option<Map<String, Value>> = addr
        .and_then(|a| tables.accounts.and_then(|t| t.lookup(a)))
        .map(|m| {
            let mut acc = m.attributes.as_map().clone();
            acc.insert("named".into(), Value::Bool(true));
            acc.insert("network".into(), Value::String(m.prefix.to_string()));
            acc
        });

    // ---- org mapping rules, over what is known so far
    let profile = visitor.profile.as_ref();
    let pget = |k: &str| profile.and_then(|p| p.get(k));
    let derived = {
        let company = account
            .as_ref()
            .and_then(|a| useful(a.get("company")))
            .or_else(|| useful(pget("company")));
        let domain = account
            .as_ref()
            .and_then(|a| useful(a.get("domain")))
            .or_else(|| useful(pget("domain")))
            .or_else(|| useful(ip.get("domain")));
        org_rules.apply(&crate::personalize::orgmap::OrgFacts {
            as_organization: ip.get("asOrganization").and_then(Value::as_str),
            organization: ip.get("organization").and_then(Value::as_str),
            isp: ip.get("isp").and_then(Value::as_str),
            domain: domain.and_then(Value::as_str),
            company: company.and_then(Value::as_str),
            asn: ip.get("asn").and_then(Value::as_u64),
        })
    };

    // ---- resolved top-level keys
    let sources = {
        let acc = account.as_ref();
        let aget = |k: &str| acc.and_then(|a| a.get(k));
        let iget = |k: &str| ip.get(k);
        let rget = |k: &str| visitor.request.as_ref().and_then(|r| r.get(k));
        let mut r = Resolver {
            ctx: &mut ctx,
            sources: Map::new(),
        };
        let who = [
            ("company", "company", "company"),
            ("domain", "domain", "domain"),
            ("industry", "industry", "industry"),
            ("companySize", "size", "companySize"),
        ];
        for (key, account_key, profile_key) in who {
            let (rule_value, rule_label) = rule_source(derived.as_ref(), key, account_key);
            let mut candidates = vec![
                ("account", aget(account_key)),
                ("profile", pget(profile_key)),
                (rule_label.as_str(), rule_value),
            ];
            if key == "domain" {
                candidates.push((src(&ip_sources, "domain"), iget("domain")));
            }
            r.resolve(key, &candidates);
        }
        for key in ["country", "region", "city", "continent"] {
            let ip_source = src(&ip_sources, key);
            r.resolve(key, &[(ip_source, iget(key)), ("profile", pget(key))]);
        }
        for key in ["asn", "asOrganization"] {
            let ip_source = src(&ip_sources, key);
            r.resolve(key, &[(ip_source, iget(key)), ("request", rget(key))]);
        }
        r.sources
    };

    if !ip.is_empty() {
        ctx.insert("ip".into(), Value::Object(ip));
    }
    if let Some(acc) = account {
        ctx.insert("account".into(), Value::Object(acc));
    }
    if let Some(d) = derived {
        ctx.insert("derived".into(), Value::Object(d));
    }
    if let Some(request) = &visitor.request {
        ctx.insert("request".into(), Value::Object(request.clone()));
    }
    if let Some(profile) = profile {
        ctx.insert("profile".into(), Value::Object(profile.clone()));
    }
    if let Some(page) = &visitor.page {
        for key in ["path", "referrer", "utm"] {
            if let Some(v) = page.get(key) {
                ctx.insert(key.into(), v.clone());
            }
        }
        ctx.insert("page".into(), Value::Object(page.clone()));
    }
    if let Some(score) = &visitor.score {
        score_facts(score, top_interests, &mut ctx);
    }
    ctx.insert(
        "seen".into(),
        Value::Array(visitor.seen.iter().cloned().map(Value::String).collect()),
    );
    ctx.insert("sources".into(), Value::Object(sources));
    Value::Object(ctx)
}

/// The value a rule set for `key` (or its account-table name) and the
/// source label naming that rule (`rule:petrochina`).
fn rule_source<'a>(
    derived: Option<&'a Map<String, Value>>,
    key: &str,
    alt: &str,
) -> (Option<&'a Value>, String) {
    let Some(d) = derived else {
        return (None, String::new());
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
    let mut label = String::with_capacity(5 + rule.len());
    label.push_str("rule:");
    label.push_str(rule);
    (value, label)
}

fn src(sources: &Map<String, Value>, key: &str) -> &'static str {
    match sources.get(key).and_then(Value::as_str) {
        Some("request") => "request",
        _ => "maxmind",
    }
}

/// `score.fit` / `score.engagement` as numbers, whether given as the full
/// `ScoreResult` (`fit.score`) or as plain numbers.
fn score_facts(score: &ScoreSummary, top: usize, ctx: &mut Map<String, Value>) {
    let mut s = Map::new();
    if let Some(fit) = score.fit {
        s.insert("fit".into(), Value::from(fit));
    }
    if let Some(engagement) = score.engagement {
        s.insert("engagement".into(), Value::from(engagement));
    }
    if !s.is_empty() {
        ctx.insert("score".into(), Value::Object(s));
    }
    if let Some(grade) = &score.grade {
        ctx.insert("grade".into(), Value::String(grade.clone()));
    }
    if let Some(tier) = score.tier {
        ctx.insert("tier".into(), Value::String(tier.as_str().into()));
    }
    if let Some(stage) = score.stage {
        ctx.insert("stage".into(), Value::String(stage.as_str().into()));
    }
    if let Some(mql) = score.mql {
        ctx.insert("mql".into(), Value::Bool(mql));
    }
    if score.interests.is_empty() {
        return;
    }
    let ranked = score.ranked_shares();
    // Inserted one by one: collecting into a map would sort first, and
    // bring a sort routine into the page build for a handful of tags.
    let mut shares = Map::new();
    for (tag, share) in &ranked {
        shares.insert(tag.to_string(), Value::from(*share));
    }
    ctx.insert(
        "interests".into(),
        Value::Array(
            ranked
                .iter()
                .take(top)
                .map(|(tag, _)| Value::String(tag.to_string()))
                .collect(),
        ),
    );
    ctx.insert("interestShares".into(), Value::Object(shares));
}
