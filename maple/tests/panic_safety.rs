//! A value whose `Clone` panics, cloned by a store that cuts a range in two (or keeps part of
//! the range holding its first key, whose value it returns), leaves the tree as it was before
//! the store (the clones run before the first change), for every key type: a one-leaf store
//! in place, the engine's rebuild of a full leaf, spanning stores, in trees of one leaf and
//! of several levels. A store that needs no clone is made whole, as the model says.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use maple_tree::MapleTree;

thread_local!(static ARMED: Cell<bool> = const { Cell::new(false) });

#[derive(Debug, PartialEq, Eq)]
struct Fragile(u64);

impl Clone for Fragile {
    fn clone(&self) -> Self {
        if ARMED.with(Cell::get) {
            panic!("clone of {}", self.0);
        }
        Fragile(self.0)
    }
}

fn probe<K: maple_tree::Key + core::fmt::Debug>(n: u64, key: fn(u64) -> K) {
    // The stores that keep part of the value holding `first` clone it (the store returns the
    // old entry there); the last four keep none of it and need no clone.
    for (first, last) in [(3, 4), (0, 4), (5, 5), (3, 25), (5, 15), (9, 10), (10, 29), (10, 25), (0, 14), (40, 45)] {
        let mut tree: MapleTree<Fragile, K> = MapleTree::new_keyed();
        for i in 0..n {
            tree.store_range(key(i * 10), key(i * 10 + 9), Fragile(i)).unwrap();
        }
        let before: Vec<_> = tree.iter().map(|(r, v)| (r, v.0)).collect();
        ARMED.with(|a| a.set(true));
        let r = catch_unwind(AssertUnwindSafe(|| tree.store_range(key(first), key(last), Fragile(999))));
        ARMED.with(|a| a.set(false));
        let after: Vec<_> = tree.iter().map(|(r, v)| (r, v.0)).collect();
        tree.validate().unwrap();
        if r.is_err() {
            assert_eq!(before, after, "{n} {first}..={last}");
        } else {
            // Only a store that cuts no value in two may get through without a clone (and it
            // made the whole store).
            assert!(!(first % 10 > 0 && last % 10 < 9 && first / 10 == last / 10), "{n} {first}..={last}");
            assert_eq!(after, stored(&before, key(first), key(last), 999), "{n} {first}..={last}");
        }
    }
}

/// The model of a store: `entries` with `value` over `first..=last`, overwriting what it
/// covers and trimming what it overlaps (equal values are never merged).
fn stored<K: maple_tree::Key>(
    entries: &[(std::ops::RangeInclusive<K>, u64)],
    first: K,
    last: K,
    value: u64,
) -> Vec<(std::ops::RangeInclusive<K>, u64)> {
    let (f, l) = (first.to_u64(), last.to_u64());
    let mut out = Vec::new();
    for (range, v) in entries {
        let (s, e) = (range.start().to_u64(), range.end().to_u64());
        if s < f {
            out.push((K::from_u64(s)..=K::from_u64(e.min(f - 1)), *v));
        }
        if e > l {
            out.push((K::from_u64(s.max(l + 1))..=K::from_u64(e), *v));
        }
    }
    out.push((first..=last, value));
    out.sort_by_key(|(range, _)| range.start().to_u64());
    out
}

#[test]
fn a_panicking_clone_leaves_the_tree_unchanged() {
    for n in [1, 3, 40, 400] {
        probe(n, |k| k);
        probe(n, |k| k as u32);
    }
}

/// A store drops the old value it would return, so a store or removal that only trims a
/// value (keeps its head or its tail, never both) never clones it: none of these may reach a
/// clone.
#[test]
fn a_store_that_only_trims_clones_nothing() {
    let mut tree: MapleTree<Fragile> = MapleTree::new();
    for i in 0..400 {
        tree.store_range(i * 10, i * 10 + 9, Fragile(i)).unwrap();
    }
    let mut model: Vec<_> = tree.iter().map(|(r, v)| (r, v.0)).collect();
    ARMED.with(|a| a.set(true));
    let result = catch_unwind(AssertUnwindSafe(|| {
        tree.store_range(0, 4, Fragile(1000)).unwrap();
        tree.store_range(15, 25, Fragile(1001)).unwrap();
        tree.set(1007..1013, Fragile(1002)).unwrap();
        tree.try_extend([(2005..=2012, Fragile(1003))]).unwrap();
        tree.remove_range(3003, 3016).unwrap();
        tree.cut(3995..).unwrap();
    }));
    ARMED.with(|a| a.set(false));
    assert!(result.is_ok(), "a trimming store cloned a value");
    // The removals are stores of a marker value that the model then drops.
    const GONE: u64 = u64::MAX;
    for (first, last, value) in [
        (0, 4, 1000),
        (15, 25, 1001),
        (1007, 1012, 1002),
        (2005, 2012, 1003),
        (3003, 3016, GONE),
        (3995, u64::MAX, GONE),
    ] {
        model = stored(&model, first, last, value);
        model.retain(|&(_, v)| v != GONE);
    }
    assert!(tree.iter().map(|(r, v)| (r, v.0)).eq(model), "the stores differ from the model");
    tree.validate().unwrap();
}
