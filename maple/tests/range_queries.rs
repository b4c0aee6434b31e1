//! `gaps`, `overlapping`, `overlaps`, `set`, `cut` and `from_sorted` over any range form,
//! checked against the test kit's oracle on seeded random trees and windows.

use maple_testkit::oracle::RangeMap;
use maple_tree::{Error, MapleTree};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::ops::{Bound, RangeBounds};

/// The oracle's free ranges inside `first..=last`, clipped to it.
fn oracle_gaps(oracle: &RangeMap<u64>, first: u64, last: u64) -> Vec<std::ops::RangeInclusive<u64>> {
    oracle.holes_from(first).take_while(|&(s, _)| s <= last).map(|(s, e)| s.max(first)..=e.min(last)).collect()
}

/// A random window in one of the range forms, as bounds (and its inclusive limits, if any).
fn window(rng: &mut SmallRng, span: u64) -> (Bound<u64>, Bound<u64>) {
    let a = rng.gen_range(0..span);
    let b = a + rng.gen_range(0..span / 4 + 1);
    let start = match rng.gen_range(0..4) {
        0 => Bound::Unbounded,
        1 => Bound::Excluded(a),
        _ => Bound::Included(a),
    };
    let end = match rng.gen_range(0..5) {
        0 => Bound::Unbounded,
        1 => Bound::Excluded(b),
        2 => Bound::Included(u64::MAX),
        _ => Bound::Included(b),
    };
    (start, end)
}

fn limits(w: &(Bound<u64>, Bound<u64>)) -> Option<(u64, u64)> {
    let first = match w.start_bound() {
        Bound::Included(&a) => a,
        Bound::Excluded(&a) => a.checked_add(1)?,
        Bound::Unbounded => 0,
    };
    let last = match w.end_bound() {
        Bound::Included(&b) => b,
        Bound::Excluded(&b) => b.checked_sub(1)?,
        Bound::Unbounded => u64::MAX,
    };
    (first <= last).then_some((first, last))
}

#[test]
fn range_queries_against_the_oracle() {
    for seed in 0..40 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let span = if seed % 2 == 0 { 200 } else { 50_000 };
        let (mut tree, mut oracle) = (MapleTree::new(), RangeMap::new());
        for step in 0..1_500u64 {
            let w = window(&mut rng, span);
            let lim = limits(&w);
            if rng.gen_ratio(2, 3) {
                let result = tree.set(w, step);
                match lim {
                    Some((f, l)) => {
                        result.unwrap();
                        oracle.store(f, l, step);
                    }
                    None => assert_eq!(result, Err(Error::Invalid)),
                }
            } else {
                let result = tree.cut(w);
                match lim {
                    Some((f, l)) => {
                        result.unwrap();
                        oracle.remove(f, l);
                    }
                    None => assert_eq!(result, Err(Error::Invalid)),
                }
            }
            tree.validate().unwrap();
            let q = window(&mut rng, span);
            let (want_gaps, want_hits) = match limits(&q) {
                Some((f, l)) => (
                    oracle_gaps(&oracle, f, l),
                    oracle.iter().filter(|(r, _)| *r.end() >= f && *r.start() <= l).map(|(r, v)| (r, *v)).collect(),
                ),
                None => (Vec::new(), Vec::new()),
            };
            assert_eq!(tree.gaps(q).collect::<Vec<_>>(), want_gaps, "seed {seed} step {step} {q:?}");
            let mut back: Vec<_> = tree.gaps(q).rev().collect();
            back.reverse();
            assert_eq!(back, want_gaps);
            // Both ends at random meet without losing or repeating a gap.
            let (mut it, mut front, mut tail) = (tree.gaps(q), Vec::new(), Vec::new());
            loop {
                let next =
                    if rng.gen() { it.next().map(|g| front.push(g)) } else { it.next_back().map(|g| tail.push(g)) };
                if next.is_none() {
                    break;
                }
            }
            front.extend(it);
            front.extend(tail.into_iter().rev());
            assert_eq!(front, want_gaps);
            let hits: Vec<(std::ops::RangeInclusive<u64>, u64)> = tree.overlapping(q).map(|(r, v)| (r, *v)).collect();
            assert_eq!(hits, want_hits);
            assert_eq!(tree.overlaps(q), !want_hits.is_empty());
        }
        let rebuilt = MapleTree::from_sorted(oracle.iter().map(|(r, v)| (*r.start()..r.end().saturating_add(1), *v)));
        if oracle.iter().all(|(r, _)| *r.end() < u64::MAX) {
            assert!(rebuilt.unwrap().iter().eq(tree.iter()));
        }
    }
}

#[test]
fn from_sorted_takes_any_range_form() {
    let tree = MapleTree::from_sorted([(0..10, 'a'), (10..20, 'b')]).unwrap();
    assert_eq!(tree.keys().collect::<Vec<_>>(), [0..=9, 10..=19]);
    let tail = MapleTree::from_sorted([(5.., 'x')]).unwrap();
    assert_eq!(tail.get_key_value(u64::MAX), Some((5..=u64::MAX, &'x')));
    assert_eq!(MapleTree::from_sorted([(0..10, 'a'), (20..20, 'b')]).err(), Some(Error::Invalid));
    assert_eq!(MapleTree::from_sorted([(0..10, 'a'), (9..20, 'b')]).err(), Some(Error::Invalid));
}
