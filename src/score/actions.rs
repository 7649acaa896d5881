//! Which rules an event's action can match: built once per model, so an
//! event finds its candidate rules with one binary search.

use super::engagement::{EngagementRule, Inactivity};
use crate::compiled::read::{Wire, WireRead};

/// The actions the rules and the inactivity rule name, each with the rules
/// that can match it, in rule order: an event finds its candidate rules with
/// one binary search on its action instead of comparing its name with every
/// name of every rule. Built once per model. A sorted list rather than a
/// hash map: a model names a few dozen actions, and it keeps the wasm small.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ActionTable {
    /// Sorted by action.
    by_action: Vec<(String, ActionEntry)>,
    /// Rules without an action list: the candidates of any other action.
    any_action: Vec<usize>,
}

#[derive(Debug, Clone, Default, serde::Serialize)]
struct ActionEntry {
    rules: Vec<usize>,
    ignored: bool,
}

impl WireRead for ActionEntry {
    fn read(w: &mut Wire<'_>) -> Self {
        ActionEntry {
            rules: w.read(),
            ignored: w.read(),
        }
    }
}

impl WireRead for ActionTable {
    fn read(w: &mut Wire<'_>) -> Self {
        ActionTable {
            by_action: w.read(),
            any_action: w.read(),
        }
    }
}

impl ActionTable {
    pub fn build(rules: &[EngagementRule], inactivity: Option<&Inactivity>) -> Self {
        let ignore = inactivity.map_or(&[][..], |i| &i.ignore);
        let mut table = Self::default();
        let named = rules
            .iter()
            .filter_map(|r| r.actions.as_ref())
            .flatten()
            .chain(ignore);
        for action in named {
            if let Err(at) = table.by_action.binary_search_by(|(a, _)| a.cmp(action)) {
                let entry = ActionEntry {
                    rules: Vec::new(),
                    ignored: ignore.contains(action),
                };
                table.by_action.insert(at, (action.clone(), entry));
            }
        }
        // Rules in order, so each list is in rule order.
        for (i, rule) in rules.iter().enumerate() {
            if rule.actions.is_none() {
                table.any_action.push(i);
            }
            for (action, entry) in &mut table.by_action {
                if rule.actions.as_ref().is_none_or(|a| a.contains(action)) {
                    entry.rules.push(i);
                }
            }
        }
        table
    }

    /// The rules that may match `action_key` (in rule order) and whether
    /// inactivity ignores it.
    pub(super) fn lookup(&self, action_key: &str) -> (&[usize], bool) {
        match self
            .by_action
            .binary_search_by(|(a, _)| a.as_str().cmp(action_key))
            .ok()
            .and_then(|at| self.by_action.get(at))
        {
            Some((_, entry)) => (&entry.rules, entry.ignored),
            None => (&self.any_action, false),
        }
    }
}
