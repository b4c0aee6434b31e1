//! A bounded stress test of `SharedMapleTree` on real threads: reader threads validate every
//! state they see and check facts that only grow, while a writer stores, overwrites and
//! erases for a fixed number of publications (a second or so). Loom (`loom_shared.rs`) checks
//! the protocol exhaustively on small trees; this runs it at size, on the real atomics.

use maple_tree::SharedMapleTree;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

/// Publications the writer makes.
const ROUNDS: u64 = 250;
/// Ranges `[16 i, 16 i + 7]` the writer cycles over.
const SLOTS: u64 = 2000;

fn readers() -> usize {
    std::env::var("MAPLE_STRESS_READERS").ok().and_then(|v| v.parse().ok()).unwrap_or(3)
}

#[test]
fn readers_see_whole_states_beside_a_writer() {
    let tree = SharedMapleTree::<u64>::new();
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        for id in 0..readers() {
            let handle = tree.reader();
            let done = &done;
            s.spawn(move || {
                let (mut round, mut reads) = (0, 0u64);
                while !done.load(Ordering::Relaxed) || reads == 0 {
                    let guard = handle.read();
                    // Key 0 holds the number of the last publication (the writer stores it
                    // last in each batch): a whole state has all of that round's stores.
                    let seen = guard.get(0).copied().unwrap_or(0);
                    assert!(seen >= round, "reader {id}: round {seen} after {round}");
                    round = seen;
                    if reads % 64 == 0 {
                        assert_eq!(guard.validate(), Ok(()), "reader {id}");
                    }
                    for (range, &v) in guard.range(16..16 * 64) {
                        // Every value is the round that stored it: never past the state's.
                        assert!(v <= seen && v >= 1, "reader {id}: {v} in {range:?} at round {seen}");
                        assert_eq!(range.end() - range.start(), 7);
                    }
                    // Round r stored ranges 1..=r (capped): a whole state has each of them.
                    let want = seen.min(SLOTS - 1);
                    if let Some(i) = (1..=want).step_by(97).last() {
                        assert!(guard.contains_key(16 * i), "reader {id}: range {i} missing at round {seen}");
                    }
                    reads += 1;
                }
            });
        }
        for round in 1..=ROUNDS {
            let mut w = tree.write();
            let i = round.min(SLOTS - 1);
            w.store_range(16 * i, 16 * i + 7, round).unwrap();
            // Overwrite a few older ranges in place, erase one and store it back (a NULL
            // store, merges, rebalancing), all in the same batch.
            for j in (1..i).step_by(37) {
                w.store_range(16 * j, 16 * j + 7, round).unwrap();
            }
            let k = 1 + round % i;
            w.erase(16 * k).unwrap();
            w.store_range(16 * k, 16 * k + 7, round).unwrap();
            w.store(0, round).unwrap();
        }
        done.store(true, Ordering::Relaxed);
    });
    let last = tree.reader().read().snapshot();
    assert_eq!(last.get(0), Some(&ROUNDS));
    assert_eq!(last.len() as u64, ROUNDS.min(SLOTS - 1) + 1);
    assert_eq!(last.validate(), Ok(()));
}
