//! The `prealloc` target: preallocate-then-store pairs and plain writes, with the n-th node
//! allocation failing (bug class H). Checked after every operation, besides the tree against
//! its model:
//!
//! * a write or reservation that fails with `NoMemory` changes nothing, and the cursor's
//!   status is `Error(NoMemory)`;
//! * `preallocate` refuses an empty range with `Invalid` and nothing else;
//! * nodes used never exceed nodes reserved: the tree allocates at most the reserved count
//!   from the system over `preallocate` + `store` (a store that ran out of reserved nodes
//!   would allocate more), and inside the crate a debug assertion fires when a write takes
//!   more nodes than it reserved (the targets run with debug assertions);
//! * the reserved store returns the old value and leaves the cursor on the range written.

use super::{run_ops, Span, TreeOp, World};
use crate::cursor_model::{slots_over, CursorModel, Slots};
use crate::ops::{self, Op};
use arbitrary::Arbitrary;
use maple_tree::{Error, Status};

/// One step of the prealloc target.
#[allow(missing_docs)] // fields are described in the variant docs
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreallocOp {
    /// A whole-tree operation without failures, to shape the tree.
    Tree(TreeOp),
    /// `preallocate` of a fresh value (`value`) or NULL over `span`, with the allocation
    /// `fail % 16` failing if set, then the reserved store (`commit`) or dropping it.
    Reserve { span: Span, value: bool, fail: Option<u8>, commit: bool },
    /// A write with allocation `n % 16` failing.
    Failing { kind: WriteKind, span: Span, n: u8 },
}

/// The writes of [`PreallocOp::Failing`].
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum WriteKind {
    Store,
    Insert,
    Remove,
    Erase,
}

/// Runs the operations decoded from `data`.
pub fn run(data: &[u8]) -> Result<(), String> {
    let step = |world: &mut World, op: &PreallocOp| match *op {
        PreallocOp::Tree(op) => world.apply(op),
        PreallocOp::Reserve { span, value, fail, commit } => reserve(world, span, value, fail, commit),
        PreallocOp::Failing { kind, span, n } => {
            let (first, last) = span.resolve(&world.model);
            let op = match kind {
                WriteKind::Store => Op::Store { first, last, value: world.value() },
                WriteKind::Insert => Op::Insert { first, last, value: world.value() },
                WriteKind::Remove => Op::Remove { first, last },
                WriteKind::Erase => Op::Erase { index: first },
            };
            let (first, last) = world.touches(op);
            ops::apply_failing(&mut world.tree, &mut world.model, op, u64::from(n % 16))?;
            world.check_write(first, last)
        }
    };
    run_ops(data, &mut World::default(), step, World::check_full)
}

fn reserve(world: &mut World, span: Span, value: bool, fail: Option<u8>, commit: bool) -> Result<(), String> {
    let (first, last) = span.resolve(&world.model);
    let entry = value.then(|| world.value());
    let before = world.tree.allocated_nodes();
    world.tree.fail_nth_alloc(fail.map(|n| u64::from(n % 16)));
    let mut reserved = (0, 0);
    let outcome = {
        let mut c = world.tree.cursor_mut(first);
        c.set_range(first, last);
        let result = match c.preallocate(entry) {
            Err(e) => Err(e),
            Ok(reservation) => {
                reserved = reservation.reserved_nodes();
                Ok(commit.then(|| reservation.store()))
            }
        };
        (result, c.index(), c.last(), c.status())
    };
    world.tree.fail_nth_alloc(None);
    let after = world.tree.allocated_nodes();
    let (result, index, last_after, status) = outcome;
    match result {
        Err(e) => {
            let expected = if first > last { Error::Invalid } else { Error::NoMemory };
            if e != expected || (e == Error::NoMemory && fail.is_none()) {
                return Err(format!("preallocate failed with {e:?}"));
            }
            if status != Status::Error(e) || (index, last_after) != (first, last) {
                return Err(format!("after a failed preallocate the cursor is {:?}", (index, last_after, status)));
            }
        }
        Ok(_) if first > last => return Err("preallocate accepted an empty range".into()),
        Ok(stored) => {
            if after.0 - before.0 > reserved.0 || after.1 - before.1 > reserved.1 {
                return Err(format!(
                    "allocated {:?} nodes over preallocate and store, but reserved {reserved:?}",
                    (after.0 - before.0, after.1 - before.1)
                ));
            }
            if let Some(old) = stored {
                let want = world.model.get(first).map(|(_, v)| *v);
                if old != want {
                    return Err(format!("the reserved store returned {old:?}, model {want:?}"));
                }
                match entry {
                    Some(v) => world.model.store(first, last, v),
                    None => world.model.remove(first, last),
                }
                // The cursor lands on the slot holding `first`: that slot is all the model
                // needs (the whole slot list would make every reserved store O(n)).
                let around = if world.model.is_empty() { Slots::new() } else { slots_over(&world.model, first, first) };
                let mut cursor = CursorModel::set_range(first, last);
                cursor.after_write(first, &around);
                if (index, last_after, status) != (cursor.index, cursor.last, cursor.status) {
                    return Err(format!(
                        "after the reserved store the cursor is {:?}, model {cursor:?}",
                        (index, last_after, status)
                    ));
                }
            }
        }
    }
    world.check_write(first, last)
}
