//! Exact aligned search: trees full of near misses (holes of `size` to `size + align - 2`
//! keys at every offset, which the padded `size + align - 1` search used to skip), several
//! levels deep, on allocation and plain trees; every `empty_area*_aligned` answer and every
//! `alloc_area*_aligned` write is checked against the test kit's brute force over the oracle.

use maple_testkit::gaps::{alloc, compare, oracle_empty_area, Query};
use maple_testkit::ops::check;
use maple_testkit::oracle::RangeMap;
use maple_tree::{Error, MapleTree};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A tree of `holes` holes of `size..size + align - 1` keys at random offsets, separated by
/// stored ranges; returns it with its oracle.
fn near_misses(
    rng: &mut SmallRng,
    alloc_tree: bool,
    holes: usize,
    size: u64,
    align: u64,
) -> (MapleTree<u64>, RangeMap<u64>) {
    let mut tree = if alloc_tree { MapleTree::new_alloc() } else { MapleTree::new() };
    let mut oracle = RangeMap::new();
    let mut at = 0u64;
    for i in 0..holes as u64 {
        let used = rng.gen_range(1..3 * align);
        tree.store_range(at, at + used - 1, i).unwrap();
        oracle.store(at, at + used - 1, i);
        at += used + rng.gen_range(size..size + align - 1);
    }
    tree.store_range(at, u64::MAX, 0).unwrap();
    oracle.store(at, u64::MAX, 0);
    check(&tree, &oracle).unwrap();
    (tree, oracle)
}

#[test]
fn aligned_searches_find_every_near_miss() {
    let mut rng = SmallRng::seed_from_u64(13);
    for round in 0..24 {
        let align = 1 << rng.gen_range(1..8);
        let size = rng.gen_range(1..3 * align);
        let (tree, oracle) = near_misses(&mut rng, round % 3 != 0, 1_500, size, align);
        assert!(tree.height() >= 3, "deep enough to exercise the descent");
        let top = oracle.iter().next_back().map(|(r, _)| *r.start()).unwrap();
        for _ in 0..300 {
            let min = rng.gen_range(0..top);
            let max = rng.gen_range(min..=top);
            let size = rng.gen_range(1..=size + align);
            if max - min < size - 1 {
                continue;
            }
            compare(&tree, &oracle, Query { min, max, size, align }).unwrap();
        }
    }
}

#[test]
fn aligned_allocations_match_the_brute_force() {
    let mut rng = SmallRng::seed_from_u64(14);
    for round in 0..12 {
        let align = 1 << rng.gen_range(1..7);
        let size = rng.gen_range(1..2 * align);
        let (mut tree, mut oracle) = near_misses(&mut rng, round % 2 == 0, 800, size, align);
        let top = oracle.iter().next_back().map(|(r, _)| *r.start()).unwrap();
        for step in 0..400u64 {
            let q = Query { min: rng.gen_range(0..top / 2), max: top, size, align };
            let rev = rng.gen();
            let want = oracle_empty_area(&oracle, q, rev);
            let got = alloc(&mut tree, q, rev, step);
            assert_eq!(got, want, "{q:?} rev {rev}");
            match got {
                Ok(start) => {
                    assert_eq!(start % align, 0);
                    oracle.store(start, start + size - 1, step);
                }
                Err(e) => assert_eq!(e, Error::Busy),
            }
            if step % 50 == 0 {
                check(&tree, &oracle).unwrap();
            }
        }
        check(&tree, &oracle).unwrap();
    }
}
