//! **Testing only** (feature `planted-bugs`): re-creates one historical maple-tree bug at a
//! time, so that the fuzz campaigns in `fuzz/` can prove they find each class of bug the
//! kernel's tree has had (`shared/reference/maple-kernel.md` §4, classes A–J).
//!
//! The bug is chosen at run time, once per process, by the environment variable
//! `MAPLE_PLANT` (one letter; unset or empty plants nothing), or by [`set`] before the first
//! tree operation. With the feature off none of this exists; with it on and no bug chosen the
//! tree behaves exactly as without it. Never enable the feature outside of testing.
//!
//! | letter | class | the planted change |
//! |---|---|---|
//! | `A` | stale tail | a node store that reaches the leaf's maximum and shrinks it leaves the old slots and pivots after the new end |
//! | `C` | spanning store | a store across leaves that ends exactly at the right leaf's parent's maximum copies the entry there again |
//! | `D` | rebalance | a leaf that merges with a neighbour because it fell below the minimum drops the neighbour's last slot |
//! | `E` | NULL canonical form | a NULL store does not widen over the NULL range just before it |
//! | `F` | gap tracking | a leaf's largest gap is measured one key short (`last - first` instead of `last - first + 1`), so an allocation tree records gaps one too small |
//! | `G` | cursor state | `next`/`prev` after `pause` step from the remembered position instead of walking again |
//! | `H` | preallocation | a leaf split reserves one internal node too few |
//! | `J` | `u64::MAX` boundary | a store into an empty tree that ends at `u64::MAX` still adds the NULL range after it (`last + 1` wraps) |

use crate::node::{Leaf, NodeId};
use crate::write::{Plan, StoreType};
use crate::MapleTree;
use core::sync::atomic::{AtomicU8, Ordering};

/// The planted bug: 0 = not read yet, 1 = none, else the letter.
static PLANT: AtomicU8 = AtomicU8::new(0);

/// Every bug that can be planted.
pub const BUGS: [char; 8] = ['A', 'C', 'D', 'E', 'F', 'G', 'H', 'J'];

/// Plants `bug` (one of [`BUGS`]) or, with `None`, nothing, overriding `MAPLE_PLANT`.
///
/// # Panics
/// If `bug` is not one of [`BUGS`].
pub fn set(bug: Option<char>) {
    let code = match bug {
        None => 1,
        Some(c) => {
            assert!(BUGS.contains(&c), "no planted bug {c:?}; the choices are {BUGS:?}");
            c as u8
        }
    };
    PLANT.store(code, Ordering::Relaxed);
}

/// The planted bug, if any.
pub fn planted() -> Option<char> {
    let mut code = PLANT.load(Ordering::Relaxed);
    if code == 0 {
        let var = std::env::var("MAPLE_PLANT").unwrap_or_default();
        let c = var.trim().chars().next().map(|c| c.to_ascii_uppercase());
        set(c);
        code = PLANT.load(Ordering::Relaxed);
    }
    (code != 1).then_some(code as char)
}

/// Whether bug `letter` is planted.
#[inline]
pub(crate) fn on(letter: char) -> bool {
    planted() == Some(letter)
}

/// Bug A, first half: before a node store that rewrites a leaf in place up to its maximum,
/// keeps a copy of the leaf.
/// `dup` copies an entry (the store's duplicator, see `write::Dup`).
pub(crate) fn stale_tail_before<T>(
    tree: &MapleTree<T>,
    plan: &Plan,
    dup: fn(&Option<T>) -> Option<T>,
) -> Option<(NodeId, Leaf<T>)> {
    let in_place = matches!(plan.kind, StoreType::NodeStore | StoreType::SlotStore | StoreType::Append);
    let r = plan.right.leaf();
    (on('A') && in_place && plan.last == r.max).then(|| {
        let leaf = tree.arena.leaf(r.node);
        let copy = Leaf { pivots: leaf.pivots, slots: core::array::from_fn(|i| dup(&leaf.slots[i])), len: leaf.len };
        (r.node, copy)
    })
}

/// Bug A, second half: if the leaf shrank, puts the old slots and pivots back after its new
/// end, where the kernel's buggy node store copied the stale tail.
pub(crate) fn stale_tail_after<T>(tree: &mut MapleTree<T>, before: Option<(NodeId, Leaf<T>)>) {
    let Some((id, old)) = before else { return };
    let leaf = tree.arena.leaf_mut(id);
    let (len, old_len) = (leaf.len(), old.len());
    if len == 0 || len >= old_len {
        return;
    }
    leaf.pivots[len - 1..old_len - 1].copy_from_slice(&old.pivots[len - 1..old_len - 1]);
    for (slot, stale) in leaf.slots[len..old_len].iter_mut().zip(old.slots.into_iter().skip(len)) {
        *slot = stale;
    }
}
