//! check_seq / check_rev_seq and bulk build (classes B, D).

use super::*;

/// Inserts `order` one index at a time (value = index), validating after each insert and
/// reloading every index inserted so far at intervals.
fn insert_sequence(order: impl Iterator<Item = u64>, what: &str) -> MapleTree<u64> {
    let mut tree = MapleTree::new();
    let mut inserted = Vec::new();
    let mut height = 0;
    for (n, i) in order.enumerate() {
        tree.insert(i, i).unwrap();
        tree.validate().unwrap_or_else(|e| panic!("{what}: insert #{n} ({i}): {e}"));
        assert!(tree.height() >= height, "{what}: height shrank on insert");
        height = tree.height();
        inserted.push(i);
        assert_eq!(tree.insert(i, 0), Err(Error::Exists));
        if n % 500 == 499 {
            for &k in &inserted {
                assert_eq!(tree.load_range(k), Some((k..=k, &k)), "{what}: after {n}");
            }
        }
    }
    tree
}

/// The height bounds of a tree with `slots` leaf slots: at least the height of packed
/// 16-slot nodes, at most the height allowed by the 7-slot minimum.
fn height_bounds(slots: u64) -> (usize, usize) {
    let (mut lo, mut cap) = (1, 16u64);
    while cap < slots {
        cap *= 16;
        lo += 1;
    }
    let (mut hi, mut need) = (1, 7u64);
    while need * 7 <= slots {
        need *= 7;
        hi += 1;
    }
    (lo, hi + 1)
}

/// `check_seq`: 10,000 single indices inserted in ascending order.
#[test]
fn sequential_ascending_inserts() {
    let n = 10_000u64;
    let tree = insert_sequence(0..n, "ascending");
    assert_eq!(tree.len(), n as usize);
    let (lo, hi) = height_bounds(n + 1);
    println!("ascending: height {} (bounds {lo}..={hi}), nodes {:?}", tree.height(), tree.allocated_nodes());
    assert!((lo..=hi).contains(&tree.height()));
    assert_eq!(lo, 4);
    assert!(tree.iter().map(|(r, v)| (*r.start(), *r.end(), *v)).eq((0..n).map(|i| (i, i, i))));
    assert_eq!(tree.find(n, MAX), None);
    assert_eq!(tree.find_rev(MAX, 0), Some((n - 1..=n - 1, &(n - 1))));
}

/// `check_rev_seq`: 10,000 single indices inserted in descending order.
#[test]
fn sequential_descending_inserts() {
    let n = 10_000u64;
    let tree = insert_sequence((0..n).rev(), "descending");
    assert_eq!(tree.len(), n as usize);
    let (lo, hi) = height_bounds(n + 1);
    println!("descending: height {} (bounds {lo}..={hi}), nodes {:?}", tree.height(), tree.allocated_nodes());
    assert!((lo..=hi).contains(&tree.height()));
    assert!(tree.iter().rev().map(|(r, v)| (*r.start(), *v)).eq((0..n).rev().map(|i| (i, i))));
}

/// Bulk build: `from_sorted` gives the same content as storing one by one, at the minimum
/// height, for sizes around the node capacities; bad input is `Invalid`.
#[test]
fn bulk_build_from_sorted() {
    for n in [0u64, 1, 2, 7, 8, 9, 15, 16, 17, 120, 128, 129, 1_000, 10_000] {
        let ranges = spaced_ranges(n);
        let (tree, oracle) = packed(&ranges);
        let (one_by_one, _) = sequential(&ranges);
        assert!(tree == one_by_one, "{n} ranges");
        let slots = 2 * n + u64::from(n > 0);
        let (lo, _) = height_bounds(slots);
        if n > 0 {
            assert!(tree.height() <= lo + 1, "{n} ranges: height {}", tree.height());
        } else {
            assert_eq!(tree.height(), 0);
        }
        expect_same(&tree, &oracle, "bulk");
    }
    // Adjacent ranges (no gaps), and ranges touching both edges.
    let tree = MapleTree::from_sorted([(0..=0, 1), (1..=9, 2), (10..=MAX, 3)]).unwrap();
    tree.validate().unwrap();
    assert_eq!(tree.load_range(11), Some((10..=MAX, &3)));
    let tree = MapleTree::from_sorted([(0..=MAX, 1)]).unwrap();
    tree.validate().unwrap();
    assert_eq!(tree.len(), 1);
    // Invalid input.
    #[allow(clippy::reversed_empty_ranges)] // an empty range on purpose
    let empty = 5..=4;
    assert_eq!(MapleTree::from_sorted([(empty, 1)]).err(), Some(Error::Invalid));
    assert_eq!(MapleTree::from_sorted([(0..=5, 1), (5..=9, 2)]).err(), Some(Error::Invalid));
    assert_eq!(MapleTree::from_sorted([(10..=15, 1), (0..=5, 2)]).err(), Some(Error::Invalid));
    assert_eq!(MapleTree::from_sorted([(0..=MAX, 1), (0..=0, 2)]).err(), Some(Error::Invalid));
}
