//! The tree-level store pipeline behind the public writes of [`MapleTree`]: the probes that
//! take the in-leaf fast paths (an exact-fit swap, an insert into one NULL range, an erase
//! of one value inside its leaf: [`write::insert_in_leaf`], [`write::erase_in_leaf`]),
//! then the planned store (`classify → reserve → execute`, see [`crate::write`]) and the
//! amortised leaf relayout after it. Cursor writes enter at [`MapleTree::write_planned`].

use crate::error::Error;
use crate::key::Key;
use crate::node::{slot_of, NO_NODE};
use crate::write::{self, Cloning, CutOnly, Dup, NoDup, Plan};
use crate::MapleTree;

/// What [`MapleTree::erase_fast`] found.
enum Erased<T> {
    /// No value holds the index.
    Vacant,
    /// The value, erased.
    Done(T),
    /// The erase needs the full store (nothing changed).
    General,
}

impl<T, K: Key> MapleTree<T, K> {
    /// Plans, reserves for and performs a store; the kernel's `mas_store_gfp`. `D` copies an
    /// entry the store cuts (see [`Dup`]): with [`NoDup`] the caller must have made sure that
    /// no value is cut in two ([`MapleTree::splits_value`]).
    pub(crate) fn write_with<D: Dup<T>>(
        &mut self,
        first: u64,
        last: u64,
        entry: Option<T>,
    ) -> Result<Option<T>, Error> {
        if first > last {
            return Err(Error::Invalid);
        }
        // A lean probe (no path bookkeeping) first. When it misses, the classification walks
        // again; measured, that second walk (cache-warm) costs inserts less than building the
        // full path up front would cost exact-fit stores (callgrind at 1e5: exact fit 272 vs
        // 414 instructions, erase + re-insert 4,300 vs 4,110; criterion agrees).
        let mut entry = entry;
        if let Some(value) = entry.take() {
            entry = match self.leaf_slot(first) {
                Some((leaf, at, start, end)) if self.arena.leaf(leaf).has_value(at) => {
                    if (start, end) == (first, last) {
                        // Replacing one value by another over the same range changes neither
                        // the shape, nor the count, nor any gap: swap it in without planning
                        // a write.
                        return Ok(self.arena.leaf_mut(leaf).replace(at, Some(value)));
                    }
                    Some(value)
                }
                Some((leaf, at, start, end)) if last <= end && !self.alloc => {
                    // A store into one NULL range is an insert: most stay inside the leaf.
                    let put = |raw: &mut MapleTree<T>| {
                        write::insert_in_leaf(raw, leaf, at, (start, end), (first, last), value)
                    };
                    match K::raw_tree(self, put)? {
                        Ok(()) => return Ok(None),
                        Err(value) => Some(value),
                    }
                }
                _ => Some(value),
            };
        }
        if entry.is_none() && !self.alloc && self.root != NO_NODE {
            // A NULL store over exactly one value's range is an erase (not in an allocation
            // tree, whose gaps the full store refreshes).
            if let Erased::Done(value) = self.erase_fast(first, Some(last)) {
                return Ok(Some(value));
            }
        }
        // Classified and performed on the `u64` tree in one go (one move of the nodes for
        // other key types).
        let old = K::raw_tree(self, |raw| {
            let mut plan = Plan::EMPTY;
            write::classify_into(raw, first, last, entry.is_none(), &mut plan, false);
            raw.write_planned_with::<D>(&plan, entry)
        })?;
        self.relayout_if_due();
        Ok(old)
    }

    /// Whether a store over `first..=last` would cut one stored value in two (the only store
    /// that needs `T: Clone`): a value's range starts before `first` and ends after `last`.
    pub(crate) fn splits_value(&self, first: u64, last: u64) -> bool {
        match self.leaf_slot(first) {
            Some((leaf, off, start, end)) => start < first && last < end && self.arena.leaf(leaf).has_value(off),
            None => false,
        }
    }

    /// Reserves the nodes of a classified store and performs it.
    pub(crate) fn write_planned_with<D: Dup<T>>(&mut self, plan: &Plan, entry: Option<T>) -> Result<Option<T>, Error> {
        debug_assert!(plan.need.fits_in(write::max_need(self.height())), "{plan:?} exceeds the worst case");
        self.arena.reserve(plan.need)?;
        Ok(K::raw_tree(self, |raw| write::execute::<T, D>(raw, plan, entry)))
    }

    /// [`MapleTree::insert_range`] over stored keys.
    pub(crate) fn insert_raw(&mut self, first: u64, last: u64, value: T) -> Result<(), Error> {
        if first > last {
            return Err(Error::Invalid);
        }
        if self.root == NO_NODE {
            return self.write_with::<NoDup>(first, last, Some(value)).map(drop);
        }
        if self.alloc {
            // No fast path in an allocation tree (its gaps need the full store): one walk,
            // whose path checks that the range is vacant and is the store's left path.
            let mut plan = Plan::EMPTY;
            plan.left.walk_in_place(&self.arena, self.root, self.height(), first);
            let lv = plan.left.leaf();
            let (_, end) = plan.left.leaf_slot_range(&self.arena);
            if self.arena.leaf(lv.node).has_value(lv.offset()) || end < last {
                return Err(Error::Exists);
            }
            return self.write_walked(&mut plan, first, last, Some(value)).map(drop);
        }
        // A lean descent checks that the range is vacant (no exact-fit probe either: a vacant
        // range holds no value to swap), and most inserts then stay inside that leaf.
        let (leaf, min, max) = self.leaf_at(first);
        let node = self.arena.leaf(leaf);
        let at = slot_of(node.pivots(), first);
        let (start, end) = node.slot_range(at, min, max);
        if node.has_value(at) || end < last {
            return Err(Error::Exists);
        }
        let value =
            match K::raw_tree(self, |raw| write::insert_in_leaf(raw, leaf, at, (start, end), (first, last), value))? {
                Ok(()) => return Ok(()),
                Err(value) => value,
            };
        // Otherwise the full store, whose left path is walked again (cache-warm). The range
        // is vacant: the store cuts at most a NULL range, never a value.
        let mut plan = Plan::EMPTY;
        plan.left.walk_in_place(&self.arena, self.root, self.height(), first);
        self.write_walked(&mut plan, first, last, Some(value)).map(drop)
    }

    /// Classifies, reserves for and performs a store over `first..=last` whose `plan.left`
    /// already leads to the leaf slot holding `first` (the caller walked there to check it),
    /// in a tree that is not empty. The store must cut no value in two ([`NoDup`]).
    fn write_walked(&mut self, plan: &mut Plan, first: u64, last: u64, entry: Option<T>) -> Result<Option<T>, Error> {
        let old = K::raw_tree(self, |raw| {
            write::classify_into(raw, first, last, entry.is_none(), plan, true);
            raw.write_planned_with::<NoDup>(plan, entry)
        })?;
        self.relayout_if_due();
        Ok(old)
    }

    /// The erase of the value holding `index` (only if its range ends at `last`, when given)
    /// inside its leaf, as most erases are: a lean descent, and no plan or engine
    /// ([`write::erase_in_leaf`]). The tree must not be empty.
    fn erase_fast(&mut self, index: u64, last: Option<u64>) -> Erased<T> {
        let (leaf, min, max) = self.leaf_at(index);
        let node = self.arena.leaf(leaf);
        let at = slot_of(node.pivots(), index);
        if !node.has_value(at) {
            return Erased::Vacant;
        }
        if last.is_some_and(|last| node.slot_range(at, min, max) != (index, last)) {
            return Erased::General;
        }
        match K::raw_tree(self, |raw| write::erase_in_leaf(raw, leaf, at, max)) {
            Some(value) => Erased::Done(value),
            None => Erased::General,
        }
    }

    /// [`MapleTree::erase`] without the amortised release of free nodes (for a
    /// [`crate::Reservation`], whose reserved nodes must stay).
    pub(crate) fn erase_keeping_nodes(&mut self, index: u64) -> Result<Option<T>, Error> {
        if self.root == NO_NODE {
            return Ok(None);
        }
        if !self.alloc {
            match self.erase_fast(index, None) {
                Erased::Vacant => return Ok(None),
                Erased::Done(value) => return Ok(Some(value)),
                Erased::General => {}
            }
        }
        // Otherwise the full store, whose left path is walked (again, cache-warm, unless
        // this is an allocation tree, which has no fast path).
        let mut plan = Plan::EMPTY;
        plan.left.walk_in_place(&self.arena, self.root, self.height(), index);
        let lv = *plan.left.leaf();
        if !self.arena.leaf(lv.node).has_value(lv.offset()) {
            return Ok(None);
        }
        let (first, last) = plan.left.leaf_slot_range(&self.arena);
        // The whole range goes, and a NULL store widens over NULL ranges only: nothing is
        // cut in two.
        self.write_walked(&mut plan, first, last, None)
    }
}

impl<T: Clone, K: Key> MapleTree<T, K> {
    /// Plans, reserves for and performs a store that may clone a value it cuts in two. The
    /// old entry is dropped, so a value the store only trims is never cloned ([`CutOnly`]).
    #[inline]
    pub(crate) fn write(&mut self, first: u64, last: u64, entry: Option<T>) -> Result<(), Error> {
        self.write_with::<CutOnly>(first, last, entry).map(drop)
    }

    /// Reserves the nodes of a classified store and performs it, cloning what it cuts.
    pub(crate) fn write_planned(&mut self, plan: &Plan, entry: Option<T>) -> Result<Option<T>, Error> {
        self.write_planned_with::<Cloning>(plan, entry)
    }
}
