//! `serde` support (feature `serde`): a tree is a sequence of `(range, value)` pairs in key
//! order, each range serde's form of a `RangeInclusive<u64>` (`{"start": a, "end": b}` in
//! JSON), the same shape `rangemap` uses. Keys are written as stored ([`Key::to_u64`]), so
//! a key type needs no serde impl of its own, and trees of every key type share one format.
//!
//! Reading validates before it builds: a range with `start > end`, or one that does not start
//! after the end of the one before it (overlapping or out of order), is an error, never a
//! corrupt tree. The tree is then built by [`MapleTree::from_sorted`] (packed, O(n)). An
//! allocation tree is written like any tree and read back as a plain one; a
//! [`CoalescingMap`] is also refused when two touching ranges hold equal values (C1).

use crate::key::{top, Key};
use crate::{CoalescingMap, MapleTree};
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use core::ops::RangeInclusive;
use serde::de::{Deserialize, Deserializer, Error as _, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

impl<T: Serialize, K: Key> Serialize for MapleTree<T, K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter().map(|(range, value)| (range.start().to_u64()..=range.end().to_u64(), value)))
    }
}

impl<T: Serialize, K: Key> Serialize for CoalescingMap<T, K> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.as_tree().serialize(serializer)
    }
}

/// Reads the pair sequence, checking each range against the one before.
struct TreeVisitor<T, K>(PhantomData<(T, fn() -> K)>);

impl<'de, T: Deserialize<'de>, K: Key> Visitor<'de> for TreeVisitor<T, K> {
    type Value = MapleTree<T, K>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a sequence of (range, value) pairs, sorted and not overlapping")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MapleTree<T, K>, A::Error> {
        let mut entries: Vec<(RangeInclusive<u64>, T)> = Vec::new();
        if let Some(n) = seq.size_hint() {
            // A hint is only a hint: cap what an untrusted length may reserve up front.
            entries.try_reserve(n.min(4096)).map_err(|_| A::Error::custom("out of memory"))?;
        }
        // The first key a range may start at; `None` once a range ended at `u64::MAX`.
        let mut next = Some(0u64);
        while let Some((range, value)) = seq.next_element::<(RangeInclusive<u64>, T)>()? {
            let (start, end) = (*range.start(), *range.end());
            if start > end {
                return Err(A::Error::custom(format_args!("inverted range {start}..={end}")));
            }
            if end > top::<K>() {
                return Err(A::Error::custom(format_args!("range {start}..={end} ends past the key type's MAX")));
            }
            if next.map_or(true, |n| start < n) {
                return Err(A::Error::custom(format_args!(
                    "range {start}..={end} overlaps or precedes the range before it"
                )));
            }
            next = end.checked_add(1);
            entries.try_reserve(1).map_err(|_| A::Error::custom("out of memory"))?;
            entries.push((range, value));
        }
        MapleTree::from_sorted(entries).map(|tree| tree.into_keyed(false)).map_err(A::Error::custom)
    }
}

impl<'de, T: Deserialize<'de>, K: Key> Deserialize<'de> for MapleTree<T, K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(TreeVisitor(PhantomData))
    }
}

impl<'de, T: Deserialize<'de> + Clone + PartialEq, K: Key> Deserialize<'de> for CoalescingMap<T, K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = CoalescingMap::from_tree_unchecked(MapleTree::deserialize(deserializer)?);
        map.validate().map_err(D::Error::custom)?;
        Ok(map)
    }
}
