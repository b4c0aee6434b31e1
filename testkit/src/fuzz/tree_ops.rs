//! The `tree_ops` target: every write and read of the [`MapleTree`](maple_tree::MapleTree)
//! API against the [`RangeMap`](crate::oracle::RangeMap) model, the tree validated and
//! compared with the model after every operation (see [`super::check`]). A misplaced,
//! duplicated, lost or stale entry shows the moment it appears.

use super::{run_ops, TreeOp, World};

/// Runs the operations decoded from `data`.
pub fn run(data: &[u8]) -> Result<(), String> {
    let mut world = World::default();
    run_ops(data, |op: &TreeOp| world.apply(*op))
}
