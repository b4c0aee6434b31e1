//! Fuzz inputs and their interpreters: the body of every target in `fuzz/`, as ordinary
//! library code so that `cargo test` on stable runs them too (over the checked-in corpus and
//! over seeded random inputs, see `maple/tests/fuzz_corpus.rs` and `vma/tests/fuzz_corpus.rs`).
//!
//! Each target module has a `run(data: &[u8]) -> Result<(), String>`: it decodes the bytes
//! with [`arbitrary`] into a sequence of operations, applies each to the tree and to a model,
//! and after every operation compares the two where the operation wrote, with the full check
//! (the validator, full iteration both ways, loads at the entries' boundaries ±1) on a
//! schedule and at the end of the input ([`check`]). `Err` describes the first disagreement;
//! a panic inside the tree is a failure too. Inputs that run out of bytes simply end.
//!
//! | target | model | what it drives |
//! |---|---|---|
//! | [`tree_ops`] | [`RangeMap`] | every write and read of the tree API, bulk fills and erase runs |
//! | [`cursor`] | [`CursorModel`](crate::cursor_model::CursorModel) | cursor moves, stores, erases and preallocated stores |
//! | [`prealloc`] | [`RangeMap`] | preallocate-then-store and writes with the n-th allocation failing |
//! | [`clone`] | two [`RangeMap`]s | structural clones, then diverging edits of both copies |
//! | [`alloc`] | brute force over the [`RangeMap`]'s holes | allocation trees: gap searches, allocating writes |
//! | [`vma_ops`] | the page-granular oracle of [`crate::vma::oracle`] | `maple_vma::AddressSpace` system calls (panics on a difference) |
//! | [`strace_parse`] | line numbers, strict vs `keep_going` | maple-replay's strace parser on arbitrary bytes |
//! | [`maps_roundtrip`] | the kernel's column rule | `maple_vma::maps` parse -> print -> parse |
//! | [`replay`] | validity of the result | maple-replay end to end: log + start layout |
//! | [`vma_api`] | no panic, `validate`, errors change nothing, the oracle where it applies | every public `AddressSpace` call with hostile arguments and configurations |
//!
//! Keys ([`Key`]) are biased the way the kernel's bugs need: existing boundaries ±1, the
//! edges 0, 1, 2 and `u64::MAX`−2..=`u64::MAX`, small keys that collide, and any key.

pub mod alloc;
pub mod check;
pub mod clone;
pub mod corpus;
pub mod cursor;
pub mod maps_roundtrip;
pub mod prealloc;
pub mod replay;
pub mod strace_parse;
pub mod tree_ops;
pub mod vma_api;
pub mod vma_ops;

use crate::ops::{self, Op};
use crate::oracle::RangeMap;
use arbitrary::{Arbitrary, Unstructured};
use maple_tree::MapleTree;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::fmt::Debug;

/// The most operations one input runs (longer inputs are cut), so that every input finishes
/// in bounded time.
pub const MAX_OPS: usize = 400;

/// `Fill` stops once the model holds this many entries: trees of four levels, while one input
/// still runs in well under a second.
pub const MAX_FILLED: usize = 3000;

/// A key, resolved against the model's current entries when the operation runs.
#[allow(missing_docs)] // fields are described in the variant docs
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// The first (`last == false`) or last key of an existing entry, picked by `entry` modulo
    /// the number of entries, nudged by −1, 0 or +1. On an empty model: `entry` itself.
    Boundary { entry: u16, last: bool, nudge: Nudge },
    /// One of the edges of the key space.
    Edge(Edge),
    /// A small key, so that operations collide.
    Small(u16),
    /// Any key.
    Any(u64),
}

/// A step of −1, 0 or +1 (saturating).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Nudge {
    Minus,
    Zero,
    Plus,
}

/// 0, 1, 2, `u64::MAX - 2`, `u64::MAX - 1`, `u64::MAX`.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Edge {
    Zero,
    One,
    Two,
    MaxMinus2,
    MaxMinus1,
    Max,
}

impl Key {
    /// The key this stands for, given the model's entries.
    pub fn resolve<V: Clone + PartialEq>(self, model: &RangeMap<V>) -> u64 {
        match self {
            Key::Boundary { entry, last, nudge } => {
                let Some((range, _)) =
                    (!model.is_empty()).then(|| model.nth(usize::from(entry) % model.len())).flatten()
                else {
                    return u64::from(entry);
                };
                let key = if last { *range.end() } else { *range.start() };
                match nudge {
                    Nudge::Minus => key.saturating_sub(1),
                    Nudge::Zero => key,
                    Nudge::Plus => key.saturating_add(1),
                }
            }
            Key::Edge(edge) => match edge {
                Edge::Zero => 0,
                Edge::One => 1,
                Edge::Two => 2,
                Edge::MaxMinus2 => u64::MAX - 2,
                Edge::MaxMinus1 => u64::MAX - 1,
                Edge::Max => u64::MAX,
            },
            Key::Small(k) => u64::from(k),
            Key::Any(k) => k,
        }
    }
}

/// Where a range ends, relative to its first key (saturating at `u64::MAX`).
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Len {
    /// `first + n % 8`: single keys and short ranges.
    Short(u8),
    /// `first + n`.
    Medium(u16),
    /// `first + n`: ranges that cover many entries.
    Wide(u32),
    /// At another key: aligned with existing boundaries, possibly before `first` (an empty
    /// range, which the tree must refuse with `Invalid`).
    To(Key),
    /// At `u64::MAX`.
    ToMax,
}

/// A range of keys: `first` and where it ends.
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The first key.
    pub first: Key,
    /// Where it ends.
    pub len: Len,
}

impl Span {
    /// `(first, last)` given the model's entries; `first > last` is possible with [`Len::To`].
    pub fn resolve<V: Clone + PartialEq>(self, model: &RangeMap<V>) -> (u64, u64) {
        let first = self.first.resolve(model);
        let last = match self.len {
            Len::Short(n) => first.saturating_add(u64::from(n % 8)),
            Len::Medium(n) => first.saturating_add(u64::from(n)),
            Len::Wide(n) => first.saturating_add(u64::from(n)),
            Len::To(key) => key.resolve(model),
            Len::ToMax => u64::MAX,
        };
        (first, last)
    }
}

/// An operation on a whole tree, shared by the targets.
#[allow(missing_docs)] // fields are described in the variant docs
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TreeOp {
    /// `store_range` of a fresh value.
    Store(Span),
    /// `insert_range` of a fresh value.
    Insert(Span),
    /// `remove_range` (a NULL store).
    Remove(Span),
    /// `erase` of the range holding a key.
    Erase(Key),
    /// `load_range` at a key.
    Load(Key),
    /// `find` and `find_rev` over a range.
    Find(Span),
    /// `count` stores of `width + 1` keys, `gap` keys apart, upwards from `first` (or
    /// downwards): grows trees of several levels from a short input (up to [`MAX_FILLED`]
    /// entries).
    Fill { first: Key, count: u8, width: u8, gap: u8, descending: bool },
    /// Erases `count` entries one by one from the lowest (or the highest) up (down): the
    /// collapsing rebalances of class D.
    EraseRun { count: u8, from_right: bool },
    /// Checks the owning iterator both ways, then rebuilds the tree with `from_sorted`
    /// (`from_sorted_alloc` for an allocation tree) from the model (packed full nodes).
    Rebuild,
    /// `clear`.
    Clear,
}

/// A tree, its model and the next fresh value: the state every target starts from.
pub struct World {
    /// The tree under test.
    pub tree: MapleTree<u64>,
    /// Its model.
    pub model: RangeMap<u64>,
    pub(crate) next_value: u64,
    /// When the next full check is due, and what was written since the caller last asked.
    pub(crate) schedule: check::Schedule,
}

impl Default for World {
    fn default() -> Self {
        World { tree: MapleTree::new(), model: RangeMap::new(), next_value: 1, schedule: check::Schedule::default() }
    }
}

impl World {
    /// A world whose tree is an allocation tree (`MapleTree::new_alloc`).
    pub fn alloc() -> Self {
        World { tree: MapleTree::new_alloc(), ..World::default() }
    }

    /// A fresh value: every store writes a different one, so a duplicated or misplaced entry
    /// shows.
    pub fn value(&mut self) -> u64 {
        self.next_value += 1;
        self.next_value
    }

    /// Applies `op` to the tree and the model, checking after every write (see [`check`]).
    pub fn apply(&mut self, op: TreeOp) -> Result<(), String> {
        let checked = |w: &mut World, op: Op| {
            let (first, last) = w.touches(op);
            ops::apply(&mut w.tree, &mut w.model, op).and_then(|()| w.check_write(first, last))
        };
        match op {
            TreeOp::Store(span) => {
                let (first, last) = span.resolve(&self.model);
                let value = self.value();
                checked(self, Op::Store { first, last, value })
            }
            TreeOp::Insert(span) => {
                let (first, last) = span.resolve(&self.model);
                let value = self.value();
                checked(self, Op::Insert { first, last, value })
            }
            TreeOp::Remove(span) => {
                let (first, last) = span.resolve(&self.model);
                checked(self, Op::Remove { first, last })
            }
            TreeOp::Erase(key) => checked(self, Op::Erase { index: key.resolve(&self.model) }),
            TreeOp::Load(key) => {
                let index = key.resolve(&self.model);
                for index in [index.saturating_sub(1), index, index.saturating_add(1)] {
                    ops::apply(&mut self.tree, &mut self.model, Op::Load { index })?;
                }
                Ok(())
            }
            TreeOp::Find(span) => {
                let (start, max) = span.resolve(&self.model);
                ops::apply(&mut self.tree, &mut self.model, Op::Find { start, max })?;
                check_range(&self.tree, &self.model, start, max)
            }
            TreeOp::Fill { first, count, width, gap, descending } => {
                let mut at = first.resolve(&self.model);
                let step = u64::from(width) + u64::from(gap) + 1;
                for _ in 0..count {
                    if self.model.len() >= MAX_FILLED {
                        break;
                    }
                    let (first, last) = if descending {
                        (at.saturating_sub(u64::from(width)), at)
                    } else {
                        (at, at.saturating_add(u64::from(width)))
                    };
                    let value = self.value();
                    checked(self, Op::Store { first, last, value })
                        .map_err(|e| format!("store {:?}: {e}", (first, last, value)))?;
                    at = if descending { at.saturating_sub(step) } else { at.saturating_add(step) };
                }
                Ok(())
            }
            TreeOp::EraseRun { count, from_right } => {
                for _ in 0..count {
                    let edge = if from_right { self.model.iter().next_back() } else { self.model.iter().next() };
                    let Some((range, _)) = edge else { break };
                    checked(self, Op::Erase { index: *range.start() })?;
                }
                Ok(())
            }
            TreeOp::Rebuild => {
                // The owning iterator, both ways, on copies of the tree about to be replaced.
                let want: Vec<_> = self.model.iter().map(|(r, v)| (r, *v)).collect();
                if !self.tree.clone().into_iter().eq(want.iter().cloned()) {
                    return Err("into_iter() differs from the model".into());
                }
                if !self.tree.clone().into_iter().rev().eq(want.iter().rev().cloned()) {
                    return Err("into_iter().rev() differs from the model".into());
                }
                let ranges = self.model.iter().map(|(r, v)| (r, *v));
                let tree = if self.tree.is_alloc() {
                    MapleTree::from_sorted_alloc(ranges)
                } else {
                    MapleTree::from_sorted(ranges)
                };
                self.tree = tree.map_err(|e| format!("from_sorted failed: {e:?}"))?;
                self.check_full()
            }
            TreeOp::Clear => {
                self.tree.clear();
                self.model = RangeMap::new();
                self.check_full()
            }
        }
    }

    /// The keys a write can change: its range, or the whole entry an erase removes.
    pub(crate) fn touches(&self, op: Op) -> (u64, u64) {
        match op {
            Op::Store { first, last, .. } | Op::Insert { first, last, .. } | Op::Remove { first, last } => {
                (first, last)
            }
            Op::Erase { index } => self.model.get(index).map_or((index, index), |(r, _)| (*r.start(), *r.end())),
            Op::Load { index } => (index, index),
            Op::Find { start, max } => (start, max),
        }
    }
}

/// Compares `range(start..=max)` forwards and backwards with the model.
fn check_range(tree: &MapleTree<u64>, model: &RangeMap<u64>, start: u64, max: u64) -> Result<(), String> {
    let want: Vec<_> = model
        .range_from(start)
        .skip_while(|(r, _)| *r.end() < start)
        .take_while(|(r, _)| *r.start() <= max && start <= max)
        .collect();
    if !tree.range(start..=max).eq(want.iter().cloned()) {
        return Err(format!("range({start:#x}..={max:#x}) differs from the model"));
    }
    if !tree.range(start..=max).rev().eq(want.iter().rev().cloned()) {
        return Err(format!("range({start:#x}..={max:#x}).rev() differs from the model"));
    }
    Ok(())
}

/// The operations `data` encodes: at most [`MAX_OPS`], ending where the bytes run out.
pub fn decode<O: for<'a> Arbitrary<'a>>(data: &[u8]) -> Vec<O> {
    let mut u = Unstructured::new(data);
    let mut ops = Vec::new();
    while !u.is_empty() && ops.len() < MAX_OPS {
        let Ok(op) = O::arbitrary(&mut u) else { break };
        ops.push(op);
    }
    ops
}

/// Describes a failure of operation `i` of `ops`, with the operations before it.
pub fn failure<O: Debug>(ops: &[O], i: usize, e: &str) -> String {
    let before = &ops[i.saturating_sub(8)..i];
    format!("op {i} {:?}: {e}\nthe ops before it: {before:#?}", ops[i])
}

/// Decodes operations from `data` and runs `step` on each, then `end` (the full checks).
/// Errors name the operation and the ones before it.
pub fn run_ops<O: for<'a> Arbitrary<'a> + Debug, S>(
    data: &[u8],
    state: &mut S,
    mut step: impl FnMut(&mut S, &O) -> Result<(), String>,
    end: impl FnOnce(&mut S) -> Result<(), String>,
) -> Result<(), String> {
    let ops: Vec<O> = decode(data);
    for (i, op) in ops.iter().enumerate() {
        step(state, op).map_err(|e| failure(&ops, i, &e))?;
    }
    end(state).map_err(|e| {
        format!("at the end, after {} ops: {e}\nthe last ops: {:#?}", ops.len(), &ops[ops.len().saturating_sub(8)..])
    })
}

/// `len` pseudo-random bytes from `seed`: the stable stand-in for a fuzzer's inputs.
pub fn random_input(seed: u64, len: usize) -> Vec<u8> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut data = vec![0; len];
    rng.fill(&mut data[..]);
    data
}
