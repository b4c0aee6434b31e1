//! check_node_overwrite (classes C, D, E).

use super::*;

/// `check_node_overwrite`: 4,000 ranges, then one NULL store over 48,000 keys that drops
/// whole subtrees and rebalances the edges of the hole.
#[test]
fn node_overwrite_wide_null_store() {
    let mut tree = MapleTree::new();
    let mut oracle = RangeMap::new();
    for i in 0..4_000u64 {
        let (first, last) = (i * 16, i * 16 + 9);
        tree.store_range(first, last, i).unwrap();
        tree.validate().unwrap();
        oracle.store(first, last, i);
    }
    expect_same(&tree, &oracle, "after 4,000 stores");
    let height = tree.height();
    assert!(height >= 3, "height {height}");

    // 0            10,005                 58,004              64,000
    // |--ranges--|<------- 48,000 NULL ------->|--ranges--|
    tree.remove_range(10_005, 58_004).unwrap();
    oracle.remove(10_005, 58_004);
    expect_same(&tree, &oracle, "after the wide NULL store");
    assert_no_duplicates(&tree, "node overwrite");
    assert!(tree.height() <= height);
    // The cut ranges keep their outer parts.
    assert_eq!(tree.load_range(10_000), Some((10_000..=10_004, &625)));
    assert_eq!(tree.load_range(58_005), Some((58_005..=58_009, &3625)));
    assert_eq!(tree.find(10_005, 58_004), None);

    // Then a value over the same span, and NULL over everything but the edges.
    tree.store_range(10_005, 58_004, 9_999).unwrap();
    oracle.store(10_005, 58_004, 9_999);
    expect_same(&tree, &oracle, "value over the hole");
    tree.remove_range(1, MAX - 1).unwrap();
    oracle.remove(1, MAX - 1);
    expect_same(&tree, &oracle, "NULL over all but the edges");
    assert_eq!(tree.iter().count(), 1); // [0, 9] lost its tail; only [0, 0] remains
    assert_eq!(tree.load_range(0), Some((0..=0, &0)));
}
