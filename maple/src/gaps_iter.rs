//! Range-query helpers in `rangemap`'s vocabulary: [`MapleTree::gaps`] (the free ranges of a
//! window, double-ended), [`MapleTree::overlapping`] and [`MapleTree::overlaps`], and the
//! overwriting store and the removal with any range form ([`MapleTree::set`],
//! [`MapleTree::cut`]).

use crate::error::Error;
use crate::iter::Range;
use crate::key::{key_range, raw_bounds, Key};
use crate::MapleTree;
use core::iter::FusedIterator;
use core::ops::{RangeBounds, RangeInclusive};

/// Double-ended iterator over the free (NULL) ranges inside a window, in key order, from
/// [`MapleTree::gaps`]. Each gap is clipped to the window and is maximal within it.
#[derive(Clone, Debug)]
pub struct Gaps<'a, T, K: Key = u64> {
    /// The entries overlapping the window; each is seen once, from one end or the other.
    entries: Range<'a, T, K>,
    /// The lowest key not yet accounted for from the front, and the highest from the back.
    front: u64,
    back: u64,
    done: bool,
}

impl<T, K: Key> Gaps<'_, T, K> {
    /// The gap that remains when no entry is left between `front` and `back`.
    fn rest(&mut self) -> Option<RangeInclusive<K>> {
        self.done = true;
        Some(key_range(self.front, self.back))
    }
}

/// An entry's range as stored.
fn stored<K: Key>(range: &RangeInclusive<K>) -> RangeInclusive<u64> {
    range.start().to_u64()..=range.end().to_u64()
}

impl<T, K: Key> Iterator for Gaps<'_, T, K> {
    type Item = RangeInclusive<K>;

    fn next(&mut self) -> Option<RangeInclusive<K>> {
        while !self.done {
            let Some((entry, _)) = self.entries.next() else { return self.rest() };
            let entry = stored(&entry);
            let gap = (*entry.start() > self.front).then(|| key_range(self.front, *entry.start() - 1));
            match entry.end().checked_add(1) {
                Some(next) if next <= self.back => self.front = next,
                _ => self.done = true,
            }
            if gap.is_some() {
                return gap;
            }
        }
        None
    }
}

impl<T, K: Key> DoubleEndedIterator for Gaps<'_, T, K> {
    fn next_back(&mut self) -> Option<RangeInclusive<K>> {
        while !self.done {
            let Some((entry, _)) = self.entries.next_back() else { return self.rest() };
            let entry = stored(&entry);
            let gap = (*entry.end() < self.back).then(|| key_range(*entry.end() + 1, self.back));
            match entry.start().checked_sub(1) {
                Some(prev) if prev >= self.front => self.back = prev,
                _ => self.done = true,
            }
            if gap.is_some() {
                return gap;
            }
        }
        None
    }
}

impl<T, K: Key> FusedIterator for Gaps<'_, T, K> {}

impl<T, K: Key> MapleTree<T, K> {
    /// The free ranges inside `window`, clipped to it, in key order (`rangemap`'s `gaps`);
    /// double-ended. O(log n + m) for the m entries overlapping the window. An empty window
    /// yields nothing; an empty tree yields the window itself.
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<char> = [(10..=19, 'a'), (20..=29, 'b'), (40..=49, 'c')].into();
    /// assert_eq!(tree.gaps(0..100).collect::<Vec<_>>(), [0..=9, 30..=39, 50..=99]);
    /// assert_eq!(tree.gaps(15..=45).rev().collect::<Vec<_>>(), [30..=39]);
    /// assert_eq!(tree.gaps(..).last(), Some(50..=u64::MAX));
    /// ```
    pub fn gaps<R: RangeBounds<K>>(&self, window: R) -> Gaps<'_, T, K> {
        let (front, back, done) = match raw_bounds(&window) {
            Some((first, last)) => (first, last, false),
            None => (1, 0, true),
        };
        Gaps { entries: Range::new(self, front, back), front, back, done }
    }

    /// The entries overlapping `range`, each with its whole range (`rangemap`'s
    /// `overlapping`; the same iterator as [`MapleTree::range`]). Double-ended,
    /// O(log n + k).
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<char> = [(10..=19, 'a'), (20..=29, 'b')].into();
    /// let hit: Vec<_> = tree.overlapping(15..25).map(|(r, v)| (r, *v)).collect();
    /// assert_eq!(hit, [(10..=19, 'a'), (20..=29, 'b')]);
    /// ```
    #[doc(alias = "mt_find")]
    pub fn overlapping<R: RangeBounds<K>>(&self, range: R) -> Range<'_, T, K> {
        self.range(range)
    }

    /// Whether any entry overlaps `range` (`rangemap`'s `overlaps`). O(log n).
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<char> = [(10..=19, 'a')].into();
    /// assert!(tree.overlaps(19..30) && !tree.overlaps(20..30) && !tree.overlaps(5..5));
    /// ```
    pub fn overlaps<R: RangeBounds<K>>(&self, range: R) -> bool {
        self.range(range).next().is_some()
    }
}

impl<T: Clone, K: Key> MapleTree<T, K> {
    /// Stores `value` over `range` (any range form), overwriting what it covers:
    /// [`MapleTree::store_range`] with a `RangeBounds` argument (`rangemap`'s `insert`, without
    /// the coalescing).
    ///
    /// # Errors
    /// [`Error::Invalid`] if `range` is empty; [`Error::NoMemory`]. The tree is unchanged on
    /// error.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// tree.set(0..100, 'a')?;
    /// tree.set(50.., 'b')?;
    /// assert_eq!(tree.keys().collect::<Vec<_>>(), [0..=49, 50..=u64::MAX]);
    /// assert_eq!(tree.set(7..7, 'c'), Err(maple_tree::Error::Invalid));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "store_range")]
    #[doc(alias = "mtree_store_range")]
    pub fn set<R: RangeBounds<K>>(&mut self, range: R, value: T) -> Result<(), Error> {
        let (first, last) = raw_bounds(&range).ok_or(Error::Invalid)?;
        self.write(first, last, Some(value))
    }

    /// Removes the values of `range` (any range form), trimming or splitting ranges that reach
    /// outside it: [`MapleTree::remove_range`] with a `RangeBounds` argument (`rangemap`'s
    /// `remove`).
    ///
    /// # Errors
    /// [`Error::Invalid`] if `range` is empty; [`Error::NoMemory`]. The tree is unchanged on
    /// error.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// tree.set(0..100, 'a')?;
    /// tree.cut(40..60)?;
    /// assert_eq!(tree.keys().collect::<Vec<_>>(), [0..=39, 60..=99]);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "remove_range")]
    pub fn cut<R: RangeBounds<K>>(&mut self, range: R) -> Result<(), Error> {
        let (first, last) = raw_bounds(&range).ok_or(Error::Invalid)?;
        self.write(first, last, None)?;
        self.shrink_if_sparse();
        Ok(())
    }
}
