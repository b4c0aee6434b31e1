//! White-box tests of the arena: idle nodes (N4) and the leaf relayout.

use super::*;

/// N4 as the validator checks it: a finished reservation leaves blank idle nodes (no
/// fault); an idle node that is not blank, or too many of them, is one.
#[test]
fn idle_nodes_are_blank_and_bounded() {
    let mut arena: Arena<u64> = Arena::new();
    arena.reserve(NodeBudget { leaves: 3, internals: 2 }).unwrap();
    arena.release_spare();
    assert_eq!(arena.allocated(), (0, 0));
    assert_eq!((arena.idle.leaves, arena.idle.internals), (3, 2));
    assert_eq!(arena.idle_fault(), None);

    let mut dirty = arena.clone();
    dirty.leaves[1].write([(u64::MAX, Some(7))]);
    assert_eq!(dirty.idle_fault(), Some(("an idle leaf that is not blank", 1)));

    let mut dirty = arena.clone();
    dirty.internals[0].len = 1;
    assert_eq!(dirty.idle_fault(), Some(("an idle internal node that is not blank", 0)));

    let mut many = arena.clone();
    many.idle.leaves = IDLE_MAX + 1;
    assert_eq!(many.idle_fault(), Some(("idle leaves past the limit", IDLE_MAX + 1)));
}

/// The tree's leaf ids in key order.
fn leaf_order(tree: &crate::MapleTree<u64>) -> Vec<NodeId> {
    fn walk(arena: &Arena<u64>, id: NodeId, above: usize, out: &mut Vec<NodeId>) {
        if above == 0 {
            out.push(id);
        } else {
            for &child in arena.internal(id).children() {
                walk(arena, child, above - 1, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(&tree.arena, tree.root, tree.height() - 1, &mut out);
    out
}

/// A tree built by random inserts, `n` ranges of 4 keys 8 apart (seeded shuffle).
fn random_build(n: u64, relayout: bool) -> crate::MapleTree<u64> {
    let order = shuffled(n);
    let mut tree = crate::MapleTree::new();
    if !relayout {
        tree.arena.laid_out = usize::MAX / 4; // never due
    }
    for i in order {
        tree.store_range(i * 8, i * 8 + 3, i).unwrap();
    }
    tree
}

/// `0..n` in a fixed pseudo-random order.
fn shuffled(n: u64) -> Vec<u64> {
    let mut order: Vec<u64> = (0..n).collect();
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for i in (1..order.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    order
}

/// A tree grown by cursor writes alone (as maple-vma's address spaces grow) is laid out in
/// key order as well, and each cursor that triggered a relayout is left on a live path: its
/// range is the one written and its next step finds the next entry.
#[test]
fn cursor_writes_lay_the_leaves_out_and_keep_the_cursor() {
    let mut tree = crate::MapleTree::new();
    let before = tree.arena.relayouts;
    let mut stored = std::collections::BTreeSet::new();
    let mut cursor = tree.cursor_mut(0);
    for (n, i) in shuffled(20_000).into_iter().enumerate() {
        cursor.set_range(i * 8, i * 8 + 3);
        if n % 2 == 0 {
            cursor.store(Some(i)).unwrap();
        } else {
            cursor.preallocate(Some(i)).unwrap().store();
        }
        stored.insert(i);
        assert_eq!((cursor.index(), cursor.last(), cursor.current()), (i * 8, i * 8 + 3, Some(&i)));
        let next = stored.range(i + 1..).next().copied();
        assert_eq!(cursor.next(u64::MAX).copied(), next, "after storing {i}");
    }
    assert!(tree.arena.relayouts >= before + 4, "{} relayouts", tree.arena.relayouts - before);
    let order = leaf_order(&tree);
    let steps = in_order_steps(&order);
    assert!(steps * 3 >= order.len(), "{steps} of {}", order.len());
    tree.validate().unwrap();
}

/// Steps between leaves adjacent in key order that are adjacent in the vector too.
fn in_order_steps(order: &[NodeId]) -> usize {
    order.windows(2).filter(|w| w[1] == w[0] + 1).count()
}

/// `shrink_to_fit` lays the leaves out in key order; the stores' amortised relayout
/// keeps many of a random build's leaves in key order (without it, almost none are).
#[test]
fn leaves_are_laid_out_in_key_order() {
    let scattered = in_order_steps(&leaf_order(&random_build(20_000, false)));
    let mut tree = random_build(20_000, true);
    let order = leaf_order(&tree);
    assert!(order.len() > 4 * RELAYOUT_FLOOR, "the build must pass several relayouts");
    // A split leaves its first part in place and puts the rest in a leaf at the vector's
    // end, so without relayouts no two leaves adjacent in key order are adjacent in the
    // vector; with them, each split since the last relayout (at two thirds of these leaves
    // at most) has broken one adjacency.
    let steps = in_order_steps(&order);
    assert!(scattered * 10 <= order.len(), "{scattered} of {}", order.len());
    assert!(steps * 3 >= order.len(), "{steps} of {}", order.len());
    tree.shrink_to_fit();
    tree.validate().unwrap();
    let order = leaf_order(&tree);
    assert_eq!(order, (0..order.len() as NodeId).collect::<Vec<_>>());
    assert_eq!(tree.arena.leaves.len(), order.len(), "no blank leaf is left");
}

/// The trigger counts live leaves only: blank leaves (a large reservation's, or those
/// erases freed) stay after a relayout, so counting them would make every store after it
/// lay the leaves out again.
#[test]
fn blank_leaves_do_not_trigger_relayouts() {
    let mut tree = random_build(2_000, true);
    tree.arena.laid_out = 1; // make the next store lay the leaves out
    let before = tree.arena.relayouts;
    let live = tree.allocated_nodes().0;
    let mut reserved = tree.reserve(2 * live).unwrap();
    for i in 0..20u64 {
        reserved.store_range(i * 80 + 1, i * 80 + 2, 99).unwrap();
    }
    assert_eq!(reserved.arena.relayouts, before + 1, "one relayout, at the first store");
    drop(reserved);
    tree.validate().unwrap();
}

/// A relayout inside a reservation keeps its blank nodes (R1): the reservation's writes
/// still allocate nothing, and the tree stays valid.
#[test]
fn relayout_keeps_a_reservations_nodes() {
    let mut tree = random_build(2_000, true);
    tree.arena.laid_out = 1; // make the next store lay the leaves out
    let mut reserved = tree.reserve(4).unwrap();
    let blank = reserved.reserved_nodes();
    // Four stores that each split a value (one new range in the middle of another).
    for i in 0..4u64 {
        reserved.store_range(i * 800 + 1, i * 800 + 2, 99).unwrap();
    }
    assert!(reserved.reserved_nodes().0 <= blank.0);
    drop(reserved);
    tree.validate().unwrap();
    assert!(tree.arena.laid_out > 1, "the stores laid the leaves out");
    let order = leaf_order(&tree);
    assert!(in_order_steps(&order) + 8 >= order.len(), "in key order but for the splits since");
    assert_eq!(tree.load(801), Some(&99));
    assert_eq!(tree.load(800), Some(&100));
}
