//! Index 0 and u64::MAX (class J).

use super::*;

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
