//! The personalization config document as written (before compiling).

use crate::json::{Map, Value};
use serde::{Deserialize, Serialize};

use super::content::ContentMatrixConfig;
use super::orgmap::OrgRuleConfig;
use super::strings::Strings;
#[cfg(feature = "schema")]
use crate::schema::{Condition, OneOrList};
#[cfg(feature = "schema")]
use crate::score::{Stage, Tier};

/// Segments, slots with variants, experiments and holdouts, organization
/// rules and the content matrix, as `decide()` and `new Personalizer()` read
/// them. Every part is optional.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PersonalizeConfig {
    /// The JSON Schema this document follows, for editors; the loader ignores it.
    #[serde(rename = "$schema", default)]
    pub schema: Option<String>,
    /// Free-form name or version of the document, echoed in decisions.
    #[serde(default)]
    pub version: Option<String>,
    /// GrowthBook saved groups for `$inGroup` / `$notInGroup`: id → values.
    #[serde(default)]
    #[cfg_attr(
        feature = "schema",
        schemars(with = "std::collections::BTreeMap<String, Vec<Value>>")
    )]
    pub saved_groups: Map<String, Value>,
    /// How many interest tags go into the context's `interests` (default 3).
    #[serde(default)]
    pub top_interests: Option<usize>,
    #[serde(default)]
    pub org_rules: Vec<OrgRuleConfig>,
    #[serde(default)]
    pub segments: Vec<SegmentConfig>,
    /// A holdout over every slot: the same visitors get every default.
    #[serde(default)]
    pub holdout: Option<HoldoutConfig>,
    #[serde(default)]
    pub slots: Vec<SlotConfig>,
    #[serde(default)]
    pub content: Option<ContentMatrixConfig>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SegmentConfig {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Higher first; equal priorities keep the config order.
    #[serde(default)]
    pub priority: f64,
    /// A GrowthBook condition over the visitor context
    /// (`{"industry": {"$in": ["Retail"]}}`).
    #[cfg_attr(feature = "schema", schemars(with = "Condition"))]
    pub when: Value,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct HoldoutConfig {
    /// Share of visitors held out, 0–1.
    #[cfg_attr(feature = "schema", schemars(range(min = 0, max = 1)))]
    pub share: f64,
    /// Hash seed; defaults to `holdout` (global) or `holdout:<slot id>`.
    #[serde(default)]
    pub seed: Option<String>,
}

/// How a client applies content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ContentKind {
    /// Set as text (`textContent`); never parsed as HTML.
    #[default]
    Text,
    /// An HTML template from the site's own config. Visitor data must never
    /// be interpolated into it as HTML.
    HtmlTemplate,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SlotContent {
    /// The content as given (a string, or an object the client knows).
    #[serde(default)]
    pub content: Value,
    #[serde(default)]
    pub kind: ContentKind,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SlotConfig {
    pub id: String,
    #[serde(default)]
    pub description: Option<String>,
    /// What visitors get when nothing else applies; without it, `content` is
    /// `null` and the client leaves the page as it is.
    #[serde(default)]
    pub default: Option<SlotContent>,
    #[serde(default)]
    pub variants: Vec<VariantConfig>,
    #[serde(default)]
    pub experiment: Option<ExperimentConfig>,
    #[serde(default)]
    pub holdout: Option<HoldoutConfig>,
}

/// A variant. Its targeting keys (`when`, `segment`, `tier`, `stage`,
/// `interest`) must all match; a variant with none of them is only reachable
/// through the slot's experiment.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct VariantConfig {
    pub id: String,
    /// The content: a string, or an object the client knows.
    #[serde(default)]
    pub content: Value,
    #[serde(default)]
    pub kind: ContentKind,
    /// A GrowthBook condition over the visitor context.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Condition>"))]
    pub when: Option<Value>,
    /// A segment id the visitor must be in.
    #[serde(default)]
    pub segment: Option<String>,
    /// Engagement tiers, any of them.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<OneOrList<Tier>>"))]
    pub tier: Option<Strings>,
    /// Buying stages, any of them.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<OneOrList<Stage>>"))]
    pub stage: Option<Strings>,
    /// Interest tags, any of them among the visitor's top interests.
    #[serde(default)]
    pub interest: Option<Strings>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ExperimentConfig {
    /// Experiment key, reported in decisions and the default hash seed.
    pub key: String,
    #[serde(default)]
    pub seed: Option<String>,
    /// Variant ids, at least two; `"default"` is the slot's default (a
    /// control arm).
    #[cfg_attr(feature = "schema", schemars(length(min = 2)))]
    pub variations: Vec<String>,
    #[serde(default)]
    pub weights: Option<Vec<f64>>,
    /// Share of eligible visitors in the experiment (default 1).
    #[serde(default)]
    pub coverage: Option<f64>,
    /// GrowthBook namespace `[id, start, end]`.
    #[serde(default)]
    pub namespace: Option<(String, f64, f64)>,
    /// Context path whose value is hashed (default `id`).
    #[serde(default)]
    pub hash_attribute: Option<String>,
    /// GrowthBook's hash version for bucketing: 1 or 2. Default 1, as in
    /// GrowthBook's SDKs, with a warning: earlier nurture builds always used
    /// 2, so set 2 to keep the assignments of an experiment that ran then.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(range(min = 1, max = 2)))]
    pub hash_version: Option<u32>,
    /// A GrowthBook condition over the visitor context: only visitors it
    /// holds for are in the experiment.
    #[serde(default)]
    #[cfg_attr(feature = "schema", schemars(with = "Option<Condition>"))]
    pub when: Option<Value>,
    /// A segment id: only its visitors are in the experiment.
    #[serde(default)]
    pub segment: Option<String>,
}

impl crate::compiled::read::WireRead for ContentKind {
    fn read(w: &mut crate::compiled::read::Wire<'_>) -> Self {
        match w.u32() {
            0 => ContentKind::Text,
            1 => ContentKind::HtmlTemplate,
            _ => w.invalid(ContentKind::Text),
        }
    }
}
