//! What deciding returns: one [`Decision`] per slot, with its [`Reason`].

use serde::Serialize;
use serde_json::Value;

use super::{ContentKind, Recommendation};

/// Why a slot got its variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum ReasonKind {
    Segment,
    Rule,
    Experiment,
    Holdout,
    Fallback,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Reason {
    pub kind: ReasonKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub segment: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub experiment: Option<String>,
    /// The visitor's hash in `[0, 1)` (experiment and holdout).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variation_index: Option<usize>,
}

impl Reason {
    pub(super) fn of(kind: ReasonKind) -> Reason {
        Reason {
            kind,
            segment: None,
            experiment: None,
            bucket: None,
            variation_index: None,
        }
    }
}

/// What one slot shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Decision {
    pub slot: String,
    /// The variant id, or `"default"`.
    pub variant: String,
    pub kind: ContentKind,
    /// The content as configured; `null` means "leave the page as it is".
    pub content: Value,
    pub reason: Reason,
}

/// Everything decided for one visitor.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "camelCase")]
pub struct Decisions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Matching segments, highest priority first.
    pub segments: Vec<String>,
    pub primary_segment: Option<String>,
    pub decisions: Vec<Decision>,
    pub recommendations: Vec<Recommendation>,
}
