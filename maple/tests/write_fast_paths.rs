//! The write fast paths that bypass the rebuild engine, against the oracle at every
//! boundary:
//!
//! * a NULL store that ends a leaf (a [`StoreType::SpanningStore`]) hands its NULL to the
//!   next leaf by moving one pivot: every erase and every NULL store ending at a leaf's end,
//!   in packed, grown and allocation trees, with the next leaf starting in NULL or in a value,
//!   and the cases that must fall back to the engine (a leaf left too thin, a full next leaf);
//! * an append that overflows the last leaf keeps the leaf and adds one after it (a
//!   [`StoreType::SplitStore`] without the engine): ascending builds by `insert_range` and
//!   `store_range`, touching and gapped, up to `u64::MAX`, and under failure injection.
//!
//! Both fast paths keep the kind and the reservation of the store they replace, so these
//! tests cannot tell from outside which path ran; that they reach the fast paths was shown
//! by breaking each fast path in turn (see BENCHMARKS.md, "Write fast paths, part 2").

use maple_testkit::ops::{check, packed};
use maple_testkit::oracle::RangeMap;
use maple_tree::{Error, MapleTree, StoreType};

const MAX: u64 = u64::MAX;

/// The kind and node budget of a store over `first..=last` (NULL if `null`), classified
/// without changing `tree`.
fn kind(tree: &MapleTree<u64>, first: u64, last: u64, null: bool) -> (StoreType, (usize, usize)) {
    let mut scratch = tree.clone();
    let mut cursor = scratch.cursor_mut(first);
    cursor.set_range(first, last);
    let prealloc = cursor.preallocate(if null { None } else { Some(0) }).unwrap();
    (prealloc.store_type(), prealloc.reserved_nodes())
}

/// The last key of every leaf but the last (the keys where a store `[end, end + 1]` spans
/// two leaves).
fn leaf_ends(tree: &MapleTree<u64>, oracle: &RangeMap<u64>) -> Vec<u64> {
    oracle.boundaries().filter(|&b| b < MAX && kind(tree, b, b + 1, false).0 == StoreType::SpanningStore).collect()
}

/// Erases the range holding `index` from a copy of the tree, removing it with
/// under an allocation failure too, and checks both against the oracle (a failed erase must
/// change nothing).
fn erase_and_check(tree: &MapleTree<u64>, oracle: &RangeMap<u64>, index: u64) {
    let range = oracle.get(index).map(|(r, _)| (*r.start(), *r.end()));
    let mut expected = oracle.clone();
    let old = expected.erase(index);
    let mut trial = tree.clone();
    assert_eq!(trial.erase(index).unwrap(), old, "erase({index})");
    check(&trial, &expected).unwrap_or_else(|e| panic!("after erase({index}): {e}"));

    // Under failure injection at each allocation in turn: fails cleanly or succeeds.
    let need = match range {
        Some((first, last)) => kind(tree, first, last, true).1,
        None => (0, 0),
    };
    for n in 0..=(need.0 + need.1) as u64 {
        let mut trial = tree.clone();
        trial.shrink_to_fit();
        trial.fail_nth_alloc(Some(n));
        match trial.erase(index) {
            Ok(got) => {
                assert_eq!(got, old, "erase({index})");
                check(&trial, &expected).unwrap();
            }
            Err(e) => {
                assert_eq!(e, Error::NoMemory);
                assert!(trial == *tree, "a failed erase changed the tree");
                trial.validate().unwrap();
            }
        }
    }
}

/// Every erase of a range that ends a leaf, and the NULL stores that end there too: the
/// head of the last range kept, several ranges at once, the last range alone. Returns how
/// many leaf ends it tried.
fn every_leaf_end(tree: &MapleTree<u64>, oracle: &RangeMap<u64>) -> usize {
    let mut ends = 0;
    for end in leaf_ends(tree, oracle) {
        let (range, _) = oracle.get(end).expect("a leaf ends in a value");
        let (first, last) = (*range.start(), *range.end());
        assert_eq!(kind(tree, first, last, true).0, StoreType::SpanningStore);
        ends += 1;
        erase_and_check(tree, oracle, first);
        // remove_range: the head survives, the whole range, three ranges, to the next leaf.
        let before = oracle.range_from(0).take_while(|(r, _)| *r.end() < first).last().map(|(r, _)| *r.start());
        let mut ranges = vec![(first + 1, last), (first, last), (last, last)];
        if let Some(start) = before {
            ranges.push((start, last));
        }
        ranges.push((first + 1, last + 1));
        for (a, b) in ranges {
            if a > b {
                continue;
            }
            let mut trial = tree.clone();
            trial.remove_range(a, b).unwrap();
            let mut expected = oracle.clone();
            expected.remove(a, b);
            check(&trial, &expected).unwrap_or_else(|e| panic!("after remove_range({a}, {b}): {e}"));
        }
    }
    ends
}

#[test]
fn erases_at_the_end_of_packed_leaves_move_the_boundary() {
    // Full leaves (8 values, 8 NULLs): the next leaf starts in NULL; heights 2 and 3, so the
    // pivot moved is in the parent or in a higher common ancestor.
    for n in [100, 500] {
        let (tree, oracle) = packed(n);
        let ends = every_leaf_end(&tree, &oracle);
        assert!(ends >= 5, "packed({n}): {ends} leaf ends");
    }
}

#[test]
fn erases_at_leaf_ends_of_touching_ranges_put_a_null_in_front() {
    // Ranges that touch: the next leaf starts with a value, so it gains a NULL slot in front;
    // a full next leaf (bulk-built, 16 slots) cannot, and the store is a spanning store.
    let ranges: Vec<_> = (0..400u64).map(|i| (i * 10..=i * 10 + 9, i + 1)).collect();
    let mut oracle = RangeMap::new();
    for (r, v) in &ranges {
        oracle.store(*r.start(), *r.end(), *v);
    }
    let full = MapleTree::from_sorted(ranges.iter().cloned()).unwrap();
    for end in leaf_ends(&full, &oracle) {
        let first = *oracle.get(end).unwrap().0.start();
        assert_eq!(kind(&full, first, end, true).0, StoreType::SpanningStore);
        erase_and_check(&full, &oracle, first);
    }
    let mut grown = MapleTree::new();
    for (r, v) in ranges.iter().rev() {
        grown.store_range(*r.start(), *r.end(), *v).unwrap();
    }
    check(&grown, &oracle).unwrap();
    let ends = every_leaf_end(&grown, &oracle);
    assert!(ends >= 5, "grown: {ends} leaf ends");
}

#[test]
fn erases_at_leaf_ends_of_grown_and_allocation_trees() {
    // Leaves left part-full by splits, in both tree kinds (the validator checks the gaps of
    // the allocation tree, G1, which both leaves' changes must reach); the last range runs
    // to u64::MAX.
    for alloc in [false, true] {
        let mut tree = if alloc { MapleTree::new_alloc() } else { MapleTree::new() };
        let mut oracle = RangeMap::new();
        for i in 0..600u64 {
            let first = (i * 37) % 600 * 100;
            let last = if first == 59_900 { MAX } else { first + 49 + (i % 3) * 25 };
            tree.store_range(first, last, i).unwrap();
            oracle.store(first, last, i);
        }
        check(&tree, &oracle).unwrap();
        let ends = every_leaf_end(&tree, &oracle);
        assert!(ends >= 5, "alloc {alloc}: {ends} leaf ends");
        erase_and_check(&tree, &oracle, MAX);
        erase_and_check(&tree, &oracle, 0);
    }
}

#[test]
fn a_leaf_too_thin_after_the_erase_goes_to_the_engine() {
    // The first leaf thinned to 7 slots: erasing its last range would leave 5 (T3), so the
    // NULL cannot be handed over in place.
    let mut tree = MapleTree::new();
    let mut oracle = RangeMap::new();
    for i in 0..60u64 {
        tree.store_range(i * 10, i * 10 + 4, i).unwrap();
        oracle.store(i * 10, i * 10 + 4, i);
    }
    let end = leaf_ends(&tree, &oracle)[0];
    let last_first = *oracle.get(end).unwrap().0.start();
    for i in 1..=4u64 {
        tree.erase(i * 10).unwrap();
        oracle.erase(i * 10);
    }
    check(&tree, &oracle).unwrap();
    assert_eq!(kind(&tree, last_first, end, true).0, StoreType::SpanningStore);
    erase_and_check(&tree, &oracle, last_first);
}

/// Builds by appending `count` ranges of `len` keys, `gap` keys apart, from `start`, with
/// `insert_range` or `store_range`, checking each append against the oracle; returns how
/// many split the last leaf without the engine.
fn append_build(alloc: bool, insert: bool, start: u64, len: u64, gap: u64, count: u64) -> usize {
    let mut tree = if alloc { MapleTree::new_alloc() } else { MapleTree::new() };
    let mut oracle = RangeMap::new();
    let mut splits = 0;
    for i in 0..count {
        let first = start + i * (len + gap);
        let last = first + len - 1;
        if tree.height() >= 2 {
            let (k, need) = kind(&tree, first, last, false);
            if k == StoreType::SplitStore && need == (1, 0) {
                splits += 1;
                // The one leaf it needs is reserved up front: failing it changes nothing.
                let mut failing = tree.clone();
                failing.fail_nth_alloc(Some(0));
                let result =
                    if insert { failing.insert_range(first, last, i) } else { failing.store_range(first, last, i) };
                assert_eq!(result, Err(Error::NoMemory));
                assert!(failing == tree);
                failing.validate().unwrap();
            }
        }
        if insert {
            tree.insert_range(first, last, i).unwrap();
        } else {
            tree.store_range(first, last, i).unwrap();
        }
        oracle.store(first, last, i);
        check(&tree, &oracle).unwrap_or_else(|e| panic!("after appending [{first}, {last}]: {e}"));
    }
    assert!(tree.height() >= 3, "the build reaches a parent split too");
    splits
}

#[test]
fn appends_split_the_last_leaf_in_place() {
    for alloc in [false, true] {
        for insert in [false, true] {
            // Touching ranges (one slot per append), gapped ranges (two), from 0 and not.
            for (start, gap) in [(0, 0), (5, 0), (0, 3), (7, 1)] {
                let splits = append_build(alloc, insert, start, 4, gap, 700);
                assert!(splits >= 20, "alloc {alloc}, insert {insert}, start {start}, gap {gap}: {splits} splits");
            }
        }
    }
}

#[test]
fn appends_into_a_last_range_that_reaches_u64_max() {
    // The last slot holds a value up to u64::MAX: a store inside it cuts it in three (the
    // head and the tail keep the value), and the slot before it must hold a value for the
    // leaf to be kept as it is.
    for alloc in [false, true] {
        let mut tree = if alloc { MapleTree::new_alloc() } else { MapleTree::new() };
        let mut oracle = RangeMap::new();
        for i in 0..200u64 {
            let (first, last) = (i * 10, i * 10 + 9);
            tree.store_range(first, last, i).unwrap();
            oracle.store(first, last, i);
        }
        tree.store_range(2_000, MAX, 999).unwrap();
        oracle.store(2_000, MAX, 999);
        check(&tree, &oracle).unwrap();
        let mut seen = Vec::new();
        for k in 0..40u64 {
            let first = 2_000 + 100 * (k + 1);
            seen.push(kind(&tree, first, first + 9, false));
            tree.store_range(first, first + 9, k).unwrap();
            oracle.store(first, first + 9, k);
            check(&tree, &oracle).unwrap_or_else(|e| panic!("after storing at {first}: {e}"));
        }
        assert!(seen.iter().any(|&(k, _)| k == StoreType::SplitStore));
        // The last key alone, and a NULL at the very end.
        for (first, last, value) in [(MAX, MAX, Some(1)), (MAX - 5, MAX, None), (MAX - 1, MAX - 1, Some(2))] {
            let mut trial = tree.clone();
            let mut expected = oracle.clone();
            match value {
                Some(v) => {
                    trial.store_range(first, last, v).unwrap();
                    expected.store(first, last, v);
                }
                None => {
                    trial.remove_range(first, last).unwrap();
                    expected.remove(first, last);
                }
            }
            check(&trial, &expected).unwrap();
        }
    }
}
