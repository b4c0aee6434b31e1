//! Merging rules, splitting and erase (classes A, E).

use super::*;

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
