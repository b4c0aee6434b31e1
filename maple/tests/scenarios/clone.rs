//! Clone (check_mtree_dup, check_forking).

use super::*;

/// A tree churned by the generator, with its oracle.
fn churned(seed: u64, ops: usize, span: u64) -> (MapleTree<u64>, RangeMap<u64>) {
    let mut gen = Generator::new(seed, span);
    let mut tree = MapleTree::new();
    let mut oracle = RangeMap::new();
    for _ in 0..ops {
        let op = gen.op(&oracle, Phase::Grow);
        maple_testkit::ops::apply(&mut tree, &mut oracle, op).unwrap();
        tree.validate().unwrap();
    }
    expect_same(&tree, &oracle, "churned");
    (tree, oracle)
}

/// `check_mtree_dup` / `check_forking`: a clone is a structural copy (same node count),
/// equal, valid, and edits to either copy do not show in the other.
#[test]
fn clone_is_structural_and_independent() {
    for (seed, ops) in [(1, 0), (2, 3), (3, 40), (4, 3_000), (5, 12_000)] {
        let (mut tree, mut oracle) = churned(seed, ops, 50_000);
        for copy in [tree.clone(), tree.try_clone().unwrap()] {
            let mut copy = copy;
            copy.validate().unwrap();
            assert!(copy == tree);
            assert_eq!(copy.height(), tree.height());
            assert_eq!(copy.len(), tree.len());
            assert_eq!(copy.allocated_nodes(), tree.allocated_nodes());
            expect_same(&copy, &oracle, "clone");

            // Diverge: different edits on each side.
            let mut copy_oracle = oracle.clone();
            let mut gen = Generator::new(seed + 100, 50_000);
            for _ in 0..300 {
                let op = gen.op(&copy_oracle, Phase::Span);
                maple_testkit::ops::apply(&mut copy, &mut copy_oracle, op).unwrap();
                copy.validate().unwrap();
            }
            expect_same(&copy, &copy_oracle, "clone after its edits");
            expect_same(&tree, &oracle, "original after the clone's edits");
        }
        let mut gen = Generator::new(seed + 200, 50_000);
        let snapshot = tree.clone();
        let snapshot_oracle = oracle.clone();
        for _ in 0..300 {
            let op = gen.op(&oracle, Phase::EraseRandom);
            maple_testkit::ops::apply(&mut tree, &mut oracle, op).unwrap();
            tree.validate().unwrap();
        }
        expect_same(&tree, &oracle, "original after its edits");
        expect_same(&snapshot, &snapshot_oracle, "snapshot after the original's edits");
    }
}

/// Cloning an empty tree allocates nothing; a clone of a tree with values that count their
/// clones shares them (copy-on-write) until it is written, and then holds one clone per
/// entry of the nodes it copied (here all of them: they share one chunk).
#[test]
fn clone_of_empty_and_value_clones() {
    let empty: MapleTree<u64> = MapleTree::new();
    let copy = empty.try_clone().unwrap();
    copy.validate().unwrap();
    assert_eq!(copy.allocated_nodes(), (0, 0));
    assert!(copy.is_empty());

    let v = Rc::new(0u8);
    let mut tree = MapleTree::new();
    for i in 0..100u64 {
        tree.store_range(i * 3, i * 3 + 1, Rc::clone(&v)).unwrap();
    }
    tree.validate().unwrap();
    assert_eq!(Rc::strong_count(&v), 101);
    let mut copy = tree.clone();
    copy.validate().unwrap();
    assert_eq!(Rc::strong_count(&v), 101);
    copy.store_range(1_000, 1_000, Rc::new(1)).unwrap();
    assert_eq!(Rc::strong_count(&v), 201);
    drop(tree);
    assert_eq!(Rc::strong_count(&v), 101);
    assert_eq!(copy.len(), 101);
}
