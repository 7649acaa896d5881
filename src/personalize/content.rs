//! The content matrix (seed 003): content × persona × buying stage, and the
//! next best content for a visitor, with the reason for every point.
//!
//! ```json
//! "content": {
//!   "limit": 3,
//!   "items": [
//!     {"id": "og-refinery-case", "title": "Refinery uptime at scale", "url": "/cases/refinery",
//!      "type": "case-study", "topic": "oil-gas", "tags": ["predictive maintenance"],
//!      "stage": "consideration",
//!      "persona": {"industry": ["Oil & Gas"], "role": ["operations"], "companySize": ["1000+"],
//!                  "region": ["CN", "AS"]}}
//!   ]
//! }
//! ```
//!
//! # Ranking
//!
//! - **seen**: items whose id is in the context's `seen` list are skipped.
//! - **persona**: for each persona facet an item names, a visitor whose
//!   value is known and matches earns the facet's weight; a visitor whose
//!   value is known and does *not* match never gets the item (it is written
//!   for someone else); an unknown value neither adds nor excludes. Default
//!   weights follow seed 000's survey of what makes content effective:
//!   industry 0.82, role 0.67, company size 0.49, region 0.29.
//!   Values compare case-insensitively on letters and digits only
//!   (`Oil & Gas` = `oil-gas`). The visitor's facets: `industry`; role from
//!   `profile.role` / `profile.jobFunction` / `profile.department`, or
//!   contained in `profile.title`; `companySize` (a number matches ranges
//!   such as `1-50`, `51-200`, `1000+`); region from `country`, `continent`,
//!   `region`.
//! - **stage**: an item for the visitor's current stage earns 1.0, for the
//!   next stage 0.5, an item without a stage 0.25 (an unknown visitor stage
//!   counts as awareness: a stranger starts there).
//! - **interest**: every item topic or tag that is one of the visitor's
//!   interests earns its share of interest weight (0–1) × 1.0.
//! - **tier** (seed 001): cold visitors get reports, white papers, blogs and
//!   videos; warm ones case studies, webinars and comparisons; hot ones demos
//!   and trials: +0.3 when the type fits the tier.
//!
//! Ties keep the config order. All weights can be changed under `weights`.

use crate::json::{Map, Value};
use serde::{Deserialize, Serialize};

use super::chosen::Picked;
use super::strings::Strings;
use super::view::ContextView;
use crate::diagnostics::Diagnostics;
use crate::score::result::round4;
use crate::score::{Stage, Tier};
use crate::text::parse_number;

/// What kind of content an item is.
// The types of seed 003's matrix, plus a few common extras.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ContentType {
    Page,
    Webinar,
    CaseStudy,
    WhitePaper,
    Blog,
    Video,
    Demo,
    Social,
    Report,
    Comparison,
    Trial,
    Other,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonaConfig {
    #[serde(default)]
    pub industry: Option<Strings>,
    #[serde(default)]
    pub role: Option<Strings>,
    /// Labels or ranges (`1000+`, `200-999`).
    #[serde(default)]
    pub company_size: Option<Strings>,
    #[serde(default)]
    pub region: Option<Strings>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContentItemConfig {
    pub id: String,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(rename = "type")]
    pub kind: ContentType,
    /// Interest tags the item is about; the visitor's interests earn it points.
    #[serde(default)]
    pub topic: Option<Strings>,
    #[serde(default)]
    pub tags: Option<Strings>,
    #[serde(default)]
    pub stage: Option<Stage>,
    #[serde(default)]
    pub persona: Option<PersonaConfig>,
}

/// What each matching factor adds to an item's score.
#[derive(Debug, Clone, Copy, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct MatrixWeights {
    pub industry: f64,
    pub role: f64,
    pub company_size: f64,
    pub region: f64,
    pub current_stage: f64,
    pub next_stage: f64,
    pub any_stage: f64,
    pub interest: f64,
    pub tier: f64,
}

impl Default for MatrixWeights {
    fn default() -> Self {
        MatrixWeights {
            industry: 0.82,
            role: 0.67,
            company_size: 0.49,
            region: 0.29,
            current_stage: 1.0,
            next_stage: 0.5,
            any_stage: 0.25,
            interest: 1.0,
            tier: 0.3,
        }
    }
}

/// Content recommended by persona, stage and interests.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ContentMatrixConfig {
    /// How many items a recommendation lists (default 3).
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub weights: MatrixWeights,
    pub items: Vec<ContentItemConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
enum Facet {
    Industry,
    Role,
    CompanySize,
    Region,
}

impl Facet {
    fn name(self) -> &'static str {
        match self {
            Facet::Industry => "industry",
            Facet::Role => "role",
            Facet::CompanySize => "companySize",
            Facet::Region => "region",
        }
    }
}

#[derive(Debug, Clone, serde::Serialize)]
enum Accept {
    Label { norm: String, text: String },
    Range { lo: f64, hi: f64, text: String },
}

#[derive(Debug, Clone, serde::Serialize)]
struct Item {
    id: String,
    title: Option<String>,
    url: Option<String>,
    kind: ContentType,
    /// (normalized, as written)
    topics: Vec<(String, String)>,
    stage: Option<Stage>,
    persona: Vec<(Facet, Vec<Accept>)>,
}

/// A compiled content matrix.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ContentMatrix {
    items: Vec<Item>,
    limit: usize,
    #[serde(with = "crate::compiled::wire::weights")]
    weights: MatrixWeights,
}

/// One reason an item earned points.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RecommendationReason {
    /// `industry`, `role`, `companySize`, `region`, `stage`, `interest`, `tier`.
    #[cfg_attr(
        feature = "schema",
        schemars(extend("enum" = ["industry", "role", "companySize", "region", "stage", "interest", "tier"]))
    )]
    pub factor: &'static str,
    /// What matched: the persona value, the stage, the interest tag, the tier.
    pub value: String,
    pub points: f64,
}

/// A recommended content item.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Recommendation {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(rename = "type")]
    pub kind: ContentType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stage: Option<Stage>,
    pub score: f64,
    pub reasons: Vec<RecommendationReason>,
}

/// Lower-case letters and digits only, so `Oil & Gas` equals `oil-gas`.
pub(crate) fn norm(s: &str) -> String {
    let kept: String = s.chars().filter(|c| c.is_alphanumeric()).collect();
    crate::text::lowercase(&kept)
}

fn parse_range(s: &str) -> Option<(f64, f64)> {
    let t = s.trim().replace([',', '_', ' '], "");
    if let Some(lo) = t.strip_suffix('+') {
        return parse_number(lo).map(|lo| (lo, f64::INFINITY));
    }
    let (lo, hi) = t.split_once('-')?;
    let (lo, hi) = (parse_number(lo)?, parse_number(hi)?);
    (lo <= hi).then_some((lo, hi))
}

fn stage_index(s: Stage) -> u8 {
    match s {
        Stage::Awareness => 0,
        Stage::Consideration => 1,
        Stage::Decision => 2,
    }
}

fn fits_tier(tier: &str, kind: ContentType) -> bool {
    use ContentType::*;
    match Tier::from_name(tier) {
        Some(Tier::Cold) => matches!(kind, Report | WhitePaper | Blog | Video),
        Some(Tier::Warm) => matches!(kind, CaseStudy | Webinar | Comparison),
        Some(Tier::Hot) => matches!(kind, Demo | Trial),
        None => false,
    }
}

impl ContentMatrix {
    /// Compiles the matrix; `base` is its config path (`content`). An item
    /// with an error is recorded in `d` and left out.
    pub fn compile(config: ContentMatrixConfig, base: &str, d: &mut Diagnostics) -> ContentMatrix {
        let mut items: Vec<Item> = Vec::with_capacity(config.items.len());
        for (i, c) in config.items.into_iter().enumerate() {
            if c.id.is_empty() {
                d.error(format!("{base}.items[{i}].id"), "must not be empty");
                continue;
            }
            if items.iter().any(|it| it.id == c.id) {
                d.error(
                    format!("{base}.items[{i}].id"),
                    format!("duplicate content id \"{}\"", c.id),
                );
                continue;
            }
            let topics: Vec<(String, String)> = c
                .topic
                .into_iter()
                .chain(c.tags)
                .flat_map(|s| s.0)
                .map(|t| (norm(&t), t))
                .filter(|(n, _)| !n.is_empty())
                .collect();
            let mut persona = Vec::new();
            let p = c.persona.unwrap_or_default();
            for (facet, values) in [
                (Facet::Industry, p.industry),
                (Facet::Role, p.role),
                (Facet::CompanySize, p.company_size),
                (Facet::Region, p.region),
            ] {
                let Some(values) = values else { continue };
                if values.0.is_empty() {
                    d.warning(
                        format!("{base}.items[{i}].persona.{}", facet.name()),
                        "empty list: the facet is ignored",
                    );
                    continue;
                }
                let accepts = values
                    .0
                    .into_iter()
                    .map(|text| match (facet, parse_range(&text)) {
                        (Facet::CompanySize, Some((lo, hi))) => Accept::Range { lo, hi, text },
                        _ => Accept::Label {
                            norm: norm(&text),
                            text,
                        },
                    })
                    .collect();
                persona.push((facet, accepts));
            }
            items.push(Item {
                id: c.id,
                title: c.title,
                url: c.url,
                kind: c.kind,
                topics,
                stage: c.stage,
                persona,
            });
        }
        ContentMatrix {
            items,
            limit: config.limit.unwrap_or(3),
            weights: config.weights,
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when the matrix has no items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The next best content for the visitor described by `ctx` (see
    /// [`build_context`](super::context::build_context)), best first, at most
    /// `limit` items.
    pub fn recommend(&self, ctx: &Value) -> Vec<Recommendation> {
        self.recommend_for(&Audience::from_context(ctx))
    }

    /// The next best content for the visitor a [`ContextView`] describes.
    pub(crate) fn recommend_view(&self, view: &ContextView<'_>) -> Vec<Recommendation> {
        self.recommend_for(&Audience::from_view(view))
    }

    fn recommend_for(&self, audience: &Audience<'_>) -> Vec<Recommendation> {
        self.built(self.pick(audience))
    }

    fn built(&self, picked: Vec<Picked>) -> Vec<Recommendation> {
        picked
            .into_iter()
            .filter_map(|p| {
                let item = self.items.get(p.item)?;
                Some(Recommendation {
                    id: item.id.clone(),
                    title: item.title.clone(),
                    url: item.url.clone(),
                    kind: item.kind,
                    stage: item.stage,
                    score: p.score,
                    reasons: p.reasons,
                })
            })
            .collect()
    }

    /// [`recommend_view`](Self::recommend_view) with the items by position.
    pub(crate) fn pick_view(&self, view: &ContextView<'_>) -> Vec<Picked> {
        self.pick(&Audience::from_view(view))
    }

    /// The items listed for the audience, best first, with their reasons.
    fn pick(&self, audience: &Audience<'_>) -> Vec<Picked> {
        if self.items.is_empty() || self.limit == 0 {
            return Vec::new();
        }
        // Scored without building anything first: only the items that make
        // the list get their reasons.
        let mut picked: Vec<(f64, usize)> = Vec::new();
        for (order, item) in self.items.iter().enumerate() {
            if let Some(score) = self.rate(item, audience, |_, _, _| {}) {
                picked.push((score, order));
            }
        }
        // Positions are unique, so the order is total.
        picked.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        picked.truncate(self.limit);
        let mut out = Vec::with_capacity(picked.len());
        for (score, order) in picked {
            let Some(item) = self.items.get(order) else {
                continue;
            };
            let mut reasons = Vec::new();
            self.rate(item, audience, |factor, value, points| {
                reasons.push(RecommendationReason {
                    factor,
                    value: value.to_string(),
                    points,
                })
            });
            out.push(Picked {
                item: order,
                score: round4(score),
                reasons,
            });
        }
        out
    }

    /// Every item as a recommendation lists it, with no score or reasons.
    pub(crate) fn listed(&self) -> Vec<Recommendation> {
        let listed = |p: usize| Picked {
            item: p,
            score: 0.0,
            reasons: Vec::new(),
        };
        self.built((0..self.items.len()).map(listed).collect())
    }

    /// An item's score for the audience, each point told to `reason`
    /// (`factor`, what matched, points) in order; `None` when the item is
    /// seen or written for someone else.
    fn rate(
        &self,
        item: &Item,
        audience: &Audience<'_>,
        mut reason: impl FnMut(&'static str, &str, f64),
    ) -> Option<f64> {
        let Audience {
            seen,
            facets: visitor,
            stage,
            tier,
            shares,
        } = audience;
        let w = &self.weights;
        if seen.contains(&item.id.as_str()) {
            return None;
        }
        let mut score = 0.0;
        for (facet, accepts) in &item.persona {
            match visitor.matches(*facet, accepts) {
                Some(Some(value)) => {
                    let points = match facet {
                        Facet::Industry => w.industry,
                        Facet::Role => w.role,
                        Facet::CompanySize => w.company_size,
                        Facet::Region => w.region,
                    };
                    score += points;
                    reason(facet.name(), value, points);
                }
                Some(None) => return None,
                None => {}
            }
        }
        let (points, value) = match item.stage {
            None => (w.any_stage, "any stage"),
            Some(s) if s == *stage => (w.current_stage, s.as_str()),
            Some(s) if stage_index(s) == stage_index(*stage) + 1 => (w.next_stage, s.as_str()),
            Some(_) => (0.0, ""),
        };
        if points != 0.0 {
            score += points;
            reason("stage", value, points);
        }
        if let Some(shares) = shares {
            for (n, text) in &item.topics {
                let share = shares
                    .iter()
                    .find(|(tag, _)| tag == n)
                    .and_then(|(_, s)| *s);
                if let Some(share) = share.filter(|s| *s > 0.0) {
                    let points = round4(w.interest * share);
                    score += points;
                    reason("interest", text, points);
                }
            }
        }
        if fits_tier(tier, item.kind) && w.tier != 0.0 {
            score += w.tier;
            reason("tier", tier, w.tier);
        }
        Some(score)
    }
}

/// What recommendations read of a visitor, from a context or its view.
struct Audience<'a> {
    seen: Vec<&'a str>,
    facets: VisitorFacets<'a>,
    /// Awareness when unknown: a stranger starts there.
    stage: Stage,
    tier: &'a str,
    /// `interestShares` in the context's order, each tag normalized once
    /// (an item's topics are compared with every tag).
    shares: Option<Vec<(String, Option<f64>)>>,
}

impl<'a> Audience<'a> {
    fn from_context(ctx: &'a Value) -> Self {
        let profile = ctx.get("profile");
        Audience {
            seen: ctx
                .get("seen")
                .and_then(Value::as_array)
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default(),
            facets: VisitorFacets::read(|k| ctx.get(k), |k| profile.and_then(|p| p.get(k))),
            stage: ctx
                .get("stage")
                .and_then(Value::as_str)
                .and_then(Stage::from_name)
                .unwrap_or(Stage::Awareness),
            tier: ctx.get("tier").and_then(Value::as_str).unwrap_or(""),
            shares: normalized(ctx.get("interestShares").and_then(Value::as_object)),
        }
    }

    fn from_view(view: &'a ContextView<'_>) -> Self {
        let visitor = view.visitor();
        let profile = visitor.profile.as_ref();
        let score = visitor.score.as_ref();
        Audience {
            seen: visitor.seen.iter().map(String::as_str).collect(),
            facets: VisitorFacets::read(|k| view.resolved(k), |k| profile.and_then(|p| p.get(k))),
            stage: score.and_then(|s| s.stage).unwrap_or(Stage::Awareness),
            tier: score.and_then(|s| s.tier).map_or("", Tier::as_str),
            shares: normalized(view.interest_shares()),
        }
    }
}

fn normalized(shares: Option<&Map<String, Value>>) -> Option<Vec<(String, Option<f64>)>> {
    shares.map(|m| m.iter().map(|(tag, s)| (norm(tag), s.as_f64())).collect())
}

/// The visitor's persona values, read (and normalized) once per
/// recommendation call.
struct VisitorFacets<'a> {
    industry: Option<String>,
    roles: Vec<String>,
    /// Lower-cased.
    title: Option<String>,
    size: Option<&'a Value>,
    regions: Vec<String>,
}

impl<'a> VisitorFacets<'a> {
    /// `top` reads the context's top-level keys, `profile` its profile.
    fn read(
        top: impl Fn(&str) -> Option<&'a Value>,
        profile: impl Fn(&str) -> Option<&'a Value>,
    ) -> Self {
        let s = |v: Option<&'a Value>| v.and_then(Value::as_str).filter(|s| !s.is_empty());
        let p = |k: &str| s(profile(k));
        VisitorFacets {
            industry: s(top("industry")).map(norm),
            roles: ["role", "jobFunction", "department"]
                .iter()
                .filter_map(|k| p(k))
                .map(norm)
                .collect(),
            title: p("title").map(crate::text::lowercase),
            size: top("companySize").filter(|v| !v.is_null()),
            regions: ["country", "continent", "region"]
                .iter()
                .filter_map(|k| s(top(k)))
                .map(norm)
                .collect(),
        }
    }

    /// `None`: unknown. `Some(None)`: known, no match. `Some(Some(v))`:
    /// matched the accepted value `v`.
    fn matches<'c>(&self, facet: Facet, accepts: &'c [Accept]) -> Option<Option<&'c str>> {
        // `n` is normalized already.
        let label_match = |n: &String| {
            accepts.iter().find_map(|a| match a {
                Accept::Label { norm: an, text } if an == n => Some(text.as_str()),
                _ => None,
            })
        };
        match facet {
            Facet::Industry => self.industry.as_ref().map(label_match),
            Facet::Region => {
                if self.regions.is_empty() {
                    return None;
                }
                Some(self.regions.iter().find_map(&label_match))
            }
            Facet::Role => {
                if self.roles.is_empty() && self.title.is_none() {
                    return None;
                }
                if let Some(m) = self.roles.iter().find_map(&label_match) {
                    return Some(Some(m));
                }
                let title = self.title.as_deref().unwrap_or_default();
                Some(accepts.iter().find_map(|a| match a {
                    Accept::Label { text, .. }
                        if !text.is_empty() && title.contains(&crate::text::lowercase(text)) =>
                    {
                        Some(text.as_str())
                    }
                    _ => None,
                }))
            }
            Facet::CompanySize => {
                let size = self.size?;
                let n = match size {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => parse_number(&s.trim().replace(',', "")),
                    _ => None,
                };
                if let Some(n) = n {
                    let hit = accepts.iter().find_map(|a| match a {
                        Accept::Range { lo, hi, text } if n >= *lo && n <= *hi => {
                            Some(text.as_str())
                        }
                        _ => None,
                    });
                    return Some(hit);
                }
                Some(size.as_str().map(norm).as_ref().and_then(label_match))
            }
        }
    }
}

mod wire;

#[cfg(test)]
mod tests;
