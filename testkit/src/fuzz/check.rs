//! How the targets compare a tree with its model: after every write a **local** check of
//! what the write touched, and a **full** check on a schedule and at the end of every input.
//!
//! A full check (validator, length, full forward and reverse iteration, loads at the
//! entries' boundaries ±1) costs O(n); after each of up to [`MAX_OPS`](super::MAX_OPS)
//! operations it made every input O(n²). The local check costs O(log n + k) for the k slots
//! a write touched:
//!
//! * the length;
//! * every slot (NULL ranges included) of the *neighbourhood*, the slots of the model that
//!   overlap `first - 1 ..= last + 1`: the cursor's slot walk (`next_range`) over it must
//!   give exactly the model's slots, so a NULL range that failed to merge (class E), a
//!   duplicated or stale entry (A, C, J) or a lost one (D) shows where it appears;
//! * `range()` over the neighbourhood forwards and backwards (the iterator's own walk);
//! * `load_range` at the written range's boundaries ±1 and just outside the neighbourhood,
//!   and `load` (the descent that ignores slot limits) at its first and last key (class B).
//!
//! What only the full check sees: the validator's invariants (occupancy, gaps, pivots of
//! internal nodes) and damage away from the write. It runs once at least
//! [`FULL_EVERY_MIN`] writes happened and the writes since the last one number at least
//! 1/[`FULL_SHARE`] of the entries (so its O(n) is spread over Ω(n) writes), and always at
//! the end of an input; a bug that breaks an invariant is still reported by the input that
//! planted it.

use super::World;
use crate::cursor_model::slots_over;
use crate::ops;
use crate::oracle::RangeMap;
use maple_tree::MapleTree;
use std::fmt::Debug;
use std::ops::RangeInclusive;

/// The fewest writes between two full checks.
pub const FULL_EVERY_MIN: usize = 64;

/// A full check once the writes since the last one number `len / FULL_SHARE`.
pub const FULL_SHARE: usize = 4;

/// The local check after a write of `first..=last` (see the module docs). `first > last` (a
/// refused write) checks around both keys.
pub fn check_near<V: Clone + PartialEq + Debug>(
    tree: &MapleTree<V>,
    model: &RangeMap<V>,
    first: u64,
    last: u64,
) -> Result<(), String> {
    if tree.len() != model.len() {
        return Err(format!("len {} but the model holds {}", tree.len(), model.len()));
    }
    let (first, last) = (first.min(last), first.max(last));
    let want = slots_over(model, first.saturating_sub(1), last.saturating_add(1));
    let (lo, hi) = (want[0].0, want[want.len() - 1].1);
    // The cursor's walk over every slot of the neighbourhood.
    // (An empty tree has no slot; its walk reports `0..=u64::MAX` and NULL, as the model does.)
    let mut c = tree.cursor(lo);
    let value = c.walk().cloned();
    let mut got = vec![(c.index(), c.last(), value)];
    while c.last() < hi && got.len() <= want.len() {
        let value = c.next_range(u64::MAX).cloned();
        got.push((c.index(), c.last(), value));
    }
    if got != want {
        return Err(format!("the slots over {lo:#x}..={hi:#x}: tree {got:x?}, model {want:x?}"));
    }
    // The iterator, both ways, over the same keys.
    let entries: Vec<_> = want.iter().filter_map(|(f, l, v)| v.as_ref().map(|v| (*f..=*l, v))).collect();
    if !tree.range(lo..=hi).eq(entries.iter().cloned()) {
        return Err(format!("range({lo:#x}..={hi:#x}) differs from the model"));
    }
    if !tree.range(lo..=hi).rev().eq(entries.iter().rev().cloned()) {
        return Err(format!("range({lo:#x}..={hi:#x}).rev() differs from the model"));
    }
    // The model's answers inside the neighbourhood come from its slots (no more lookups).
    let near = |index: u64| {
        if (lo..=hi).contains(&index) {
            let (f, l, v) = &want[want.partition_point(|s| s.1 < index)];
            v.as_ref().map(|v| (*f..=*l, v))
        } else {
            model.get(index)
        }
    };
    let keys =
        [first.saturating_sub(1), first, last, last.saturating_add(1), lo.saturating_sub(1), hi.saturating_add(1)];
    loads(tree, near, keys)?;
    // `load`, the descent that ignores slot limits, where the write starts and ends.
    for index in [first, last] {
        let (got, want) = (tree.load(index), near(index).map(|(_, v)| v));
        if got != want {
            return Err(format!("load({index:#x}): tree {got:?}, model {want:?}"));
        }
    }
    Ok(())
}

/// `load_range` at `keys`, compared with the model's answer `model(key)`.
fn loads<'m, V: Clone + PartialEq + Debug + 'm>(
    tree: &MapleTree<V>,
    model: impl Fn(u64) -> Option<(RangeInclusive<u64>, &'m V)>,
    keys: impl IntoIterator<Item = u64>,
) -> Result<(), String> {
    for index in keys {
        let got = tree.load_range(index);
        let want = model(index);
        if got != want {
            return Err(format!("load_range({index:#x}): tree {got:?}, model {want:?}"));
        }
    }
    Ok(())
}

/// The full check: [`ops::check`] (the validator, the length, full forward and reverse
/// iteration), then loads at entries' boundaries ±1 (at most 16 entries, spread over the
/// tree; every write's own boundaries were loaded by its local check).
pub fn check_full<V: Clone + PartialEq + Debug>(tree: &MapleTree<V>, model: &RangeMap<V>) -> Result<(), String> {
    ops::check(tree, model)?;
    let stride = model.len() / 16 + 1;
    for (range, _) in model.iter().step_by(stride) {
        let (first, last) = (*range.start(), *range.end());
        loads(tree, |i| model.get(i), [first.saturating_sub(1), first, last, last.saturating_add(1)])?;
    }
    Ok(())
}

/// When the full check is due (it counts writes), and the keys written since
/// [`World::take_touched`] last asked.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
    writes: usize,
    touched: Option<(u64, u64)>,
}

impl Schedule {
    /// Counts one write of `first..=last` to a tree now holding `len` entries; whether the
    /// full check is due.
    pub fn write(&mut self, first: u64, last: u64, len: usize) -> bool {
        let (a, b) = self.touched.map_or((first, last), |(a, b)| (a.min(first), b.max(last)));
        self.touched = Some((a, b));
        self.writes += 1;
        self.writes >= FULL_EVERY_MIN.max(len / FULL_SHARE)
    }

    /// The full check ran.
    pub fn reset(&mut self) {
        self.writes = 0;
    }
}

impl World {
    /// After a write of `first..=last`: the local check, and the full check when it is due.
    pub fn check_write(&mut self, first: u64, last: u64) -> Result<(), String> {
        let (first, last) = (first.min(last), first.max(last));
        check_near(&self.tree, &self.model, first, last)?;
        if self.schedule.write(first, last, self.model.len()) {
            self.check_full()?;
        }
        Ok(())
    }

    /// The full check, now (at the end of every input, and on schedule).
    pub fn check_full(&mut self) -> Result<(), String> {
        self.schedule.reset();
        check_full(&self.tree, &self.model)
    }

    /// The hull of the keys written since the last call, if anything was.
    pub fn take_touched(&mut self) -> Option<(u64, u64)> {
        self.schedule.touched.take()
    }

    /// The local check over `touched` (another copy's writes, see the `clone` target), not
    /// counted as a write.
    pub fn check_around(&self, touched: Option<(u64, u64)>) -> Result<(), String> {
        match touched {
            Some((first, last)) => check_near(&self.tree, &self.model, first, last),
            None => Ok(()),
        }
    }
}
