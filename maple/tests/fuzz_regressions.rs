//! Every crash the fuzz campaigns (`fuzz/`) or the seeded corpus runs ever found, minimised,
//! as a named test. Each test says what broke and which target found it.

use maple_tree::{MapleTree, Status};

const MAX: u64 = u64::MAX;

fn tree_10_20() -> MapleTree<u64> {
    let mut tree = MapleTree::new();
    tree.store_range(10, 20, 1).unwrap();
    tree.store_range(40, 50, 2).unwrap();
    tree
}

/// Found by the `cursor` target: `next` whose limit check fires at once on a cursor that has
/// never walked (`set`, then `next(max)` with `index > max`) leaves it in `Overflow` without a
/// position; a later `next` with a larger limit continued from that missing position and
/// panicked (index out of bounds in `step_forward`). It now walks to `index` first, as from
/// `Start`.
#[test]
fn next_after_immediate_overflow_without_position() {
    let tree = tree_10_20();
    let mut c = tree.cursor(15);
    assert_eq!(c.next(5), None);
    assert_eq!((c.index(), c.last(), c.status()), (15, 15, Status::Overflow));
    assert_eq!(c.next(MAX), Some(&2));
    assert_eq!((c.index(), c.last(), c.status()), (40, 50, Status::Active));
}

/// Mirror of [`next_after_immediate_overflow_without_position`] for `prev` from `Underflow`.
#[test]
fn prev_after_immediate_underflow_without_position() {
    let tree = tree_10_20();
    let mut c = tree.cursor(45);
    assert_eq!(c.prev(50), None);
    assert_eq!((c.index(), c.last(), c.status()), (45, 45, Status::Underflow));
    assert_eq!(c.prev(0), Some(&1));
    assert_eq!((c.index(), c.last(), c.status()), (10, 20, Status::Active));
}

/// `find_rev` from an `Overflow` that has no position: walks to `index` first, then steps
/// back from that slot, as from a positioned `Overflow`.
#[test]
fn find_rev_after_immediate_overflow_without_position() {
    let tree = tree_10_20();
    let mut c = tree.cursor(45);
    assert_eq!(c.next(5), None);
    assert_eq!(c.status(), Status::Overflow);
    assert_eq!(c.find_rev(0), Some(&1));
    assert_eq!((c.index(), c.last(), c.status()), (10, 20, Status::Active));
}
