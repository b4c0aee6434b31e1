//! The content of one or two neighbouring leaves laid end to end outside them, for the
//! split of a leaf that an insert into one of its NULL slots overflows, and for the merge or
//! rebalance of a leaf that an erase leaves too thin.
//!
//! A [`Spill`] holds what a [`Leaf`] holds, for up to 32 slots: the slots' last keys, one
//! presence bit per slot, and the values dense in slot order. It is built in two steps, so
//! that the caller can choose the cut before anything moves:
//!
//! 1. the layout ([`Spill::insert_layout`] or [`Spill::erase_layout`], then
//!    [`Spill::add_sibling`] for a neighbour that shares the content): last keys and presence
//!    bits only, copied from the leaves, which stay as they were;
//! 2. the values move out of the leaves in slot order ([`Spill::take_inserting`] for the
//!    leaf of an insert, which puts the new value at its rank, [`Spill::take_erasing`] for
//!    the leaf of an erase, which hands the erased value back, [`Spill::take`] for the
//!    neighbour), and [`Spill::fill`] writes the next run of slots into a leaf, as
//!    [`Leaf::write`] would, but from dense arrays rather than one `(key, entry)` pair per
//!    slot.
//!
//! Between the two halves of step 2 the leaves hold no values while their slots still say
//! they do. Nothing runs there that can panic or read them (moves only: an insert into a
//! NULL slot clones and drops nothing, and an erase hands its value to the caller), and [`Spill::fill`] makes each leaf whole again
//! (N2 and N3, checked in debug builds).

use super::{positions, Leaf, PIVOTS, SLOTS};
use arrayvec::ArrayVec;

/// The content of up to two leaves: `ends[i]` is slot `i`'s last key, bit `i` of `present`
/// is set when slot `i` holds a value, and `values` holds the values taken out of the leaves
/// so far and not yet written back, in slot order.
pub(crate) struct Spill<T> {
    ends: [u64; 2 * SLOTS],
    present: u32,
    len: usize,
    /// The slot of the inserted value (0 in an erase's layout, where it is not used).
    new_at: usize,
    /// The first slot not yet written back by [`Spill::fill`].
    filled: usize,
    values: ArrayVec<T, { 2 * SLOTS }>,
}

/// The last keys of `leaf`'s slots (covering keys up to `max`), the implied last one
/// included, at the front of a 32-entry array.
fn ends_of<T>(leaf: &Leaf<T>, max: u64) -> [u64; 2 * SLOTS] {
    let mut ends = [u64::MAX; 2 * SLOTS];
    ends[..PIVOTS].copy_from_slice(&leaf.pivots);
    ends[leaf.len() - 1] = max;
    ends
}

impl<T> Spill<T> {
    /// The layout of `leaf` (covering keys up to `max`) after an insert over
    /// `first..=last` into its NULL slot `at`: the slot gives way to a NULL head ending at
    /// `first - 1` (when `head`), the value, and a NULL tail ending where the slot ended
    /// (when `tail`; without one, `last` must be where the slot ends). The leaf is not
    /// changed.
    pub(crate) fn insert_layout(
        leaf: &Leaf<T>,
        max: u64,
        at: usize,
        (head, tail): (bool, bool),
        (first, last): (u64, u64),
    ) -> Self {
        debug_assert!(at < leaf.len() && !leaf.has_value(at));
        let len = leaf.len();
        let grow = usize::from(head) + usize::from(tail);
        let mut ends = ends_of(leaf, max);
        // Slot `at`'s end moves with the slots after it and ends the last of the new slots:
        // the tail, or the value when there is no tail.
        ends.copy_within(at..len, at + grow);
        let new_at = at + usize::from(head);
        if head {
            ends[at] = first - 1;
        }
        if tail {
            ends[new_at] = last;
        }
        debug_assert_eq!(ends[new_at], last);
        let old = u32::from(leaf.present);
        let below = old & ((1 << at) - 1);
        let above = (old >> (at + 1)) << (at + 1 + grow);
        let present = below | 1 << new_at | above;
        Spill { ends, present, len: len + grow, new_at, filled: 0, values: ArrayVec::new() }
    }

    /// The layout of `leaf` (covering keys up to `max`) after an erase that makes its slots
    /// `lo..=hi` one NULL slot ending where slot `hi` ends: the erased value's slot and the
    /// NULL slots beside it, as [`Leaf::erase_merging`] makes them. The leaf is not changed.
    pub(crate) fn erase_layout(leaf: &Leaf<T>, max: u64, lo: usize, hi: usize) -> Self {
        debug_assert!(lo <= hi && hi < leaf.len());
        let len = leaf.len();
        let mut ends = ends_of(leaf, max);
        ends.copy_within(hi..len, lo);
        let old = u32::from(leaf.present);
        let present = (old & ((1 << lo) - 1)) | (old >> (hi + 1)) << (lo + 1);
        Spill { ends, present, len: len - (hi - lo), new_at: 0, filled: 0, values: ArrayVec::new() }
    }

    /// Adds the layout of `sibling` (covering keys up to `max`) after the content, or before
    /// it unless `to_right`. The sibling is not changed.
    pub(crate) fn add_sibling(&mut self, sibling: &Leaf<T>, max: u64, to_right: bool) {
        debug_assert!(self.values.is_empty() && self.len + sibling.len() <= 2 * SLOTS);
        let (len, add) = (self.len, sibling.len());
        let theirs = ends_of(sibling, max);
        let bits = u32::from(sibling.present);
        if to_right {
            self.ends[len..len + add].copy_from_slice(&theirs[..add]);
            self.present |= bits << len;
        } else {
            self.ends.copy_within(..len, add);
            self.ends[..add].copy_from_slice(&theirs[..add]);
            self.present = bits | self.present << add;
            self.new_at += add;
        }
        self.len += add;
    }

    /// Makes NULL slots `i` and `i + 1` one NULL slot ending where `i + 1` ends (a NULL
    /// that ends one leaf's content meeting the NULL that starts its right sibling's, T4).
    /// Layout only: no value may have been taken yet.
    pub(crate) fn join_nulls(&mut self, i: usize) {
        debug_assert!(self.values.is_empty() && i + 1 < self.len);
        debug_assert!(self.is_null(i) && self.is_null(i + 1));
        self.ends.copy_within(i + 1..self.len, i);
        self.present = (self.present & ((1 << i) - 1)) | (self.present >> (i + 2)) << (i + 1);
        self.len -= 1;
    }

    /// Number of slots.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Whether slot `i` is NULL.
    #[inline]
    pub(crate) fn is_null(&self, i: usize) -> bool {
        self.present >> i & 1 == 0
    }

    /// The last key of slot `i`.
    #[inline]
    pub(crate) fn end(&self, i: usize) -> u64 {
        self.ends[i]
    }

    /// Moves the values of `leaf`, a neighbour added by [`Spill::add_sibling`], into the
    /// content: before [`Spill::take_inserting`] when it lies to the left, after it otherwise.
    pub(crate) fn take(&mut self, leaf: &mut Leaf<T>) {
        self.values.extend(leaf.values.drain(..));
    }

    /// Moves the values of the leaf of the insert into the content, with `value` at its
    /// place among them.
    pub(crate) fn take_inserting(&mut self, leaf: &mut Leaf<T>, value: T) {
        // The values before the new one: the content's below its slot, less the left
        // neighbour's (already taken).
        let rank = (self.present & ((1 << self.new_at) - 1)).count_ones() as usize - self.values.len();
        let mut moved = leaf.values.drain(..);
        self.values.extend(moved.by_ref().take(rank));
        self.values.push(value);
        self.values.extend(moved);
    }

    /// Moves the values of the leaf of an erase ([`Spill::erase_layout`]) into the content,
    /// but for the value of its slot `at`, which is returned (`None` if the slot held none).
    pub(crate) fn take_erasing(&mut self, leaf: &mut Leaf<T>, at: usize) -> Option<T> {
        let rank = (u32::from(leaf.present) & ((1 << at) - 1)).count_ones() as usize;
        let held = leaf.has_value(at);
        let mut moved = leaf.values.drain(..);
        self.values.extend(moved.by_ref().take(rank));
        let value = if held { moved.next() } else { None };
        self.values.extend(moved);
        value
    }

    /// Writes the next `count` slots (1 to 16) into `leaf`, whose values must have been taken:
    /// the last of them becomes the leaf's last slot, its end implied by the parent (N2).
    pub(crate) fn fill(&mut self, leaf: &mut Leaf<T>, count: usize) {
        debug_assert!((1..=SLOTS).contains(&count) && self.filled + count <= self.len);
        debug_assert!(leaf.values.is_empty());
        let from = self.filled;
        let bits = (self.present >> from) & ((1 << count) - 1);
        leaf.pivots[..count - 1].copy_from_slice(&self.ends[from..from + count - 1]);
        leaf.pivots[count - 1..].fill(u64::MAX);
        leaf.values.extend(self.values.drain(..bits.count_ones() as usize));
        leaf.present = bits as u16;
        leaf.pos = positions(leaf.present);
        leaf.len = count as u8;
        self.filled += count;
        leaf.debug_check();
    }
}
