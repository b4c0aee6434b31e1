//! A model of the cursor state machine (`maple_tree::Cursor`, the kernel's `ma_state`),
//! written from the cursor specification (`docs/cursor.md`, summarised by the status table in
//! `maple/src/cursor.rs`) and the kernel's `check_state_handling` expectations in
//! `maple/tests/cursor_kernel.rs`.
//!
//! The model knows nothing of nodes. It sees the tree as the list of its slots in key order,
//! which the [`RangeMap`] determines completely because the tree keeps NULL ranges in
//! canonical form: every entry is a slot, every gap between entries is one NULL slot, and an
//! empty tree has no slot at all. A position is an index into that list, so stepping across
//! leaves and levels — where the tree's bugs live — is one `+ 1` here.
//!
//! After each step the target compares the returned value, `index`, `last` and the status.

use crate::oracle::RangeMap;
use maple_tree::{Error, Status};

/// The slots of a tree: `(first, last, value)` in key order, covering `0..=u64::MAX` (or
/// nothing, for an empty tree).
pub type Slots = Vec<(u64, u64, Option<u64>)>;

/// The slot list of the tree that `model` describes.
pub fn slots(model: &RangeMap<u64>) -> Slots {
    let mut slots = Slots::new();
    let mut next = 0u64; // first key not covered yet
    let mut done = model.is_empty();
    for (range, &value) in model.iter() {
        if *range.start() > next {
            slots.push((next, range.start() - 1, None));
        }
        slots.push((*range.start(), *range.end(), Some(value)));
        match range.end().checked_add(1) {
            Some(n) => next = n,
            None => done = true,
        }
    }
    if !done {
        slots.push((next, u64::MAX, None));
    }
    slots
}

/// A slot of the model: `(first, last, value)`, `None` for a NULL range.
pub type Slot<V> = (u64, u64, Option<V>);

/// The model's slots that overlap `first..=last`, whole, in key order.
pub fn slots_over<V: Clone + PartialEq>(model: &RangeMap<V>, first: u64, last: u64) -> Vec<Slot<V>> {
    // One walk over the entries from the one at or before `first`: O(log n + k).
    let mut slots = Vec::new();
    let mut next = 0; // the first key after the entries walked so far
    for (range, v) in model.range_from(first) {
        let (start, end) = (*range.start(), *range.end());
        // The hole before this entry (`next <= last`: the walk stops at the entry reaching `last`).
        if start > next && start > first {
            slots.push((next, start - 1, None));
        }
        if start > last {
            return slots;
        }
        if end >= first {
            slots.push((start, end, Some(v.clone())));
        }
        match end.checked_add(1) {
            Some(n) if end < last => next = n,
            _ => return slots,
        }
    }
    slots.push((next, u64::MAX, None));
    slots
}

/// Brings `slots`, the slot list of the model before a write of `first..=last` (or of
/// several writes inside it), up to date with `model` after it. Only the slots overlapping
/// `first - 1 ..= last + 1` can change (the write, and the NULL ranges beside it that merge
/// with it), and their outer ends stay slot boundaries: O(log n + k) for k such slots.
pub fn resync(slots: &mut Slots, model: &RangeMap<u64>, first: u64, last: u64) {
    if slots.is_empty() || model.is_empty() {
        *slots = self::slots(model);
        return;
    }
    let i0 = slots.partition_point(|s| s.1 < first.saturating_sub(1));
    let i1 = slots.partition_point(|s| s.0 <= last.saturating_add(1));
    let (a, b) = (slots[i0].0, slots[i1 - 1].1);
    slots.splice(i0..i1, slots_over(model, a, b));
}

/// The modelled cursor: the range it reports, its status and, when it has one, its position
/// (an index into [`Slots`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CursorModel {
    /// `Cursor::index()`.
    pub index: u64,
    /// `Cursor::last()`.
    pub last: u64,
    /// `Cursor::status()`.
    pub status: Status,
    /// The slot it sits on; `None` before the first walk, after `set`, and on an empty tree.
    pub pos: Option<usize>,
}

/// Which way a move goes and whether it skips NULL slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step {
    /// `next`, `find` (`skip_null`) and their `_range` forms.
    Forward { skip_null: bool },
    /// `prev`, `find_rev` and their `_range` forms.
    Backward { skip_null: bool },
}

impl CursorModel {
    /// A cursor at `index`, status `Start` (`MapleTree::cursor`, `set`).
    pub fn new(index: u64) -> Self {
        CursorModel { index, last: index, status: Status::Start, pos: None }
    }

    /// `set_range(first, last)`.
    pub fn set_range(first: u64, last: u64) -> Self {
        CursorModel { last, ..CursorModel::new(first) }
    }

    /// The value of the slot the cursor is on when it is `Active`.
    pub fn current(&self, slots: &Slots) -> Option<u64> {
        match (self.status, self.pos) {
            (Status::Active, Some(p)) => slots[p].2,
            _ => None,
        }
    }

    fn value(&self, slots: &Slots) -> Option<u64> {
        self.pos.and_then(|p| slots[p].2)
    }

    fn go(&mut self, slots: &Slots, p: usize) {
        self.pos = Some(p);
        (self.index, self.last) = (slots[p].0, slots[p].1);
        self.status = Status::Active;
    }

    /// `walk`: onto the slot holding `index`; on an empty tree status `None` over
    /// `0..=u64::MAX`. Returns whether the tree has a slot.
    pub fn walk(&mut self, slots: &Slots) -> bool {
        if slots.is_empty() {
            *self = CursorModel { index: 0, last: u64::MAX, status: Status::None, pos: None };
            return false;
        }
        let p = slots.partition_point(|s| s.1 < self.index);
        self.go(slots, p);
        true
    }

    /// One slot at a time in `dir` until a value (or, without skipping, any slot); stops with
    /// `Overflow`/`Underflow` when the current slot already reaches the limit or is the last.
    fn slide(&mut self, slots: &Slots, dir: Step, limit: u64) -> bool {
        loop {
            let p = self.pos.expect("slide needs a position");
            let (blocked, to, skip_null) = match dir {
                Step::Forward { skip_null } => (self.last >= limit || p + 1 == slots.len(), p + 1, skip_null),
                Step::Backward { skip_null } => (self.index <= limit || p == 0, p.wrapping_sub(1), skip_null),
            };
            if blocked {
                self.status = if matches!(dir, Step::Forward { .. }) { Status::Overflow } else { Status::Underflow };
                return false;
            }
            self.go(slots, to);
            if slots[to].2.is_some() {
                return true;
            }
            if !skip_null {
                return false;
            }
        }
    }

    /// `next(max)` / `next_range(max)` (forward) and `prev(min)` / `prev_range(min)`.
    fn step(&mut self, slots: &Slots, dir: Step, limit: u64) -> bool {
        let forward = matches!(dir, Step::Forward { .. });
        let (at_limit, over, under) = if forward {
            (self.last >= limit, Status::Overflow, Status::Underflow)
        } else {
            (self.index <= limit, Status::Underflow, Status::Overflow)
        };
        if at_limit {
            self.status = over;
            return false;
        }
        let status = self.status;
        if status == over && self.pos.is_some() {
            // Ran past the limit before: carry on from there.
            self.status = Status::Active;
        } else if status == under {
            // The caller expects the cursor one before where it is: the slot under `index`.
            if !self.walk(slots) {
                return false;
            }
            if self.value(slots).is_some() {
                return true;
            }
        } else if matches!(status, Status::Error(_)) || (status != Status::Active && !self.walk(slots)) {
            // An error sticks; any other status walks to `index` first.
            return false;
        }
        self.slide(slots, dir, limit)
    }

    /// `find(max)` (`skip_null`) / `find_range(max)`.
    fn find(&mut self, slots: &Slots, max: u64, skip_null: bool) -> bool {
        match self.status {
            Status::Error(_) => return false,
            Status::Active if self.last >= max => return false,
            Status::Active => return self.find_on(slots, max, skip_null),
            Status::Underflow if self.index >= max => {
                self.status = Status::Overflow;
                return false;
            }
            Status::Overflow if self.last >= max => return false,
            Status::Underflow | Status::Overflow => return self.find_walked(slots, max, skip_null),
            Status::Pause | Status::None if self.last >= max => return false,
            // A pause resumes after the range it paused on, an empty tree's `None` at `last`.
            Status::Pause => (self.index, self.last) = (self.last + 1, self.last + 1),
            Status::None => self.index = self.last,
            Status::Start => {}
        }
        self.status = Status::Start;
        self.index <= max && self.find_walked(slots, max, skip_null)
    }

    fn find_walked(&mut self, slots: &Slots, max: u64, skip_null: bool) -> bool {
        if !self.walk(slots) {
            return false;
        }
        if self.value(slots).is_some() {
            return true;
        }
        self.index != max && self.find_on(slots, max, skip_null)
    }

    fn find_on(&mut self, slots: &Slots, max: u64, skip_null: bool) -> bool {
        let found = self.slide(slots, Step::Forward { skip_null }, max);
        if skip_null {
            // `find` never ends in Overflow: it stays on the range where it stopped.
            self.status = Status::Active;
        }
        found
    }

    /// `find_rev(min)` (`skip_null`) / `find_range_rev(min)`.
    fn find_rev(&mut self, slots: &Slots, min: u64, skip_null: bool) -> bool {
        let back = Step::Backward { skip_null };
        match self.status {
            Status::Error(_) => return false,
            Status::Active => return self.index >= min && self.slide(slots, back, min),
            Status::Overflow | Status::Underflow | Status::Pause if self.index <= min => {
                self.status = Status::Underflow;
                return false;
            }
            Status::Overflow | Status::Underflow => {
                if self.pos.is_none() && !self.walk(slots) {
                    return false;
                }
                self.status = Status::Active;
                return self.index >= min && self.slide(slots, back, min);
            }
            Status::None if self.index <= min => return false,
            // A pause resumes before the range it paused on, an empty tree's `None` at `index`.
            Status::Pause => (self.index, self.last) = (self.index - 1, self.index - 1),
            Status::None => self.last = self.index,
            Status::Start => {}
        }
        self.status = Status::Start;
        if self.index < min {
            return false;
        }
        if !self.walk(slots) {
            (self.index, self.last) = (0, 0);
            return false;
        }
        if self.value(slots).is_some() {
            return true;
        }
        self.index >= min && self.slide(slots, back, min)
    }

    /// Applies a read move and returns what the cursor should return.
    pub fn read(&mut self, slots: &Slots, mv: Move, limit: u64) -> Option<u64> {
        let found = match mv {
            Move::Walk => {
                self.walk(slots);
                return self.current(slots);
            }
            Move::Find => self.find(slots, limit, true),
            Move::FindRange => self.find(slots, limit, false),
            Move::FindRev => self.find_rev(slots, limit, true),
            Move::FindRangeRev => self.find_rev(slots, limit, false),
            Move::Next => self.step(slots, Step::Forward { skip_null: true }, limit),
            Move::NextRange => self.step(slots, Step::Forward { skip_null: false }, limit),
            Move::Prev => self.step(slots, Step::Backward { skip_null: true }, limit),
            Move::PrevRange => self.step(slots, Step::Backward { skip_null: false }, limit),
        };
        if found {
            self.value(slots)
        } else {
            None
        }
    }

    /// The cursor after a write of `index..=last` that `model_after` now holds: `Active` on
    /// the slot holding the written range's first key (a NULL store's merged hole), or
    /// `Start` over `0..=u64::MAX` when the tree became empty.
    pub fn after_write(&mut self, first: u64, slots_after: &Slots) {
        if slots_after.is_empty() {
            *self = CursorModel::set_range(0, u64::MAX);
        } else {
            self.index = first;
            self.walk(slots_after);
        }
    }

    /// A write refused before it started (`index > last`: `Invalid`; `NoMemory`).
    pub fn failed(&mut self, e: Error) {
        self.status = Status::Error(e);
    }
}

/// The read moves of a cursor.
#[derive(arbitrary::Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Move {
    Walk,
    Find,
    FindRange,
    FindRev,
    FindRangeRev,
    Next,
    NextRange,
    Prev,
    PrevRange,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    /// `slots_over` is the part of `slots` that overlaps the window, on random models with
    /// entries at 0 and `u64::MAX` too, and windows at the edges.
    #[test]
    fn slots_over_is_the_window_of_slots() {
        let mut rng = SmallRng::seed_from_u64(7);
        for round in 0..300 {
            let mut model = RangeMap::new();
            for v in 0..rng.gen_range(0..12) {
                let first = match rng.gen_range(0..4) {
                    0 => 0,
                    1 => u64::MAX - rng.gen_range(0..3),
                    _ => rng.gen_range(0..64),
                };
                let last = first.saturating_add(rng.gen_range(0..6));
                model.store(first, last, round * 100 + v);
            }
            let all = slots(&model);
            for _ in 0..20 {
                let a = if rng.gen() { rng.gen_range(0..72) } else { u64::MAX - rng.gen_range(0..4) };
                let (first, last) = (a, a.saturating_add(rng.gen_range(0..20)));
                let want: Vec<_> = if all.is_empty() {
                    vec![(0, u64::MAX, None)]
                } else {
                    all.iter().filter(|s| s.1 >= first && s.0 <= last).cloned().collect()
                };
                assert_eq!(slots_over(&model, first, last), want, "{model:?} over {first}..={last}");
            }
        }
    }
}
