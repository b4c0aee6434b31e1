//! test_spanning_store_regression (class C: duplicate at a shared maximum).

use super::*;

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
