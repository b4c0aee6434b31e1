//! A value whose `Clone` panics, cloned by a store that cuts a range in two, leaves the tree
//! as it was before the store (the clones run before the first change), for every key type:
//! a one-leaf store in place, the engine's rebuild of a full leaf, spanning stores, in trees
//! of one leaf and of several levels.

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
    for (first, last) in [(3, 4), (0, 4), (5, 5), (3, 25), (5, 15), (9, 10)] {
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
            // Only a store that cuts no value in two may get through without a clone.
            assert!(!(first % 10 > 0 && last % 10 < 9 && first / 10 == last / 10), "{n} {first}..={last}");
        }
    }
}

#[test]
fn a_panicking_clone_leaves_the_tree_unchanged() {
    for n in [1, 3, 40, 400] {
        probe(n, |k| k);
        probe(n, |k| k as u32);
    }
}
