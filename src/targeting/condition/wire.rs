//! Compiled conditions read back from a compiled config (format version 2,
//! `crate::compiled::wire`). The derived readers recurse once per level, so
//! a crafted file could nest `$not`s deeper than the wasm stack holds, and a
//! stack overflow in wasm traps and kills the instance. Each level of
//! [`Node`] and [`ValueCond`] (every cycle in the types passes through one of
//! them) counts against [`MAX_READ_DEPTH`]; past it the file is refused like
//! any other that does not decode.

use std::cell::Cell;

use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::{Entry, Node, Op, ValueCond, MAX_CONDITION_DEPTH};

/// Levels read at most. The compiler writes at most two per level of the
/// source ([`MAX_CONDITION_DEPTH`]), so this leaves room and still fits the
/// stack.
pub(super) const MAX_READ_DEPTH: usize = 4 * MAX_CONDITION_DEPTH;

thread_local! {
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// One level being read; leaving it (also on an error) gives it back.
struct Level;

impl Level {
    fn enter<E: serde::de::Error>() -> Result<Level, E> {
        DEPTH.with(|depth| {
            let now = depth.get();
            if now >= MAX_READ_DEPTH {
                return Err(E::custom("conditions nest too deep"));
            }
            depth.set(now + 1);
            Ok(Level)
        })
    }
}

impl Drop for Level {
    fn drop(&mut self) {
        DEPTH.with(|depth| depth.set(depth.get().saturating_sub(1)));
    }
}

// The derived readers of the same shapes (same variants in the same order,
// so the same bytes); the impls below wrap them in a level.

#[derive(Deserialize)]
enum NodeWire {
    Entries(Vec<Entry>),
    Throw,
}

#[derive(Deserialize)]
enum ValueCondWire {
    Str(String),
    StrI(String),
    Num(f64),
    Bool(bool),
    Null,
    Json(#[serde(with = "crate::compiled::wire::value")] Value),
    Ops(Vec<Op>),
    Throw,
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _level = Level::enter()?;
        Ok(match NodeWire::deserialize(d)? {
            NodeWire::Entries(entries) => Node::Entries(entries),
            NodeWire::Throw => Node::Throw,
        })
    }
}

impl<'de> Deserialize<'de> for ValueCond {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let _level = Level::enter()?;
        Ok(match ValueCondWire::deserialize(d)? {
            ValueCondWire::Str(s) => ValueCond::Str(s),
            ValueCondWire::StrI(s) => ValueCond::StrI(s),
            ValueCondWire::Num(n) => ValueCond::Num(n),
            ValueCondWire::Bool(b) => ValueCond::Bool(b),
            ValueCondWire::Null => ValueCond::Null,
            ValueCondWire::Json(v) => ValueCond::Json(v),
            ValueCondWire::Ops(ops) => ValueCond::Ops(ops),
            ValueCondWire::Throw => ValueCond::Throw,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `Node::Entries([Entry::Not(Node::Entries([... Node::Throw]))])`,
    /// `levels` deep, as postcard writes it: variant indexes and lengths.
    fn nested_nots(levels: usize) -> Vec<u8> {
        let mut bytes = [0u8, 1, 3].repeat(levels);
        bytes.push(1);
        bytes
    }

    #[test]
    fn nesting_within_the_bound_reads_back() {
        let bytes = nested_nots(MAX_READ_DEPTH - 1);
        assert!(postcard::from_bytes::<Node>(&bytes).is_ok());
        // The written form of a real condition reads back the same.
        let written =
            postcard::to_allocvec(&Node::Entries(vec![Entry::Not(Box::new(Node::Throw))])).unwrap();
        assert_eq!(written, nested_nots(1));
    }

    #[test]
    fn the_deepest_conditions_the_compiler_writes_read_back() {
        use super::super::Condition;
        // As deep as the compiler goes, both ways conditions nest: `$not`
        // of operators and `$or` of conditions, each around `$elemMatch`.
        let mut ops = serde_json::json!({ "$eq": 1 });
        let mut conds = serde_json::json!({ "a": 1 });
        for _ in 0..MAX_CONDITION_DEPTH {
            ops = serde_json::json!({ "$not": { "$elemMatch": ops } });
            conds = serde_json::json!({ "$or": [{ "a": { "$elemMatch": conds } }] });
        }
        for source in [serde_json::json!({ "x": ops }), conds] {
            let (condition, _) = Condition::compile_lenient(&source);
            let bytes = postcard::to_allocvec(&condition).unwrap();
            assert!(postcard::from_bytes::<Condition>(&bytes).is_ok());
        }
    }

    #[test]
    fn a_crafted_deep_nesting_is_refused_not_a_stack_overflow() {
        // Without the bound this overflows the test thread's stack.
        let bytes = nested_nots(200_000);
        assert!(postcard::from_bytes::<Node>(&bytes).is_err());
        // The count is given back: a good one reads after a refused one.
        assert!(postcard::from_bytes::<Node>(&nested_nots(10)).is_ok());
    }
}
