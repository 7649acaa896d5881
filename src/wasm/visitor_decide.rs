//! `LiveVisitor.setContext` and `LiveVisitor.decisions`: deciding a
//! visitor held in wasm without its document crossing the boundary.
//!
//! NOTE: `Personalizer.decide(visitor)` reads the whole visitor document
//! (request, profile, page and score) on every call and hands back every
//! decision with its content as JSON text; each of the two took longer
//! than deciding. Here the request, profile and page are read once
//! (`setContext`), the score is the live state's own summary, and the
//! decisions cross as numbers and the few texts that vary (`decisionParts`,
//! `decisionTexts`): the slots' ids and content are the config's, which the
//! package reads once per `Personalizer` (`layout`) and fills in
//! (`visitor_track.js`).

use wasm_bindgen::prelude::*;

#[cfg(not(feature = "ip-tables"))]
use super::handles::HeldTables;
use super::handles::{read_now, PersonalizerHandle};
use super::invalid_argument;
#[cfg(feature = "page-only")]
use super::page_core::read_visitor;
#[cfg(not(feature = "page-only"))]
use super::personalize::{decisions_to_js, read_visitor};
#[cfg(feature = "ip-tables")]
use super::tables::HeldTables;
use super::visitor::VisitorHandle;
use crate::personalize::{Choice, Chosen, Personalizer, ReasonKind};
use crate::score::TAG_SEPARATOR;
use crate::score::{FitFrom, FitResult, ScoreOptions};

#[wasm_bindgen(js_class = LiveVisitor)]
impl VisitorHandle {
    /// `visitor.setContext({id?, ip?, request?, profile?, page?, seen?})`:
    /// what decisions read besides the score, read once and kept; its
    /// `profile` is also what `decisions` scores the fit with. A `score`
    /// in it is ignored: decisions read the visitor's own. Refused as
    /// `Personalizer.decide` refuses a visitor (`invalid_argument` at
    /// `visitor.<field>`), and nothing is changed.
    #[wasm_bindgen(js_name = setContext)]
    pub fn set_context(&mut self, context: JsValue) -> Result<(), JsValue> {
        let mut visitor = read_visitor(context)?;
        visitor.score = None;
        self.context = visitor;
        self.summarized = None;
        self.base = None;
        self.fit = None;
        Ok(())
    }

    /// `visitor.decisions(personalizer, now?, tables?)`: what
    /// `personalizer.decide` answers for the visitor `setContext` set with
    /// its score at `now` (the clock when left out), as the package's
    /// `decisions` returns it. Rust's side: `decisionParts`.
    #[cfg(not(feature = "page-only"))]
    #[wasm_bindgen(js_name = decisionsJson)]
    pub fn decisions_json(
        &mut self,
        personalizer: &PersonalizerHandle,
        now: JsValue,
        tables: JsValue,
    ) -> Result<JsValue, JsValue> {
        let held = HeldTables::read(&tables)?;
        self.summarize(now)?;
        let decisions = held.with(|t| personalizer.inner.decide(&self.context, t));
        decisions_to_js(&decisions)
    }

    /// `decisions` as numbers, its texts kept for `decisionTexts`:
    /// `[segments, slots, (variant or -1, reason kind, bucket or NaN,
    /// variation index or -1) per slot, recommendations, (item, score,
    /// reasons, points per reason) per recommendation]`, the reason kinds
    /// numbered segment, rule, experiment, holdout, fallback, and variants
    /// and items by position in `personalizer.layout()`.
    #[wasm_bindgen(js_name = decisionParts)]
    pub fn decision_parts(
        &mut self,
        personalizer: &PersonalizerHandle,
        now: JsValue,
        tables: JsValue,
    ) -> Result<Vec<f64>, JsValue> {
        let plain = tables.is_undefined() || tables.is_null();
        let held = HeldTables::read(&tables)?;
        self.summarize(now)?;
        if plain
            && self
                .base
                .as_ref()
                .is_none_or(|(s, _)| *s != personalizer.serial)
        {
            let base = personalizer.inner.view_base(&self.context);
            self.base = Some((personalizer.serial, base));
        }
        let base = self.base.as_ref().filter(|_| plain).map(|(_, b)| b);
        let mut texts = std::mem::take(&mut self.texts);
        let numbers = held.with(|t| {
            let chosen = personalizer.inner.decide_chosen(&self.context, base, t);
            chosen_parts(&chosen, &mut texts)
        });
        self.texts = texts;
        Ok(numbers)
    }

    /// The texts of the last `decisionParts`, joined by U+001F: the
    /// segments, each slot's reason segment or experiment key where it
    /// has one, then each recommendation reason's factor and value.
    #[wasm_bindgen(js_name = decisionTexts)]
    pub fn decision_texts(&self) -> String {
        self.texts.clone()
    }
}

#[wasm_bindgen(js_class = Personalizer)]
impl PersonalizerHandle {
    /// `personalizer.layout()`: what decisions name by position,
    /// `{version?, slots: [{id, default: {kind, content}, variants: [{id,
    /// kind, content}]}], items: [{id, title?, url?, type, stage?}]}`, for
    /// the package's `LiveVisitor.decisions`.
    pub fn layout(&self) -> Result<JsValue, JsValue> {
        #[cfg(feature = "page-only")]
        return Ok(super::layout::layout_to_js(&Personalizer::layout(
            &self.inner,
        )));
        #[cfg(not(feature = "page-only"))]
        super::to_js(&Personalizer::layout(&self.inner))
    }
}

impl VisitorHandle {
    /// Sets the context's score to the live state's summary at `now`,
    /// with the fit of the context's profile (kept from the first call);
    /// kept while no event is taken
    /// and `now` stays (a page or a worker decides several times for one
    /// view, as `decide` takes a score once computed).
    fn summarize(&mut self, now: JsValue) -> Result<(), JsValue> {
        let now = read_now(now)?;
        let key = (self.live.events(), now);
        if self.summarized == Some(key) && self.context.score.is_some() {
            return Ok(());
        }
        self.score_in_context(now).map(drop)
    }

    /// The visitor's score at `now` with the context's profile (its fit
    /// kept from the first call), set as the context's score for the
    /// decisions that follow at the same `now`.
    pub(super) fn score_in_context(
        &mut self,
        now: crate::time::Millis,
    ) -> Result<crate::score::ScoreResult, JsValue> {
        self.summarized = None;
        let Self {
            model,
            live,
            context,
            fit,
            ..
        } = self;
        let fit = fit.get_or_insert_with(|| FitResult {
            breakdown: Vec::new(),
            ..model.fit_of(context.profile.as_ref())
        });
        let options = ScoreOptions::totals_only();
        let scored = model
            .score_visitor_fit(live, FitFrom::Scored(fit), now, &options)
            .map_err(|e| invalid_argument("state", &e.message()))?;
        self.context.score = Some(scored.summary());
        self.summarized = Some((self.live.events(), now));
        Ok(scored)
    }
}

/// The numbers of `decisionParts`; the texts written to `texts`.
fn chosen_parts(chosen: &Chosen<'_>, texts: &mut String) -> Vec<f64> {
    texts.clear();
    let mut numbers = Vec::with_capacity(2 + 4 * chosen.choices.len());
    numbers.push(chosen.segments.len() as f64);
    numbers.push(chosen.choices.len() as f64);
    let mut first = true;
    let mut add = |texts: &mut String, text: &str| {
        if !first {
            texts.push(TAG_SEPARATOR);
        }
        first = false;
        texts.push_str(text);
    };
    for segment in &chosen.segments {
        add(texts, segment);
    }
    for Choice { variant, reason } in &chosen.choices {
        let kind = match reason.kind {
            ReasonKind::Segment => 0.0,
            ReasonKind::Rule => 1.0,
            ReasonKind::Experiment => 2.0,
            ReasonKind::Holdout => 3.0,
            ReasonKind::Fallback => 4.0,
        };
        numbers.extend_from_slice(&[
            variant.map_or(-1.0, |v| v as f64),
            kind,
            reason.bucket.unwrap_or(f64::NAN),
            reason.variation_index.map_or(-1.0, |i| i as f64),
        ]);
        match reason.kind {
            ReasonKind::Segment => add(texts, reason.segment.as_deref().unwrap_or_default()),
            ReasonKind::Experiment => add(texts, reason.experiment.as_deref().unwrap_or_default()),
            _ => {}
        }
    }
    numbers.push(chosen.recommendations.len() as f64);
    for picked in &chosen.recommendations {
        numbers.extend_from_slice(&[
            picked.item as f64,
            picked.score,
            picked.reasons.len() as f64,
        ]);
        for why in &picked.reasons {
            numbers.push(why.points);
            add(texts, why.factor);
            add(texts, &why.value);
        }
    }
    numbers
}
