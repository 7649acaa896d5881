//! Decisions by position: each slot's variant named by its place in the
//! config rather than copied out with its content, for a caller that keeps
//! the config's slots itself ([`Personalizer::layout`]). The wasm API's
//! `LiveVisitor.decisions` hands decisions to JS this way: the content is
//! the config's, and copying it into every answer (as JSON text, parsed
//! again in JS) cost more than deciding.

use crate::json::Value;
use serde::Serialize;

use super::content::ContentType;
use super::view::{ContextView, ViewBase};
use super::{
    ContentKind, Personalizer, Reason, Recommendation, RecommendationReason, Tables, Visitor,
};
use crate::score::Stage;

/// What one slot shows: a variant by position in the slot's `variants`
/// (`None` for the slot's default), and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub variant: Option<usize>,
    pub reason: Reason,
}

/// A recommended item by position in the config's `content.items`
/// ([`Personalizer::layout`] lists them), its score and reasons.
#[derive(Debug, Clone, PartialEq)]
pub struct Picked {
    pub item: usize,
    pub score: f64,
    pub reasons: Vec<RecommendationReason>,
}

/// [`Decisions`](super::Decisions) with the slots' variants and the
/// recommended items by position.
#[derive(Debug, Clone, PartialEq)]
pub struct Chosen<'a> {
    /// Matching segments, highest priority first.
    pub segments: Vec<&'a str>,
    /// One per slot, in the config's order.
    pub choices: Vec<Choice>,
    pub recommendations: Vec<Picked>,
}

impl Personalizer {
    /// [`decide`](Self::decide), with each slot's variant by position;
    /// with no lookup tables and the visitor's [`ViewBase`] when `base`
    /// is given ([`view_base`](Self::view_base)).
    pub fn decide_chosen<'a>(
        &'a self,
        visitor: &'a Visitor,
        base: Option<&'a ViewBase>,
        tables: &Tables<'a>,
    ) -> Chosen<'a> {
        let view = match base {
            Some(base) => {
                let view = ContextView::with_base(visitor, base, self.top_interests);
                let segments = self.segments_of(&view);
                view.with_segments(segments)
            }
            None => self.segmented_view(visitor, tables),
        };
        let recommendations = if self.content.is_empty() {
            Vec::new()
        } else {
            self.content.pick_view(&view)
        };
        let segments = view.segments().to_vec();
        let choices = self
            .choose_all(&view, view.id(), &segments)
            .map(|(_, (variant, reason))| Choice { variant, reason })
            .collect();
        Chosen {
            segments,
            choices,
            recommendations,
        }
    }

    /// What `visitor`'s context adds to it under this config's org rules
    /// with no lookup tables: the same while its request, profile and
    /// address stay.
    pub fn view_base(&self, visitor: &Visitor) -> ViewBase {
        ViewBase::of(visitor, &self.org_rules)
    }

    /// What [`Chosen`] refers to: `{version?, slots: [{id, default: {kind,
    /// content}, variants: [{id, kind, content}]}], items: [{id, title?,
    /// url?, type, stage?}]}`, in the config's order.
    pub fn layout(&self) -> Layout<'_> {
        Layout {
            version: self.version.as_deref(),
            slots: self
                .slots
                .iter()
                .map(|slot| SlotLayout {
                    id: &slot.id,
                    default: Shown {
                        id: None,
                        kind: slot.default_kind,
                        content: &slot.default_content,
                    },
                    variants: slot
                        .variants
                        .iter()
                        .map(|v| Shown {
                            id: Some(&v.id),
                            kind: v.kind,
                            content: &v.content,
                        })
                        .collect(),
                })
                .collect(),
            items: self.content.listed(),
        }
    }
}

/// [`Personalizer::layout`]. Serialized with serde, as the other results
/// are (no `Value` tree built); the page build, which has no JSON writer,
/// builds the same object by hand (src/wasm/layout.rs).
#[derive(Debug, Serialize)]
pub struct Layout<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<&'a str>,
    pub(crate) slots: Vec<SlotLayout<'a>>,
    /// Each content item with no score and no reasons (left out).
    #[serde(serialize_with = "listed")]
    pub(crate) items: Vec<Recommendation>,
}

#[derive(Debug, Serialize)]
pub(crate) struct SlotLayout<'a> {
    pub(crate) id: &'a str,
    pub(crate) default: Shown<'a>,
    pub(crate) variants: Vec<Shown<'a>>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Shown<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) id: Option<&'a str>,
    pub(crate) kind: ContentKind,
    pub(crate) content: &'a Value,
}

// Only the page build writes these by hand (src/wasm/layout.rs).
#[cfg(any(test, feature = "page-only"))]
impl ContentKind {
    /// The JSON name (`"text"`, `"html-template"`), as serialized.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            ContentKind::Text => "text",
            ContentKind::HtmlTemplate => "html-template",
        }
    }
}

#[cfg(any(test, feature = "page-only"))]
impl ContentType {
    /// The JSON name (`"case-study"`, …), as serialized.
    pub(crate) const fn as_str(self) -> &'static str {
        match self {
            ContentType::Page => "page",
            ContentType::Webinar => "webinar",
            ContentType::CaseStudy => "case-study",
            ContentType::WhitePaper => "white-paper",
            ContentType::Blog => "blog",
            ContentType::Video => "video",
            ContentType::Demo => "demo",
            ContentType::Social => "social",
            ContentType::Report => "report",
            ContentType::Comparison => "comparison",
            ContentType::Trial => "trial",
            ContentType::Other => "other",
        }
    }
}

/// An item as a recommendation lists it, without score and reasons.
#[derive(Serialize)]
struct Listed<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(rename = "type")]
    kind: ContentType,
    #[serde(skip_serializing_if = "Option::is_none")]
    stage: Option<Stage>,
}

fn listed<S: serde::Serializer>(items: &[Recommendation], out: S) -> Result<S::Ok, S::Error> {
    out.collect_seq(items.iter().map(|r| Listed {
        id: &r.id,
        title: r.title.as_deref(),
        url: r.url.as_deref(),
        kind: r.kind,
        stage: r.stage,
    }))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::diagnostics::ConfigDocument;
    use crate::personalize::content::ContentType;
    use crate::personalize::{ContentKind, Personalizer, Tables, Visitor, DEFAULT_VARIANT};

    /// The names the page build writes by hand are serde's.
    #[test]
    fn kind_and_type_names_are_serdes() {
        for kind in [ContentKind::Text, ContentKind::HtmlTemplate] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        for name in [
            "page",
            "webinar",
            "case-study",
            "white-paper",
            "blog",
            "video",
            "demo",
            "social",
            "report",
            "comparison",
            "trial",
            "other",
        ] {
            let kind: ContentType = serde_json::from_value(json!(name)).unwrap();
            assert_eq!(kind.as_str(), name);
        }
    }

    /// Every slot of the chosen form names what `decide` writes out.
    #[test]
    fn chosen_names_what_decide_writes() {
        let site: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/data/site-config.json")).unwrap();
        let p = Personalizer::from_value(site).unwrap();
        let layout = serde_json::to_value(p.layout()).unwrap();
        for (i, country) in ["CN", "US", "DE", "SG"].iter().enumerate() {
            let v = Visitor::from_value(json!({
                "id": format!("v-{i}"), "request": {"country": country, "asOrganization": "PetroChina"},
                "profile": {"industry": "Oil & Gas", "company": "PetroChina"},
                "score": {"tier": "hot", "stage": "decision", "interests": ["retail", "pricing"]}
            }))
            .unwrap();
            let full = p.decide(&v, &Tables::default());
            let base = p.view_base(&v);
            let chosen = p.decide_chosen(&v, None, &Tables::default());
            assert_eq!(p.decide_chosen(&v, Some(&base), &Tables::default()), chosen);
            assert_eq!(chosen.segments, full.segments);
            assert_eq!(chosen.recommendations.len(), full.recommendations.len());
            for (p, r) in chosen.recommendations.iter().zip(&full.recommendations) {
                let mut listed = serde_json::to_value(r).unwrap();
                let m = listed.as_object_mut().unwrap();
                m.remove("score");
                m.remove("reasons");
                assert_eq!(layout["items"][p.item], listed);
                assert_eq!((p.score, &p.reasons), (r.score, &r.reasons));
            }
            assert_eq!(chosen.choices.len(), full.decisions.len());
            for (k, (c, d)) in chosen.choices.iter().zip(&full.decisions).enumerate() {
                let slot = &layout["slots"][k];
                let shown = match c.variant {
                    Some(at) => &slot["variants"][at],
                    None => &slot["default"],
                };
                let id = c
                    .variant
                    .map_or(DEFAULT_VARIANT, |_| shown["id"].as_str().unwrap());
                assert_eq!(slot["id"], d.slot.as_str());
                assert_eq!(id, d.variant);
                assert_eq!(shown["content"], d.content);
                assert_eq!(shown["kind"], serde_json::to_value(d.kind).unwrap());
                assert_eq!(c.reason, d.reason);
            }
        }
    }
}
