//! **Testing only** (feature `planted-bugs`): re-creates one historical maple-tree bug at a
//! time, so that the fuzz campaigns in `fuzz/` can prove they find each class of bug the
//! kernel's tree has had. The classes (A–J), what each fuzz target checks and which target
//! catches which class are in `docs/bug-classes.md` at the repository root.
//!
//! The bug is chosen at run time, once per process, by the environment variable
//! `MAPLE_PLANT` (one letter; unset, empty or a letter that is not one of [`BUGS`] plants
//! nothing in the tree), or by [`set`] before the first tree operation. maple-vma's planted
//! bugs (its own letters) share the choice ([`choose`], [`chosen`]). With the feature off none of this exists; with it on and no bug chosen the
//! tree behaves exactly as without it. Never enable the feature outside of testing.
//!
//! Each bug is one `plant!('X' => ...)` statement at its site, beside the correct code and
//! never inside its conditions; without the feature the macro expands to nothing, so the
//! production code reads (and compiles) as if no bug were planted. The larger changes are
//! the helpers below.
//!
//! | letter | class | the planted change | site |
//! |---|---|---|---|
//! | `A` | stale tail | a node store that reaches the leaf's maximum and shrinks it leaves the old slots and pivots after the new end | `write::execute` |
//! | `B` | wrong data end | a lookup in a full leaf takes its end one slot short, so the range of the slot before last is reported up to the leaf's maximum | `MapleTree::leaf_slot` (`load_range`) |
//! | `C` | spanning store | a store across leaves that ends exactly at the right leaf's parent's maximum copies the entry there again | `inplace::leaf_content` |
//! | `D` | rebalance | a leaf that merges with a neighbour because it fell below the minimum drops the neighbour's last slot | `rebuild::Engine::leaf_level` |
//! | `E` | NULL canonical form | a NULL store does not widen over the NULL range just before it | `write::extend_null`, and its in-leaf erase `inplace::erase_in_leaf` |
//! | `F` | gap tracking | a leaf's largest gap is measured one key short, so an allocation tree records gaps one too small | `Leaf::max_gap` |
//! | `G` | cursor state | `next`/`prev` after `pause` step from the remembered position instead of walking again | `State::next`, `State::prev` |
//! | `H` | preallocation | a leaf split reserves one internal node too few | `write::split_need` |
//! | `J` | `u64::MAX` boundary | a store into an empty tree that ends at `u64::MAX` still adds the NULL range after it (`last + 1` wraps) | `write::execute` |
//!
//! Class I (publication order, concurrent readers) is planted in the concurrent handle
//! [`SharedMapleTree`](crate::SharedMapleTree), whose loom models (`maple/tests/loom_shared.rs`,
//! `scripts/loom-planted.sh`) must find it; these letters are in [`SHARED_BUGS`], not in
//! [`BUGS`] (the fuzz targets, which are single-threaded, cannot reach them):
//!
//! | letter | class | the planted change | site |
//! |---|---|---|---|
//! | `I` | I | the writer changes the old copy right after publishing, without waiting for the readers still in it (a node freed or rewritten under a reader) | `shared::cell::WriteLock::wait_for_readers` |
//! | `R` | I | a reader loads which copy to read before announcing itself, so a publication in between neither redirects it nor makes the writer wait (published before safe) | `shared::cell::Reader::enter` |

use crate::write::Plan;
use crate::MapleTree;
use core::sync::atomic::{AtomicU8, Ordering};

/// The chosen letter: 0 = not read yet, 1 = none, else the letter.
static CHOSEN: AtomicU8 = AtomicU8::new(0);

/// Every bug that can be planted in the tree.
pub const BUGS: [char; 9] = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J'];

/// The class-I bugs planted in the concurrent handle (found by its loom models, chosen with
/// [`choose`] or `MAPLE_PLANT`).
pub const SHARED_BUGS: [char; 2] = ['I', 'R'];

/// Chooses the planted bug of every crate that has planted bugs (maple-vma's use this choice
/// too): `letter`, or with `None` nothing, overriding `MAPLE_PLANT`. A letter that no crate
/// plants changes nothing anywhere.
pub fn choose(letter: Option<char>) {
    CHOSEN.store(letter.map_or(1, |c| c as u8), Ordering::Relaxed);
}

/// The chosen letter, whichever crate plants it: `MAPLE_PLANT` (read once) unless
/// [`choose`] or [`set`] said otherwise.
pub fn chosen() -> Option<char> {
    let mut code = CHOSEN.load(Ordering::Relaxed);
    if code == 0 {
        let var = std::env::var("MAPLE_PLANT").unwrap_or_default();
        choose(var.trim().chars().next().filter(char::is_ascii_alphabetic).map(|c| c.to_ascii_uppercase()));
        code = CHOSEN.load(Ordering::Relaxed);
    }
    (code != 1).then_some(code as char)
}

/// Plants tree bug `bug` (one of [`BUGS`]) or, with `None`, nothing ([`choose`]).
///
/// # Panics
/// If `bug` is not one of [`BUGS`].
pub fn set(bug: Option<char>) {
    if let Some(c) = bug {
        assert!(BUGS.contains(&c), "no planted bug {c:?}; the choices are {BUGS:?}");
    }
    choose(bug);
}

/// The planted tree bug, if any.
pub fn planted() -> Option<char> {
    chosen().filter(|c| BUGS.contains(c))
}

/// Whether bug `letter` is planted.
#[inline]
pub(crate) fn on(letter: char) -> bool {
    chosen() == Some(letter)
}

/// Bug A: a store that rewrites a leaf in place (`store`, the correct one) and, when it
/// reached the leaf's maximum and the leaf shrank, puts the old slots and pivots back after
/// the new end, where the kernel's buggy node store copied the stale tail. `dup` copies an
/// entry (the store's duplicator, see `write::Dup`), so that `T` need not be `Clone`.
pub(crate) fn stale_tail<T>(
    tree: &mut MapleTree<T>,
    plan: &Plan,
    dup: fn(Option<&T>) -> Option<T>,
    store: impl FnOnce(&mut MapleTree<T>) -> Option<T>,
) -> Option<T> {
    let r = plan.right.leaf();
    let before = (plan.last == r.max).then(|| (r.node, tree.arena.leaf(r.node).plant_copy(dup)));
    let old = store(tree);
    if let Some((id, stale)) = before {
        tree.arena.leaf_mut(id).plant_stale_tail(stale);
    }
    old
}

/// Bug C: whether `end` is the maximum of the parent of the store's right leaf.
pub(crate) fn at_parent_max(plan: &Plan, end: u64) -> bool {
    plan.right.levels[plan.right.leaf_depth() - 1].max == end
}
