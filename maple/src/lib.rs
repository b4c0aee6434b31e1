//! # maple-tree
//!
//! A map from non-overlapping inclusive ranges of `u64` keys to values, with the semantics
//! and the layout of the Linux kernel's maple tree (`lib/maple_tree.c`), in safe Rust.
//!
//! * The tree is a **total map** over `0..=u64::MAX`: keys that hold nothing read as NULL
//!   (`None`). A store overwrites whatever it covers, truncating or splitting ranges it covers
//!   in part; NULL ranges next to each other always merge; equal values never merge.
//! * It is a B-tree of 16-slot nodes. Leaves store ranges as pivots (the last key of each
//!   slot) and values; a node's own limits are implied by its parent. Lookups descend once,
//!   with no separate end check.
//! * Writes are **classified, budgeted, then performed** ([`StoreType`]): every node a store
//!   may need is reserved before anything changes, so a store either fails with
//!   [`Error::NoMemory`] and leaves the tree as it was, or completes.
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
//! ## Features
//! * `std` (default): implements `std::error::Error`. Without it the crate is `no_std` and
//!   needs only `alloc`.
//! * `failure-injection`: **testing only**; lets tests make the N-th node allocation fail
//!   (`MapleTree::fail_nth_alloc`).
//! * `planted-bugs`: **testing only, never in production**; re-creates one historical bug
//!   at a time, chosen at run time (`MAPLE_PLANT=A`, see the `plant` module), to prove the
//!   fuzz campaigns find it. Implies `std`.
//!
//! ## Differences from the kernel
//! * Values are any `T`; there are no reserved values, and NULL is `None`.
//! * There is no "root pointer" form (a lone entry at index 0 kept without a node): a tree
//!   holding only `[0, 0]` is a one-leaf tree, so the cursor's status is `Active` where the
//!   kernel's would be `Root`/`None` for that one shape.
//! * Nodes live in an index-based arena (no `unsafe`), carry no parent links, and a cursor
//!   keeps its path from the root instead.
//! * Single-threaded: there is no RCU mode; Rust's borrow rules give readers and the writer
//!   exclusive access.
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;

mod bulk;
pub mod cursor;
mod error;
mod gap;
mod iter;
mod node;
mod path;
mod reserve;
pub mod search;
mod tree;
pub mod validate;
mod write;

pub use cursor::{Cursor, CursorMut, Prealloc, Status};
pub use error::Error;
pub use iter::{IntoIter, Iter, Range};
pub use reserve::Reservation;
pub use tree::MapleTree;
pub use validate::Violation;
pub use write::StoreType;

#[cfg(feature = "planted-bugs")]
pub mod plant;

/// Whether the testing-only planted bug `bug` is active (module `plant`); always `false` without
/// the `planted-bugs` feature, so the hooks compile away.
#[inline(always)]
pub(crate) fn planted(bug: char) -> bool {
    #[cfg(feature = "planted-bugs")]
    return plant::on(bug);
    #[cfg(not(feature = "planted-bugs"))]
    return {
        let _ = bug;
        false
    };
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
