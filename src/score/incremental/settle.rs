//! Settling: folding the matches whose cap decision is final into a
//! visitor's running sums (see the parent module for why that is exact),
//! and the powers of two that re-base the sums to a new reference time.

use super::{
    growth, stage_slot, Decider, Memo, Millis, Model, OpenEvent, Stage, VisitorState, CAPPED,
    COUNTED, LIFETIME_SETTLE_DAYS, MAX_AGGREGATE_TIMES, MS_PER_DAY, SETTLE_WINDOWS, UNTRUSTED,
};

impl Model {
    /// How long after its rule's newest match a match of `rule` stays open.
    fn settle_ms(&self, rule: usize) -> Option<f64> {
        let cap = self.rules.get(rule)?.cap.as_ref()?;
        Some(
            cap.window_ms
                .map_or(LIFETIME_SETTLE_DAYS * MS_PER_DAY, |w| w * SETTLE_WINDOWS),
        )
    }

    /// Folds every match whose decision is final into the sums, and every
    /// event whose matches are all folded into the interests.
    pub(super) fn settle(&self, state: &mut VisitorState, now: Millis) {
        let mut decider = Decider::new(state);
        // Per rule, matches fold in canonical order and stop at the first
        // that may not: so folded matches always precede open ones.
        let mut blocked = vec![false; self.rules.len()];
        let mut folds: Vec<(usize, usize, u8)> = Vec::with_capacity(state.o.len());
        for (e, event) in state.o.iter().enumerate() {
            for (k, m) in event.m.iter().enumerate() {
                // Decided for every match, folded or not: each counted
                // one fills its rule's window for the matches after it.
                let label = decider.decide(self, event.t, m);
                if m.f {
                    continue;
                }
                let past = event.t <= now;
                let settled = match self.settle_ms(m.r) {
                    // Untrusted matches never enter a cap's window.
                    _ if m.l == UNTRUSTED => past,
                    None => past,
                    Some(span) => {
                        let newest = state.s.get(m.r).and_then(|s| s.t).unwrap_or(event.t);
                        past && ((newest.saturating_sub(event.t)) as f64) > span
                    }
                };
                let blocked = blocked.get_mut(m.r);
                match blocked {
                    Some(b) if !*b && settled => folds.push((e, k, label)),
                    Some(b) => *b = true,
                    None => {}
                }
            }
        }
        // One reference time per settle, the newest time folded (not
        // one per fold: moving it decays every sum, a power per rule
        // group), so that every term folded is at most its points.
        let newest = folds
            .iter()
            .filter_map(|&(e, _, _)| state.o.get(e).map(|event| event.t))
            .max();
        if let Some(t) = newest {
            self.rebase(state, t);
        }
        // The list is out of the state while its events fold.
        let mut open = std::mem::take(&mut state.o);
        let mut powers = Memo::default();
        // An event whose matches are all final adds its interest right
        // after its last match folds (their powers mostly the same).
        let mut interest_folded = vec![false; open.len()];
        let mut folds = folds.into_iter().peekable();
        while let Some((e, k, label)) = folds.next() {
            let Some(event) = open.get_mut(e) else {
                continue;
            };
            let (t, r) = (event.t, event.m.get(k).map_or(usize::MAX, |m| m.r));
            let base = self.base_of(event, r);
            let stage = self.stage_of(event, r);
            self.fold_match(state, (r, t, base, stage, label), &mut powers);
            if let Some(m) = event.m.get_mut(k) {
                m.l = label;
                m.f = true;
            }
            let last_of_event = folds.peek().is_none_or(|&(next, _, _)| next != e);
            if last_of_event && event.m.iter().all(|m| m.f) {
                self.fold_interest(state, event, &mut powers);
                if let Some(done) = interest_folded.get_mut(e) {
                    *done = true;
                }
            }
        }
        // Events whose matches are all final leave (with their interest,
        // when none of their matches folded just now).
        let mut at = 0;
        open.retain(|event| {
            let folded = interest_folded.get(at).copied().unwrap_or(false);
            at += 1;
            let done = event.m.iter().all(|m| m.f);
            if done && !folded {
                self.fold_interest(state, event, &mut powers);
            }
            !done
        });
        state.o = open;
        self.trim_windows(state);
        for (rule, times) in self.aggregates.iter().zip(state.a.0.iter_mut()) {
            match rule.window_ms() {
                Some(w) => {
                    while times
                        .front()
                        .is_some_and(|&(t, _)| (now.saturating_sub(t) as f64) >= w)
                    {
                        times.pop_front();
                    }
                }
                None => {
                    while times.len() > MAX_AGGREGATE_TIMES {
                        times.pop_front();
                    }
                }
            }
        }
    }

    fn base_of(&self, event: &OpenEvent, rule: usize) -> f64 {
        let weight = event
            .p
            .and_then(|at| self.touchpoints.get(at))
            .map_or(1.0, |t| t.weight);
        self.rules.get(rule).map_or(0.0, |r| r.points * weight)
    }

    fn stage_of(&self, event: &OpenEvent, rule: usize) -> Option<Stage> {
        let touchpoint = event.p.and_then(|at| self.touchpoints.get(at));
        self.rules.get(rule).and_then(|r| r.stage_at(touchpoint))
    }

    /// Moves the reference time forward to `t`, decaying every sum.
    fn rebase(&self, state: &mut VisitorState, t: Millis) {
        let Some(r) = state.r else {
            state.r = Some(t);
            return;
        };
        if t <= r {
            return;
        }
        let delta = -((t - r) as f64);
        // Rules mostly share the model's half-life: one power for them all.
        let mut last: Option<(Option<f64>, f64)> = None;
        for (sums, rule) in state.s.iter_mut().zip(&self.rules) {
            let f = match last {
                Some((h, f)) if h == rule.half_life_days => f,
                _ => {
                    let f = growth(delta, rule.half_life_days);
                    last = Some((rule.half_life_days, f));
                    f
                }
            };
            sums.p *= f;
            for g in &mut sums.g {
                *g *= f;
            }
        }
        let f = growth(delta, self.interest_half_life);
        for (_, w) in &mut state.i {
            *w *= f;
        }
        state.r = Some(t);
    }

    /// Folds rule `r`'s match at `t` (its points `base`, evidence of
    /// `stage`) into the sums as `label` decides.
    fn fold_match(
        &self,
        state: &mut VisitorState,
        (r, t, base, stage, label): (usize, Millis, f64, Option<Stage>, u8),
        powers: &mut Memo,
    ) {
        let Some(rule) = self.rules.get(r) else {
            return;
        };
        let reference = state.r.unwrap_or(t);
        let Some(sums) = state.s.get_mut(r) else {
            return;
        };
        sums.n += 1;
        match label {
            COUNTED => {
                let term = base * powers.get((t - reference) as f64, rule.half_life_days, growth);
                sums.p += term;
                sums.b += base;
                if base > 0.0 {
                    if let Some(stage) = stage {
                        if let Some(g) = sums.g.get_mut(stage_slot(stage)) {
                            *g += term;
                        }
                    }
                }
                if rule.cap.is_some() {
                    // Matches mostly fold in time order: after the newest, no search.
                    if sums.w.back().is_none_or(|&x| x <= t) {
                        sums.w.push_back(t);
                    } else {
                        let at = sums.w.partition_point(|&x| x <= t);
                        sums.w.insert(at, t);
                    }
                    sums.k += 1;
                }
            }
            CAPPED => sums.c += 1,
            _ => sums.u += 1,
        }
    }

    fn fold_interest(&self, state: &mut VisitorState, event: &OpenEvent, powers: &mut Memo) {
        let base: f64 = event
            .m
            .iter()
            .filter(|m| m.l == COUNTED)
            .map(|m| self.base_of(event, m.r))
            .sum();
        // The event's tags as `OpenEvent::tags` lists them, without building the list.
        let own = event.g.iter().map(|t| &**t);
        let touchpoint = event.p.and_then(|at| self.touchpoints.get(at));
        let theirs = touchpoint.map_or(&[][..], |tp| tp.tags.as_slice());
        let added = theirs.iter().enumerate().filter(|(k, tag)| {
            !event.g.iter().any(|g| **g == ***tag)
                && !theirs.get(..*k).is_some_and(|seen| seen.contains(tag))
        });
        let mut tags = own.chain(added.map(|(_, tag)| tag.as_str())).peekable();
        if base == 0.0 || tags.peek().is_none() {
            return;
        }
        let reference = state.r.unwrap_or(event.t);
        let weight = base.abs()
            * powers.get(
                (event.t - reference) as f64,
                self.interest_half_life,
                growth,
            );
        for tag in tags {
            match state.i.iter_mut().find(|(t, _)| t == tag) {
                Some((_, w)) => *w += weight,
                None => state.i.push((tag.to_owned(), weight)),
            }
        }
    }

    /// Drops counted times no open match can reach any more.
    fn trim_windows(&self, state: &mut VisitorState) {
        for (r, sums) in state.s.iter_mut().enumerate() {
            let Some(span) = self.settle_ms(r) else {
                continue;
            };
            let Some(newest) = sums.t else { continue };
            // The oldest open match is at most `span` before the newest;
            // its window reaches one window (≤ span) further back.
            let keep_from = newest as f64 - 2.0 * span;
            while sums.w.front().is_some_and(|&t| (t as f64) < keep_from) {
                sums.w.pop_front();
            }
        }
    }
}
