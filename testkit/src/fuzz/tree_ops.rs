//! The `tree_ops` target: every write and read of the [`MapleTree`](maple_tree::MapleTree)
//! API against the [`RangeMap`](crate::oracle::RangeMap) model, compared with the model where
//! every write landed, and validated and compared in full on a schedule and at the end (see
//! [`super::check`]). A misplaced, duplicated, lost or stale entry shows the moment it
//! appears.

use super::{run_ops, TreeOp, World};

/// Runs the operations decoded from `data`.
pub fn run(data: &[u8]) -> Result<(), String> {
    run_ops(data, &mut World::default(), |w, op: &TreeOp| w.apply(*op), World::check_full)
}
