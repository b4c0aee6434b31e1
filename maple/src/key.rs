//! [`Key`]: the key types a tree can be indexed by.
//!
//! A tree stores its keys as `u64` inside (the node layer, its pivots and gaps know nothing
//! else); a key type only converts to and from that representation at the API boundary. So
//! `MapleTree<T, u32>` is the same tree as `MapleTree<T>` restricted to the keys
//! `0..=u32::MAX`, and for `u64` every conversion is the identity and compiles away.
//!
//! # Invariants
//!
//! * K1: a tree of key type `K` stores nothing above `K::MAX.to_u64()`: the range above it,
//!   if any, is one NULL range that no call can reach, and every NULL range reported to the
//!   caller (cursor ranges, gaps, vacant entries, free-range searches) ends at `K::MAX` at
//!   the latest. [`MapleTree::validate`](crate::MapleTree::validate) checks it.
//! * The conversions are order-preserving and exact: `to_u64` is strictly increasing, and
//!   `from_u64(k.to_u64()) == k` for every `k`. The tree calls `from_u64` only with values
//!   up to `K::MAX.to_u64()`.

use crate::node::Arena;
use crate::MapleTree;
use core::fmt::Debug;
use core::marker::PhantomData;
use core::ops::{Bound, RangeBounds, RangeInclusive};

/// A key type of a [`MapleTree`]: an unsigned integer (`u8`, `u16`, `u32`,
/// `u64`, `usize`) or a user newtype over one. The key space is `0..=Key::MAX`, mapped onto
/// `0..=MAX.to_u64()` of the tree's internal `u64` keys.
///
/// Implementing it for a newtype takes three lines; the conversions must be exact and keep
/// the order (see the module docs). An implementation that breaks that contract gives wrong
/// answers (ranges in the wrong order, keys that do not round-trip), never undefined
/// behaviour: the crate has no `unsafe` code.
///
/// ```
/// use maple_tree::{Key, MapleTree};
///
/// /// A guest-physical address.
/// #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
/// struct Gpa(u64);
///
/// impl Key for Gpa {
///     const MAX: Gpa = Gpa(u64::MAX);
///     fn to_u64(self) -> u64 {
///         self.0
///     }
///     fn from_u64(raw: u64) -> Gpa {
///         Gpa(raw)
///     }
/// }
///
/// let mut memory = MapleTree::<&str, Gpa>::new_keyed();
/// memory.set(Gpa(0)..Gpa(0xa_0000), "low ram")?;
/// memory.set(Gpa(0xf_0000)..=Gpa(0xf_ffff), "bios")?;
/// assert_eq!(memory.get_key_value(Gpa(0xf_1234)), Some((Gpa(0xf_0000)..=Gpa(0xf_ffff), &"bios")));
/// assert_eq!(memory.gaps(..).next(), Some(Gpa(0xa_0000)..=Gpa(0xe_ffff)));
/// # Ok::<(), maple_tree::Error>(())
/// ```
pub trait Key: Copy + Ord + Debug {
    /// The largest key: the tree's key space is `0..=MAX` (the smallest key is the one whose
    /// `to_u64` is 0).
    const MAX: Self;

    /// The key as the tree stores it. Strictly increasing.
    fn to_u64(self) -> u64;

    /// The key stored as `raw`; called only with `raw <= MAX.to_u64()`.
    fn from_u64(raw: u64) -> Self;

    /// Runs a write of the node layer, which works on `u64` trees, on `tree`. Not part of the
    /// API (the default moves the tree's nodes into a `u64` tree and back; `u64` itself passes
    /// the tree through): do not override it.
    #[doc(hidden)]
    fn raw_tree<T, R>(tree: &mut crate::MapleTree<T, Self>, op: impl FnOnce(&mut crate::MapleTree<T>) -> R) -> R {
        tree.through_raw(op)
    }
}

macro_rules! unsigned_key {
    ($($t:ty)*) => {$(
        impl Key for $t {
            const MAX: $t = <$t>::MAX;
            #[inline(always)]
            fn to_u64(self) -> u64 {
                self as u64
            }
            #[inline(always)]
            fn from_u64(raw: u64) -> $t {
                raw as $t
            }
        }
    )*};
}

unsigned_key!(u8 u16 u32 usize);

impl Key for u64 {
    const MAX: u64 = u64::MAX;
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self
    }
    #[inline(always)]
    fn from_u64(raw: u64) -> u64 {
        raw
    }
    #[inline(always)]
    fn raw_tree<T, R>(tree: &mut crate::MapleTree<T, u64>, op: impl FnOnce(&mut crate::MapleTree<T>) -> R) -> R {
        op(tree)
    }
}

/// `K::MAX` as the tree stores it: the last key of the key space.
#[inline(always)]
pub(crate) fn top<K: Key>() -> u64 {
    K::MAX.to_u64()
}

/// A stored key as a `K`, clipped to the key space (for the end of a NULL range, which may
/// run past `K::MAX` inside the tree).
#[inline(always)]
pub(crate) fn key<K: Key>(raw: u64) -> K {
    K::from_u64(raw.min(top::<K>()))
}

/// A stored range as a range of `K`s, clipped to the key space.
#[inline(always)]
pub(crate) fn key_range<K: Key>(first: u64, last: u64) -> RangeInclusive<K> {
    key(first)..=key(last)
}

/// A stored range of values as a range of `K`s (a value's range never passes `K::MAX`).
#[inline(always)]
pub(crate) fn value_range<K: Key>(range: RangeInclusive<u64>) -> RangeInclusive<K> {
    let (first, last) = range.into_inner();
    K::from_u64(first)..=K::from_u64(last)
}

/// The stored form of a range of `K`s: its first and last keys as `u64`, or `None` if it is
/// empty. An unbounded end is `K::MAX`.
#[inline]
pub(crate) fn raw_bounds<K: Key, R: RangeBounds<K>>(range: &R) -> Option<(u64, u64)> {
    let first = match range.start_bound() {
        Bound::Included(a) => a.to_u64(),
        Bound::Excluded(a) => a.to_u64().checked_add(1)?,
        Bound::Unbounded => 0,
    };
    let last = match range.end_bound() {
        Bound::Included(b) => b.to_u64(),
        Bound::Excluded(b) => b.to_u64().checked_sub(1)?,
        Bound::Unbounded => top::<K>(),
    };
    (first <= last && last <= top::<K>()).then_some((first, last))
}

/// The plumbing between a keyed tree and the `u64` tree the node layer works on.
impl<T, K: Key> MapleTree<T, K> {
    /// Everything but the nodes: a tree (of any key type) with this one's root, height, count
    /// and flags over an empty arena (for the clones, which fill the arena in, and for
    /// [`MapleTree::through_raw`], which moves it in).
    pub(crate) fn shell<K2: Key>(&self) -> MapleTree<T, K2> {
        MapleTree {
            arena: Arena::new(),
            root: self.root,
            height: self.height,
            len: self.len,
            alloc: self.alloc,
            cyclic_wrapped: self.cyclic_wrapped,
            key: PhantomData,
        }
    }

    /// Runs `op` on this tree's nodes as a `u64` tree (for the node layer's writes, which
    /// know `u64` trees only): moves the nodes into one and back, O(1). [`Key::raw_tree`]
    /// calls it for every key type but `u64`, whose trees go through as they are. The nodes
    /// move back even if `op` unwinds (a value's `Clone` may panic), so a tree of any key
    /// type is left as a `u64` tree would be.
    pub(crate) fn through_raw<R>(&mut self, op: impl FnOnce(&mut MapleTree<T>) -> R) -> R {
        /// Moves the nodes back into the keyed tree when dropped, on return or unwind.
        struct Restore<'a, T, K: Key> {
            keyed: &'a mut MapleTree<T, K>,
            raw: MapleTree<T>,
        }
        impl<T, K: Key> Drop for Restore<'_, T, K> {
            fn drop(&mut self) {
                let (keyed, raw) = (&mut *self.keyed, &mut self.raw);
                keyed.arena = core::mem::take(&mut raw.arena);
                (keyed.root, keyed.height, keyed.len, keyed.cyclic_wrapped) =
                    (raw.root, raw.height, raw.len, raw.cyclic_wrapped);
            }
        }
        let raw = MapleTree { arena: core::mem::take(&mut self.arena), ..self.shell() };
        let mut guard = Restore { keyed: self, raw };
        op(&mut guard.raw)
    }

    /// The same nodes as a tree of another key type, which must hold nothing above
    /// `K2::MAX` (K1; for building a `u64` tree and handing it out as a `K2` one). `alloc`
    /// is what the tree must be (checked in debug builds).
    pub(crate) fn into_keyed<K2: Key>(self, alloc: bool) -> MapleTree<T, K2> {
        debug_assert!(self.last_key_value().map_or(true, |(r, _)| r.end().to_u64() <= crate::key::top::<K2>()));
        debug_assert_eq!(self.alloc, alloc);
        let shell = self.shell();
        MapleTree { arena: self.arena, ..shell }
    }
}
