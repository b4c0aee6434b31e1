//! The `clone` target: structural clones (`Clone`, `try_clone`, the kernel's `__mt_dup`) and
//! then diverging edits on both copies. Each copy has its own model; after every operation
//! both trees are validated and compared with their models, so an edit that leaks into the
//! other copy (shared nodes, a shared free list) shows at once.

use super::{check, run_ops, TreeOp, World};
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
    let mut a = World::default();
    // The second copy's values come from another range, so that a leak shows.
    let mut b = World { next_value: 1 << 40, ..World::default() };
    run_ops(data, |op: &CloneOp| {
        match *op {
            CloneOp::A(op) => a.apply(op)?,
            CloneOp::B(op) => b.apply(op)?,
            CloneOp::Both(op) => {
                a.apply(op)?;
                b.apply(op)?;
            }
            CloneOp::CloneAtoB { fallible } => {
                b.tree = if fallible {
                    a.tree.try_clone().map_err(|e| format!("try_clone: {e:?}"))?
                } else {
                    a.tree.clone()
                };
                b.model = a.model.clone();
                b.next_value = b.next_value.max(a.next_value) + (1 << 32);
            }
            CloneOp::CloneBtoA => {
                a.tree = b.tree.clone();
                a.model = b.model.clone();
                a.next_value = a.next_value.max(b.next_value) + (1 << 32);
            }
            CloneOp::Swap => std::mem::swap(&mut a, &mut b),
        }
        check(&a).map_err(|e| format!("first copy: {e}"))?;
        check(&b).map_err(|e| format!("second copy: {e}"))?;
        if (a.tree == b.tree) != (a.model == b.model) {
            return Err(format!("tree equality {} but model equality {}", a.tree == b.tree, a.model == b.model));
        }
        Ok(())
    })
}
