//! The `std::collections::BTreeMap` vocabulary on [`MapleTree`].
//!
//! A key of a `BTreeMap` is one point; here the "key" of an entry is its whole range, and a
//! point lookup finds the entry whose range holds the point. So `get(k)` is the value of the
//! range holding `k`, `get_key_value(k)` returns that range, `remove(k)` removes the whole
//! range holding `k`, and the iterators yield `(range, value)` pairs.
//!
//! Which methods need `T: Clone`: only those that may cut a stored value in two (the head and
//! the tail both keep it), namely [`MapleTree::store_range`], [`MapleTree::remove_range`] and
//! what is built on them (`Extend`, `FromIterator`, `From<[_; N]>`). Everything else, lookups,
//! iteration, `get_mut`, stores into vacant ranges, exact overwrites and removal of whole
//! ranges, works for any `T`; [`MapleTree::store_no_split`] and
//! [`MapleTree::remove_no_split`] are the overwriting forms for values that cannot be
//! cloned: they fail with [`Error::WouldSplit`] instead of cutting a value.
//!
//! ```compile_fail
//! // A value that is not `Clone` cannot go through a store that might split it...
//! struct Handle(u32);
//! let mut tree = maple_tree::MapleTree::new();
//! tree.store_range(0, 9, Handle(1)).unwrap();
//! ```
//!
//! ```compile_fail
//! // ...nor through a removal that might split it...
//! struct Handle(u32);
//! let mut tree = maple_tree::MapleTree::<Handle>::new();
//! tree.remove_range(3, 4).unwrap();
//! ```
//!
//! ```
//! // ...but everything that cannot split a value works, and the non-splitting store says
//! // when it would have to.
//! use maple_tree::{Error, MapleTree};
//! struct Handle(u32);
//! let mut tree = MapleTree::new();
//! tree.insert_range(0, 9, Handle(1))?;
//! tree.store_no_split(0..=9, Handle(2))?; // exact overwrite
//! tree.store_no_split(5..=20, Handle(3))?; // trims 0..=9 to 0..=4
//! assert_eq!(tree.store_no_split(1..=2, Handle(4)), Err(Error::WouldSplit));
//! tree.get_mut(1).unwrap().0 += 10;
//! assert_eq!(tree.get(1).map(|h| h.0), Some(12));
//! assert_eq!(tree.remove(7).map(|h| h.0), Some(3));
//! # Ok::<(), Error>(())
//! ```

use crate::error::Error;
use crate::iter::Iter;
use crate::key::{raw_bounds, Key};
use crate::write::NoDup;
use crate::MapleTree;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::hash::{Hash, Hasher};
use core::iter::FusedIterator;
use core::ops::{Index, RangeBounds, RangeInclusive};

impl<T, K: Key> MapleTree<T, K> {
    /// The value of the entry whose range holds `key` (BTreeMap's `get`; the same as
    /// [`MapleTree::load`]).
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<char> = [(10..=19, 'a')].into();
    /// assert_eq!(tree.get(15), Some(&'a'));
    /// assert_eq!(tree.get(20), None);
    /// ```
    #[doc(alias = "mtree_load")]
    #[inline]
    pub fn get(&self, key: K) -> Option<&T> {
        self.load(key)
    }

    /// The entry whose range holds `key`: its whole range and its value (BTreeMap's
    /// `get_key_value`, where the key is the range; the same as [`MapleTree::load_range`]).
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<char> = [(10..=19, 'a')].into();
    /// assert_eq!(tree.get_key_value(12), Some((10..=19, &'a')));
    /// ```
    #[doc(alias = "load_range")]
    pub fn get_key_value(&self, key: K) -> Option<(RangeInclusive<K>, &T)> {
        self.load_range(key)
    }

    /// A mutable reference to the value of the entry whose range holds `key`. Needs no
    /// `T: Clone`; the range stays as it is.
    ///
    /// ```
    /// let mut tree: maple_tree::MapleTree<u32> = [(10..=19, 1)].into();
    /// *tree.get_mut(11).unwrap() += 1;
    /// assert_eq!(tree.get(19), Some(&2));
    /// assert_eq!(tree.get_mut(20), None);
    /// ```
    pub fn get_mut(&mut self, key: K) -> Option<&mut T> {
        let (leaf, off, _, _) = self.leaf_slot(key.to_u64())?;
        self.arena.leaf_mut(leaf).get_mut(off)
    }

    /// Whether some entry's range holds `key`.
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<()> = [(10..=19, ())].into();
    /// assert!(tree.contains_key(10) && !tree.contains_key(9));
    /// ```
    pub fn contains_key(&self, key: K) -> bool {
        self.load(key).is_some()
    }

    /// The entry with the lowest range, if any.
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<char> = [(30..=39, 'b'), (10..=19, 'a')].into();
    /// assert_eq!(tree.first_key_value(), Some((10..=19, &'a')));
    /// assert_eq!(tree.last_key_value(), Some((30..=39, &'b')));
    /// ```
    pub fn first_key_value(&self) -> Option<(RangeInclusive<K>, &T)> {
        self.iter().next()
    }

    /// The entry with the highest range, if any.
    pub fn last_key_value(&self) -> Option<(RangeInclusive<K>, &T)> {
        self.iter().next_back()
    }

    /// The ranges of the entries, in key order (BTreeMap's `keys`).
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<char> = [(10..=19, 'a'), (30..=39, 'b')].into();
    /// assert_eq!(tree.keys().collect::<Vec<_>>(), [10..=19, 30..=39]);
    /// ```
    pub fn keys(&self) -> Keys<'_, T, K> {
        Keys { inner: self.iter() }
    }

    /// The values of the entries, in key order.
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<char> = [(10..=19, 'a'), (30..=39, 'b')].into();
    /// assert_eq!(tree.values().collect::<String>(), "ab");
    /// ```
    pub fn values(&self) -> Values<'_, T, K> {
        Values { inner: self.iter() }
    }

    /// Removes the **whole** entry whose range holds `key` and returns its value (BTreeMap's
    /// `remove`; [`MapleTree::erase`] is the form that reports allocation failure).
    ///
    /// # Panics
    /// If merging the freed range with its free neighbours needs a node that cannot be
    /// allocated (the tree is unchanged then), as the standard collections do on allocation
    /// failure.
    ///
    /// ```
    /// let mut tree: maple_tree::MapleTree<char> = [(10..=19, 'a')].into();
    /// assert_eq!(tree.remove(15), Some('a'));
    /// assert_eq!(tree.remove(15), None);
    /// assert!(tree.is_empty());
    /// ```
    #[doc(alias = "erase")]
    #[doc(alias = "mtree_erase")]
    pub fn remove(&mut self, key: K) -> Option<T> {
        self.erase(key).expect("out of memory")
    }

    /// Removes the whole entry whose range holds `key` and returns it with its range.
    ///
    /// # Panics
    /// As [`MapleTree::remove`].
    ///
    /// ```
    /// let mut tree: maple_tree::MapleTree<char> = [(10..=19, 'a')].into();
    /// assert_eq!(tree.remove_entry(12), Some((10..=19, 'a')));
    /// ```
    pub fn remove_entry(&mut self, key: K) -> Option<(RangeInclusive<K>, T)> {
        let (range, _) = self.load_range(key)?;
        Some((range, self.remove(key)?))
    }

    /// Removes and returns the entry with the lowest range.
    ///
    /// # Panics
    /// As [`MapleTree::remove`].
    ///
    /// ```
    /// let mut tree: maple_tree::MapleTree<char> = [(10..=19, 'a'), (30..=39, 'b')].into();
    /// assert_eq!(tree.pop_first(), Some((10..=19, 'a')));
    /// assert_eq!(tree.pop_last(), Some((30..=39, 'b')));
    /// assert_eq!(tree.pop_first(), None);
    /// ```
    pub fn pop_first(&mut self) -> Option<(RangeInclusive<K>, T)> {
        let (range, _) = self.first_key_value()?;
        self.remove_entry(*range.start())
    }

    /// Removes and returns the entry with the highest range.
    ///
    /// # Panics
    /// As [`MapleTree::remove`].
    pub fn pop_last(&mut self) -> Option<(RangeInclusive<K>, T)> {
        let (range, _) = self.last_key_value()?;
        self.remove_entry(*range.start())
    }

    /// Keeps only the entries for which `keep(range, &mut value)` returns `true`, visiting
    /// each once in key order (BTreeMap's `retain`). Values may be changed in place.
    /// O(n + r log n) for r removals.
    ///
    /// # Panics
    /// As [`MapleTree::remove`]; the entries removed before the failure stay removed.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new();
    /// for i in 0..10u64 {
    ///     tree.insert_range(i * 10, i * 10 + 4, i)?;
    /// }
    /// tree.retain(|range, v| {
    ///     *v *= 2;
    ///     *range.start() < 50
    /// });
    /// assert_eq!(tree.values().copied().collect::<Vec<_>>(), [0, 2, 4, 6, 8]);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn retain<F: FnMut(RangeInclusive<K>, &mut T) -> bool>(&mut self, mut keep: F) {
        let doomed: Vec<K> = self
            .iter_mut()
            .filter_map(|(range, value)| (!keep(range.clone(), value)).then_some(*range.start()))
            .collect();
        for start in doomed {
            self.remove(start);
        }
    }

    /// Stores `value` over `range` if no key in it holds a value, and returns a reference to
    /// it: the std name (`BTreeMap::try_insert`, insert-if-vacant) for
    /// [`MapleTree::insert_range`], taking any range form. Needs no `T: Clone`.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `range` is empty; [`Error::Exists`] if a key in it holds a value;
    /// [`Error::NoMemory`]. The tree is unchanged on error.
    ///
    /// ```
    /// use maple_tree::{Error, MapleTree};
    /// let mut tree = MapleTree::new();
    /// *tree.try_insert(10..20, 1)? += 1;
    /// assert_eq!(tree.get_key_value(10), Some((10..=19, &2)));
    /// assert_eq!(tree.try_insert(19..=25, 3), Err(Error::Exists));
    /// assert_eq!(tree.try_insert(30..30, 3), Err(Error::Invalid));
    /// # Ok::<(), Error>(())
    /// ```
    #[doc(alias = "insert_range")]
    #[doc(alias = "mtree_insert_range")]
    pub fn try_insert<R: RangeBounds<K>>(&mut self, range: R, value: T) -> Result<&mut T, Error> {
        let (first, last) = raw_bounds(&range).ok_or(Error::Invalid)?;
        self.insert_raw(first, last, value)?;
        let (leaf, off, _, _) = self.leaf_slot(first).expect("the value was just stored");
        Ok(self.arena.leaf_mut(leaf).get_mut(off).expect("the value was just stored"))
    }

    /// Stores `value` over `range`, overwriting, trimming or dropping what it covers as
    /// [`MapleTree::store_range`] does, but without cutting any value in two, so `T` need not
    /// be `Clone`.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `range` is empty; [`Error::WouldSplit`] if one stored range
    /// reaches out of `range` on both sides; [`Error::NoMemory`]. The tree is unchanged on
    /// error.
    ///
    /// ```
    /// use maple_tree::{Error, MapleTree};
    /// let mut tree = MapleTree::new();
    /// tree.store_no_split(0..100, vec![1])?;
    /// tree.store_no_split(50.., vec![2])?; // trims the first range
    /// assert_eq!(tree.get_key_value(0), Some((0..=49, &vec![1])));
    /// assert_eq!(tree.store_no_split(10..=20, vec![3]), Err(Error::WouldSplit));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn store_no_split<R: RangeBounds<K>>(&mut self, range: R, value: T) -> Result<(), Error> {
        let (first, last) = raw_bounds(&range).ok_or(Error::Invalid)?;
        if self.splits_value(first, last) {
            return Err(Error::WouldSplit);
        }
        self.write_with::<NoDup>(first, last, Some(value)).map(drop)
    }

    /// Removes the values of `range` as [`MapleTree::remove_range`] does (trimming ranges
    /// that reach outside it), but without cutting any value in two, so `T` need not be
    /// `Clone`.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `range` is empty; [`Error::WouldSplit`] if one stored range
    /// reaches out of `range` on both sides; [`Error::NoMemory`]. The tree is unchanged on
    /// error.
    ///
    /// ```
    /// use maple_tree::{Error, MapleTree};
    /// let mut tree = MapleTree::new();
    /// tree.insert_range(0, 99, vec![1])?;
    /// tree.remove_no_split(90..)?;
    /// assert_eq!(tree.remove_no_split(10..20), Err(Error::WouldSplit));
    /// assert_eq!(tree.get_key_value(0), Some((0..=89, &vec![1])));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn remove_no_split<R: RangeBounds<K>>(&mut self, range: R) -> Result<(), Error> {
        let (first, last) = raw_bounds(&range).ok_or(Error::Invalid)?;
        if self.splits_value(first, last) {
            return Err(Error::WouldSplit);
        }
        self.write_with::<NoDup>(first, last, None)?;
        self.shrink_if_sparse();
        Ok(())
    }
}

impl<T: Clone, K: Key> MapleTree<T, K> {
    /// Stores each range (any range form) in turn, later ones overwriting earlier ones: the
    /// fallible form of [`Extend`].
    ///
    /// # Errors
    /// [`Error::Invalid`] at the first empty range; [`Error::NoMemory`]. The ranges before
    /// the one that failed stay stored.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::<char, u8>::new_keyed();
    /// tree.try_extend([(0..=9, 'a'), (250..=u8::MAX, 'b')])?;
    /// assert_eq!(tree.keys().collect::<Vec<_>>(), [0..=9, 250..=255]);
    /// assert_eq!(tree.try_extend([(5..5, 'c')]), Err(maple_tree::Error::Invalid));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn try_extend<R, I>(&mut self, iter: I) -> Result<(), Error>
    where
        R: RangeBounds<K>,
        I: IntoIterator<Item = (R, T)>,
    {
        for (range, value) in iter {
            let (first, last) = raw_bounds(&range).ok_or(Error::Invalid)?;
            self.write(first, last, Some(value))?;
        }
        Ok(())
    }
}

impl<T, K: Key> MapleTree<T, K> {
    /// [`MapleTree::from_sorted`] for any key type: builds a tree from ranges sorted by key and
    /// not overlapping, packing its nodes full. O(n).
    ///
    /// # Errors
    /// As [`MapleTree::from_sorted`]: [`Error::Invalid`] if a range is empty, or overlaps or
    /// precedes the one before it; [`Error::NoMemory`].
    ///
    /// ```
    /// let tree = maple_tree::MapleTree::<char, u8>::from_sorted_keyed([(0..10, 'a'), (200..255, 'b')])?;
    /// assert_eq!(tree.keys().collect::<Vec<_>>(), [0..=9, 200..=254]);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn from_sorted_keyed<R, I>(ranges: I) -> Result<Self, Error>
    where
        R: RangeBounds<K>,
        I: IntoIterator<Item = (R, T)>,
    {
        MapleTree::from_sorted(stored_ranges(ranges)).map(|tree| tree.into_keyed(false))
    }

    /// [`MapleTree::from_sorted_alloc`] for any key type: the bulk build of an allocation
    /// tree.
    ///
    /// # Errors
    /// As [`MapleTree::from_sorted`].
    pub fn from_sorted_alloc_keyed<R, I>(ranges: I) -> Result<Self, Error>
    where
        R: RangeBounds<K>,
        I: IntoIterator<Item = (R, T)>,
    {
        MapleTree::from_sorted_alloc(stored_ranges(ranges)).map(|tree| tree.into_keyed(true))
    }
}

/// Ranges of `K`s as stored ranges; an empty one stays empty (`1..=0`), for the bulk build
/// to reject.
fn stored_ranges<K: Key, R: RangeBounds<K>, T>(
    ranges: impl IntoIterator<Item = (R, T)>,
) -> impl Iterator<Item = (RangeInclusive<u64>, T)> {
    ranges.into_iter().map(|(range, value)| {
        let (first, last) = raw_bounds(&range).unwrap_or((1, 0));
        (first..=last, value)
    })
}

impl<T: Clone> MapleTree<T> {
    /// Builds a `u64`-keyed tree by storing each range in turn, later ones overwriting
    /// earlier ones; the fallible form of [`FromIterator`]. For another key type,
    /// [`MapleTree::try_extend`] an empty tree.
    ///
    /// # Errors
    /// [`Error::Invalid`] at the first empty range; [`Error::NoMemory`]. The partly built tree
    /// is dropped.
    ///
    /// ```
    /// use maple_tree::{Error, MapleTree};
    /// let tree = MapleTree::try_from_iter([(0..10, 'a'), (5..15, 'b')])?;
    /// assert_eq!(tree.keys().collect::<Vec<_>>(), [0..=4, 5..=14]);
    /// assert_eq!(MapleTree::try_from_iter([(0..10, 'a'), (5..5, 'b')]).err(), Some(Error::Invalid));
    /// # Ok::<(), Error>(())
    /// ```
    pub fn try_from_iter<R, I>(iter: I) -> Result<Self, Error>
    where
        R: RangeBounds<u64>,
        I: IntoIterator<Item = (R, T)>,
    {
        let mut tree = MapleTree::new();
        tree.try_extend(iter)?;
        Ok(tree)
    }
}

impl<T, K: Key> Index<K> for MapleTree<T, K> {
    type Output = T;

    /// The value of the entry whose range holds `key`.
    ///
    /// # Panics
    /// If no entry holds `key`, as `BTreeMap`'s `Index` does; [`MapleTree::get`] returns an
    /// `Option` instead.
    ///
    /// ```should_panic
    /// let tree: maple_tree::MapleTree<char> = [(10..=19, 'a')].into();
    /// assert_eq!(tree[10], 'a');
    /// let _ = tree[20]; // panics: no entry found for key
    /// ```
    fn index(&self, key: K) -> &T {
        self.get(key).expect("no entry found for key")
    }
}

impl<T: Clone, K: Key, R: RangeBounds<K>> Extend<(R, T)> for MapleTree<T, K> {
    /// Stores each range (any range form) in turn, later ones overwriting earlier ones, as
    /// [`MapleTree::store_range`] does.
    ///
    /// # Panics
    /// On an empty range (such as `5..5` or `5..=4`), which `store_range` rejects with
    /// [`Error::Invalid`] (rangemap's `insert` panics on it too), and on allocation failure,
    /// like the standard collections. The ranges before the one that panics are stored. Use
    /// [`MapleTree::store_range`] or [`MapleTree::try_from_iter`] to handle either.
    ///
    /// ```should_panic
    /// let mut tree = maple_tree::MapleTree::new();
    /// tree.extend([(0..10, 'a'), (20..20, 'b')]); // panics: empty range
    /// ```
    fn extend<I: IntoIterator<Item = (R, T)>>(&mut self, iter: I) {
        for (range, value) in iter {
            let (first, last) = raw_bounds(&range).expect("empty range in extend");
            self.write(first, last, Some(value)).expect("out of memory");
        }
    }
}

impl<T: Clone, K: Key, R: RangeBounds<K>> FromIterator<(R, T)> for MapleTree<T, K> {
    /// Stores each range in turn; see [`Extend`] (which panics on an empty range). For sorted,
    /// non-overlapping input, [`MapleTree::from_sorted`] builds a denser tree faster.
    ///
    /// ```
    /// let tree: maple_tree::MapleTree<char> = [(0..10, 'a'), (5..15, 'b')].into_iter().collect();
    /// assert_eq!(tree.keys().collect::<Vec<_>>(), [0..=4, 5..=14]);
    /// let everything: maple_tree::MapleTree<char> = [(.., 'x')].into_iter().collect();
    /// assert_eq!(everything.get_key_value(7), Some((0..=u64::MAX, &'x')));
    /// ```
    fn from_iter<I: IntoIterator<Item = (R, T)>>(iter: I) -> Self {
        let mut tree = MapleTree::new_keyed();
        tree.extend(iter);
        tree
    }
}

impl<T: Clone, R: RangeBounds<u64>, const N: usize> From<[(R, T); N]> for MapleTree<T> {
    /// Stores each range in turn, as [`FromIterator`] does (and panics on an empty range).
    /// For `u64` keys only, so that `MapleTree::from([(0..10, 'a')])` needs no annotation
    /// (as std's `HashMap::from` is for its default hasher only); other key types `collect()`.
    ///
    /// ```
    /// let tree = maple_tree::MapleTree::from([(0..=9, 'a'), (5..=14, 'b')]);
    /// assert_eq!(tree.keys().collect::<Vec<_>>(), [0..=4, 5..=14]);
    /// let halfopen = maple_tree::MapleTree::from([(0..10, 'a'), (10..20, 'b')]);
    /// assert_eq!(halfopen.keys().collect::<Vec<_>>(), [0..=9, 10..=19]);
    /// ```
    fn from(entries: [(R, T); N]) -> Self {
        entries.into_iter().collect()
    }
}

/// An entry as the comparisons see it: range bounds first (as stored: `to_u64` keeps the
/// order of the keys, so no `K: Hash` is needed), then the value.
fn ordered<T, K: Key>((range, value): (RangeInclusive<K>, &T)) -> (u64, u64, &T) {
    (range.start().to_u64(), range.end().to_u64(), value)
}

impl<T: Hash, K: Key> Hash for MapleTree<T, K> {
    /// Hashes the number of entries, then each entry's range bounds and value in key order
    /// (consistent with `Eq`).
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.len.hash(state);
        for entry in self.iter().map(ordered) {
            entry.hash(state);
        }
    }
}

impl<T: PartialOrd, K: Key> PartialOrd for MapleTree<T, K> {
    /// Lexicographic over the entries in key order, each compared by range start, range end,
    /// then value (as `BTreeMap` compares its `(key, value)` pairs).
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.iter().map(ordered).partial_cmp(other.iter().map(ordered))
    }
}

impl<T: Ord, K: Key> Ord for MapleTree<T, K> {
    /// As [`PartialOrd`].
    fn cmp(&self, other: &Self) -> Ordering {
        self.iter().map(ordered).cmp(other.iter().map(ordered))
    }
}

/// Iterator over the ranges of a tree's entries in key order, from [`MapleTree::keys`].
#[derive(Clone, Debug)]
pub struct Keys<'a, T, K: Key = u64> {
    inner: Iter<'a, T, K>,
}

impl<T, K: Key> Iterator for Keys<'_, T, K> {
    type Item = RangeInclusive<K>;

    fn next(&mut self) -> Option<RangeInclusive<K>> {
        self.inner.next().map(|(r, _)| r)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }

    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
        self.inner.fold(init, |acc, (r, _)| f(acc, r))
    }

    fn count(self) -> usize {
        self.inner.count()
    }

    fn nth(&mut self, n: usize) -> Option<Self::Item> {
        self.inner.nth(n).map(|(r, _)| r)
    }

    fn last(self) -> Option<Self::Item> {
        self.inner.last().map(|(r, _)| r)
    }
}

impl<T, K: Key> DoubleEndedIterator for Keys<'_, T, K> {
    fn next_back(&mut self) -> Option<RangeInclusive<K>> {
        self.inner.next_back().map(|(r, _)| r)
    }

    fn rfold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
        self.inner.rfold(init, |acc, (r, _)| f(acc, r))
    }

    fn nth_back(&mut self, n: usize) -> Option<Self::Item> {
        self.inner.nth_back(n).map(|(r, _)| r)
    }
}

impl<T, K: Key> ExactSizeIterator for Keys<'_, T, K> {}
impl<T, K: Key> FusedIterator for Keys<'_, T, K> {}

/// Iterator over the values of a tree in key order, from [`MapleTree::values`].
#[derive(Clone, Debug)]
pub struct Values<'a, T, K: Key = u64> {
    inner: Iter<'a, T, K>,
}

impl<'a, T, K: Key> Iterator for Values<'a, T, K> {
    type Item = &'a T;

    fn next(&mut self) -> Option<&'a T> {
        self.inner.next().map(|(_, v)| v)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }

    fn fold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
        self.inner.fold(init, |acc, (_, v)| f(acc, v))
    }

    fn count(self) -> usize {
        self.inner.count()
    }

    fn nth(&mut self, n: usize) -> Option<Self::Item> {
        self.inner.nth(n).map(|(_, v)| v)
    }

    fn last(self) -> Option<Self::Item> {
        self.inner.last().map(|(_, v)| v)
    }
}

impl<T, K: Key> DoubleEndedIterator for Values<'_, T, K> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.inner.next_back().map(|(_, v)| v)
    }

    fn rfold<B, F: FnMut(B, Self::Item) -> B>(self, init: B, mut f: F) -> B {
        self.inner.rfold(init, |acc, (_, v)| f(acc, v))
    }

    fn nth_back(&mut self, n: usize) -> Option<Self::Item> {
        self.inner.nth_back(n).map(|(_, v)| v)
    }
}

impl<T, K: Key> ExactSizeIterator for Values<'_, T, K> {}
impl<T, K: Key> FusedIterator for Values<'_, T, K> {}
