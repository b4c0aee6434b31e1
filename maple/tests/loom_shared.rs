//! Model checks of `SharedMapleTree` with loom: every interleaving (up to a preemption bound)
//! of one writer doing stores that split leaves, merge them and change the tree's height,
//! against one or two readers. Loom also checks that no access to a copy of the tree races
//! with the writer's (its tracked cells), which is how the class-I plants are found.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p maple-tree --release --test loom_shared
//! ```
//!
//! With the planted bugs (`scripts/loom-planted.sh` runs each and expects a failure):
//! `MAPLE_PLANT=I` (the writer replays onto the old copy without waiting for its readers) and
//! `MAPLE_PLANT=R` (a reader loads the copy's index before announcing itself), with
//! `--features planted-bugs`.
#![cfg(loom)]

use loom::thread;
use maple_tree::{MapleTree, SharedMapleTree};
use std::sync::Arc;

/// Ranges of the starting tree: enough for two leaves (a leaf holds 16 slots).
const START: u64 = 12;
/// Width of each range; ranges are `[10 i, 10 i + 4]`, NULL ranges between.
const WIDTH: u64 = 4;

/// The value the writer stores in round `round` over range `i`: distinct for every store, so
/// that a reader can tell which store it sees.
fn value(round: u64, i: u64) -> u64 {
    round * 1000 + i
}

/// Whether `v` was ever stored over the range starting at `first` (rounds 0..=3).
fn was_stored(first: u64, v: u64) -> bool {
    first % 10 == 0 && (0..=3).any(|round| v == value(round, first / 10))
}

fn start_tree() -> MapleTree<u64> {
    let mut tree = MapleTree::new();
    for i in 0..START {
        tree.store_range(10 * i, 10 * i + WIDTH, value(0, i)).unwrap();
    }
    assert!(tree.height() >= 2, "the model needs more than one leaf");
    tree
}

/// The writer's three publications: (1) new ranges at the end (leaf splits), (2) new values
/// over existing ranges (in place), (3) more ranges at the end (another split). Keys are only
/// ever added: each publication's key set contains the one before. (Merges and a shrinking
/// height are `a_reader_beside_height_changes`.)
fn writer(tree: &SharedMapleTree<u64>) {
    let mut w = tree.write();
    for i in START..START + 8 {
        w.store_range(10 * i, 10 * i + WIDTH, value(1, i)).unwrap();
    }
    drop(w);
    let mut w = tree.write();
    for i in 1..10 {
        w.store_range(10 * i, 10 * i + WIDTH, value(2, i)).unwrap();
    }
    drop(w);
    let mut w = tree.write();
    for i in START + 8..START + 14 {
        w.store_range(10 * i, 10 * i + WIDTH, value(3, i)).unwrap();
    }
    drop(w);
}

/// One reader's checks over `reads` guards: each guard's tree validates, every value it holds
/// is one the writer stored over that range, and the set of keys only grows.
fn reader(handle: maple_tree::ReadHandle<u64>, reads: usize) {
    let mut seen = 0;
    for _ in 0..reads {
        let guard = handle.read();
        assert_eq!(guard.validate(), Ok(()));
        let mut n = 0;
        for (range, &v) in guard.iter() {
            assert_eq!(range.end() - range.start(), WIDTH);
            assert!(was_stored(*range.start(), v), "{v} was never stored over {range:?}");
            n += 1;
        }
        assert!(n >= seen, "a later read sees fewer ranges ({n} after {seen})");
        assert_eq!(n, guard.len());
        seen = n;
    }
}

fn model(readers: usize, reads: usize, bound: usize) {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(bound);
    builder.check(move || {
        let tree = Arc::new(SharedMapleTree::from(start_tree()));
        let handles: Vec<_> = (0..readers)
            .map(|_| {
                let handle = tree.reader();
                thread::spawn(move || reader(handle, reads))
            })
            .collect();
        writer(&tree);
        for h in handles {
            h.join().unwrap();
        }
        let last = tree.reader().read().len();
        assert_eq!(last, (START + 14) as usize);
    });
}

#[test]
fn one_reader_beside_splits_and_merges() {
    model(1, 3, 3);
}

#[test]
fn two_readers_beside_splits_and_merges() {
    model(2, 2, 3);
}

/// A height change both ways: the writer grows a one-leaf tree to two levels, then shrinks it
/// back, while a reader's guard checks each state is one of the three published.
#[test]
fn a_reader_beside_height_changes() {
    let mut builder = loom::model::Builder::new();
    builder.preemption_bound = Some(3);
    builder.check(|| {
        let tree = Arc::new(SharedMapleTree::new());
        let handle = tree.reader();
        let t = thread::spawn(move || {
            for _ in 0..2 {
                let guard = handle.read();
                assert_eq!(guard.validate(), Ok(()));
                let shape = (guard.len(), guard.height());
                assert!(matches!(shape, (0, 0) | (20, 2) | (3, 1)), "unpublished state {shape:?}");
                for (range, &v) in guard.iter() {
                    assert_eq!(*range.start(), v);
                }
            }
        });
        let mut w = tree.write();
        for i in 0..20 {
            w.store(10 * i, 10 * i).unwrap();
        }
        drop(w);
        let mut w = tree.write();
        for i in 3..20 {
            w.erase(10 * i).unwrap();
        }
        drop(w);
        t.join().unwrap();
        assert_eq!(tree.reader().read().height(), 1);
    });
}
