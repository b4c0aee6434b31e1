//! `CoalescingMap` against `rangemap::RangeInclusiveMap` itself on seeded random inserts and
//! removals: the same entries after every operation, the same gaps and overlap queries.

use maple_tree::{CoalescingMap, Error};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rangemap::RangeInclusiveMap;

/// A non-empty range: mostly in `0..span`, sometimes reaching the top of the key space.
fn range(rng: &mut SmallRng, span: u64) -> (u64, u64) {
    if rng.gen_ratio(1, 25) {
        let first = u64::MAX - rng.gen_range(0..span);
        return (first, first.saturating_add(rng.gen_range(0..span)));
    }
    let first = rng.gen_range(0..span);
    (first, first + rng.gen_range(0..span / 6 + 1))
}

fn run(seed: u64, ops: usize, span: u64, values: u8) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut ours = CoalescingMap::new();
    let mut theirs: RangeInclusiveMap<u64, u8> = RangeInclusiveMap::new();
    for step in 0..ops {
        let (f, l) = range(&mut rng, span);
        if rng.gen_ratio(3, 4) {
            let v = rng.gen_range(0..values);
            ours.insert(f..=l, v).unwrap();
            theirs.insert(f..=l, v);
        } else {
            ours.remove(f..=l).unwrap();
            theirs.remove(f..=l);
        }
        ours.validate().unwrap_or_else(|e| panic!("seed {seed} step {step}: {e}"));
        let got: Vec<_> = ours.iter().map(|(r, v)| (r, *v)).collect();
        let want: Vec<_> = theirs.iter().map(|(r, v)| (r.clone(), *v)).collect();
        assert_eq!(got, want, "seed {seed} step {step}");
        let (a, b) = range(&mut rng, span);
        let gaps: Vec<_> = ours.gaps(a..=b).collect();
        assert_eq!(gaps, theirs.gaps(&(a..=b)).collect::<Vec<_>>(), "seed {seed} step {step} gaps {a}..={b}");
        let hits: Vec<_> = ours.overlapping(a..=b).map(|(r, v)| (r, *v)).collect();
        let want_hits: Vec<_> = theirs.overlapping(&(a..=b)).map(|(r, v)| (r.clone(), *v)).collect();
        assert_eq!(hits, want_hits);
        let k = rng.gen_range(0..span);
        assert_eq!(ours.get_key_value(k).map(|(r, v)| (r, *v)), theirs.get_key_value(&k).map(|(r, v)| (r.clone(), *v)));
    }
}

#[test]
fn coalescing_matches_rangemap_few_values() {
    for seed in 0..40 {
        run(seed, 1_500, 300, 2);
    }
}

#[test]
fn coalescing_matches_rangemap_many_values() {
    for seed in 100..110 {
        run(seed, 4_000, 20_000, 5);
    }
}

#[test]
fn coalescing_rejects_empty_ranges() {
    let mut map = CoalescingMap::new();
    map.insert(0..10, 'a').unwrap();
    assert_eq!(map.insert(5..5, 'a'), Err(Error::Invalid));
    assert_eq!(map.remove(7..7), Err(Error::Invalid));
    assert_eq!(map.len(), 1);
}
