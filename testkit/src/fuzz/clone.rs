//! The `clone` target: structural clones (`Clone`, `try_clone`, the kernel's `__mt_dup`) and
//! then diverging edits on both copies. Each copy has its own model. After an edit of one
//! copy, that copy is checked where the edit landed (as in every target) and so is the
//! other copy, over the same keys: an edit that leaks into the other copy (shared nodes, a
//! shared free list) shows at once. A clone is checked in full; so are both copies, and
//! their equality against their models' equality, at the end.

use super::{run_ops, TreeOp, World};
use arbitrary::Arbitrary;

/// One step of the clone target.
#[allow(missing_docs)] // fields are described in the variant docs
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloneOp {
    /// An operation on the first copy.
    A(TreeOp),
    /// An operation on the second copy.
    B(TreeOp),
    /// The same operation on both copies.
    Both(TreeOp),
    /// The second copy becomes a clone of the first (`try_clone` when `fallible`).
    CloneAtoB { fallible: bool },
    /// The first copy becomes a clone of the second.
    CloneBtoA,
    /// The copies change places.
    Swap,
}

/// Runs the operations decoded from `data`.
pub fn run(data: &[u8]) -> Result<(), String> {
    // The second copy's values come from another range, so that a leak shows.
    let worlds = (World::default(), World { next_value: 1 << 40, ..World::default() });
    run_ops(data, &mut { worlds }, step, |(a, b)| {
        a.check_full().map_err(|e| format!("first copy: {e}"))?;
        b.check_full().map_err(|e| format!("second copy: {e}"))?;
        equal(a, b)
    })
}

fn step((a, b): &mut (World, World), op: &CloneOp) -> Result<(), String> {
    // What the other copy saw of an edit of `edited`, over the keys it wrote.
    fn edit(edited: &mut World, other: &World, op: TreeOp) -> Result<(), String> {
        edited.apply(op)?;
        other.check_around(edited.take_touched()).map_err(|e| format!("the other copy: {e}"))
    }
    match *op {
        CloneOp::A(op) => edit(a, b, op).map_err(|e| format!("first copy: {e}")),
        CloneOp::B(op) => edit(b, a, op).map_err(|e| format!("second copy: {e}")),
        CloneOp::Both(op) => {
            a.apply(op).map_err(|e| format!("first copy: {e}"))?;
            b.apply(op).map_err(|e| format!("second copy: {e}"))?;
            a.check_around(b.take_touched()).map_err(|e| format!("first copy: {e}"))?;
            b.check_around(a.take_touched()).map_err(|e| format!("second copy: {e}"))
        }
        CloneOp::CloneAtoB { fallible } => {
            b.tree =
                if fallible { a.tree.try_clone().map_err(|e| format!("try_clone: {e:?}"))? } else { a.tree.clone() };
            b.model = a.model.clone();
            b.next_value = b.next_value.max(a.next_value) + (1 << 32);
            b.take_touched();
            b.check_full().map_err(|e| format!("the clone: {e}"))
        }
        CloneOp::CloneBtoA => {
            a.tree = b.tree.clone();
            a.model = b.model.clone();
            a.next_value = a.next_value.max(b.next_value) + (1 << 32);
            a.take_touched();
            a.check_full().map_err(|e| format!("the clone: {e}"))
        }
        CloneOp::Swap => {
            std::mem::swap(a, b);
            Ok(())
        }
    }
}

/// The trees are equal exactly when their models are.
fn equal(a: &World, b: &World) -> Result<(), String> {
    if (a.tree == b.tree) != (a.model == b.model) {
        return Err(format!("tree equality {} but model equality {}", a.tree == b.tree, a.model == b.model));
    }
    Ok(())
}
