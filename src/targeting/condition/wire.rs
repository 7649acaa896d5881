//! Compiled conditions read back from a compiled config (format version 2,
//! [`crate::compiled::read`]). The reader recurses once per level, so a
//! crafted file could nest `$not`s deeper than the wasm stack holds, and a
//! stack overflow in wasm traps and kills the instance. Each level of
//! [`Node`] and [`ValueCond`] (every cycle in the types passes through one of
//! them) counts against [`MAX_READ_DEPTH`]; past it the file is refused like
//! any other that does not decode.

use super::{Condition, Entry, Node, Op, ValueCond, VerOp, MAX_CONDITION_DEPTH};
use crate::compiled::read::{Wire, WireRead};
use crate::regex::Regex;

/// Levels read at most. The compiler writes at most two per level of the
/// source ([`MAX_CONDITION_DEPTH`]), so this leaves room and still fits the
/// stack.
pub(super) const MAX_READ_DEPTH: usize = 4 * MAX_CONDITION_DEPTH;

impl WireRead for Condition {
    fn read(w: &mut Wire<'_>) -> Self {
        Condition {
            root: w.read(),
            #[cfg(feature = "condition-js-view")]
            regexes: Vec::new(),
        }
    }
}

impl WireRead for Node {
    fn read(w: &mut Wire<'_>) -> Self {
        w.nested(MAX_READ_DEPTH, Node::Throw, |w| match w.u32() {
            0 => Node::Entries(w.read()),
            1 => Node::Throw,
            _ => w.invalid(Node::Throw),
        })
    }
}

impl WireRead for Entry {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => Entry::Or(w.read()),
            1 => Entry::Nor(w.read()),
            2 => Entry::And(w.read()),
            3 => Entry::Not(w.read()),
            4 => Entry::Field {
                path: w.read(),
                cond: w.read(),
            },
            5 => Entry::Throw,
            _ => w.invalid(Entry::Throw),
        }
    }
}

impl WireRead for ValueCond {
    fn read(w: &mut Wire<'_>) -> Self {
        w.nested(MAX_READ_DEPTH, ValueCond::Throw, |w| match w.u32() {
            0 => ValueCond::Str(w.read()),
            1 => ValueCond::StrI(w.read()),
            2 => ValueCond::Num(w.read()),
            3 => ValueCond::Bool(w.read()),
            4 => ValueCond::Null,
            5 => ValueCond::Json(w.read()),
            6 => ValueCond::Ops(w.read()),
            7 => ValueCond::Throw,
            _ => w.invalid(ValueCond::Throw),
        })
    }
}

impl WireRead for VerOp {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => VerOp::Eq,
            1 => VerOp::Ne,
            2 => VerOp::Gt,
            3 => VerOp::Gte,
            4 => VerOp::Lt,
            5 => VerOp::Lte,
            _ => w.invalid(VerOp::Lte),
        }
    }
}

impl WireRead for Op {
    fn read(w: &mut Wire<'_>) -> Self {
        match w.u32() {
            0 => Op::Version(w.read(), w.read()),
            1 => Op::StrictEq {
                expected: w.read(),
                negate: w.read(),
            },
            2 => Op::Cmp(w.read(), w.read()),
            3 => Op::Exists(w.read()),
            4 => Op::In {
                set: w.read(),
                negate: w.read(),
            },
            5 => Op::InGroup {
                key: w.read(),
                negate: w.read(),
            },
            6 => Op::Not(w.read()),
            7 => Op::Size(w.read()),
            8 => Op::ElemMatchOps(w.read()),
            9 => Op::ElemMatchCond(w.read()),
            10 => Op::ElemMatchNull,
            11 => Op::All(w.read()),
            12 => match Regex::read_compiled(w) {
                Some(regex) => Op::Regex(Box::new(regex), w.read()),
                None => Op::False,
            },
            13 => Op::Type(w.read()),
            14 => Op::False,
            15 => Op::Throw,
            _ => w.invalid(Op::Throw),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiled::read::from_bytes;

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
        assert!(from_bytes::<Node>(&bytes).is_ok());
        // The written form of a real condition reads back the same.
        let written =
            postcard::to_allocvec(&Node::Entries(vec![Entry::Not(Box::new(Node::Throw))])).unwrap();
        assert_eq!(written, nested_nots(1));
    }

    #[test]
    fn the_deepest_conditions_the_compiler_writes_read_back() {
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
            let read = from_bytes::<Condition>(&bytes).unwrap();
            assert_eq!(postcard::to_allocvec(&read).unwrap(), bytes);
        }
    }

    #[test]
    fn a_crafted_deep_nesting_is_refused_not_a_stack_overflow() {
        // Without the bound this overflows the test thread's stack.
        let bytes = nested_nots(200_000);
        assert!(from_bytes::<Node>(&bytes).is_err());
        // Each read starts from the top: a good one reads after a refused one.
        assert!(from_bytes::<Node>(&nested_nots(10)).is_ok());
    }
}
