//! Seeded differential test of the maple tree against the `BTreeMap` oracle: every
//! operation is applied to both, then the tree is validated and its full forward and reverse
//! iteration compared with the oracle.
//!
//! `MAPLE_SOAK=N` multiplies the number of seeds by N for a longer soak.

use maple_testkit::gaps::run_alloc_seed;
use maple_testkit::ops::run_seed;

fn soak() -> u64 {
    std::env::var("MAPLE_SOAK").ok().and_then(|s| s.parse().ok()).unwrap_or(1)
}

fn run(seeds: std::ops::Range<u64>, ops: usize, span: u64) -> usize {
    let mut total = 0;
    for seed in seeds.start * soak()..seeds.end * soak() {
        total += run_seed(seed, ops, span).unwrap_or_else(|e| panic!("{e}"));
    }
    println!("{total} operations checked (span {span})");
    total
}

/// Dense collisions in a small key space: shallow trees, constant churn.
#[test]
fn differential_small_span() {
    assert!(run(0..40, 2_000, 600) >= 40_000);
}

/// A wider key space: trees of thousands of ranges, three and four levels deep.
#[test]
fn differential_wide_span() {
    assert!(run(1000..1012, 12_000, 200_000) >= 100_000);
}

/// Very wide keys: sparse trees whose stores mostly land in gaps.
#[test]
fn differential_sparse() {
    assert!(run(2000..2010, 6_000, 1 << 40) >= 50_000);
}

/// Long runs: trees of several thousand ranges, grown and erased to nothing in every order.
#[test]
fn differential_deep() {
    assert!(run(3000..3002, 40_000, 1 << 22) >= 80_000);
}

/// Trees built by `from_sorted` (packed full) then churned: the first writes split and
/// rebalance full nodes everywhere.
#[test]
fn differential_from_bulk() {
    use maple_testkit::ops::{apply, check, Generator, Phase};
    use maple_testkit::oracle::RangeMap;
    let mut total = 0;
    for seed in 0..6 * soak() {
        let n = [1, 15, 16, 17, 300, 5000][seed as usize % 6];
        let mut oracle = RangeMap::new();
        for i in 0..n {
            if i % 7 != 3 {
                oracle.store(i * 10, i * 10 + 9 - i % 3 * 4, i);
            }
        }
        let mut tree = maple_tree::MapleTree::from_sorted(oracle.iter().map(|(r, v)| (r, *v))).unwrap();
        check(&tree, &oracle).unwrap();
        let mut gen = Generator::new(seed, n * 10);
        for phase in [Phase::Grow, Phase::EraseRandom, Phase::Span] {
            for _ in 0..2_000 {
                let op = gen.op(&oracle, phase);
                apply(&mut tree, &mut oracle, op)
                    .and_then(|()| check(&tree, &oracle))
                    .unwrap_or_else(|e| panic!("seed {seed}: {op:?}: {e}"));
                total += 1;
            }
        }
    }
    println!("{total} operations checked");
}

fn run_alloc(seeds: std::ops::Range<u64>, ops: usize, span: u64, searches: usize) -> usize {
    let mut total = 0;
    for seed in seeds.start * soak()..seeds.end * soak() {
        total += run_alloc_seed(seed, ops, span, searches).unwrap_or_else(|e| panic!("{e}"));
    }
    println!("{total} operations checked on allocation trees, {searches} gap searches after each (span {span})");
    total
}

/// Allocation trees: after every operation, `validate()` checks every recorded gap (G1, G2)
/// and random `empty_area`/`empty_area_rev` queries (exact hole sizes, size 1, windows that
/// cut a hole, `u64::MAX` edges, aligned) are compared with a brute-force scan of the oracle;
/// now and then an `alloc_area` (any direction and alignment) is checked the same way.
#[test]
fn differential_alloc_small_span() {
    assert!(run_alloc(0..30, 2_000, 600, 4) >= 30_000);
}

/// Allocation trees of thousands of ranges, three and four levels deep.
#[test]
fn differential_alloc_wide_span() {
    assert!(run_alloc(500..506, 12_000, 200_000, 3) >= 50_000);
}

/// Sparse allocation trees: huge holes, searches cut by the window's ends.
#[test]
fn differential_alloc_sparse() {
    assert!(run_alloc(700..706, 6_000, 1 << 40, 3) >= 30_000);
}

/// Bulk-built allocation trees (`from_sorted_alloc`), then churned with searches.
#[test]
fn differential_alloc_from_bulk() {
    use maple_testkit::gaps::search_and_alloc;
    use maple_testkit::ops::{apply, check, Generator, Phase};
    use maple_testkit::oracle::RangeMap;
    for seed in 0..6 * soak() {
        let n = [1, 15, 16, 17, 300, 3000][seed as usize % 6];
        let mut oracle = RangeMap::new();
        for i in 0..n {
            if i % 5 != 2 {
                oracle.store(i * 10, i * 10 + 9 - i % 4 * 2, i);
            }
        }
        let mut tree = maple_tree::MapleTree::from_sorted_alloc(oracle.iter().map(|(r, v)| (r, *v))).unwrap();
        check(&tree, &oracle).unwrap();
        let mut gen = Generator::new(seed, n * 10);
        for phase in [Phase::Grow, Phase::EraseRandom, Phase::Span] {
            for _ in 0..1_500 {
                let op = gen.op(&oracle, phase);
                apply(&mut tree, &mut oracle, op)
                    .and_then(|()| check(&tree, &oracle))
                    .and_then(|()| search_and_alloc(&mut tree, &mut oracle, &mut gen, 3))
                    .unwrap_or_else(|e| panic!("seed {seed}: {op:?}: {e}"));
            }
        }
    }
}
