//! The borrowing iterators (`iter`, `range`, `keys`, `values`) under every mix of steps from
//! both ends, `nth`/`nth_back` skips, and the consuming overrides (`fold`, `rfold`, `count`,
//! `last`), against a slice iterator over the sorted model: ends meeting inside one leaf and
//! across leaves, windows that start or end inside an entry, empty and single-entry trees,
//! and entries at both ends of the key space.

use maple_tree::MapleTree;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

type Entry = (u64, u64, u64);

/// `n` entries with gaps of 0 to `max_gap` keys before each, starting at `start`.
fn build(rng: &mut SmallRng, n: u64, max_gap: u64, start: u64) -> (MapleTree<u64>, Vec<Entry>) {
    let mut tree = MapleTree::new();
    let mut model = Vec::new();
    let mut next = start;
    for i in 0..n {
        let first = next + rng.gen_range(0..=max_gap);
        let last = first + rng.gen_range(0..6u64);
        tree.store_range(first, last, i).unwrap();
        model.push((first, last, i));
        next = last + 1;
    }
    tree.validate().unwrap();
    (tree, model)
}

fn as_entry((range, value): (core::ops::RangeInclusive<u64>, &u64)) -> Entry {
    (*range.start(), *range.end(), *value)
}

/// One random run of steps over `tree.range(lo..=hi)` (or `tree.iter()` when `whole`) and
/// the model's entries overlapping the window; every answer must match.
fn run_steps(rng: &mut SmallRng, tree: &MapleTree<u64>, model: &[Entry], lo: u64, hi: u64, whole: bool) {
    let expected: Vec<Entry> = model.iter().copied().filter(|&(f, l, _)| l >= lo && f <= hi).collect();
    let mut oracle = expected.iter().copied();
    let mut ours: Box<dyn DoubleEndedIterator<Item = Entry>> =
        if whole { Box::new(tree.iter().map(as_entry)) } else { Box::new(tree.range(lo..=hi).map(as_entry)) };
    let mut exact = whole.then(|| tree.iter());
    loop {
        let left = oracle.len();
        if let Some(it) = &exact {
            assert_eq!(it.size_hint(), (left, Some(left)), "exact size_hint");
        }
        let (low, high) = ours.size_hint();
        assert!(low <= left && high.map_or(true, |h| h >= left), "size_hint ({low}, {high:?}) with {left} left");
        match rng.gen_range(0..20) {
            0..=6 => {
                let want = oracle.next();
                assert_eq!(ours.next(), want, "next, window {lo}..={hi}");
                if let Some(it) = &mut exact {
                    assert_eq!(it.next().map(as_entry), want);
                }
                if want.is_none() {
                    break;
                }
            }
            7..=13 => {
                let want = oracle.next_back();
                assert_eq!(ours.next_back(), want, "next_back, window {lo}..={hi}");
                if let Some(it) = &mut exact {
                    assert_eq!(it.next_back().map(as_entry), want);
                }
                if want.is_none() {
                    break;
                }
            }
            14 | 15 => {
                let n = rng.gen_range(0..40);
                let want = oracle.nth(n);
                assert_eq!(ours.nth(n), want, "nth({n})");
                if let Some(it) = &mut exact {
                    assert_eq!(it.nth(n).map(as_entry), want);
                }
            }
            16 => {
                let n = rng.gen_range(0..40);
                let want = oracle.nth_back(n);
                assert_eq!(ours.nth_back(n), want, "nth_back({n})");
                if let Some(it) = &mut exact {
                    assert_eq!(it.nth_back(n).map(as_entry), want);
                }
            }
            17 => {
                let want: Vec<Entry> = oracle.clone().collect();
                let mut got = Vec::new();
                let clone_count = exact.clone().map(|it| it.count());
                ours.fold((), |(), e| got.push(e));
                assert_eq!(got, want, "fold");
                if let Some(count) = clone_count {
                    assert_eq!(count, want.len());
                }
                return;
            }
            18 => {
                let want: Vec<Entry> = oracle.clone().rev().collect();
                let mut got = Vec::new();
                ours.rfold((), |(), e| got.push(e));
                assert_eq!(got, want, "rfold");
                return;
            }
            _ => {
                if rng.gen_bool(0.5) {
                    assert_eq!(ours.count(), oracle.len(), "count");
                } else {
                    assert_eq!(ours.last(), oracle.last(), "last");
                }
                return;
            }
        }
    }
    // Fused: nothing more from either end.
    assert_eq!(ours.next(), None);
    assert_eq!(ours.next_back(), None);
}

/// The window's end points: inside an entry, on its ends, in a gap, or at the key space's ends.
fn pick(rng: &mut SmallRng, model: &[Entry]) -> u64 {
    if model.is_empty() || rng.gen_ratio(1, 10) {
        return if rng.gen_bool(0.5) { 0 } else { u64::MAX };
    }
    let (f, l, _) = model[rng.gen_range(0..model.len())];
    match rng.gen_range(0..4) {
        0 => f,
        1 => l,
        2 => rng.gen_range(f..=l),
        _ => l.saturating_add(1),
    }
}

fn check_tree(rng: &mut SmallRng, tree: &MapleTree<u64>, model: &[Entry], rounds: usize) {
    for _ in 0..rounds {
        run_steps(rng, tree, model, 0, u64::MAX, true);
        let (a, b) = (pick(rng, model), pick(rng, model));
        run_steps(rng, tree, model, a.min(b), a.max(b), false);
    }
}

#[test]
fn mixed_steps_in_one_leaf_and_across_leaves() {
    let mut rng = SmallRng::seed_from_u64(0x17e4);
    // One leaf, a few leaves, and trees of several levels; dense and sparse.
    for &(n, gap) in &[(1u64, 0u64), (3, 2), (10, 0), (14, 3), (40, 2), (200, 5), (3000, 4)] {
        let start = rng.gen_range(0..3);
        let (tree, model) = build(&mut rng, n, gap, start);
        check_tree(&mut rng, &tree, &model, 300);
    }
}

#[test]
fn empty_tree_and_empty_windows() {
    let mut rng = SmallRng::seed_from_u64(1);
    let tree: MapleTree<u64> = MapleTree::new();
    check_tree(&mut rng, &tree, &[], 20);
    assert_eq!(tree.iter().count(), 0);
    assert_eq!(tree.range(5..5).next(), None);
    assert_eq!(tree.iter().size_hint(), (0, Some(0)));
    let (tree, _) = build(&mut rng, 50, 3, 10);
    // A window in a gap and a reversed one.
    assert_eq!(tree.range(0..=9).count(), 0);
    assert_eq!(tree.range(0..=9).next_back(), None);
    #[allow(clippy::reversed_empty_ranges)]
    let reversed = tree.range(30..=20).count();
    assert_eq!(reversed, 0);
}

#[test]
fn single_entry_and_key_space_ends() {
    let mut rng = SmallRng::seed_from_u64(2);
    for (first, last) in [(0, 0), (0, u64::MAX), (u64::MAX, u64::MAX), (7, 9), (0, 5), (u64::MAX - 3, u64::MAX)] {
        let mut tree = MapleTree::new();
        tree.store_range(first, last, 1).unwrap();
        let model = [(first, last, 1)];
        check_tree(&mut rng, &tree, &model, 50);
        assert_eq!(tree.iter().last().map(as_entry), Some((first, last, 1)));
    }
    // Many entries with the first at 0 and the last reaching u64::MAX.
    let (mut tree, mut model) = build(&mut rng, 500, 3, 0);
    let top = model.last().unwrap().1 + 1;
    tree.store_range(top, u64::MAX, 999).unwrap();
    model.push((top, u64::MAX, 999));
    tree.store_range(0, 0, 998).unwrap();
    if model[0].0 == 0 {
        model[0].0 = 1;
        if model[0].0 > model[0].1 {
            model.remove(0);
        }
    }
    model.insert(0, (0, 0, 998));
    assert_eq!(tree.iter().map(as_entry).collect::<Vec<_>>(), model);
    check_tree(&mut rng, &tree, &model, 300);
}

#[test]
fn keys_and_values_follow_iter() {
    let mut rng = SmallRng::seed_from_u64(3);
    let (tree, model) = build(&mut rng, 700, 4, 0);
    let keys: Vec<(u64, u64)> = model.iter().map(|&(f, l, _)| (f, l)).collect();
    let values: Vec<u64> = model.iter().map(|&(_, _, v)| v).collect();
    let got: Vec<(u64, u64)> = tree.keys().map(|r| (*r.start(), *r.end())).collect();
    assert_eq!(got, keys);
    let got: Vec<(u64, u64)> = tree.keys().rev().map(|r| (*r.start(), *r.end())).collect();
    assert_eq!(got, keys.iter().rev().copied().collect::<Vec<_>>());
    assert_eq!(tree.values().copied().collect::<Vec<_>>(), values);
    assert_eq!(tree.values().rev().copied().collect::<Vec<_>>(), values.iter().rev().copied().collect::<Vec<_>>());
    for n in [0, 1, 5, 16, 17, 300, 699, 700, 5000] {
        assert_eq!(tree.values().nth(n), values.get(n));
        assert_eq!(tree.values().nth_back(n), values.iter().nth_back(n));
        assert_eq!(tree.keys().nth(n).map(|r| (*r.start(), *r.end())), keys.get(n).copied());
    }
    assert_eq!(tree.values().count(), values.len());
    assert_eq!(tree.keys().count(), keys.len());
    assert_eq!(tree.values().last(), values.last());
    assert_eq!(tree.keys().last().map(|r| (*r.start(), *r.end())), keys.last().copied());
    let mut it = tree.values();
    it.nth(10);
    it.nth_back(10);
    assert_eq!(it.len(), values.len() - 22);
    // An order-dependent fold.
    let mix = |a: u64, v: &u64| a.wrapping_mul(31).wrapping_add(*v);
    assert_eq!(it.fold(0u64, mix), values[11..values.len() - 11].iter().fold(0u64, mix));
}
