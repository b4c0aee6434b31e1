//! The compact leaf: pivots, the values stored densely in slot order, and the per-slot
//! metadata that finds a slot's value in O(1) without counting bits.
//!
//! # Layout
//!
//! * `pivots`: as every node's (see [`super`]).
//! * `values`: the values of the slots that are not NULL, in slot order, in an
//!   [`ArrayVec`]: a NULL slot costs only its pivot, and a `u64` value 8 bytes.
//! * `present`: bit `i` is set when slot `i` holds a value.
//! * `pos`: 16 nibbles; nibble `i` is the index in `values` of slot `i`'s value, or
//!   [`NULL_POS`] (15) when the slot is NULL. A read is a shift, a mask and a bounds-checked
//!   index: a NULL slot's nibble is 15, which is past the end of `values` unless all 16 slots
//!   hold values, and then no slot is NULL. (Counting the set bits of `present` below the
//!   slot instead is a long bit-twiddle on the baseline x86-64 target, which has no `popcnt`.)
//!   Edits recompute `pos` from `present` ([`positions`]), branch-free.
//!
//! For `u64` values the leaf is 272 bytes (120 of pivots, 136 of `ArrayVec`, 11 of metadata,
//! padding to 8), against 384 for a leaf of 16 `Option<u64>` slots. It is not aligned to a
//! cache line: that would round it up to 320 bytes.
//!
//! # Invariant N3
//!
//! `present` has no bit at or after `len`; `values.len()` is the number of bits set in
//! `present`; `pos == positions(present)` (the values are in slot order). Checked by
//! [`Leaf::fault`] after every edit in debug builds and by the validator.

use super::{set_pivots, slot_range, Fault, PIVOTS, SLOTS};
use arrayvec::ArrayVec;

mod spill;
pub(crate) use spill::Spill;

/// The nibble of a NULL slot in `pos`.
pub(super) const NULL_POS: u64 = 0xF;
/// Every nibble at 1.
const NIBBLE_ONES: u64 = 0x1111_1111_1111_1111;

/// Nibble `i` of the result is bit `i` of `bits`.
#[inline]
fn spread(bits: u16) -> u64 {
    let mut x = u64::from(bits);
    x = (x | x << 24) & 0x0000_00FF_0000_00FF;
    x = (x | x << 12) & 0x000F_000F_000F_000F;
    x = (x | x << 6) & 0x0303_0303_0303_0303;
    (x | x << 3) & NIBBLE_ONES
}

/// Nibble `i` of the result is the number of bits of `present` below bit `i` (at most 15,
/// so no nibble carries into the next).
#[inline]
fn ranks(present: u16) -> u64 {
    let mut x = spread(present) << 4;
    x += x << 4;
    x += x << 8;
    x += x << 16;
    x += x << 32;
    x
}

/// The `pos` word of a leaf whose present slots are `present` (N3): each present slot's
/// rank, and [`NULL_POS`] for the others.
#[inline]
pub(super) fn positions(present: u16) -> u64 {
    let absent = !spread(present) & NIBBLE_ONES;
    ranks(present) | (absent * NULL_POS)
}

/// A leaf: user entries, a NULL slot holding none. Its fields are private: every edit goes
/// through a method that keeps N1, N2 and N3 (checked by debug assertions).
#[derive(Clone)]
pub(crate) struct Leaf<T> {
    pivots: [u64; PIVOTS],
    /// Per slot, the index of its value in `values`, or [`NULL_POS`] (N3).
    pos: u64,
    /// Bit `i` set when slot `i` holds a value.
    present: u16,
    len: u8,
    /// The values of the present slots, in slot order.
    values: ArrayVec<T, SLOTS>,
}

impl<T> Leaf<T> {
    pivot_accessors!();

    /// A blank (free) leaf.
    pub(crate) fn empty() -> Self {
        Leaf { pivots: [u64::MAX; PIVOTS], pos: positions(0), present: 0, len: 0, values: ArrayVec::new() }
    }

    /// Whether the leaf is free (N1: `len == 0`).
    #[inline]
    pub(super) fn is_free(&self) -> bool {
        self.len == 0
    }

    /// The free-list link of a free leaf (kept in the first pivot).
    #[inline]
    pub(super) fn free_link(&self) -> u64 {
        debug_assert!(self.is_free());
        self.pivots[0]
    }

    /// Sets the free-list link of a free leaf (`u64::MAX` when it leaves the list).
    #[inline]
    pub(super) fn set_free_link(&mut self, link: u64) {
        debug_assert!(self.is_free() && self.values.is_empty() && self.present == 0);
        self.pivots[0] = link;
    }

    /// Whether slot `offset` holds a value (is not NULL).
    #[inline]
    pub(crate) fn has_value(&self, offset: usize) -> bool {
        self.present >> offset & 1 != 0
    }

    /// Index in `values` of slot `offset`'s value; past the end of `values` for NULL.
    #[inline]
    fn position(&self, offset: usize) -> usize {
        ((self.pos >> (4 * offset)) & 0xF) as usize
    }

    /// The presence bits: bit `i` set when slot `i` holds a value (for walks that step from
    /// value to value).
    #[inline]
    pub(crate) fn present_bits(&self) -> u32 {
        u32::from(self.present)
    }

    /// The value of slot `offset`, `None` for NULL.
    #[inline]
    pub(crate) fn get(&self, offset: usize) -> Option<&T> {
        self.values.get(self.position(offset))
    }

    /// The value of slot `offset`, mutably.
    #[inline]
    pub(crate) fn get_mut(&mut self, offset: usize) -> Option<&mut T> {
        let at = self.position(offset);
        self.values.get_mut(at)
    }

    /// Takes the value out of slot `offset`, leaving NULL (the slot keeps its range).
    #[inline]
    pub(crate) fn take(&mut self, offset: usize) -> Option<T> {
        debug_assert!(offset < self.len());
        if !self.has_value(offset) {
            return None;
        }
        let value = self.values.remove(self.position(offset));
        self.present &= !(1 << offset);
        self.pos = positions(self.present);
        self.debug_check();
        Some(value)
    }

    /// Puts `value` in NULL slot `at`, over keys up to `last`, keeping what the slot's range
    /// has before it (`head`: a NULL slot ending at `first - 1`) and after it (`tail`: a
    /// NULL slot ending where slot `at` ended): an insert into a gap, in place. The slots
    /// past `at` move up by one for each of `head` and `tail`; the leaf must have room for
    /// them.
    pub(crate) fn insert_into_null(&mut self, at: usize, head: bool, first: u64, last: u64, tail: bool, value: T) {
        let grow = usize::from(head) + usize::from(tail);
        debug_assert!(!self.has_value(at) && self.len() + grow <= SLOTS);
        // Slot `at`'s pivot (or sentinel) moves with the slots after it and ends the last of
        // the new slots, which is the tail, or the value when there is no tail.
        self.pivots.copy_within(at..PIVOTS - grow, at + grow);
        if head {
            self.pivots[at] = first - 1;
        }
        if tail {
            self.pivots[at + usize::from(head)] = last;
        }
        let rank = ((ranks(self.present) >> (4 * at)) & 0xF) as usize;
        self.values.insert(rank, value);
        let below = self.present & ((1 << at) - 1);
        let above = (u32::from(self.present) >> (at + 1) << (at + 1 + grow)) as u16;
        self.present = below | above | 1 << (at + usize::from(head));
        self.pos = positions(self.present);
        self.len += grow as u8;
        self.debug_check();
    }

    /// Makes slots `lo..=hi` one NULL slot ending where slot `hi` ends, where slot `at` holds
    /// the only value among them, and returns that value: an erase that widens over the NULL
    /// slots beside it, in place (the other slots keep their ranges). The slots past `hi`
    /// move down by `hi - lo`.
    pub(crate) fn erase_merging(&mut self, lo: usize, at: usize, hi: usize) -> T {
        debug_assert!(lo <= at && at <= hi && hi < self.len());
        debug_assert!((lo..=hi).all(|i| self.has_value(i) == (i == at)));
        let value = self.values.remove(self.position(at));
        let gone = hi - lo;
        // Slot `lo` takes slot `hi`'s pivot, and the pivots after it follow; the sentinels
        // of N2 shift down with them, and the freed tail gets sentinels too.
        // (The last of 16 slots has no pivot: then nothing moves and `lo` on are sentinels.)
        self.pivots.copy_within(hi.min(PIVOTS)..PIVOTS, lo);
        self.pivots[PIVOTS - gone..].fill(u64::MAX);
        let below = self.present & ((1 << lo) - 1);
        let above = (u32::from(self.present) >> (hi + 1) << (lo + 1)) as u16;
        self.present = below | above;
        self.pos = positions(self.present);
        self.len -= gone as u8;
        self.debug_check();
        value
    }

    /// Puts `entry` in slot `offset` (keeping its range) and returns what was there.
    #[inline]
    pub(crate) fn replace(&mut self, offset: usize, entry: Option<T>) -> Option<T> {
        debug_assert!(offset < self.len());
        match entry {
            // The common case, a value over a value, in place.
            Some(value) => match self.get_mut(offset) {
                Some(old) => Some(core::mem::replace(old, value)),
                None => {
                    self.insert(offset, value);
                    None
                }
            },
            None => self.take(offset),
        }
    }

    /// Puts `value` in the NULL slot `offset`.
    #[inline(never)]
    fn insert(&mut self, offset: usize, value: T) {
        let at = ((ranks(self.present) >> (4 * offset)) & 0xF) as usize;
        self.values.insert(at, value);
        self.present |= 1 << offset;
        self.pos = positions(self.present);
        self.debug_check();
    }

    /// Number of slots holding a value.
    #[inline]
    pub(crate) fn value_count(&self) -> usize {
        self.values.len()
    }

    /// Replaces the whole content by `content`: `(last key, entry)` per slot, 1 to 16 of
    /// them; the old entries are dropped.
    pub(crate) fn write(&mut self, content: impl IntoIterator<Item = (u64, Option<T>)>) {
        self.values.clear();
        let (mut len, mut present) = (0, 0u16);
        for (i, (last, entry)) in content.into_iter().enumerate() {
            if i < PIVOTS {
                self.pivots[i] = last;
            }
            if let Some(value) = entry {
                self.values.push(value);
                present |= 1 << i;
            }
            len = i + 1;
        }
        debug_assert!((1..=SLOTS).contains(&len));
        self.pivots[len - 1..].fill(u64::MAX);
        self.len = len as u8;
        self.present = present;
        self.pos = positions(present);
        self.debug_check();
    }

    /// Replaces slots `lo..=ro` by `pieces` (`(last key, entry)` each, in order, covering
    /// exactly the range the replaced slots covered); the slots after `ro` move to follow the
    /// pieces with their ranges. Entries left in the replaced slots are dropped. The new
    /// length must stay within 1..=16.
    pub(crate) fn splice(&mut self, lo: usize, ro: usize, pieces: impl ExactSizeIterator<Item = (u64, Option<T>)>) {
        let len = self.len();
        debug_assert!(lo <= ro && ro < len);
        let mid = pieces.len();
        let new_len = lo + mid + (len - ro - 1);
        debug_assert!((1..=SLOTS).contains(&new_len));
        // The values of the replaced slots are `values[start..end]` (slot order).
        let rank = ranks(self.present);
        let start = ((rank >> (4 * lo)) & 0xF) as usize;
        let end = if ro + 1 == SLOTS { self.values.len() } else { ((rank >> (4 * (ro + 1))) & 0xF) as usize };
        if start < end {
            self.values.drain(start..end);
        }
        // The pivots after the replaced slots (the old last one implied), then the pieces'.
        let mut ends = [u64::MAX; SLOTS];
        let tail = len - ro - 1;
        let mut moved = [u64::MAX; SLOTS];
        moved[..tail].copy_from_slice(&self.pivots_ext()[ro + 1..len]);
        let (mut at, mut bits) = (start, 0u32);
        for (i, (last, entry)) in pieces.enumerate() {
            ends[lo + i] = last;
            if let Some(value) = entry {
                self.values.insert(at, value);
                at += 1;
                bits |= 1 << i;
            }
        }
        ends[..lo].copy_from_slice(&self.pivots[..lo]);
        ends[lo + mid..new_len].copy_from_slice(&moved[..tail]);
        set_pivots(&mut self.pivots, new_len, ends.into_iter());
        let old = u32::from(self.present);
        let present = (old & ((1 << lo) - 1)) | bits << lo | (old >> (ro + 1)) << (lo + mid);
        self.present = present as u16;
        self.pos = positions(self.present);
        self.len = new_len as u8;
        self.debug_check();
    }

    /// Drops the slots from `len` on (and their values): the slot `len - 1` becomes the last
    /// one, ending at the leaf's (new) implied maximum. `len` must be at least 1.
    pub(crate) fn truncate(&mut self, len: usize) {
        debug_assert!((1..=self.len()).contains(&len));
        let kept = if len == SLOTS { self.values.len() } else { ((ranks(self.present) >> (4 * len)) & 0xF) as usize };
        self.values.truncate(kept);
        self.pivots[len - 1..].fill(u64::MAX);
        self.present &= ((1u32 << len) - 1) as u16;
        self.pos = positions(self.present);
        self.len = len as u8;
        self.debug_check();
    }

    /// Puts a NULL slot ending at `last` before slot 0 (the leaf's minimum moved down to
    /// the NULL's first key); the other slots keep their ranges. The leaf must not be full.
    pub(crate) fn push_front_null(&mut self, last: u64) {
        debug_assert!(self.len() < SLOTS);
        debug_assert!(self.len() == 1 || last < self.pivots[0]);
        self.pivots.copy_within(0..PIVOTS - 1, 1);
        self.pivots[0] = last;
        self.present <<= 1;
        self.pos = positions(self.present);
        self.len += 1;
        self.debug_check();
    }

    /// Appends a slot ending at `last` to a leaf a bulk build is filling (a blank leaf at
    /// first): N2 and N3 hold again after [`Leaf::finish_build`].
    #[inline]
    pub(crate) fn push_slot(&mut self, last: u64, entry: Option<T>) {
        let i = self.len();
        debug_assert!(i < SLOTS);
        if i < PIVOTS {
            self.pivots[i] = last;
        }
        if let Some(value) = entry {
            self.values.push(value);
            self.present |= 1 << i;
        }
        self.len += 1;
    }

    /// Removes the last slot of a leaf being filled if it is NULL; returns whether it did.
    #[inline]
    pub(crate) fn pop_null_slot(&mut self) -> bool {
        let i = self.len() - 1;
        if self.has_value(i) {
            return false;
        }
        if i < PIVOTS {
            self.pivots[i] = u64::MAX;
        }
        self.len -= 1;
        true
    }

    /// Ends the filling of a leaf ([`Leaf::push_slot`]): the last slot's bound becomes
    /// implied (N2) and the positions are recorded (N3).
    #[inline]
    pub(crate) fn finish_build(&mut self) {
        let len = self.len();
        self.pivots[len - 1..].fill(u64::MAX);
        self.pos = positions(self.present);
        self.debug_check();
    }

    /// The pivots with the implied last one as `u64::MAX` at index 15 (for moving them).
    fn pivots_ext(&self) -> [u64; SLOTS] {
        let mut ext = [u64::MAX; SLOTS];
        ext[..PIVOTS].copy_from_slice(&self.pivots);
        ext
    }

    /// Moves every slot out of a leaf covering `[min, max]`, in order, as `(first key, last
    /// key, entry)`; the leaf keeps its ranges, all NULL, until it is rewritten or freed.
    /// One move per value, where taking the slots one by one would shift the rest each time.
    pub(crate) fn drain(&mut self, min: u64, max: u64) -> LeafDrain<'_, T> {
        let present = core::mem::replace(&mut self.present, 0);
        self.pos = positions(0);
        let len = self.len();
        // The values move out one by one from where they are (no copy of the array).
        LeafDrain { pivots: &self.pivots, len, next: 0, start: min, max, present, values: self.values.drain(..) }
    }

    /// Which of slots `from..to` hold values (bit `i` for slot `from + i`) and their values,
    /// in slot order: for the iterators' inner loops, which step from value to value over the
    /// bits instead of finding each slot's value afresh.
    #[inline]
    pub(crate) fn values_in(&self, from: usize, to: usize) -> (u32, &[T]) {
        debug_assert!(from <= to && to <= self.len());
        let rank = ranks(self.present);
        let start = ((rank >> (4 * from)) & 0xF) as usize;
        let end = if to == SLOTS { self.values.len() } else { ((rank >> (4 * to)) & 0xF) as usize };
        let bits = (u32::from(self.present) >> from) & ((1 << (to - from)) - 1);
        (bits, &self.values[start..end])
    }

    /// The values of slots `from..=to` of this leaf covering `[min, max]` with their ranges,
    /// as a [`LeafRun`] (empty if `from > to`).
    #[inline]
    pub(crate) fn run(&self, min: u64, max: u64, from: usize, to: usize) -> LeafRun<'_, T> {
        if from > to {
            return LeafRun::EMPTY;
        }
        if from == 0 && to + 1 >= self.len() {
            // The whole leaf (the common case): no ranks to find.
            return LeafRun { pivots: &self.pivots, values: &self.values, bits: self.present_bits(), min, max };
        }
        let (bits, values) = self.values_in(from, to + 1);
        LeafRun { pivots: &self.pivots, values, bits: bits << from, min, max }
    }

    /// The pivots, the used length and an iterator over the values with their offsets, all
    /// borrowed at once (for the mutable iterators).
    pub(crate) fn values_mut(&mut self) -> (&[u64; PIVOTS], usize, LeafValuesMut<'_, T>) {
        let len = self.len();
        (&self.pivots, len, LeafValuesMut { values: self.values.iter_mut(), present: self.present })
    }

    /// Size of the largest NULL range in a leaf covering `[min, max]`, 0 if it has none
    /// (the kernel's `mas_leaf_max_gap`). A NULL range of all 2^64 keys counts as `u64::MAX`.
    #[doc(alias = "mas_leaf_max_gap")]
    pub(crate) fn max_gap(&self, min: u64, max: u64) -> u64 {
        let len = self.len();
        let gap = (0..len)
            .filter(|&i| !self.has_value(i))
            .map(|i| {
                let (first, last) = slot_range(&self.pivots, len, i, min, max);
                (last - first).saturating_add(1)
            })
            .max()
            .unwrap_or(0);
        plant!('F' => let gap = gap.saturating_sub(1));
        gap
    }

    /// The first layout fault of a live leaf (N2, then N3), if any.
    pub(crate) fn fault(&self) -> Option<Fault> {
        if let Some(fault) = self.pivot_fault() {
            return Some(fault);
        }
        if let Some(slot) = (self.len()..SLOTS).find(|&i| self.has_value(i)) {
            return Some(Fault::SlotPastEnd { slot });
        }
        let present = self.present.count_ones() as usize;
        if self.values.len() != present {
            return Some(Fault::ValueCount { values: self.values.len(), present });
        }
        let expected = positions(self.present);
        (0..SLOTS).find(|&i| (self.pos ^ expected) >> (4 * i) & 0xF != 0).map(|slot| Fault::Position {
            slot,
            stored: self.position(slot) as u8,
            expected: ((expected >> (4 * slot)) & 0xF) as u8,
        })
    }

    /// After an edit, in debug builds: the leaf is live (N1) and its layout sound (N2, N3).
    #[inline]
    fn debug_check(&self) {
        debug_assert!((1..=SLOTS).contains(&self.len()), "N1: leaf len {}", self.len);
        debug_assert_eq!(self.fault(), None);
    }

    /// Bug A's setup: a copy of this leaf (`dup` copies each entry).
    #[cfg(feature = "planted-bugs")]
    pub(crate) fn plant_copy(&self, dup: fn(Option<&T>) -> Option<T>) -> Leaf<T> {
        let mut copy = Leaf::empty();
        copy.write((0..self.len()).map(|i| (self.slot_range(i, 0, u64::MAX).1, dup(self.get(i)))));
        copy
    }

    /// Bug A: puts `stale`'s slots and pivots back after this leaf's end when it is shorter.
    #[cfg(feature = "planted-bugs")]
    pub(crate) fn plant_stale_tail(&mut self, mut stale: Leaf<T>) {
        let (len, old_len) = (self.len(), stale.len());
        if len > 0 && len < old_len {
            self.pivots[len - 1..old_len - 1].copy_from_slice(&stale.pivots[len - 1..old_len - 1]);
            for i in len..old_len {
                if let Some(value) = stale.take(i) {
                    self.values.push(value);
                    self.present |= 1 << i;
                }
            }
            self.pos = positions(self.present);
        }
    }

    /// Bug D: drops the last slot; the slot before it then reaches the leaf's maximum.
    #[cfg(feature = "planted-bugs")]
    pub(crate) fn plant_drop_last_slot(&mut self) {
        let len = self.len();
        if len > 1 {
            self.take(len - 1);
            self.pivots[len - 2] = u64::MAX;
            self.len -= 1;
        }
    }
}

/// No pivots: those of a [`LeafRun`] of no values.
static NO_PIVOTS: [u64; PIVOTS] = [u64::MAX; PIVOTS];

/// Some of one leaf's values with their ranges, taken from either end ([`Leaf::run`]): the
/// borrowing iterators' inner loop. A step pops a presence bit and a value and reads at most
/// two pivots; it keeps no path and compares no key with the iteration's window (the run
/// holds only slots inside it).
///
/// `bits` marks the slots of the run (a subset of one leaf's present slots, N3) and `values`
/// holds their values in slot order, so `values.len() == bits.count_ones()`.
pub(crate) struct LeafRun<'a, T> {
    pivots: &'a [u64; PIVOTS],
    values: &'a [T],
    bits: u32,
    /// The leaf's implied limits.
    min: u64,
    max: u64,
}

impl<T> Clone for LeafRun<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for LeafRun<'_, T> {}

impl<'a, T> LeafRun<'a, T> {
    /// A run of no values.
    pub(crate) const EMPTY: LeafRun<'a, T> = LeafRun { pivots: &NO_PIVOTS, values: &[], bits: 0, min: 0, max: 0 };

    /// Number of values left.
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// The inclusive range of slot `off`. A slot's last key is its pivot, or the leaf's
    /// maximum for the last slot (N2 puts `u64::MAX` in the pivots from `len - 1` on, so the
    /// smaller of the two is the slot's end either way).
    #[inline]
    fn range(&self, off: usize) -> (u64, u64) {
        let start = if off == 0 { self.min } else { self.pivots[off - 1] + 1 };
        let end = match self.pivots.get(off) {
            Some(&pivot) => pivot.min(self.max),
            None => self.max,
        };
        (start, end)
    }

    /// The first value left, with its range.
    #[inline]
    pub(crate) fn pop_front(&mut self) -> Option<(u64, u64, &'a T)> {
        let (value, rest) = self.values.split_first()?;
        self.values = rest;
        let off = self.bits.trailing_zeros() as usize;
        self.bits &= self.bits.wrapping_sub(1);
        let (start, end) = self.range(off);
        Some((start, end, value))
    }

    /// The last value left, with its range.
    #[inline]
    pub(crate) fn pop_back(&mut self) -> Option<(u64, u64, &'a T)> {
        let (value, rest) = self.values.split_last()?;
        self.values = rest;
        let off = 31usize.wrapping_sub(self.bits.leading_zeros() as usize);
        self.bits &= !(1u32.wrapping_shl(off as u32));
        let (start, end) = self.range(off);
        Some((start, end, value))
    }

    /// Drops the first `n` values left (all of them if there are fewer).
    pub(crate) fn skip_front(&mut self, n: usize) {
        let n = n.min(self.values.len());
        self.values = &self.values[n..];
        for _ in 0..n {
            self.bits &= self.bits - 1;
        }
    }

    /// Drops the last `n` values left (all of them if there are fewer).
    pub(crate) fn skip_back(&mut self, n: usize) {
        let n = n.min(self.values.len());
        self.values = &self.values[..self.values.len() - n];
        for _ in 0..n {
            self.bits &= !(1 << (31 - self.bits.leading_zeros()));
        }
    }

    /// Keeps only the values `other`, a run over the same leaf, also holds: where the front
    /// and the back of an iteration meet in one leaf.
    pub(crate) fn intersect(&mut self, other: &LeafRun<'a, T>) {
        let common = self.bits & other.bits;
        let below = (self.bits & !common & common.wrapping_sub(1)).count_ones() as usize;
        let kept = common.count_ones() as usize;
        self.values = &self.values[below..below + kept];
        self.bits = common;
    }
}

/// Every slot of a leaf, moved out in order ([`Leaf::drain`]): `(first key, last key,
/// entry)`.
pub(crate) struct LeafDrain<'a, T> {
    pivots: &'a [u64; PIVOTS],
    len: usize,
    next: usize,
    /// First key of slot `next`.
    start: u64,
    max: u64,
    present: u16,
    values: arrayvec::Drain<'a, T, SLOTS>,
}

impl<T> Iterator for LeafDrain<'_, T> {
    type Item = (u64, u64, Option<T>);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let i = self.next;
        if i >= self.len {
            return None;
        }
        let end = if i + 1 >= self.len { self.max } else { self.pivots[i] };
        let entry = if self.present >> i & 1 != 0 { self.values.next() } else { None };
        let start = self.start;
        (self.next, self.start) = (i + 1, end.wrapping_add(1));
        Some((start, end, entry))
    }
}

/// The values of one leaf with their slot offsets, mutably, in key order
/// ([`Leaf::values_mut`]).
pub(crate) struct LeafValuesMut<'a, T> {
    values: core::slice::IterMut<'a, T>,
    /// The slots of the values not yet yielded.
    present: u16,
}

impl<'a, T> Iterator for LeafValuesMut<'a, T> {
    type Item = (usize, &'a mut T);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let value = self.values.next()?;
        let slot = self.present.trailing_zeros() as usize;
        self.present &= self.present - 1;
        Some((slot, value))
    }
}

impl<T> DoubleEndedIterator for LeafValuesMut<'_, T> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        let value = self.values.next_back()?;
        let slot = 15 - self.present.leading_zeros() as usize;
        self.present &= !(1 << slot);
        Some((slot, value))
    }
}

#[cfg(test)]
mod tests;
