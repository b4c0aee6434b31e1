//! Scenario tests written from the documented semantics of the kernel maple tree
//! (`shared/reference/maple-kernel.md`, sections 4 and 5). Each test names the kernel test it
//! follows and the bug class (A–J of the reference's taxonomy) it guards against.
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

// ---------------------------------------------------------------------------------------------
// check_node_overwrite (classes C, D, E)
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// test_spanning_store_regression (class C: duplicate at a shared maximum)
// ---------------------------------------------------------------------------------------------

/// The expected content after writing `value` over `[first, last]`, from a sorted list of
/// `(first, last, value)` entries: entries wholly outside are kept, entries cut by the write
/// keep their outer parts, and the new entry goes in between. (A cheaper oracle than cloning
/// a `RangeMap` for each of the tens of thousands of stores below.)
fn carve(base: &[(u64, u64, u64)], first: u64, last: u64, value: Option<u64>) -> Vec<(u64, u64, u64)> {
    let before = base.partition_point(|&(_, e, _)| e < first);
    let after = base.partition_point(|&(s, _, _)| s <= last);
    let mut out = Vec::with_capacity(base.len() + 2);
    out.extend_from_slice(&base[..before]);
    if let Some(&(s, _, v)) = base.get(before).filter(|&&(s, _, _)| s < first) {
        out.push((s, first - 1, v));
    }
    if let Some(v) = value {
        out.push((first, last, v));
    }
    if after > 0 {
        if let Some(&(_, e, v)) = base.get(after - 1).filter(|&&(_, e, _)| e > last) {
            out.push((last + 1, e, v));
        }
    }
    out.extend_from_slice(&base[after..]);
    out
}

/// Validates `tree` and compares its forward (and if asked reverse) iteration and its length
/// with `expected`; a range stored twice (the duplicate-entry bug) shows up as a mismatch.
fn expect_entries(tree: &MapleTree<u64>, expected: &[(u64, u64, u64)], reverse: bool, what: &str) {
    tree.validate().unwrap_or_else(|e| panic!("{what}: {e}"));
    let flat = |(r, v): (std::ops::RangeInclusive<u64>, &u64)| (*r.start(), *r.end(), *v);
    if !tree.iter().map(flat).eq(expected.iter().copied()) {
        let got: Vec<_> = tree.iter().map(flat).collect();
        let at = got.iter().zip(expected).position(|(a, b)| a != b).unwrap_or(0);
        panic!(
            "{what}: entry {at}: tree {:?}, expected {:?}",
            &got[at..(at + 3).min(got.len())],
            &expected[at..(at + 3).min(expected.len())]
        );
    }
    assert!(
        !reverse || tree.iter().rev().map(flat).eq(expected.iter().rev().copied()),
        "{what}: reverse iteration differs"
    );
    assert_eq!(tree.len(), expected.len(), "{what}: len");
}

/// The Oct-2024 bug: a store that starts inside one leaf and ends exactly at the maximum of
/// the right leaf (the parent's maximum pivot when that leaf is the parent's last child)
/// copied the entry at that maximum a second time. For every leaf end `e_j` (found by
/// probing) and several starts inside earlier ranges, store a value and a NULL over
/// `[start_i + 1, last]` with `last` at `e_j - 1`, `e_j`, `e_j + 1` and the end of the gap
/// after `e_j`, each on a fresh clone:
///
/// ```text
///        leaf A                      leaf B (last child)   | next parent
///   ... |s_i+1 .........................................e_j| ...
///         ^ store starts inside range i    store ends here ^
/// ```
fn spanning_to_every_leaf_end(tree: &MapleTree<u64>, oracle: &RangeMap<u64>, ranges: &[(u64, u64)]) {
    let ends = leaf_ends(tree, ranges);
    assert!(ends.len() > 16, "expected many leaves, found {}", ends.len() + 1);
    let base: Vec<(u64, u64, u64)> = oracle.iter().map(|(r, v)| (*r.start(), *r.end(), *v)).collect();
    let mut stores = 0;
    for &j in &ends {
        let (_, e_j) = ranges[j];
        let next_start = ranges[j + 1].0;
        for back in [0usize, 1, 9, 17, 40, 130] {
            let Some(i) = j.checked_sub(back) else { continue };
            let first = ranges[i].0 + 1;
            for last in [e_j - 1, e_j, e_j + 1, next_start - 1] {
                if first > last {
                    continue;
                }
                for value in [Some(1_000_000), None] {
                    let mut t = tree.clone();
                    match value {
                        Some(v) => t.store_range(first, last, v).unwrap(),
                        None => t.remove_range(first, last).unwrap(),
                    }
                    let what = format!("store {first}..={last} {value:?} (leaf end {j})");
                    let reverse = stores % 4 == 0;
                    expect_entries(&t, &carve(&base, first, last, value), reverse, &what);
                    if stores % 500 == 0 {
                        // Now and then, the full oracle as well (which also checks `carve`).
                        let mut o = oracle.clone();
                        match value {
                            Some(v) => o.store(first, last, v),
                            None => o.remove(first, last),
                        }
                        expect_same(&t, &o, &what);
                    }
                    stores += 1;
                }
            }
        }
    }
    println!("{stores} spanning stores ending at {} leaf ends", ends.len());
}

/// `test_spanning_store_regression` on packed trees of height 3 and 4 (`from_sorted` packs
/// 16 leaves under each parent, so every 16th leaf end is a parent's maximum).
#[test]
fn spanning_store_ends_on_parent_max_packed() {
    for (n, height) in [(500, 3), (3_000, 4)] {
        let ranges = spaced_ranges(n);
        let (tree, oracle) = packed(&ranges);
        assert_eq!(tree.height(), height);
        let leaves = leaf_ends(&tree, &ranges).len() + 1;
        assert_eq!(leaves, tree.allocated_nodes().0, "every allocated leaf is live");
        spanning_to_every_leaf_end(&tree, &oracle, &ranges);
    }
}

/// The same on trees grown by ascending stores (leaves and parents partly full).
#[test]
fn spanning_store_ends_on_parent_max_sequential() {
    for (n, height) in [(400, 3), (3_000, 4)] {
        let ranges = spaced_ranges(n);
        let (tree, oracle) = sequential(&ranges);
        assert_eq!(tree.height(), height, "{n} ranges");
        spanning_to_every_leaf_end(&tree, &oracle, &ranges);
    }
}

/// The brief's brute-force variant: from sampled ranges `i`, store over
/// `[start_i + 1, end_j]` for each of the next 40 ranges `j`, on fresh clones. This reaches
/// every boundary without knowing where the boundaries are.
#[test]
fn spanning_store_window_sweep() {
    let ranges = spaced_ranges(3_000);
    let (tree, oracle) = sequential(&ranges);
    assert!(tree.height() >= 4);
    let base: Vec<(u64, u64, u64)> = oracle.iter().map(|(r, v)| (*r.start(), *r.end(), *v)).collect();
    for i in (0..ranges.len() - 41).step_by(7) {
        for j in i + 1..=i + 40 {
            let (first, last) = (ranges[i].0 + 1, ranges[j].1);
            let value = if j % 3 == 0 { None } else { Some(7_000_000 + j as u64) };
            let mut t = tree.clone();
            match value {
                Some(v) => t.store_range(first, last, v).unwrap(),
                None => t.remove_range(first, last).unwrap(),
            }
            let what = format!("sweep {first}..={last} {value:?}");
            expect_entries(&t, &carve(&base, first, last, value), j % 2 == 0, &what);
            assert_height_fits(&t, &what);
        }
    }
}

/// `check_spanning_store_height` / `check_spanning_relatives`: wide NULL and value stores
/// over most of a tall tree must lower its height, pulling in siblings or cousins at every
/// level; windows anchored at the start, at the end, and leaving both sides.
#[test]
fn spanning_store_lowers_height() {
    for n in [500u64, 3_000] {
        let ranges = spaced_ranges(n);
        let (tree, oracle) = packed(&ranges);
        let keys = n * 10;
        for keep in [0u64, 1, 3, 7, 15, 40, 130] {
            // Keep `keep` ranges at the start, at the end, or on both sides.
            let cut = keep * 10 + 2;
            for (first, last) in [(cut, keys), (0, keys - cut), (cut, keys - cut), (cut, MAX)] {
                for value in [None, Some(1_000_000)] {
                    let mut t = tree.clone();
                    let mut o = oracle.clone();
                    write(&mut t, &mut o, first, last, value);
                    expect_same(&t, &o, &format!("{n} ranges, {first}..={last} {value:?}"));
                    assert!(t.height() < tree.height() || keep >= 40, "height stayed {}", t.height());
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// check_collapsing_rebalance (class D)
// ---------------------------------------------------------------------------------------------

/// Erases every range in `order`, one at a time, checking after each: the validator, the
/// oracle, the height never grows, and the height is one the remaining entries can fill
/// (`assert_height_fits`).
fn erase_in_order(ranges: &[(u64, u64)], order: &[usize], what: &str) {
    let (mut tree, mut oracle) = sequential(ranges);
    assert!(tree.height() >= 4, "{what}: height {}", tree.height());
    let mut height = tree.height();
    for (step, &k) in order.iter().enumerate() {
        let (first, last) = ranges[k];
        let probe = first + (last - first) / 2;
        assert_eq!(tree.erase(probe), Ok(Some(k as u64)), "{what}: step {step}");
        tree.validate().unwrap_or_else(|e| panic!("{what}: erase #{step} (range {k}): {e}"));
        oracle.erase(probe);
        expect_same(&tree, &oracle, &format!("{what}: erase #{step} (range {k})"));
        assert!(tree.height() <= height, "{what}: height grew at step {step}");
        height = tree.height();
    }
    assert!(tree.is_empty());
    assert_eq!(tree.height(), 0, "{what}: an empty tree has no node");
}

/// `check_collapsing_rebalance`: a tree of height 4 erased right to left.
#[test]
fn collapse_right_to_left() {
    let ranges = spaced_ranges(3_000);
    let order: Vec<usize> = (0..ranges.len()).rev().collect();
    erase_in_order(&ranges, &order, "right to left");
}

/// The mirror image: erased left to right.
#[test]
fn collapse_left_to_right() {
    let ranges = spaced_ranges(3_000);
    let order: Vec<usize> = (0..ranges.len()).collect();
    erase_in_order(&ranges, &order, "left to right");
}

/// Middle-out: erase the middle range, then alternately its left and right neighbours, so
/// the hole grows in both directions across leaves and parents.
#[test]
fn collapse_middle_out() {
    let ranges = spaced_ranges(3_000);
    let mid = ranges.len() / 2;
    let mut order = vec![mid];
    for d in 1..=mid {
        if mid + d < ranges.len() {
            order.push(mid + d);
        }
        order.push(mid - d);
    }
    assert_eq!(order.len(), ranges.len());
    erase_in_order(&ranges, &order, "middle out");
}

// ---------------------------------------------------------------------------------------------
// Index 0 and u64::MAX (class J)
// ---------------------------------------------------------------------------------------------

/// `check_root_expand`-style edges: stores, inserts, erases, loads, finds and iteration at
/// keys 0 and `u64::MAX`.
#[test]
fn edges_zero_and_max() {
    let mut tree = MapleTree::new();
    let mut oracle = RangeMap::new();

    // [0, 0] alone, then [MAX, MAX] alone beside it.
    write(&mut tree, &mut oracle, 0, 0, Some(1));
    assert_eq!(tree.load_range(0), Some((0..=0, &1)));
    assert_eq!(tree.load(1), None);
    write(&mut tree, &mut oracle, MAX, MAX, Some(2));
    expect_same(&tree, &oracle, "[0,0] and [MAX,MAX]");
    assert_eq!(tree.load_range(MAX), Some((MAX..=MAX, &2)));
    assert_eq!(tree.load(MAX - 1), None);
    assert_eq!(tree.find(1, MAX), Some((MAX..=MAX, &2)));
    assert_eq!(tree.find(1, MAX - 1), None);
    assert_eq!(tree.find_rev(MAX - 1, 0), Some((0..=0, &1)));
    assert_eq!(tree.find_rev(MAX, 1), Some((MAX..=MAX, &2)));
    let all: Vec<_> = tree.iter().map(|(r, v)| (r, *v)).collect();
    assert_eq!(all, [(0..=0, 1), (MAX..=MAX, 2)]);
    let rev: Vec<_> = tree.iter().rev().map(|(r, v)| (r, *v)).collect();
    assert_eq!(rev, [(MAX..=MAX, 2), (0..=0, 1)]);
    assert_eq!(tree.range(MAX..).count(), 1);
    assert_eq!(tree.range(..1).count(), 1);
    assert_eq!(tree.range(1..MAX).count(), 0);

    // Inserts at occupied edges fail; next to them they succeed.
    assert_eq!(tree.insert(0, 9), Err(Error::Exists));
    assert_eq!(tree.insert(MAX, 9), Err(Error::Exists));
    assert_eq!(tree.insert_range(MAX - 1, MAX, 9), Err(Error::Exists));
    assert_eq!(tree.insert_range(0, 1, 9), Err(Error::Exists));
    tree.insert(1, 3).unwrap();
    oracle.store(1, 1, 3);
    tree.insert(MAX - 1, 4).unwrap();
    oracle.store(MAX - 1, MAX - 1, 4);
    expect_same(&tree, &oracle, "inserts beside the edges");

    // [MAX - 1, MAX] replaces both last entries.
    write(&mut tree, &mut oracle, MAX - 1, MAX, Some(5));
    assert_eq!(tree.load_range(MAX), Some((MAX - 1..=MAX, &5)));
    assert_eq!(tree.len(), 3);

    // Erase at the edges removes the whole ranges.
    assert_eq!(tree.erase(MAX), Ok(Some(5)));
    oracle.erase(MAX);
    assert_eq!(tree.erase(0), Ok(Some(1)));
    oracle.erase(0);
    expect_same(&tree, &oracle, "erase at the edges");
    assert_eq!(tree.erase(0), Ok(None));
    assert_eq!(tree.erase(MAX), Ok(None));
    tree.validate().unwrap();

    // [0, MAX] replaces everything; a NULL store over everything empties the tree.
    write(&mut tree, &mut oracle, 0, MAX, Some(6));
    assert_eq!(tree.load_range(12345), Some((0..=MAX, &6)));
    assert_eq!(tree.height(), 1);
    assert_eq!(tree.erase(77), Ok(Some(6)));
    oracle.erase(77);
    expect_same(&tree, &oracle, "erase of [0, MAX]");
    assert_eq!(tree.height(), 0);

    for i in 0..200u64 {
        write(&mut tree, &mut oracle, i * 1000, i * 1000 + 10, Some(i));
    }
    write(&mut tree, &mut oracle, MAX - 5, MAX, Some(7));
    assert!(tree.height() >= 2);
    write(&mut tree, &mut oracle, 0, MAX, None);
    expect_same(&tree, &oracle, "NULL over everything");
    assert!(tree.is_empty());
    assert_eq!(tree.height(), 0);
    assert_eq!(tree.iter().next(), None);
    assert_eq!(tree.find(0, MAX), None);

    // NULL stores on an empty tree and at the edges are no-ops.
    write(&mut tree, &mut oracle, 0, 0, None);
    write(&mut tree, &mut oracle, MAX, MAX, None);
    assert_eq!(tree.height(), 0);

    // An empty range is invalid, whatever the operation.
    assert_eq!(tree.store_range(5, 4, 1), Err(Error::Invalid));
    assert_eq!(tree.insert_range(5, 4, 1), Err(Error::Invalid));
    assert_eq!(tree.remove_range(5, 4), Err(Error::Invalid));
    assert_eq!(tree.store_range(MAX, 0, 1), Err(Error::Invalid));
    tree.validate().unwrap();
    assert!(tree.is_empty());
}

/// `check_lower_bound_split`, `check_upper_bound_split`, `check_mid_split`: huge sparse keys
/// packed against 0, against `u64::MAX`, and a split in the middle of `[0, MAX]`.
#[test]
fn huge_sparse_keys() {
    const STEP: u64 = 1 << 40;
    let mut tree = MapleTree::new();
    let mut oracle = RangeMap::new();
    for i in 0..300u64 {
        write(&mut tree, &mut oracle, i * STEP, i * STEP + STEP / 2, Some(i));
        write(&mut tree, &mut oracle, MAX - i * STEP - STEP / 2, MAX - i * STEP, Some(1_000 + i));
    }
    expect_same(&tree, &oracle, "sparse keys at both ends");
    assert_eq!(tree.find(300 * STEP, MAX - 300 * STEP), None);
    assert_eq!(tree.load_range(MAX), Some((MAX - STEP / 2..=MAX, &1_000)));

    // A single entry over everything, split in the middle, then at the very ends.
    let mut tree = MapleTree::new();
    let mut oracle = RangeMap::new();
    write(&mut tree, &mut oracle, 0, MAX, Some(1));
    write(&mut tree, &mut oracle, MAX / 2, MAX / 2, Some(2));
    let got: Vec<_> = tree.iter().map(|(r, v)| (r, *v)).collect();
    assert_eq!(got, [(0..=MAX / 2 - 1, 1), (MAX / 2..=MAX / 2, 2), (MAX / 2 + 1..=MAX, 1)]);
    write(&mut tree, &mut oracle, 0, 0, Some(3));
    write(&mut tree, &mut oracle, MAX, MAX, Some(4));
    expect_same(&tree, &oracle, "split at the middle and the ends");
    assert_eq!(tree.len(), 5);
}

/// The edges on a tall tree: the first and last leaves are where the right spine and the
/// implied maximum live.
#[test]
fn edges_on_a_tall_tree() {
    let ranges = spaced_ranges(3_000);
    let (mut tree, mut oracle) = packed(&ranges[1..]);
    write(&mut tree, &mut oracle, 0, 0, Some(1));
    write(&mut tree, &mut oracle, MAX, MAX, Some(2));
    write(&mut tree, &mut oracle, MAX - 1, MAX, Some(3));
    write(&mut tree, &mut oracle, 0, 5, Some(4));
    expect_same(&tree, &oracle, "tall tree edges");
    assert_eq!(tree.find(MAX - 1, MAX), Some((MAX - 1..=MAX, &3)));
    assert_eq!(tree.iter().next_back(), Some((MAX - 1..=MAX, &3)));
    assert_eq!(tree.iter().next(), Some((0..=5, &4)));
    write(&mut tree, &mut oracle, 1, MAX, None);
    expect_same(&tree, &oracle, "NULL over [1, MAX]");
    assert_eq!(tree.height(), 1);
    write(&mut tree, &mut oracle, 0, MAX - 1, None);
    assert!(tree.is_empty());
}

// ---------------------------------------------------------------------------------------------
// check_null_expand (class E)
// ---------------------------------------------------------------------------------------------

/// ```text
///   0     9 10  19 20  29 30  39 40  49 50  59 60       MAX
///   | NULL |  a   |  b   |  c   | NULL |  d   |   NULL    |
/// ```
fn null_expand_tree() -> (MapleTree<u64>, RangeMap<u64>) {
    let mut tree = MapleTree::new();
    let mut oracle = RangeMap::new();
    for (first, last, v) in [(10, 19, 1), (20, 29, 2), (30, 39, 3), (50, 59, 4)] {
        write(&mut tree, &mut oracle, first, last, Some(v));
    }
    (tree, oracle)
}

/// A NULL store through a cursor; returns the hole the cursor reports afterwards.
fn cursor_null_store(tree: &mut MapleTree<u64>, first: u64, last: u64) -> (u64, u64, Status) {
    let mut cursor = tree.cursor_mut(first);
    cursor.set_range(first, last);
    cursor.store(None).unwrap();
    let hole = (cursor.index(), cursor.last(), cursor.status());
    // The cursor sits on the hole: walking there reads NULL with the same range.
    assert_eq!(cursor.walk(), None);
    assert_eq!((cursor.index(), cursor.last()), (hole.0, hole.1));
    hole
}

/// `check_null_expand`: NULL stores merge with the NULLs before, after, both, and across
/// several slots; the cursor reports the merged hole.
#[test]
fn null_store_merges_with_neighbours() {
    // (store, expected hole)
    let cases: [((u64, u64), (u64, u64)); 9] = [
        ((20, 29), (20, 29)),  // non-NULL on both sides: no merge
        ((30, 39), (30, 49)),  // NULL after
        ((10, 19), (0, 19)),   // NULL before
        ((50, 59), (40, MAX)), // NULL on both sides
        ((45, 52), (40, 52)),  // inside a NULL and part of d: merges with the NULL it starts in
        ((12, 35), (12, 35)),  // across several slots, cutting a and c
        ((15, 45), (15, 49)),  // across several slots into the NULL after
        ((0, 5), (0, 9)),      // inside a NULL: the whole NULL range
        ((5, 55), (0, 55)),    // from a NULL, across everything, into d
    ];
    for ((first, last), (hole_first, hole_last)) in cases {
        let (mut tree, mut oracle) = null_expand_tree();
        let (index, lastk, status) = cursor_null_store(&mut tree, first, last);
        oracle.remove(first, last);
        expect_same(&tree, &oracle, &format!("NULL over {first}..={last}"));
        assert_eq!(status, Status::Active);
        assert_eq!((index, lastk), (hole_first, hole_last), "NULL over {first}..={last}");
        // The tree agrees: the NULL range holding `first` is the hole.
        let mut reader = tree.cursor(first);
        assert_eq!(reader.walk(), None);
        assert_eq!((reader.index(), reader.last()), (hole_first, hole_last));
    }
}

/// Erasing everything through the cursor leaves an empty tree; the cursor reports the whole
/// key space.
#[test]
fn null_store_that_empties_the_tree() {
    let (mut tree, _) = null_expand_tree();
    let mut cursor = tree.cursor_mut(0);
    cursor.set_range(10, 59);
    assert_eq!(cursor.store(None), Ok(Some(1)));
    assert_eq!((cursor.index(), cursor.last()), (0, MAX));
    tree.validate().unwrap();
    assert!(tree.is_empty());
    assert_eq!(tree.height(), 0);
}

/// NULL merging across a leaf boundary: erasing the last range of a leaf merges the gap
/// before it with the NULL that starts the next leaf, and no leaf but the last may end in
/// NULL (T4).
#[test]
fn null_merge_across_leaves() {
    let ranges = spaced_ranges(500);
    let (tree, oracle) = packed(&ranges);
    let ends = leaf_ends(&tree, &ranges);
    for &j in &ends {
        let mut t = tree.clone();
        let mut o = oracle.clone();
        let mut cursor = t.cursor_mut(ranges[j].0);
        assert_eq!(cursor.erase(), Ok(Some(j as u64)));
        let hole = (cursor.index(), cursor.last());
        o.erase(ranges[j].0);
        expect_same(&t, &o, &format!("erase leaf-end range {j}"));
        assert_eq!(hole, (ranges[j - 1].1 + 1, ranges[j + 1].0 - 1), "range {j}");
        assert_eq!(t.load_range(hole.0), None);
    }
}

// ---------------------------------------------------------------------------------------------
// Merging rules, splitting and erase (classes A, E)
// ---------------------------------------------------------------------------------------------

/// Equal neighbours are two ranges, never merged (only NULLs merge).
#[test]
fn equal_neighbours_never_merge() {
    let mut tree = MapleTree::new();
    let mut oracle = RangeMap::new();
    write(&mut tree, &mut oracle, 10, 19, Some(7));
    write(&mut tree, &mut oracle, 20, 29, Some(7));
    write(&mut tree, &mut oracle, 0, 9, Some(7));
    expect_same(&tree, &oracle, "equal neighbours");
    assert_eq!(tree.len(), 3);
    let ranges: Vec<_> = tree.iter().map(|(r, _)| r).collect();
    assert_eq!(ranges, [0..=9, 10..=19, 20..=29]);
    assert_eq!(tree.load_range(15), Some((10..=19, &7)));
    // Erasing one of them leaves the others as they were.
    assert_eq!(tree.erase(15), Ok(Some(7)));
    oracle.erase(15);
    expect_same(&tree, &oracle, "erase the middle one");
    assert_eq!(tree.load_range(20), Some((20..=29, &7)));
}

/// A store inside a range splits it: both halves hold a clone of the old value (observed
/// through `Rc` counts), and dropping or erasing frees each clone once.
#[test]
fn store_inside_a_range_splits_it() {
    let a = Rc::new("a");
    let b = Rc::new("b");
    let mut tree = MapleTree::new();
    tree.store_range(10, 29, Rc::clone(&a)).unwrap();
    tree.validate().unwrap();
    assert_eq!(Rc::strong_count(&a), 2);

    //  10   14 15  19 20   29
    //  |- a -|- b -|-  a  -|
    tree.store_range(15, 19, Rc::clone(&b)).unwrap();
    tree.validate().unwrap();
    let got: Vec<_> = tree.iter().map(|(r, v)| (r, **v)).collect();
    assert_eq!(got, [(10..=14, "a"), (15..=19, "b"), (20..=29, "a")]);
    assert_eq!(Rc::strong_count(&a), 3, "the old value is cloned into both halves");
    assert_eq!(Rc::strong_count(&b), 2);

    // Erase removes the whole containing range, and only that one.
    assert_eq!(tree.erase(12).unwrap().as_deref(), Some(&"a"));
    tree.validate().unwrap();
    assert_eq!(Rc::strong_count(&a), 2);
    assert_eq!(tree.load(10), None);
    assert_eq!(tree.load(14), None);
    assert_eq!(tree.load(20).map(|v| **v), Some("a"));

    // Overwriting drops what is covered.
    tree.store_range(0, 100, Rc::clone(&b)).unwrap();
    tree.validate().unwrap();
    assert_eq!(Rc::strong_count(&a), 1);
    assert_eq!(Rc::strong_count(&b), 2);
    drop(tree);
    assert_eq!(Rc::strong_count(&b), 1);
}

/// Partial overwrites at either end truncate; erase returns the value and removes the whole
/// range holding the index; erasing a hole changes nothing.
#[test]
fn truncation_and_erase() {
    let mut tree = MapleTree::new();
    let mut oracle = RangeMap::new();
    write(&mut tree, &mut oracle, 100, 199, Some(1));
    write(&mut tree, &mut oracle, 50, 120, Some(2)); // cuts the head of 1
    write(&mut tree, &mut oracle, 180, 250, Some(3)); // cuts the tail of 1
    let got: Vec<_> = tree.iter().map(|(r, v)| (r, *v)).collect();
    assert_eq!(got, [(50..=120, 2), (121..=179, 1), (180..=250, 3)]);
    assert_eq!(tree.erase(150), Ok(Some(1)));
    oracle.erase(150);
    expect_same(&tree, &oracle, "erase the middle");
    assert_eq!(tree.erase(150), Ok(None));
    tree.validate().unwrap();
    assert_eq!(tree.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// check_seq / check_rev_seq and bulk build (classes B, D)
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Clone (check_mtree_dup, check_forking)
// ---------------------------------------------------------------------------------------------

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
/// clones holds one clone per entry.
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
    let copy = tree.clone();
    copy.validate().unwrap();
    assert_eq!(Rc::strong_count(&v), 201);
    drop(tree);
    assert_eq!(Rc::strong_count(&v), 101);
    assert_eq!(copy.len(), 100);
}
