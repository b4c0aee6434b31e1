//! The checked insert (`insert_range`/`insert`) walks the tree once: the walk that checks the
//! range is vacant is also the store's path. These tests try every vacant and occupied range
//! around the boundaries of full (bulk-built) leaves, sparse leaves and allocation trees, so
//! that each place in a leaf (first slot, last slot, a leaf's edge, a split) meets the
//! single-walk path; each insert is checked against the oracle and the validator, and a
//! failed one (occupied, or out of memory at any allocation) must leave the tree unchanged.

use maple_testkit::ops::{check, packed};
use maple_testkit::oracle::RangeMap;
use maple_tree::{Error, MapleTree};

/// Tries `insert_range(first, last)` on a copy of `tree` and compares with the oracle.
fn try_insert(tree: &MapleTree<u64>, oracle: &RangeMap<u64>, first: u64, last: u64) {
    let mut trial = tree.clone();
    let result = trial.insert_range(first, last, first.wrapping_add(7_000_000));
    let mut expected = oracle.clone();
    if first > last {
        assert_eq!(result, Err(Error::Invalid), "[{first}, {last}]");
    } else if oracle.occupied(first, last) {
        assert_eq!(result, Err(Error::Exists), "[{first}, {last}] is occupied");
    } else {
        assert_eq!(result, Ok(()), "[{first}, {last}] is vacant");
        expected.store(first, last, first.wrapping_add(7_000_000));
    }
    trial.validate().unwrap_or_else(|v| panic!("after inserting [{first}, {last}]: {v}"));
    check(&trial, &expected).unwrap_or_else(|e| panic!("after inserting [{first}, {last}]: {e}"));
}

/// Every range whose ends lie within one key of the oracle's boundaries in `lo..=hi`.
fn ranges_near_boundaries(oracle: &RangeMap<u64>, lo: u64, hi: u64) -> Vec<(u64, u64)> {
    let mut keys: Vec<u64> = oracle
        .boundaries()
        .filter(|&b| (lo..=hi).contains(&b))
        .flat_map(|b| [b.saturating_sub(1), b, b.saturating_add(1)])
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let mut ranges = Vec::new();
    for (i, &first) in keys.iter().enumerate() {
        for &last in &keys[i..(i + 6).min(keys.len())] {
            ranges.push((first, last));
        }
    }
    ranges
}

#[test]
fn inserts_around_full_leaves() {
    // Full leaves of 16 slots (8 values, 8 holes): every insert into a hole splits or
    // rebalances; at the leaves' edges the vacant range is a leaf's first or last slot.
    let (tree, oracle) = packed(300);
    for (first, last) in ranges_near_boundaries(&oracle, 0, 1_000) {
        try_insert(&tree, &oracle, first, last);
    }
    // The last hole runs to u64::MAX.
    try_insert(&tree, &oracle, 2_995, u64::MAX);
    try_insert(&tree, &oracle, 3_000, u64::MAX);
    try_insert(&tree, &oracle, u64::MAX, u64::MAX);
}

#[test]
fn inserts_into_sparse_and_allocation_trees() {
    // Entries inserted one by one (leaves left part-full by splits), in both tree kinds;
    // the validator checks the allocation tree's gaps (G1) after every insert.
    for alloc in [false, true] {
        let mut tree = if alloc { MapleTree::new_alloc() } else { MapleTree::new() };
        let mut oracle = RangeMap::new();
        for i in 0..200u64 {
            let first = (i * 37) % 200 * 100;
            tree.insert_range(first, first + 49, i).unwrap();
            oracle.store(first, first + 49, i);
        }
        tree.validate().unwrap();
        for (first, last) in ranges_near_boundaries(&oracle, 5_000, 7_000) {
            try_insert(&tree, &oracle, first, last);
        }
    }
}

#[test]
fn a_failed_insert_changes_nothing() {
    // Out of memory at every allocation point of inserts that split: the tree is unchanged.
    let (tree, oracle) = packed(500);
    for first in [5, 1_005, 2_505, 4_995] {
        let mut points = 0;
        loop {
            let mut trial = tree.clone();
            trial.fail_nth_alloc(Some(points));
            let result = trial.insert_range(first, first + 2, 1);
            trial.fail_nth_alloc(None);
            trial.validate().unwrap();
            match result {
                Err(Error::NoMemory) => {
                    check(&trial, &oracle).unwrap();
                    points += 1;
                }
                Ok(()) => {
                    let mut expected = oracle.clone();
                    expected.store(first, first + 2, 1);
                    check(&trial, &expected).unwrap();
                    break;
                }
                Err(e) => panic!("inserting at {first}: {e:?}"),
            }
        }
    }
}
