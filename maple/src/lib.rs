//! # maple-tree
//!
//! A map from non-overlapping inclusive ranges of integer keys (`u64` by default, any
//! [`Key`]) to values, with the semantics and the layout of the Linux kernel's maple tree
//! (`lib/maple_tree.c`), in safe Rust (but for the one small core module of the concurrent
//! handle, [`SharedMapleTree`]).
//!
//! **Differences from `BTreeMap` to know first.** The key of an entry is a *range*, and a
//! point lookup (`get(k)`) finds the range holding `k`. [`MapleTree::insert`] and
//! [`MapleTree::insert_range`] (the kernel's `mtree_insert`, std's `try_insert`) **never
//! overwrite**: they fail with [`Error::Exists`] on an occupied key. The overwriting store,
//! `BTreeMap::insert`'s job, is [`MapleTree::store_range`], which trims or splits what it
//! covers. Writes return `Result`, because a tree reports allocation failure instead of
//! aborting; the std-named conveniences (`remove`, `pop_first`, `Extend`, entry inserts)
//! panic on it as the std collections do. Equal neighbouring values are never merged.
//!
//! * The tree is a **total map** over its key space (`0..=u64::MAX` for the default key
//!   type, `0..=K::MAX` in general, see [Key types](#key-types)): keys that hold nothing read as NULL
//!   (`None`). A store overwrites whatever it covers, truncating or splitting ranges it covers
//!   in part; NULL ranges next to each other always merge; equal values never merge.
//! * It is a B-tree of 16-slot nodes. Leaves store ranges as pivots (the last key of each
//!   slot) and values; a node's own limits are implied by its parent. Lookups descend once,
//!   with no separate end check.
//! * Writes are **classified, budgeted, then performed** ([`StoreType`]): every node a store
//!   may need is reserved before anything changes, so a store either fails with
//!   [`Error::NoMemory`] and leaves the tree as it was, or completes. A store makes its
//!   `T::clone`s (for a range it cuts in two) before it changes anything, so a clone that
//!   panics leaves the tree as it was too.
//! * A **cursor** ([`Cursor`], [`CursorMut`]) follows the kernel's `ma_state`: walk, find,
//!   next and prev over entries or over every range (NULL ranges included), with the same
//!   statuses and the same `index`/`last` results; the mutable cursor stores, erases and
//!   preallocates ([`Prealloc`]) through itself.
//! * A **reservation** ([`MapleTree::reserve`]) holds the nodes of several writes at once, so
//!   that a change made of several stores (a VMA operation) allocates before its first store
//!   and then cannot fail halfway.
//! * **Allocation trees** ([`MapleTree::new_alloc`]) also track the largest free (NULL)
//!   range below every child, so that [`MapleTree::empty_area`], [`MapleTree::empty_area_rev`]
//!   and the `alloc_*` calls find free ranges in O(height) (see [`search`]).
//! * [`MapleTree::validate`] checks every structural invariant and names the one that broke.
//!
//! ```
//! use maple_tree::MapleTree;
//!
//! let mut vmas = MapleTree::new();
//! vmas.store_range(0x40_0000, 0x40_ffff, "text")?;
//! vmas.store_range(0x60_0000, 0x60_3fff, "data")?;
//! assert_eq!(vmas.load(0x40_1234), Some(&"text"));
//!
//! // The cursor reports NULL ranges too: the hole after "text".
//! let mut cursor = vmas.cursor(0x50_0000);
//! assert_eq!(cursor.walk(), None);
//! assert_eq!((cursor.index(), cursor.last()), (0x41_0000, 0x5f_ffff));
//! assert_eq!(cursor.next(u64::MAX), Some(&"data"));
//! # Ok::<(), maple_tree::Error>(())
//! ```
//!
//! ## Key types
//!
//! `MapleTree<T, K = u64>`: the key type `K` is any [`Key`]: `u8`, `u16`, `u32`, `u64`,
//! `usize`, or a newtype of yours (the trait is three items: `MAX`, `to_u64`, `from_u64`;
//! see its docs for an address newtype). Every method that takes keys or ranges takes `K`
//! (ranges as any `RangeBounds<K>`, where an unbounded end is `K::MAX`), and every key or
//! range handed back is a `K`.
//!
//! * **Design.** A tree stores its keys as `u64` inside: the node layer, the write path and
//!   the gap tracking are the same code for every key type, and a key is converted only at
//!   the API boundary. For `u64` the conversions are the identity and compile away (the
//!   `u64` tree's lookups and stores execute the same instruction counts as before the key
//!   parameter existed), and a new key type costs no new tree code. The alternative, a node
//!   layout generic over the key (`u32` pivots in `u32` trees), would make nodes smaller but
//!   every layer generic; it can come later behind the same API.
//! * **The key space** is `0..=K::MAX` (invariant K1, checked by [`MapleTree::validate`]):
//!   nothing is stored above it, and every NULL range reported (a cursor's range, a gap, a
//!   vacant entry, a free-range search's window) ends at `K::MAX` at the latest.
//! * **Constructors.** Rust does not infer a type parameter from its default, so the
//!   constructors that existing code calls without annotations are for `u64` keys:
//!   [`MapleTree::new`], [`MapleTree::new_alloc`], `from_sorted`, `try_from_iter` and
//!   `From<[_; N]>` (as std's `HashMap::new` and `HashMap::from` are for its default hasher
//!   only). Other key types use [`MapleTree::new_keyed`], [`MapleTree::new_alloc_keyed`],
//!   [`MapleTree::from_sorted_keyed`], `Default`, `collect()` and [`MapleTree::try_extend`].
//! * Lengths (`size` and `align` of the free-range searches) stay `u64`, so that a search can
//!   ask for a whole `u32` key space.
//!
//! ```
//! use maple_tree::MapleTree;
//!
//! let mut irqs = MapleTree::<&str, u8>::new_alloc_keyed();
//! irqs.set(0..32, "exceptions")?;
//! assert_eq!(irqs.alloc_area_rev(32, u8::MAX, 16, "msi")?, 240);
//! assert_eq!(irqs.gaps(..).collect::<Vec<_>>(), [32..=239]);
//! let mut cursor = irqs.cursor(100);
//! assert_eq!(cursor.walk(), None);
//! assert_eq!((cursor.index(), cursor.last()), (32, 239));
//! # Ok::<(), maple_tree::Error>(())
//! ```
//!
//! ## Coming from `BTreeMap` or `rangemap`
//!
//! | `BTreeMap<u64, V>` | `rangemap::RangeInclusiveMap<u64, V>` | `MapleTree<V>` |
//! |---|---|---|
//! | `insert(k, v)` (overwrites) | `insert(r, v)` (overwrites, coalesces) | [`store_range`](MapleTree::store_range)`(a, b, v)` (overwrites, never coalesces) |
//! | `try_insert(k, v)` (nightly) | – | [`try_insert`](MapleTree::try_insert)`(r, v)`, [`insert_range`](MapleTree::insert_range)`(a, b, v)` |
//! | `get(&k)` | `get(&k)` | [`get`](MapleTree::get)`(k)`, [`Index`](core::ops::Index) `tree[k]` |
//! | – | `get_key_value(&k)` | [`get_key_value`](MapleTree::get_key_value)`(k)` (the range holding `k`) |
//! | `get_mut(&k)` | – | [`get_mut`](MapleTree::get_mut)`(k)` |
//! | `contains_key(&k)` | `contains_key(&k)` | [`contains_key`](MapleTree::contains_key)`(k)` |
//! | `remove(&k)` | – | [`remove`](MapleTree::remove)`(k)` (the whole range holding `k`), [`erase`](MapleTree::erase) |
//! | – | `remove(r)` (trims, splits) | [`remove_range`](MapleTree::remove_range)`(a, b)` |
//! | `range(r)` | `overlapping(r)` | [`range`](MapleTree::range)`(r)` (every entry overlapping `r`) |
//! | `range_mut(r)`, `iter_mut()`, `values_mut()` | – | [`range_mut`](MapleTree::range_mut), [`iter_mut`](MapleTree::iter_mut), [`values_mut`](MapleTree::values_mut) |
//! | `keys()`, `values()`, `iter()` | `iter()` | [`keys`](MapleTree::keys), [`values`](MapleTree::values), [`iter`](MapleTree::iter) |
//! | `first_key_value()`, `pop_first()` | `first_range_value()` | [`first_key_value`](MapleTree::first_key_value), [`pop_first`](MapleTree::pop_first) (and `last`) |
//! | `retain(f)` | – | [`retain`](MapleTree::retain)`(f)` |
//! | `entry(k)` | – | [`entry`](MapleTree::entry)`(k)` (vacant entries know their free range) |
//! | `from([(k, v); N])`, `collect()`, `extend()` | the same | the same, with any range form (an empty range panics, as in `rangemap`) |
//! | – | – | [`empty_area`](MapleTree::empty_area), [`alloc_area`](MapleTree::alloc_area) (free-range search, exact alignment) |
//!
//! Values need `Clone` only for stores that may cut a value in two ([`MapleTree::store_range`],
//! [`MapleTree::remove_range`]); the `*_no_split` stores, vacant inserts, `erase`/`remove`,
//! `get_mut` and the iterators work for any value type.
//!
//! ## Features
//! * `std` (default): implements `std::error::Error`, and adds [`SharedMapleTree`] (readers
//!   on any threads that never wait, beside one writer). Without it the crate is `no_std` and
//!   needs only `alloc`.
//! * `failure-injection`: **testing only** (its items are hidden from these docs); lets tests
//!   make the N-th node allocation fail (`MapleTree::fail_nth_alloc`).
//! * `planted-bugs`: **testing only, never in production** (hidden from these docs); re-creates one historical bug
//!   at a time, chosen at run time (`MAPLE_PLANT=A`, see the `plant` module), to prove the
//!   fuzz campaigns find it. Implies `std`.
//! * `serde`: `Serialize`/`Deserialize` for [`MapleTree`] and [`CoalescingMap`], as a
//!   sequence of `(range, value)` pairs; reading rejects inverted, overlapping or unsorted
//!   ranges with an error. Works without `std`.
//!
//! ## Differences from the kernel
//! * Values are any `T`; there are no reserved values, and NULL is `None`.
//! * There is no "root pointer" form (a lone entry at index 0 kept without a node): a tree
//!   holding only `[0, 0]` is a one-leaf tree, so the cursor's status is `Active` where the
//!   kernel's would be `Root`/`None` for that one shape.
//! * Nodes live in an index-based arena, carry no parent links, and a cursor keeps its path
//!   from the root instead. Clones share the arena's nodes copy-on-write, in chunks of 64
//!   leaves ([`MapleTree::try_clone`]), where the kernel's `__mt_dup` copies every node.
//! * There is no RCU mode inside the tree: a [`MapleTree`] follows Rust's borrow rules
//!   (readers or one writer). For readers on other threads that never wait beside a writer,
//!   [`SharedMapleTree`] (feature `std`) keeps two copies (left-right): each reader's guard
//!   sees one whole published state, a stronger guarantee than RCU's per-entry old-or-new.
#![cfg_attr(not(feature = "std"), no_std)]
// `unsafe` is denied everywhere (workspace lints) but in two small core modules: the
// concurrent handle's `shared::cell` and the copy-on-write chunk `node::arena::cow`.
#![deny(unsafe_code)]

extern crate alloc;

/// Testing only: the change planted bug `$bug` makes at this site (module `plant`, feature
/// `planted-bugs`). Without the feature it expands to nothing at all, so the code around each
/// site is the production code; with it, the change runs only while that bug is planted.
///
/// * `plant!('X' => statements)` runs the statements.
/// * `plant!('X' => let name = value)` rebinds `name` to `value` (and leaves it as it was
///   while another bug, or none, is planted).
///
/// Each site is one statement beside the correct code, never part of its conditions; the
/// catalogue of bugs and the class each belongs to is in `docs/bug-classes.md`.
#[cfg(feature = "planted-bugs")]
macro_rules! plant {
    ($bug:literal => let $name:ident = $value:expr) => {
        let $name = if $crate::plant::on($bug) { $value } else { $name };
    };
    ($bug:literal => $($body:tt)*) => {
        if $crate::plant::on($bug) {
            $($body)*
        }
    };
}

/// Without the `planted-bugs` feature a planted bug's site is nothing.
#[cfg(not(feature = "planted-bugs"))]
macro_rules! plant {
    ($($site:tt)*) => {};
}

mod bulk;
mod coalesce;
pub mod cursor;
mod entry;
mod error;
mod gap;
mod gaps_iter;
mod iter;
mod iter_mut;
mod key;
mod map;
mod node;
mod path;
mod reserve;
pub mod search;
#[cfg(feature = "serde")]
mod serde_impl;
#[cfg(feature = "std")]
pub mod shared;
mod store;
mod tree;
pub mod validate;
mod write;

pub use coalesce::CoalescingMap;
pub use cursor::{Cursor, CursorMut, Prealloc, Status};
pub use entry::{Entry, OccupiedEntry, VacantEntry};
pub use error::Error;
pub use gaps_iter::Gaps;
pub use iter::{IntoIter, Iter, Range};
pub use iter_mut::{IterMut, RangeMut, ValuesMut};
pub use key::Key;
pub use map::{Keys, Values};
pub use reserve::Reservation;
#[cfg(feature = "std")]
pub use shared::{ReadGuard, ReadHandle, SharedMapleTree, WriteGuard};
pub use tree::MapleTree;
pub use validate::Violation;
pub use write::StoreType;

#[cfg(feature = "planted-bugs")]
#[doc(hidden)]
pub mod plant;
/// The crate README's examples, compiled and run as doc tests (the README is part of the
/// package).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
