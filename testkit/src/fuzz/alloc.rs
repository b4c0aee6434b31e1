//! The `alloc` target: allocation trees (`MapleTree::new_alloc`, the kernel's
//! `MT_FLAGS_ALLOC_RANGE`) under every whole-tree operation, with free-range searches and
//! allocating writes compared with a brute-force scan of the model's holes
//! ([`gaps::oracle_empty_area`]) — bug class F (gap tracking and search: parent gaps, off by
//! one, reverse limits, empty nodes, a false `Busy`). Every allocating write is checked
//! where it landed; the validator checks the recorded gaps (G1, G2) with every full check.

use super::{run_ops, Key, Nudge, TreeOp, World};
use crate::gaps::{self, oracle_empty_area, Query};
use crate::oracle::RangeMap;
use arbitrary::Arbitrary;
use maple_tree::{Error, Status};

/// The size of a request, resolved against the model's holes.
#[allow(missing_docs)] // fields are described in the variant docs
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// The size of the hole after (or before) an existing entry, picked by `entry` modulo the
    /// number of entries, nudged by −1, 0 or +1: exact fits and near misses.
    OfHole { entry: u16, before: bool, nudge: Nudge },
    /// One key.
    One,
    /// A small size, `n % 64 + 1`.
    Small(u8),
    /// `u64::MAX - n % 4`: sizes that overflow careless arithmetic.
    Huge(u8),
    /// Any size (0 included, which is `Invalid`).
    Any(u64),
}

impl Size {
    fn resolve(self, model: &RangeMap<u64>) -> u64 {
        match self {
            Size::OfHole { entry, before, nudge } => {
                let hole = if model.is_empty() {
                    (0, u64::MAX)
                } else {
                    let (range, _) = model.nth(usize::from(entry) % model.len()).expect("an entry");
                    let near = if before {
                        model.holes_back(*range.start()).next()
                    } else {
                        model.holes_from(*range.end()).next()
                    };
                    near.unwrap_or((0, 0))
                };
                let size = (hole.1 - hole.0).saturating_add(1);
                match nudge {
                    Nudge::Minus => size.saturating_sub(1),
                    Nudge::Zero => size,
                    Nudge::Plus => size.saturating_add(1),
                }
            }
            Size::One => 1,
            Size::Small(n) => u64::from(n % 64) + 1,
            Size::Huge(n) => u64::MAX - u64::from(n % 4),
            Size::Any(n) => n,
        }
    }
}

/// One step of the alloc target.
#[allow(missing_docs)] // fields are described in the variant docs
#[derive(Arbitrary, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocOp {
    /// A whole-tree operation on the allocation tree.
    Tree(TreeOp),
    /// `empty_area` and `empty_area_rev` of `size` keys in `[min, max]`, aligned to
    /// `1 << (align % 13)` when `aligned`.
    Search { min: Key, max: Key, size: Size, aligned: bool, align: u8 },
    /// `alloc_area` (or `alloc_area_rev`) of a fresh value.
    Alloc { min: Key, max: Key, size: Size, rev: bool },
    /// `alloc_cyclic` of a fresh value, with the target's `next` cursor.
    Cyclic { min: Key, max: Key },
    /// A cursor's `empty_area` (or `empty_area_rev`), then a store of a fresh value through
    /// the cursor into the fit.
    CursorFill { min: Key, max: Key, size: Size, rev: bool },
}

/// Runs the operations decoded from `data`.
pub fn run(data: &[u8]) -> Result<(), String> {
    let state = (World::alloc(), Cyclic { next: 0, wrapped: false });
    run_ops(data, &mut { state }, step, |(world, _)| world.check_full())
}

fn step((world, cyclic): &mut (World, Cyclic), op: &AllocOp) -> Result<(), String> {
    match *op {
        AllocOp::Tree(op) => {
            if matches!(op, TreeOp::Clear | TreeOp::Rebuild) {
                // A new tree: it has not wrapped.
                cyclic.wrapped = false;
            }
            world.apply(op)
        }
        AllocOp::Search { min, max, size, aligned, align } => {
            let align = if aligned { 1 << (align % 13) } else { 1 };
            let q = query(&world.model, min, max, size, align);
            gaps::compare(&world.tree, &world.model, q)
        }
        AllocOp::Alloc { min, max, size, rev } => {
            let q = query(&world.model, min, max, size, 1);
            let value = world.value();
            let got = gaps::alloc(&mut world.tree, q, rev, value);
            let want = oracle_empty_area(&world.model, q, rev);
            if got != want {
                return Err(format!("{q:x?}: alloc (rev {rev}) gave {got:x?}, brute force {want:x?}"));
            }
            let Ok(start) = got else { return Ok(()) };
            world.model.store(start, start + (q.size - 1), value);
            world.check_write(start, start + (q.size - 1))
        }
        AllocOp::Cyclic { min, max } => {
            let (min, max) = (min.resolve(&world.model), max.resolve(&world.model));
            let value = world.value();
            let want = cyclic.expect(&world.model, min, max);
            let got = world.tree.alloc_cyclic(min, max, &mut cyclic.next, value);
            if got != want {
                return Err(format!("alloc_cyclic({min:#x}, {max:#x}) gave {got:x?}, model {want:x?}"));
            }
            let Ok((index, _)) = got else { return Ok(()) };
            world.model.store(index, index, value);
            cyclic.wrapped = index == u64::MAX;
            world.check_write(index, index)
        }
        AllocOp::CursorFill { min, max, size, rev } => cursor_fill(world, min, max, size, rev),
    }
}

fn query(model: &RangeMap<u64>, min: Key, max: Key, size: Size, align: u64) -> Query {
    Query { min: min.resolve(model), max: max.resolve(model), size: size.resolve(model), align }
}

/// `alloc_cyclic`'s documented behaviour: the lowest free key from `next` on, else (wrapping)
/// from `min`; `wrapped` says whether the search wrapped, or whether the previous allocation
/// took `u64::MAX` (so that `next` wrapped to 0).
struct Cyclic {
    next: u64,
    wrapped: bool,
}

impl Cyclic {
    fn expect(&self, model: &RangeMap<u64>, min: u64, max: u64) -> Result<(u64, bool), Error> {
        let from = min.max(self.next);
        let one = |min| oracle_empty_area(model, Query { min, max, size: 1, align: 1 }, false);
        match one(from) {
            Ok(index) => Ok((index, self.wrapped)),
            Err(e) if from == min => Err(e),
            Err(_) => Ok((one(min)?, true)),
        }
    }
}

fn cursor_fill(world: &mut World, min: Key, max: Key, size: Size, rev: bool) -> Result<(), String> {
    let q = query(&world.model, min, max, size, 1);
    let want = oracle_empty_area(&world.model, q, rev);
    let value = world.value();
    let mut c = world.tree.cursor_mut(0);
    let got = if rev { c.empty_area_rev(q.min, q.max, q.size) } else { c.empty_area(q.min, q.max, q.size) };
    let state = (c.index(), c.last(), c.status());
    match (got, want) {
        (Ok(()), Ok(start)) => {
            let last = start + (q.size - 1);
            if (state.0, state.1) != (start, last) {
                return Err(format!("{q:x?} (rev {rev}): the cursor is on {state:x?}, brute force {start:#x}"));
            }
            c.store(Some(value)).map_err(|e| format!("store into the fit: {e:?}"))?;
            world.model.store(start, last, value);
            return world.check_write(start, last);
        }
        (Err(e), Err(w)) if e == w => {
            if e == Error::Busy && state.2 != Status::Error(Error::Busy) {
                return Err(format!("{q:x?}: Busy but the cursor is {state:x?}"));
            }
        }
        (got, want) => return Err(format!("{q:x?} (rev {rev}): cursor empty_area {got:x?}, brute force {want:x?}")),
    }
    Ok(())
}
