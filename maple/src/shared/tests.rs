//! The safe half's unit tests: the log, failed writes, publication, recovery. (The threads
//! are in `maple/tests/shared_stress.rs` and `maple/tests/loom_shared.rs`.)

use super::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Brings the back copy up to date and checks that both copies hold the same values.
fn assert_copies_equal<T: Clone + PartialEq + fmt::Debug, K: Key>(tree: &SharedMapleTree<T, K>) {
    let mut lock = tree.sides.lock();
    lock.with_back(|front, back, log| {
        catch_up(front, back, log);
        assert!(log.pending.is_empty() && log.replay.is_empty() && !log.dirty);
        assert_eq!(front, back, "the two copies diverged");
        assert_eq!(back.validate(), Ok(()));
    });
}

fn pending<T: Clone, K: Key>(w: &mut WriteGuard<'_, T, K>) -> usize {
    w.lock.state().pending.len()
}

#[test]
fn failed_writes_are_not_logged() {
    let tree = SharedMapleTree::from(MapleTree::new_alloc());
    let mut w = tree.write();
    w.store_range(10, 19, 1).unwrap();
    w.alloc_area(0, 9, 10, 7).unwrap();
    assert_eq!(pending(&mut w), 2);
    assert_eq!(w.store_range(5, 4, 2), Err(Error::Invalid));
    assert_eq!(w.insert_range(15, 30, 2), Err(Error::Exists));
    assert_eq!(w.insert(12, 2), Err(Error::Exists));
    assert_eq!(w.try_insert(40..40, 2), Err(Error::Invalid));
    assert_eq!(w.set(40..40, 2), Err(Error::Invalid));
    assert_eq!(w.cut(40..40), Err(Error::Invalid));
    assert_eq!(w.remove_range(9, 8), Err(Error::Invalid));
    assert_eq!(w.alloc_area(0, 25, 10, 2), Err(Error::Busy));
    assert_eq!(w.erase(100), Ok(None), "erasing nothing changes nothing");
    assert_eq!(pending(&mut w), 2, "only the writes that changed the tree are logged");
    drop(w);
    assert_copies_equal(&tree);
    assert_eq!(tree.reader().read().keys().collect::<Vec<_>>(), [0..=9, 10..=19]);
}

#[test]
fn a_batch_is_published_at_once() {
    let tree = SharedMapleTree::new();
    let reader = tree.reader();
    let mut w = tree.write();
    w.store_range(0, 9, 'a').unwrap();
    w.store_range(20, 29, 'b').unwrap();
    assert_eq!(w.with_tree(|t| t.len()), 2, "the writer reads its own writes");
    assert!(reader.read().is_empty(), "nothing is visible before publication");
    w.publish();
    assert_eq!(reader.read().len(), 2);
    w.erase(5).unwrap();
    assert_eq!(reader.get(5), Some('a'));
    drop(w);
    assert_eq!(reader.get(5), None);
    assert_eq!(reader.get_key_value(25), Some((20..=29, 'b')));
    assert!(reader.contains_key(20));
    assert_copies_equal(&tree);
}

#[test]
fn a_guard_keeps_its_state_across_publications() {
    let tree = SharedMapleTree::new();
    let reader = tree.reader();
    tree.write().store_range(0, 99, 1).unwrap();
    let guard = reader.read();
    let mut w = tree.write();
    w.store_range(50, 59, 2).unwrap();
    w.publish();
    // The guard still reads the state before (the writer's next write would wait for it).
    assert_eq!(guard.keys().collect::<Vec<_>>(), [0..=99]);
    let kept = guard.snapshot();
    let inner = reader.read();
    assert_eq!(inner.len(), 1, "a nested guard reads the outer guard's state");
    drop((inner, guard));
    assert_eq!(reader.read().len(), 3);
    assert_eq!(reader.clone().read().len(), 3, "a cloned handle is a reader too");
    drop(w);
    assert_eq!(kept.keys().collect::<Vec<_>>(), [0..=99]);
    assert_copies_equal(&tree);
}

#[test]
#[cfg_attr(miri, ignore = "thousands of tree writes: too slow under Miri")]
fn copies_stay_equal_over_random_writes() {
    use rand::{rngs::SmallRng, Rng, SeedableRng};
    let mut rng = SmallRng::seed_from_u64(15);
    let tree = SharedMapleTree::<u32, u16>::default();
    let reader = tree.reader();
    for round in 0..200u32 {
        let mut w = tree.write();
        for _ in 0..rng.gen_range(1..8) {
            let a: u16 = rng.gen_range(0..2000);
            let b = a.saturating_add(rng.gen_range(0..50));
            let _ = match rng.gen_range(0..8) {
                0 | 1 => w.store_range(a, b, round),
                2 => w.insert_range(a, b, round),
                3 => w.erase(a).map(drop),
                4 => w.remove_range(a, b),
                5 => w.remove_range(b, a),
                6 => {
                    w.modify(a, |v| *v = v.wrapping_mul(3).wrapping_add(round));
                    Ok(())
                }
                _ => {
                    let m = rng.gen_range(2..5);
                    w.retain(|range, v| (u32::from(*range.start()) + v) % m != 0);
                    Ok(())
                }
            };
        }
        if round % 50 == 49 {
            w.clear();
        }
        drop(w);
        assert_eq!(reader.read().validate(), Ok(()));
        assert_copies_equal(&tree);
    }
}

/// A value whose clone panics once `CLONES` clones have been made (unlimited while `None`).
#[derive(Debug, PartialEq)]
struct Fragile(u32);

thread_local!(static CLONES: core::cell::Cell<Option<u32>> = const { core::cell::Cell::new(None) });

impl Clone for Fragile {
    fn clone(&self) -> Self {
        let left = CLONES.with(|c| c.get());
        assert_ne!(left, Some(0), "clone failed");
        CLONES.with(|c| c.set(left.map(|n| n - 1)));
        Fragile(self.0)
    }
}

#[test]
fn a_writer_that_panics_publishes_nothing_and_the_next_one_recovers() {
    let tree = SharedMapleTree::new();
    let reader = tree.reader();
    tree.write().store_range(0, 99, Fragile(1)).unwrap();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut w = tree.write();
        w.store_range(200, 299, Fragile(2)).unwrap();
        // One clone for the log, then the store cuts `Fragile(1)` in two: the tree clones
        // it in the middle of the write, and that clone panics.
        CLONES.with(|c| c.set(Some(1)));
        let _ = w.store_range(40, 49, Fragile(3));
    }));
    CLONES.with(|c| c.set(None));
    assert!(result.is_err());
    assert_eq!(reader.read().keys().collect::<Vec<_>>(), [0..=99], "nothing of the panicked writer is published");
    let mut w = tree.write();
    w.store_range(300, 309, Fragile(4)).unwrap();
    drop(w);
    assert_eq!(reader.read().keys().collect::<Vec<_>>(), [0..=99, 300..=309]);
    assert_copies_equal(&tree);
}

#[test]
fn retain_and_modify_are_logged_and_published_together() {
    let tree = SharedMapleTree::new();
    let reader = tree.reader();
    let mut w = tree.write();
    for i in 0..40u64 {
        w.insert_range(i * 10, i * 10 + 4, i).unwrap();
    }
    w.publish();
    assert_eq!(w.modify(7, |v| std::mem::replace(v, 100)), None, "7 holds nothing");
    assert_eq!(w.modify(54, |v| std::mem::replace(v, 100)), Some(5));
    let mut seen = Vec::new();
    w.retain(|range, &v| {
        seen.push(*range.start());
        v % 2 == 0
    });
    assert_eq!(seen, (0..40).map(|i| i * 10).collect::<Vec<_>>(), "each entry visited once, in order");
    w.retain(|_, _| true);
    assert_eq!(pending(&mut w), 2, "a retain that removes nothing is not logged");
    assert_eq!(reader.read().len(), 40, "nothing is visible before publication");
    assert_eq!(reader.get(50), Some(5));
    drop(w);
    let state = reader.read();
    assert_eq!(state.len(), 21);
    assert_eq!(state.get_key_value(50), Some((50..=54, &100)));
    assert!(state.values().all(|v| v % 2 == 0));
    drop(state);
    // The replay onto the other copy makes the same removals and the same change.
    tree.write().store_range(1000, 1009, 1).unwrap();
    assert_copies_equal(&tree);
}

#[test]
fn a_panicking_modify_publishes_nothing_of_its_guard() {
    let tree = SharedMapleTree::new();
    let reader = tree.reader();
    tree.write().store_range(0, 9, vec![1]).unwrap();
    let result = catch_unwind(AssertUnwindSafe(|| {
        let mut w = tree.write();
        w.store_range(20, 29, vec![2]).unwrap();
        w.modify(5, |v| {
            v.push(9);
            panic!("half-changed");
        });
    }));
    assert!(result.is_err());
    assert_eq!(reader.read().iter().collect::<Vec<_>>(), [(0..=9, &vec![1])]);
    let mut w = tree.write();
    assert_eq!(w.modify(5, |v| v.clone()), Some(vec![1]), "the half-changed copy was rebuilt");
    w.retain(|range, _| *range.start() != 0);
    drop(w);
    assert!(reader.read().is_empty());
    assert_copies_equal(&tree);
}

#[test]
fn handles_are_send_and_the_tree_is_sync() {
    fn send<S: Send>() {}
    fn sync<S: Send + Sync>() {}
    send::<ReadHandle<String>>();
    sync::<SharedMapleTree<String, u32>>();
}
