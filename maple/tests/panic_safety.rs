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
