//! Scenario tests written from the documented semantics of the kernel maple tree, its bug
//! history and its test suites (`lib/test_maple_tree.c`, `tools/testing/radix-tree/maple.c`).
//! Each test names the kernel test it follows and the bug class (A–J, `docs/bug-classes.md`)
//! it guards against.
//!
//! Every mutation is followed by `validate()`, and the tree is compared with an obvious
//! expected result or with the `RangeMap` oracle (`maple_testkit::ops::check`, which validates
//! and compares length, forward and reverse iteration).
//!
//! Most trees here hold the ranges `[10 i, 10 i + 4]` (value `i`), so that every entry has a
//! NULL gap on both sides:
//!
//! ```text
//!   0    4 5   9 10  14 15  19 20  24
//!   |-v0-| NULL |-v1--| NULL |-v2--| ...
//! ```

use maple_testkit::ops::{check, Generator, Phase};
use maple_testkit::oracle::RangeMap;
use maple_tree::{Error, MapleTree, Status, StoreType};
use std::rc::Rc;

const MAX: u64 = u64::MAX;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// Validates the tree and compares it with the oracle, panicking with `what` on a mismatch.
fn expect_same(tree: &MapleTree<u64>, oracle: &RangeMap<u64>, what: &str) {
    if let Err(e) = check(tree, oracle) {
        panic!("{what}: {e}");
    }
    assert_height_fits(tree, what);
}

/// The height is one the content can fill (class D: a tree that failed to collapse). A root
/// above the leaves has two children or more (one child hands the root over), and every node
/// off the right spine holds at least 7 slots, so a tree of height `h >= 2` has a subtree of
/// height `h - 1` with at least `7^(h-1)` leaf slots. `n` entries fill at most `2n + 1` leaf
/// slots (each entry, a NULL between neighbours, and one at each end).
fn assert_height_fits<T>(tree: &MapleTree<T>, what: &str) {
    let slots = 2 * tree.len() as u64 + 1;
    let h = tree.height() as u32;
    assert!(h <= 1 || 7u64.pow(h - 1) <= slots, "{what}: height {h} for {} entries", tree.len());
    assert_eq!(tree.height() == 0, tree.is_empty(), "{what}: empty iff no node");
}

/// Duplicate detection (class C): ranges come out strictly increasing and disjoint, forward
/// and backward.
fn assert_no_duplicates<T>(tree: &MapleTree<T>, what: &str) {
    let forward: Vec<_> = tree.iter().map(|(r, _)| r).collect();
    for pair in forward.windows(2) {
        assert!(pair[0].end() < pair[1].start(), "{what}: {:?} then {:?}", pair[0], pair[1]);
    }
    let mut backward: Vec<_> = tree.iter().rev().map(|(r, _)| r).collect();
    backward.reverse();
    assert_eq!(forward, backward, "{what}: reverse iteration differs");
    assert_eq!(forward.len(), tree.len(), "{what}: len() differs from iteration");
}

/// The ranges `[10 i, 10 i + 4]` for `i` in `0..n`, value `i`.
fn spaced_ranges(n: u64) -> Vec<(u64, u64)> {
    (0..n).map(|i| (i * 10, i * 10 + 4)).collect()
}

/// A packed tree (`from_sorted`) and its oracle; value of range `i` is `i`.
fn packed(ranges: &[(u64, u64)]) -> (MapleTree<u64>, RangeMap<u64>) {
    let tree = MapleTree::from_sorted(ranges.iter().zip(0..).map(|(&(a, b), v)| (a..=b, v))).expect("from_sorted");
    let mut oracle = RangeMap::new();
    for (&(a, b), v) in ranges.iter().zip(0..) {
        oracle.store(a, b, v);
    }
    expect_same(&tree, &oracle, "packed build");
    (tree, oracle)
}

/// The same content stored one range at a time, in ascending order (nodes as the write path
/// leaves them, not packed).
fn sequential(ranges: &[(u64, u64)]) -> (MapleTree<u64>, RangeMap<u64>) {
    let mut tree = MapleTree::new();
    let mut oracle = RangeMap::new();
    for (&(a, b), v) in ranges.iter().zip(0..) {
        tree.store_range(a, b, v).unwrap();
        tree.validate().unwrap();
        oracle.store(a, b, v);
    }
    expect_same(&tree, &oracle, "sequential build");
    (tree, oracle)
}

/// The store kind of writing `[first, last]`, asked of the tree's own classifier through a
/// reservation that is dropped unused (the tree's entries do not change).
fn store_kind(tree: &mut MapleTree<u64>, first: u64, last: u64, null: bool) -> StoreType {
    let mut cursor = tree.cursor_mut(first);
    cursor.set_range(first, last);
    let entry = if null { None } else { Some(0) };
    let prealloc = cursor.preallocate(entry).expect("preallocate");
    prealloc.store_type()
}

/// Finds the leaf boundaries by probing: range `k` ends its leaf exactly when a store over
/// `[end_k, end_k + 1]` crosses leaves (the tree classifies it as a spanning store). Every
/// internal node's maximum pivot is some leaf's end, so these are also all the parent and
/// grandparent boundaries. Returns the indices `k` in ascending order.
fn leaf_ends(tree: &MapleTree<u64>, ranges: &[(u64, u64)]) -> Vec<usize> {
    let mut scratch = tree.clone();
    (0..ranges.len() - 1)
        .filter(|&k| {
            let end = ranges[k].1;
            store_kind(&mut scratch, end, end + 1, false) == StoreType::SpanningStore
        })
        .collect()
}

/// Applies `store_range` (or `remove_range` when `value` is `None`) to both.
fn write(tree: &mut MapleTree<u64>, oracle: &mut RangeMap<u64>, first: u64, last: u64, value: Option<u64>) {
    match value {
        Some(v) => {
            tree.store_range(first, last, v).unwrap();
            oracle.store(first, last, v);
        }
        None => {
            tree.remove_range(first, last).unwrap();
            oracle.remove(first, last);
        }
    }
    tree.validate().unwrap_or_else(|e| panic!("write {first}..={last} {value:?}: {e}"));
}

mod clone;
mod collapse;
mod edges;
mod merging;
mod node_overwrite;
mod null_expand;
mod sequences;
mod spanning_store;
