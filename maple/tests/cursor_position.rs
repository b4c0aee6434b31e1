//! Writes through a [`CursorMut`] that start from the cursor's position, against the oracle.
//!
//! An `Active` cursor's store starts from the node it stands on instead of the root (as the
//! kernel's `mas_store` reuses the walked node), and a store written in its leaf leaves the
//! cursor on the written range without a new walk. These tests keep one cursor across many
//! writes and moves (every boundary of a multi-level allocation tree, `u64::MAX`, a fit found
//! by `empty_area`, after `pause`, `reset` and a failed write) and check after each write what
//! the cursor reports and, once the cursor is dropped, the whole tree (validator included)
//! against a [`RangeMap`].

use maple_testkit::ops::check;
use maple_testkit::oracle::RangeMap;
use maple_tree::{CursorMut, Error, MapleTree, Status};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

const MAX: u64 = u64::MAX;

/// A random allocation tree of about `n` ranges with holes, the last range ending at
/// `u64::MAX` (height 3 or more for a few hundred ranges), and its oracle.
fn build(rng: &mut SmallRng, n: usize) -> (MapleTree<u64>, RangeMap<u64>) {
    let mut tree = MapleTree::new_alloc();
    let mut oracle = RangeMap::new();
    let mut at = rng.gen_range(0..3u64);
    for v in 0..n as u64 {
        let last = at + rng.gen_range(0..4u64);
        tree.store_range(at, last, v).unwrap();
        oracle.store(at, last, v);
        at = last + 1 + rng.gen_range(0..3u64);
    }
    tree.store_range(MAX - 5, MAX, n as u64).unwrap();
    oracle.store(MAX - 5, MAX, n as u64);
    check(&tree, &oracle).unwrap();
    assert!(tree.height() >= 3, "a tree of {n} ranges has height {}", tree.height());
    (tree, oracle)
}

/// A key worth standing on: a range boundary (or a key beside one), 0 or `u64::MAX`.
fn key(rng: &mut SmallRng, oracle: &RangeMap<u64>) -> u64 {
    match rng.gen_range(0..8) {
        0 => 0,
        1 => MAX,
        _ => {
            let bounds: Vec<u64> = oracle.boundaries().collect();
            let b = bounds[rng.gen_range(0..bounds.len())];
            match rng.gen_range(0..3) {
                0 => b.saturating_sub(1),
                1 => b,
                _ => b.saturating_add(1),
            }
        }
    }
}

/// The range a store over `first..=last` leaves the cursor on, from the oracle after the
/// store: the range written, or for a NULL store the hole holding `first`.
fn expected_range(oracle: &RangeMap<u64>, first: u64, last: u64, null: bool) -> (u64, u64) {
    if !null {
        return (first, last);
    }
    let start = oracle.iter().rev().map(|(r, _)| *r.end()).find(|&e| e < first).map_or(0, |e| e + 1);
    let end = oracle.iter().map(|(r, _)| *r.start()).find(|&s| s > first).map_or(MAX, |s| s - 1);
    (start, end)
}

/// Moves the cursor somewhere (the position the next write starts from). Returns a
/// description for failure messages.
fn position(rng: &mut SmallRng, c: &mut CursorMut<'_, u64>, oracle: &RangeMap<u64>) -> String {
    let k = key(rng, oracle);
    match rng.gen_range(0..11) {
        0 => {
            c.set(k);
            c.walk();
            format!("walk({k})")
        }
        1 => {
            c.set(k);
            c.find(MAX);
            format!("find({k})")
        }
        2 => {
            c.set(k);
            c.find_rev(0);
            format!("find_rev({k})")
        }
        3 => {
            c.next(MAX);
            "next".into()
        }
        4 => {
            c.prev(0);
            "prev".into()
        }
        5 => {
            c.next_range(MAX);
            "next_range".into()
        }
        6 => {
            c.prev_range(0);
            "prev_range".into()
        }
        7 => {
            let size = rng.gen_range(1..4);
            let rev = rng.gen_bool(0.5);
            let (lo, hi) = (k.min(MAX - 64), MAX);
            let _ = if rev { c.empty_area_rev(lo, hi, size) } else { c.empty_area(lo, hi, size) };
            format!("empty_area(rev: {rev}, {lo}, size {size})")
        }
        8 => {
            c.pause();
            c.find(MAX);
            "pause + find".into()
        }
        9 => {
            c.reset();
            "reset".into()
        }
        _ => "stay".into(),
    }
}

/// One write over `index()..=last()` through the cursor, checked against the oracle, which
/// it updates. `fail` makes a node allocation fail first (when the write needs one).
fn write(rng: &mut SmallRng, c: &mut CursorMut<'_, u64>, oracle: &mut RangeMap<u64>, v: u64, why: &str) {
    let (first, last) = (c.index(), c.last());
    if first > last {
        return;
    }
    let null = rng.gen_bool(0.4);
    let before = (c.status(), first, last);
    let result = if null { c.store(None) } else { c.store(Some(v)) };
    match result {
        Ok(_) => {
            if null {
                oracle.remove(first, last);
            } else {
                oracle.store(first, last, v);
            }
            if oracle.is_empty() {
                assert_eq!((c.status(), c.index(), c.last()), (Status::Start, 0, MAX), "{why}: emptied");
                return;
            }
            let want = expected_range(oracle, first, last, null);
            assert_eq!(c.status(), Status::Active, "{why}: after a store from {before:?}");
            assert_eq!((c.index(), c.last()), want, "{why}: store of null {null} from {before:?}");
            let at = oracle.get(first).map(|(_, &x)| x);
            assert_eq!(c.current().copied(), at, "{why}: current() after the store from {before:?}");
        }
        Err(e) => {
            assert_eq!(e, Error::NoMemory, "{why}: from {before:?}");
            assert_eq!(c.status(), Status::Error(Error::NoMemory), "{why}");
        }
    }
}

/// Many positioned writes with one cursor, several between two checks of the whole tree.
fn run(seed: u64, fail: bool) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let (mut tree, mut oracle) = build(&mut rng, 400);
    let mut v = 1_000_000;
    for round in 0..60 {
        if fail {
            tree.fail_nth_alloc(Some(rng.gen_range(0..3)));
        }
        {
            let mut c = tree.cursor_mut(key(&mut rng, &oracle));
            for step in 0..rng.gen_range(1..8) {
                let why = position(&mut rng, &mut c, &oracle);
                let why = format!("seed {seed} round {round} step {step} {why}");
                // A failed write leaves the cursor in Error; a walk is the way on from there.
                if matches!(c.status(), Status::Error(_)) {
                    c.walk();
                }
                v += 1;
                write(&mut rng, &mut c, &mut oracle, v, &why);
                // A second write from where the first one left the cursor (its range).
                if rng.gen_bool(0.5) && !matches!(c.status(), Status::Error(_)) {
                    v += 1;
                    write(&mut rng, &mut c, &mut oracle, v, &format!("{why}, again"));
                }
            }
        }
        tree.fail_nth_alloc(None);
        check(&tree, &oracle).unwrap_or_else(|e| panic!("seed {seed} round {round}: {e}"));
    }
}

#[test]
fn positioned_writes_match_the_oracle() {
    for seed in 0..24 {
        run(seed, false);
    }
}

#[test]
fn positioned_writes_after_failed_writes_match_the_oracle() {
    for seed in 100..112 {
        run(seed, true);
    }
}

/// The cursor on the last slot (ending at `u64::MAX`) and on the first (starting at 0).
#[test]
fn writes_at_the_ends_of_the_key_space() {
    let mut tree = MapleTree::new_alloc();
    let mut oracle = RangeMap::new();
    for i in 0..300u64 {
        tree.store_range(i * 10, i * 10 + 4, i).unwrap();
        oracle.store(i * 10, i * 10 + 4, i);
    }
    {
        let mut c = tree.cursor_mut(MAX);
        assert_eq!(c.walk(), None);
        assert_eq!((c.index(), c.last()), (2995, MAX));
        c.set_range(MAX - 1, MAX);
        c.store(Some(7)).unwrap();
        assert_eq!((c.index(), c.last(), c.current()), (MAX - 1, MAX, Some(&7)));
        // From that position: the same range again, then NULL over it.
        c.store(Some(8)).unwrap();
        assert_eq!(c.current(), Some(&8));
        c.store(None).unwrap();
        assert_eq!((c.index(), c.last(), c.status()), (2995, MAX, Status::Active));
        c.set(0);
        assert_eq!(c.walk(), Some(&0));
        c.store(None).unwrap();
        assert_eq!((c.index(), c.last()), (0, 9));
        c.store(Some(9)).unwrap();
        assert_eq!((c.index(), c.last(), c.current()), (0, 9, Some(&9)));
    }
    oracle.store(0, 9, 9);
    check(&tree, &oracle).unwrap();
}
