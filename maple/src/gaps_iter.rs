//! Range-query helpers in `rangemap`'s vocabulary: [`MapleTree::gaps`] (the free ranges of a
//! window, double-ended), [`MapleTree::overlapping`] and [`MapleTree::overlaps`], and the
//! overwriting store and the removal with any range form ([`MapleTree::set`],
//! [`MapleTree::cut`]).

use crate::error::Error;
use crate::iter::Range;
use crate::tree::bounds;
use crate::MapleTree;
use core::iter::FusedIterator;
use core::ops::{RangeBounds, RangeInclusive};

/// Double-ended iterator over the free (NULL) ranges inside a window, in key order, from
/// [`MapleTree::gaps`]. Each gap is clipped to the window and is maximal within it.
#[derive(Clone, Debug)]
pub struct Gaps<'a, T> {
    /// The entries overlapping the window; each is seen once, from one end or the other.
    entries: Range<'a, T>,
    /// The lowest key not yet accounted for from the front, and the highest from the back.
    front: u64,
    back: u64,
    done: bool,
}

impl<T> Gaps<'_, T> {
    /// The gap that remains when no entry is left between `front` and `back`.
    fn rest(&mut self) -> Option<RangeInclusive<u64>> {
        self.done = true;
        Some(self.front..=self.back)
    }
}

impl<T> Iterator for Gaps<'_, T> {
    type Item = RangeInclusive<u64>;

    fn next(&mut self) -> Option<RangeInclusive<u64>> {
        while !self.done {
            let Some((entry, _)) = self.entries.next() else { return self.rest() };
            let gap = (*entry.start() > self.front).then(|| self.front..=*entry.start() - 1);
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

impl<T> DoubleEndedIterator for Gaps<'_, T> {
    fn next_back(&mut self) -> Option<RangeInclusive<u64>> {
        while !self.done {
            let Some((entry, _)) = self.entries.next_back() else { return self.rest() };
            let gap = (*entry.end() < self.back).then(|| *entry.end() + 1..=self.back);
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

impl<T> FusedIterator for Gaps<'_, T> {}

impl<T> MapleTree<T> {
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
    pub fn gaps<R: RangeBounds<u64>>(&self, window: R) -> Gaps<'_, T> {
        let (front, back, done) = match bounds(&window) {
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
    pub fn overlapping<R: RangeBounds<u64>>(&self, range: R) -> Range<'_, T> {
        self.range(range)
    }

    /// Whether any entry overlaps `range` (`rangemap`'s `overlaps`). O(log n).
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<char> = [(10..=19, 'a')].into();
    /// assert!(tree.overlaps(19..30) && !tree.overlaps(20..30) && !tree.overlaps(5..5));
    /// ```
    pub fn overlaps<R: RangeBounds<u64>>(&self, range: R) -> bool {
        self.range(range).next().is_some()
    }
}

impl<T: Clone> MapleTree<T> {
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
    pub fn set<R: RangeBounds<u64>>(&mut self, range: R, value: T) -> Result<(), Error> {
        let (first, last) = bounds(&range).ok_or(Error::Invalid)?;
        self.store_range(first, last, value)
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
    pub fn cut<R: RangeBounds<u64>>(&mut self, range: R) -> Result<(), Error> {
        let (first, last) = bounds(&range).ok_or(Error::Invalid)?;
        self.remove_range(first, last)
    }
}
