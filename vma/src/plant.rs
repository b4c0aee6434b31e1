//! **Testing only** (feature `planted-bugs`): re-creates one VMA-level bug at a time, so
//! that the `vma_ops` fuzz target (`fuzz/planted.sh`) and `vma/tests/planted.rs` can prove
//! they find it. The bug classes and the tree's own planted bugs are described in
//! `docs/bug-classes.md` at the repository root.
//!
//! The bug is chosen at run time, once per process, by the environment variable
//! `MAPLE_PLANT` (one letter, shared with maple-tree's planted bugs: a letter that is not one
//! of [`BUGS`] plants nothing here), or by [`set`]. With the feature off none of this
//! exists; with it on and no bug chosen the crate behaves exactly as without it. Never
//! enable the feature outside of testing.
//!
//! Each bug is one `plant!('X' => ...)` statement beside the correct code, never inside its
//! conditions; without the feature the macro expands to nothing.
//!
//! | letter | the planted change | kernel history it mirrors |
//! |---|---|---|
//! | `S` | a split leaves the lower VMA's end where it was, so the stale copy overlaps the new upper part and is committed to the tree over it | the 2022 "VMA placed twice / misplaced entry" bugs: a stale copy of a VMA written during a split or merge |
//! | `P` | a new mapping merged into the VMA after it (which grows down) leaves that VMA's `pgoff` as it was, so every page keeps the wrong offset | merges that keep the wrong file offset (`vma_merge`'s pgoff arithmetic) |

/// Every bug that can be planted in this crate.
pub const BUGS: [char; 2] = ['S', 'P'];

/// Plants VMA bug `bug` (one of [`BUGS`]) or, with `None`, nothing, overriding `MAPLE_PLANT`
/// (the choice is maple-tree's, `maple_tree::plant::choose`, shared by both crates).
///
/// # Panics
/// If `bug` is not one of [`BUGS`].
pub fn set(bug: Option<char>) {
    if let Some(c) = bug {
        assert!(BUGS.contains(&c), "no planted VMA bug {c:?}; the choices are {BUGS:?}");
    }
    maple_tree::plant::choose(bug);
}

/// The planted VMA bug, if any.
pub fn planted() -> Option<char> {
    maple_tree::plant::chosen().filter(|c| BUGS.contains(c))
}

/// Whether bug `letter` is planted.
#[inline]
pub(crate) fn on(letter: char) -> bool {
    maple_tree::plant::chosen() == Some(letter)
}
