//! The half-open adapter (the kernel's `vma_iter_*` helpers): VMAs are half-open byte ranges
//! `[start, end)`, the maple tree stores inclusive ranges, and every conversion between the
//! two happens here.
//!
//! * A VMA `[start, end)` (`start < end`) is the tree range `start..=end - 1`; every function
//!   takes and returns half-open ranges.
//! * A query over an empty range (`start >= end`) finds nothing; a write of one fails with
//!   the tree's `Invalid` and changes nothing.
//! * Writes go through a [`Reservation`], so that a commit's writes cannot fail halfway (see
//!   the `commit` module).

use core::ops::{Range, RangeInclusive};

use maple_tree::{Cursor, Error, MapleTree, Reservation};

use crate::space::Slot;

/// The inclusive tree range of `[start, end)`, or `None` if it is empty.
fn inclusive(start: u64, end: u64) -> Option<(u64, u64)> {
    end.checked_sub(1).filter(|&last| start <= last).map(|last| (start, last))
}

/// The half-open range of a tree range.
fn half_open(range: RangeInclusive<u64>) -> Range<u64> {
    *range.start()..range.end().wrapping_add(1)
}

/// The VMA containing `addr`, with its range (`vma_iter_load`).
pub(crate) fn load(tree: &MapleTree<Slot>, addr: u64) -> Option<(Range<u64>, Slot)> {
    tree.load_range(addr).map(|(r, &s)| (half_open(r), s))
}

/// The first VMA intersecting `[start, end)`.
pub(crate) fn find(tree: &MapleTree<Slot>, start: u64, end: u64) -> Option<(Range<u64>, Slot)> {
    let (first, last) = inclusive(start, end)?;
    tree.find(first, last).map(|(r, &s)| (half_open(r), s))
}

/// The last VMA intersecting `[start, end)` (`vma_iter_prev_range` over it).
pub(crate) fn find_rev(tree: &MapleTree<Slot>, start: u64, end: u64) -> Option<(Range<u64>, Slot)> {
    let (first, last) = inclusive(start, end)?;
    tree.find_rev(last, first).map(|(r, &s)| (half_open(r), s))
}

/// The VMAs intersecting `[start, end)`, in address order.
pub(crate) fn range(tree: &MapleTree<Slot>, start: u64, end: u64) -> impl Iterator<Item = (Range<u64>, Slot)> + '_ {
    tree.range(start..end).map(|(r, &s)| (half_open(r), s))
}

/// A walk over the VMAs from one descent (a cursor): the kernel's `vma_iterator` for
/// readers.
pub(crate) struct Walk<'a> {
    cursor: Cursor<'a, Slot>,
}

impl<'a> Walk<'a> {
    /// A walk that starts at `index` (nothing read yet).
    pub(crate) fn new(tree: &'a MapleTree<Slot>, index: u64) -> Self {
        Walk { cursor: tree.cursor(index) }
    }

    /// The VMA found, with its range.
    fn here(&self, slot: Option<&Slot>) -> Option<(Range<u64>, Slot)> {
        slot.map(|&s| (half_open(self.cursor.index()..=self.cursor.last()), s))
    }

    /// As the first step: the VMA containing the walk's start index, or else the last one
    /// below it (`vma_find` backwards; from `addr - 1` this is `vma_prev` of `addr`).
    pub(crate) fn first_rev(&mut self) -> Option<(Range<u64>, Slot)> {
        let found = self.cursor.find_rev(0);
        self.here(found)
    }

    /// The VMA containing `addr`, or else the first one above it (`vma_find`).
    pub(crate) fn from(&mut self, addr: u64) -> Option<(Range<u64>, Slot)> {
        self.cursor.set(addr);
        let found = self.cursor.find(u64::MAX);
        self.here(found)
    }

    /// The VMA after the one the walk is on (`vma_next`), without a new descent.
    pub(crate) fn next(&mut self) -> Option<(Range<u64>, Slot)> {
        let found = self.cursor.next(u64::MAX);
        self.here(found)
    }

    /// The VMA before the one the walk is on (`vma_prev`), without a new descent.
    fn prev(&mut self) -> Option<(Range<u64>, Slot)> {
        let found = self.cursor.prev(0);
        self.here(found)
    }
}

/// A free range found by a gap search, and the VMAs on either side of the hole that holds it
/// (valid until the tree changes).
#[derive(Clone, Debug)]
pub(crate) struct Fit {
    /// The start of the free range.
    pub(crate) start: u64,
    /// The VMA below the hole.
    pub(crate) below: Option<(Range<u64>, Slot)>,
    /// The VMA above the hole.
    pub(crate) above: Option<(Range<u64>, Slot)>,
}

/// The lowest (or, `rev`, the highest) free `[addr, addr + len)` inside `[low, high)`, as
/// the tree's `empty_area(_rev)`, with its neighbours from the same cursor (`mas_empty_area`,
/// then `vma_next`/`vma_prev`).
pub(crate) fn fit(tree: &MapleTree<Slot>, low: u64, high: u64, len: u64, rev: bool) -> Result<Fit, Error> {
    let (first, last) = inclusive(low, high).ok_or(Error::Busy)?;
    let mut cursor = tree.cursor(first);
    if rev {
        cursor.empty_area_rev(first, last, len)?;
    } else {
        cursor.empty_area(first, last, len)?;
    }
    let start = cursor.index();
    let mut walk = Walk { cursor };
    let above = walk.next();
    let below = walk.prev();
    Ok(Fit { start, below, above })
}

/// Makes one write, `slot` or (`None`) nothing over `[start, end)`, reserving exactly the
/// nodes it needs first (`vma_iter_prealloc` + `vma_iter_store_new`): one descent.
pub(crate) fn store_one(tree: &mut MapleTree<Slot>, start: u64, end: u64, slot: Option<Slot>) -> Result<(), Error> {
    let (first, last) = inclusive(start, end).ok_or(Error::Invalid)?;
    let mut cursor = tree.cursor_mut(first);
    cursor.set_range(first, last);
    cursor.preallocate(slot)?.store();
    Ok(())
}

/// Stores `slot` over `[start, end)` (`vma_iter_store`).
pub(crate) fn store(tree: &mut Reservation<'_, Slot>, start: u64, end: u64, slot: Slot) -> Result<(), Error> {
    let (first, last) = inclusive(start, end).ok_or(Error::Invalid)?;
    tree.store_range(first, last, slot)
}

/// Removes every VMA's part in `[start, end)` (`vma_iter_clear`).
pub(crate) fn clear(tree: &mut Reservation<'_, Slot>, start: u64, end: u64) -> Result<(), Error> {
    let (first, last) = inclusive(start, end).ok_or(Error::Invalid)?;
    tree.remove_range(first, last)
}
