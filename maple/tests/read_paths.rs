//! The read paths against the oracle on multi-level trees: `load` (which descends without
//! tracking slot limits) against `load_range`, and range iterators driven from both ends in
//! random interleavings over random windows (each end walks its path lazily, and the two
//! must stop where they meet).

use maple_testkit::oracle::RangeMap;
use maple_tree::MapleTree;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A tree and its oracle: `n` ranges of 1..=8 keys with gaps of 0..=3 keys, stored in a
/// random order, with every fifth one then removed (so NULL runs of all lengths appear).
fn build(n: u64, seed: u64) -> (MapleTree<u64>, RangeMap<u64>) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut ranges = Vec::new();
    let mut next = rng.gen_range(0..3);
    for i in 0..n {
        let last = next + rng.gen_range(0..8);
        ranges.push((next, last, i));
        next = last + 1 + rng.gen_range(0..4);
    }
    let (mut tree, mut oracle) = (MapleTree::new(), RangeMap::new());
    while !ranges.is_empty() {
        let (first, last, v) = ranges.swap_remove(rng.gen_range(0..ranges.len()));
        tree.store_range(first, last, v).unwrap();
        oracle.store(first, last, v);
        if v % 5 == 0 {
            tree.remove_range(first, last).unwrap();
            oracle.remove(first, last);
        }
    }
    tree.validate().unwrap();
    (tree, oracle)
}

#[test]
fn load_agrees_with_load_range_and_the_oracle() {
    for (n, seed) in [(1, 1), (20, 2), (300, 3), (5_000, 4)] {
        let (tree, oracle) = build(n, seed);
        let span = oracle.iter().next_back().map_or(10, |(r, _)| *r.end() + 10);
        for index in (0..span).chain([u64::MAX - 1, u64::MAX]) {
            let want = oracle.get(index).map(|(_, v)| *v);
            assert_eq!(tree.load(index).copied(), want, "load({index}) on {n} ranges");
            assert_eq!(tree.load_range(index).map(|(_, v)| *v), want, "load_range({index})");
        }
    }
}

#[test]
fn range_from_both_ends_matches_the_oracle() {
    let mut rng = SmallRng::seed_from_u64(7);
    for (n, seed) in [(1, 11), (40, 12), (600, 13), (5_000, 14)] {
        let (tree, oracle) = build(n, seed);
        let span = oracle.iter().next_back().map_or(10, |(r, _)| *r.end() + 10);
        for _ in 0..400 {
            let a = rng.gen_range(0..span);
            let b = if rng.gen_bool(0.1) { u64::MAX } else { a + rng.gen_range(0..span / 4 + 2) };
            let want: Vec<_> =
                oracle.iter().filter(|(r, _)| *r.end() >= a && *r.start() <= b).map(|(r, v)| (r, *v)).collect();
            let mut iter = tree.range(a..=b);
            let (mut front, mut back) = (Vec::new(), Vec::new());
            // Each pattern bit picks the end to take from; an empty take must end both.
            let pattern: u64 = rng.gen();
            for step in 0.. {
                let item = if pattern >> (step % 64) & 1 == 0 { iter.next() } else { iter.next_back() };
                match item {
                    Some((r, v)) if pattern >> (step % 64) & 1 == 0 => front.push((r, *v)),
                    Some((r, v)) => back.push((r, *v)),
                    None => break,
                }
            }
            assert_eq!(iter.next(), None, "fused after meeting");
            assert_eq!(iter.next_back(), None, "fused after meeting");
            back.reverse();
            front.extend(back);
            assert_eq!(front, want, "range({a}..={b}) on {n} ranges, pattern {pattern:#x}");
        }
    }
}

#[test]
fn fold_matches_next_after_any_start() {
    let mut rng = SmallRng::seed_from_u64(9);
    for (n, seed) in [(1, 21), (50, 22), (800, 23), (5_000, 24)] {
        let (tree, oracle) = build(n, seed);
        let span = oracle.iter().next_back().map_or(10, |(r, _)| *r.end() + 10);
        let everything: Vec<_> = oracle.iter().map(|(r, v)| (r, *v)).collect();
        let by_fold = tree.iter().fold(Vec::new(), |mut acc, (r, v)| {
            acc.push((r, *v));
            acc
        });
        assert_eq!(by_fold, everything, "iter().fold on {n} ranges");
        for _ in 0..300 {
            let a = rng.gen_range(0..span);
            let b = if rng.gen_bool(0.1) { u64::MAX } else { a + rng.gen_range(0..span / 3 + 2) };
            let (skip_front, skip_back) = (rng.gen_range(0..4), rng.gen_range(0..4));
            let mut by_next = tree.range(a..=b);
            let mut folded = tree.range(a..=b);
            for _ in 0..skip_front {
                assert_eq!(by_next.next(), folded.next());
            }
            for _ in 0..skip_back {
                assert_eq!(by_next.next_back(), folded.next_back());
            }
            let want: Vec<_> = by_next.map(|(r, v)| (r, *v)).collect::<Vec<_>>();
            let got = folded.fold(Vec::new(), |mut acc, (r, v)| {
                acc.push((r, *v));
                acc
            });
            assert_eq!(got, want, "range({a}..={b}) after {skip_front} + {skip_back} taken, {n} ranges");
            // The reverse: `rfold` against `next_back` called one at a time.
            let mut by_next_back = tree.range(a..=b);
            let mut rfolded = tree.range(a..=b);
            for _ in 0..skip_front {
                assert_eq!(by_next_back.next(), rfolded.next());
            }
            for _ in 0..skip_back {
                assert_eq!(by_next_back.next_back(), rfolded.next_back());
            }
            let mut want_rev = Vec::new();
            while let Some((r, v)) = by_next_back.next_back() {
                want_rev.push((r, *v));
            }
            let got_rev = rfolded.rfold(Vec::new(), |mut acc, (r, v)| {
                acc.push((r, *v));
                acc
            });
            assert_eq!(got_rev, want_rev, "range({a}..={b}).rfold after {skip_front} + {skip_back} taken, {n} ranges");
        }
        let by_rfold = tree.iter().rfold(Vec::new(), |mut acc, (r, v)| {
            acc.push((r, *v));
            acc
        });
        assert_eq!(by_rfold, everything.iter().rev().cloned().collect::<Vec<_>>(), "iter().rfold on {n} ranges");
    }
}
