//! check_null_expand (class E).

use super::*;

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
