//! Free-range searches checked against a brute-force scan of the oracle's holes, and the
//! allocating writes (`alloc_area`, `alloc_area_rev`, their `_aligned` forms, `alloc_cyclic`)
//! checked the same way.

use crate::ops::{run_seed_on, Generator};
use crate::oracle::RangeMap;
use maple_tree::{Error, MapleTree};
use rand::Rng;

/// One free-range search: `size` keys in `min..=max`, aligned to `align` (1: unaligned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Query {
    /// Lowest key of the window.
    pub min: u64,
    /// Highest key of the window.
    pub max: u64,
    /// Keys wanted.
    pub size: u64,
    /// Alignment of the start, a power of two (1 for none).
    pub align: u64,
}

/// The kernel's argument rules, as the tree should apply them.
fn invalid(q: Query) -> bool {
    q.min > q.max || q.size == 0 || q.max - q.min < q.size - 1
}

/// The brute-force answer: the lowest (or, `rev`, highest) fit among the oracle's holes cut
/// to the window, aligned exactly: the lowest (or highest) start that is a multiple of
/// `align` and begins `size` free keys inside the window, found by scanning every hole.
pub fn oracle_empty_area(oracle: &RangeMap<u64>, q: Query, rev: bool) -> Result<u64, Error> {
    if invalid(q) || !q.align.is_power_of_two() {
        return Err(Error::Invalid);
    }
    let mask = q.align - 1;
    // The aligned start of `size` keys inside the hole cut to the window: the lowest one, or
    // the highest (`rev`).
    let start = |(first, last): (u64, u64)| -> Option<u64> {
        let (a, b) = (first.max(q.min), last.min(q.max));
        if a > b || b - a < q.size - 1 {
            return None;
        }
        if rev {
            let s = (b - (q.size - 1)) & !mask;
            (s >= a).then_some(s)
        } else {
            let s = a.checked_add(a.wrapping_neg() & mask)?;
            (s <= b && b - s >= q.size - 1).then_some(s)
        }
    };
    if rev {
        oracle.holes_back(q.max).take_while(|&(_, l)| l >= q.min).find_map(start).ok_or(Error::Busy)
    } else {
        oracle.holes_from(q.min).take_while(|&(f, _)| f <= q.max).find_map(start).ok_or(Error::Busy)
    }
}

/// A random hole of the oracle (or the whole key space when it is empty).
fn some_hole(gen: &mut Generator, oracle: &RangeMap<u64>) -> (u64, u64) {
    if oracle.is_empty() {
        return (0, u64::MAX);
    }
    let i = gen.rng().gen_range(0..oracle.len());
    let (range, _) = oracle.nth(i).unwrap();
    if gen.rng().gen() {
        oracle.holes_from(*range.end()).next().unwrap_or((0, u64::MAX))
    } else {
        oracle.holes_back(*range.start()).next().unwrap_or((0, u64::MAX))
    }
}

/// A query biased towards the kernel's historical gap bugs: exact hole sizes (and ±1),
/// size 1, windows that cut a hole or end exactly at one, `0` and `u64::MAX` edges, huge
/// sizes, and some invalid ones.
pub fn query(gen: &mut Generator, oracle: &RangeMap<u64>) -> Query {
    let (first, last) = some_hole(gen, oracle);
    let hole = (last - first).saturating_add(1);
    let rng = gen.rng();
    let size = match rng.gen_range(0..10) {
        0..=2 => hole,
        3 => hole.saturating_add(1),
        4 => hole.saturating_sub(1).max(1),
        5 => 1,
        6 => rng.gen_range(1..=16),
        7 => u64::MAX - rng.gen_range(0..3),
        8 => 0,
        _ => rng.gen_range(1..=hole.max(1)),
    };
    let (mut min, mut max) = match rng.gen_range(0..8) {
        0 => (0, u64::MAX),
        1 => (first, last),
        2 => (first.saturating_add(rng.gen_range(0..3)), last.saturating_sub(rng.gen_range(0..3))),
        3 => (rng.gen_range(first..=last), u64::MAX),
        4 => (0, rng.gen_range(first..=last)),
        5 => (first.saturating_sub(rng.gen_range(0..1000)), last.saturating_add(rng.gen_range(0..1000))),
        6 => (rng.gen(), rng.gen()),
        _ => (rng.gen_range(0..first.max(1)), rng.gen_range(first..=u64::MAX)),
    };
    if rng.gen_range(0..20) != 0 && min > max {
        std::mem::swap(&mut min, &mut max);
    }
    let align = if rng.gen_range(0..4) == 0 { 1 << rng.gen_range(0..13) } else { 1 };
    Query { min, max, size, align }
}

/// Runs `q` forward and reverse on the tree and on the oracle; describes any difference.
pub fn compare(tree: &MapleTree<u64>, oracle: &RangeMap<u64>, q: Query) -> Result<(), String> {
    let (fwd, rev) = if q.align == 1 {
        (tree.empty_area(q.min, q.max, q.size), tree.empty_area_rev(q.min, q.max, q.size))
    } else {
        (
            tree.empty_area_aligned(q.min, q.max, q.size, q.align),
            tree.empty_area_rev_aligned(q.min, q.max, q.size, q.align),
        )
    };
    let (want_fwd, want_rev) = (oracle_empty_area(oracle, q, false), oracle_empty_area(oracle, q, true));
    if fwd != want_fwd || rev != want_rev {
        return Err(format!(
            "{q:?}: empty_area {fwd:x?} (oracle {want_fwd:x?}), empty_area_rev {rev:x?} (oracle {want_rev:x?})"
        ));
    }
    Ok(())
}

/// After-operation step for allocation trees: `searches` random queries compared with the
/// oracle and, now and then, an allocating write checked against the oracle's answer.
pub fn search_and_alloc(
    tree: &mut MapleTree<u64>,
    oracle: &mut RangeMap<u64>,
    gen: &mut Generator,
    searches: usize,
) -> Result<(), String> {
    for _ in 0..searches {
        let q = query(gen, oracle);
        compare(tree, oracle, q)?;
    }
    if gen.rng().gen_range(0..6) != 0 {
        return Ok(());
    }
    let q = query(gen, oracle);
    let rev = gen.rng().gen();
    let value = gen.rng().gen();
    let got = alloc(tree, q, rev, value);
    let want = oracle_empty_area(oracle, q, rev);
    if got != want {
        return Err(format!("{q:?} alloc (rev {rev}): tree {got:x?}, oracle {want:x?}"));
    }
    if let Ok(start) = got {
        oracle.store(start, start + (q.size - 1), value);
    }
    crate::ops::check(tree, oracle)
}

/// The allocating write of `q`: `alloc_area(_rev)`, or its `_aligned` form when `q.align > 1`.
pub fn alloc(tree: &mut MapleTree<u64>, q: Query, rev: bool, value: u64) -> Result<u64, Error> {
    match (rev, q.align) {
        (false, 1) => tree.alloc_area(q.min, q.max, q.size, value),
        (true, 1) => tree.alloc_area_rev(q.min, q.max, q.size, value),
        (false, align) => tree.alloc_area_aligned(q.min, q.max, q.size, align, value),
        (true, align) => tree.alloc_area_rev_aligned(q.min, q.max, q.size, align, value),
    }
}

/// The seeded differential run on an allocation tree: every operation of
/// [`crate::ops::run_seed`], each followed by `searches` gap searches and sometimes an
/// allocating write, with `validate()` (gaps included) after each.
pub fn run_alloc_seed(seed: u64, ops: usize, span: u64, searches: usize) -> Result<usize, String> {
    run_seed_on(MapleTree::new_alloc(), seed, ops, span, |tree, oracle, gen| {
        search_and_alloc(tree, oracle, gen, searches)
    })
}
