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

/// The arena gives memory back by itself as the tree shrinks: erasing every one of 100k
/// ranges, with no `shrink_to_fit`, leaves a small fraction of the peak.
#[test]
fn erasing_releases_memory_without_shrink_to_fit() {
    for alloc in [false, true] {
        let mut tree = if alloc { MapleTree::new_alloc() } else { MapleTree::new() };
        for i in 0..100_000u64 {
            tree.store_range(i * 4, i * 4 + 1, i).unwrap();
        }
        let full = tree.memory_bytes();
        for i in 0..100_000u64 {
            assert_eq!(tree.erase(i * 4).unwrap(), Some(i));
            // The release is amortised: the arena never holds more than about four times
            // what the live ranges need (plus a small floor).
            if i % 1000 == 999 {
                let live = 100_000 - i as usize - 1;
                assert!(tree.memory_bytes() <= full * live / 100_000 * 5 + 64 * 1024, "{i}: {}", tree.memory_bytes());
            }
        }
        assert!(tree.is_empty());
        assert!(tree.memory_bytes() * 50 < full, "{} of {full}", tree.memory_bytes());
        tree.validate().unwrap();
        tree.store_range(5, 6, 7).unwrap();
        tree.validate().unwrap();
    }
}

/// Every tree-level removal releases: `remove`, `remove_range`, `remove_no_split`,
/// `pop_first`/`pop_last` and `retain`; the content stays what the oracle holds.
#[test]
fn every_removal_releases_memory() {
    type Removal = fn(&mut MapleTree<u64>, &mut RangeMap<u64>);
    let removals: [(&str, Removal); 6] = [
        ("remove", |t, o| {
            for i in 0..20_000u64 {
                assert_eq!(t.remove(i * 8), o.erase(i * 8));
            }
        }),
        ("remove_range", |t, o| {
            for i in 0..200u64 {
                t.remove_range(i * 800, i * 800 + 799).unwrap();
                o.remove(i * 800, i * 800 + 799);
            }
        }),
        ("remove_no_split", |t, o| {
            for i in 0..2_000u64 {
                t.remove_no_split(i * 80..i * 80 + 80).unwrap();
                o.remove(i * 80, i * 80 + 79);
            }
        }),
        ("pop_first", |t, o| {
            while let Some((range, _)) = t.pop_first() {
                o.remove(*range.start(), *range.end());
            }
        }),
        ("pop_last", |t, o| {
            while let Some((range, _)) = t.pop_last() {
                o.remove(*range.start(), *range.end());
            }
        }),
        ("retain", |t, o| {
            t.retain(|range, _| *range.start() % 800 == 0);
            for i in 0..20_000u64 {
                if i % 100 != 0 {
                    o.remove(i * 8, i * 8 + 3);
                }
            }
        }),
    ];
    for (name, remove) in removals {
        let mut tree = MapleTree::new();
        let mut oracle = RangeMap::new();
        for i in 0..20_000u64 {
            tree.store_range(i * 8, i * 8 + 3, i).unwrap();
            oracle.store(i * 8, i * 8 + 3, i);
        }
        let full = tree.memory_bytes();
        remove(&mut tree, &mut oracle);
        same(&tree, &oracle);
        assert!(tree.memory_bytes() * 10 < full, "{name}: {} of {full}", tree.memory_bytes());
    }
}

/// Removals made through a reservation or a cursor keep the freed nodes (a reservation's
/// reserved nodes and a cursor's path must stay valid); the next tree-level removal releases.
#[test]
fn reserved_and_cursor_removals_keep_their_nodes() {
    let mut tree = MapleTree::new();
    for i in 0..20_000u64 {
        tree.store_range(i * 8, i * 8 + 3, i).unwrap();
    }
    let allocated = tree.allocated_nodes();
    {
        let mut reserved = tree.reserve(3).unwrap();
        reserved.remove_range(0, 8 * 19_000).unwrap();
        assert_eq!(reserved.erase(8 * 19_500).unwrap(), Some(19_500));
        assert!(reserved.allocated_nodes().0 >= allocated.0);
    }
    {
        let mut cursor = tree.cursor_mut(8 * 19_600);
        cursor.walk();
        assert_eq!(cursor.erase().unwrap(), Some(19_600));
    }
    assert!(tree.allocated_nodes().0 >= allocated.0 / 2);
    tree.validate().unwrap();
    assert_eq!(tree.erase(8 * 19_700).unwrap(), Some(19_700));
    assert!(tree.allocated_nodes().0 * 10 < allocated.0);
    tree.validate().unwrap();
    assert_eq!(tree.len(), 1_000 - 3);
}
