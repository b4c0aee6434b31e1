//! The entry API: [`MapleTree::entry`] finds the entry holding a key once, and the
//! [`Entry`] it returns reads, changes, inserts or removes there without a second lookup of
//! the value.
//!
//! An occupied entry is a stored range and its value. A vacant entry is a key that holds
//! nothing, together with the whole free (NULL) range around it, its [`VacantEntry::gap`]:
//! [`VacantEntry::insert`] fills the one key, [`VacantEntry::insert_range`] any part of the
//! gap. None of it needs `T: Clone`: nothing here cuts a value in two.

use crate::error::Error;
use crate::key::{key_range, raw_bounds, Key};
use crate::node::NodeId;
use crate::MapleTree;
use core::fmt;
use core::ops::{RangeBounds, RangeInclusive};

/// A view of the tree at one key, from [`MapleTree::entry`]: the entry holding it, or the free
/// range around it.
pub enum Entry<'a, T, K: Key = u64> {
    /// The key holds nothing.
    Vacant(VacantEntry<'a, T, K>),
    /// The key lies in a stored range.
    Occupied(OccupiedEntry<'a, T, K>),
}

/// A stored range holding the key asked for, from [`Entry::Occupied`].
pub struct OccupiedEntry<'a, T, K: Key = u64> {
    tree: &'a mut MapleTree<T, K>,
    key: K,
    range: RangeInclusive<K>,
    leaf: NodeId,
    offset: usize,
}

/// A key that holds nothing, with the free range around it, from [`Entry::Vacant`].
pub struct VacantEntry<'a, T, K: Key = u64> {
    tree: &'a mut MapleTree<T, K>,
    key: K,
    gap: RangeInclusive<K>,
}

impl<T, K: Key> MapleTree<T, K> {
    /// The entry at `key`: the stored range holding it, or the free range around it. One
    /// descent.
    ///
    /// ```
    /// use maple_tree::{Entry, MapleTree};
    /// let mut counts: MapleTree<u32> = MapleTree::new();
    /// for key in [5, 7, 5, 5] {
    ///     *counts.entry(key).or_insert(0) += 1;
    /// }
    /// assert_eq!(counts.get(5), Some(&3));
    ///
    /// counts.try_insert(100..=199, 0)?;
    /// match counts.entry(50) {
    ///     Entry::Vacant(hole) => {
    ///         assert_eq!(hole.gap(), 8..=99); // the free range around 50
    ///         hole.insert_range(60..=69, 9)?;
    ///     }
    ///     Entry::Occupied(_) => unreachable!(),
    /// }
    /// assert_eq!(counts.get_key_value(65), Some((60..=69, &9)));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn entry(&mut self, key: K) -> Entry<'_, T, K> {
        let Some((leaf, offset, start, end)) = self.leaf_slot(key.to_u64()) else {
            return Entry::Vacant(VacantEntry { tree: self, key, gap: key_range(0, u64::MAX) });
        };
        if self.arena.leaf(leaf).has_value(offset) {
            Entry::Occupied(OccupiedEntry { tree: self, key, range: key_range(start, end), leaf, offset })
        } else {
            // NULL ranges next to each other always merge, so the slot is the whole gap
            // (clipped to the key space).
            Entry::Vacant(VacantEntry { tree: self, key, gap: key_range(start, end) })
        }
    }
}

impl<'a, T, K: Key> Entry<'a, T, K> {
    /// The key the entry was asked for.
    pub fn key(&self) -> K {
        match self {
            Entry::Vacant(e) => e.key,
            Entry::Occupied(e) => e.key,
        }
    }

    /// The value, after storing `default` at the key if it was vacant.
    ///
    /// # Panics
    /// On allocation failure, as [`VacantEntry::insert`].
    pub fn or_insert(self, default: T) -> &'a mut T {
        self.or_insert_with(|| default)
    }

    /// The value, after storing `default()` at the key if it was vacant.
    ///
    /// # Panics
    /// On allocation failure, as [`VacantEntry::insert`].
    pub fn or_insert_with<F: FnOnce() -> T>(self, default: F) -> &'a mut T {
        self.or_insert_with_key(|_| default())
    }

    /// The value, after storing `default(key)` at the key if it was vacant.
    ///
    /// # Panics
    /// On allocation failure, as [`VacantEntry::insert`].
    pub fn or_insert_with_key<F: FnOnce(K) -> T>(self, default: F) -> &'a mut T {
        match self {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(e) => {
                let value = default(e.key);
                e.insert(value)
            }
        }
    }

    /// The value, after storing `T::default()` at the key if it was vacant.
    ///
    /// # Panics
    /// On allocation failure, as [`VacantEntry::insert`].
    pub fn or_default(self) -> &'a mut T
    where
        T: Default,
    {
        self.or_insert_with(T::default)
    }

    /// Calls `f` on the value if the entry is occupied, and returns the entry.
    ///
    /// ```
    /// let mut tree: maple_tree::MapleTree<u32> = [(0..=9, 1)].into();
    /// tree.entry(3).and_modify(|v| *v += 1).or_insert(0);
    /// tree.entry(30).and_modify(|v| *v += 1).or_insert(0);
    /// assert_eq!((tree.get(0), tree.get(30)), (Some(&2), Some(&0)));
    /// ```
    pub fn and_modify<F: FnOnce(&mut T)>(mut self, f: F) -> Self {
        if let Entry::Occupied(e) = &mut self {
            f(e.get_mut());
        }
        self
    }
}

impl<'a, T, K: Key> OccupiedEntry<'a, T, K> {
    /// The key the entry was asked for.
    pub fn key(&self) -> K {
        self.key
    }

    /// The whole stored range holding the key.
    pub fn range(&self) -> RangeInclusive<K> {
        self.range.clone()
    }

    /// The value.
    pub fn get(&self) -> &T {
        self.tree.arena.leaf(self.leaf).get(self.offset).expect("an occupied entry holds a value")
    }

    /// The value, mutably.
    pub fn get_mut(&mut self) -> &mut T {
        self.tree.arena.leaf_mut(self.leaf).get_mut(self.offset).expect("an occupied entry holds a value")
    }

    /// The value, mutably, for as long as the tree is borrowed.
    pub fn into_mut(self) -> &'a mut T {
        self.tree.arena.leaf_mut(self.leaf).get_mut(self.offset).expect("an occupied entry holds a value")
    }

    /// Replaces the value over the same range and returns the old one (an exact overwrite:
    /// the tree's shape does not change, no node is needed, nothing can fail).
    ///
    /// ```
    /// use maple_tree::Entry;
    /// let mut tree: maple_tree::MapleTree<char> = [(0..=9, 'a')].into();
    /// if let Entry::Occupied(mut e) = tree.entry(4) {
    ///     assert_eq!(e.range(), 0..=9);
    ///     assert_eq!(e.insert('b'), 'a');
    /// }
    /// assert_eq!(tree.get_key_value(0), Some((0..=9, &'b')));
    /// ```
    pub fn insert(&mut self, value: T) -> T {
        core::mem::replace(self.get_mut(), value)
    }

    /// Removes the whole range and returns its value.
    ///
    /// # Panics
    /// As [`MapleTree::remove`] (on allocation failure; the tree is unchanged then).
    pub fn remove(self) -> T {
        self.remove_entry().1
    }

    /// Removes the whole range and returns it with its value.
    ///
    /// # Panics
    /// As [`MapleTree::remove`].
    ///
    /// ```
    /// use maple_tree::Entry;
    /// let mut tree: maple_tree::MapleTree<char> = [(0..=9, 'a')].into();
    /// let Entry::Occupied(e) = tree.entry(4) else { unreachable!() };
    /// assert_eq!(e.remove_entry(), (0..=9, 'a'));
    /// assert!(tree.is_empty());
    /// ```
    pub fn remove_entry(self) -> (RangeInclusive<K>, T) {
        let value = self.tree.remove(self.key).expect("an occupied entry holds a value");
        (self.range, value)
    }
}

impl<'a, T, K: Key> VacantEntry<'a, T, K> {
    /// The key the entry was asked for.
    pub fn key(&self) -> K {
        self.key
    }

    /// The whole free range around the key: every key in it holds nothing, and the keys just
    /// outside it (if any) hold values.
    pub fn gap(&self) -> RangeInclusive<K> {
        self.gap.clone()
    }

    /// Stores `value` at the key alone and returns a reference to it.
    ///
    /// # Panics
    /// If a node cannot be allocated (the tree is unchanged then), as the standard
    /// collections do on allocation failure; [`VacantEntry::insert_range`] reports it.
    pub fn insert(self, value: T) -> &'a mut T {
        let key = self.key;
        self.insert_range(key..=key, value).expect("out of memory")
    }

    /// Stores `value` over `range`, which must lie inside [`VacantEntry::gap`] (it need not
    /// hold the key), and returns a reference to it.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `range` is empty or reaches outside the gap;
    /// [`Error::NoMemory`]. The tree is unchanged on error.
    ///
    /// ```
    /// use maple_tree::{Entry, Error};
    /// let mut tree: maple_tree::MapleTree<char> = [(0..=9, 'a'), (20..=29, 'b')].into();
    /// let Entry::Vacant(hole) = tree.entry(15) else { unreachable!() };
    /// assert_eq!(hole.gap(), 10..=19);
    /// assert_eq!(hole.insert_range(5..=15, 'c').err(), Some(Error::Invalid)); // outside the gap
    /// let Entry::Vacant(hole) = tree.entry(15) else { unreachable!() };
    /// hole.insert_range(10..20, 'c')?; // the whole gap
    /// assert_eq!(tree.len(), 3);
    /// # Ok::<(), Error>(())
    /// ```
    pub fn insert_range<R: RangeBounds<K>>(self, range: R, value: T) -> Result<&'a mut T, Error> {
        let (first, last) = raw_bounds(&range).ok_or(Error::Invalid)?;
        if first < self.gap.start().to_u64() || last > self.gap.end().to_u64() {
            return Err(Error::Invalid);
        }
        self.tree.try_insert(K::from_u64(first)..=K::from_u64(last), value)
    }
}

impl<T: fmt::Debug, K: Key> fmt::Debug for Entry<'_, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Entry::Vacant(e) => f.debug_tuple("Entry").field(e).finish(),
            Entry::Occupied(e) => f.debug_tuple("Entry").field(e).finish(),
        }
    }
}

impl<T: fmt::Debug, K: Key> fmt::Debug for OccupiedEntry<'_, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OccupiedEntry").field("range", &self.range).field("value", self.get()).finish()
    }
}

impl<T, K: Key> fmt::Debug for VacantEntry<'_, T, K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VacantEntry").field("key", &self.key).field("gap", &self.gap).finish()
    }
}
