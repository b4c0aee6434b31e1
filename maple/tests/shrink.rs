//! `shrink_to_fit`: after random stores, erases and removals (plain and allocation trees),
//! the compacted tree validates, holds exactly what the oracle holds, keeps working, and
//! holds no free node.

use maple_testkit::oracle::RangeMap;
use maple_tree::MapleTree;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

fn same(tree: &MapleTree<u64>, oracle: &RangeMap<u64>) {
    tree.validate().unwrap();
    assert!(tree.iter().map(|(r, v)| (r, *v)).eq(oracle.iter().map(|(r, v)| (r, *v))));
}

#[test]
fn shrink_keeps_the_content_and_frees_every_free_node() {
    for seed in 0..24 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut tree = if seed % 2 == 0 { MapleTree::new() } else { MapleTree::new_alloc() };
        let mut oracle = RangeMap::new();
        let span = if seed % 3 == 0 { 500 } else { 1 << 30 };
        for step in 0..3_000u64 {
            let first = rng.gen_range(0..span);
            let last = first + rng.gen_range(0..span / 50 + 1);
            match rng.gen_range(0..10) {
                0..=4 => {
                    tree.store_range(first, last, step).unwrap();
                    oracle.store(first, last, step);
                }
                5 | 6 => {
                    tree.remove_range(first, last).unwrap();
                    oracle.remove(first, last);
                }
                7 | 8 => assert_eq!(tree.erase(first).unwrap(), oracle.erase(first)),
                _ => {
                    let before = tree.allocated_nodes();
                    tree.shrink_to_fit();
                    same(&tree, &oracle);
                    let after = tree.allocated_nodes();
                    assert!(after.0 <= before.0 && after.1 <= before.1);
                    // Nothing free is left: the next store that needs a node must allocate.
                    let mut probe = tree.clone();
                    probe.shrink_to_fit();
                    assert_eq!(probe.allocated_nodes(), after);
                }
            }
            if step % 97 == 0 {
                same(&tree, &oracle);
            }
        }
        same(&tree, &oracle);
    }
}

/// The case: 100k ranges erased leave a tree with `len() == 0` holding megabytes,
/// until `shrink_to_fit`.
#[test]
fn erasing_everything_then_shrinking_holds_nothing() {
    let mut tree = MapleTree::new();
    for i in 0..100_000u64 {
        tree.store_range(i * 4, i * 4 + 1, i).unwrap();
    }
    let full = tree.memory_bytes();
    for i in (0..100_000u64).step_by(2) {
        tree.erase(i * 4).unwrap();
    }
    tree.shrink_to_fit();
    tree.validate().unwrap();
    assert_eq!(tree.len(), 50_000);
    assert!(tree.memory_bytes() < full * 3 / 4, "{} of {full}", tree.memory_bytes());
    for i in (1..100_000u64).step_by(2) {
        assert_eq!(tree.erase(i * 4).unwrap(), Some(i));
    }
    assert_eq!(tree.len(), 0);
    tree.shrink_to_fit();
    assert_eq!(tree.memory_bytes(), 0);
    tree.store_range(5, 6, 7).unwrap();
    tree.validate().unwrap();
}
