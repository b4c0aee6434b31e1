//! The std-map API (get/get_mut/entry/iter_mut/range_mut/retain/pop/no-split stores) checked
//! against the test kit's oracle on seeded random operations, with `validate()` after each.

use maple_testkit::oracle::RangeMap;
use maple_tree::{Entry, Error, MapleTree};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::cell::Cell;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// A key: mostly in `0..span`, sometimes at the top of the key space.
fn key(rng: &mut SmallRng, span: u64) -> u64 {
    if rng.gen_ratio(1, 20) {
        u64::MAX - rng.gen_range(0..4)
    } else {
        rng.gen_range(0..span)
    }
}

/// A non-empty range `(first, last)` of up to `width` keys.
fn range(rng: &mut SmallRng, span: u64, width: u64) -> (u64, u64) {
    let first = key(rng, span);
    (first, first.saturating_add(rng.gen_range(0..width)))
}

/// Whether storing over `first..=last` cuts one of the oracle's ranges in two.
fn splits(oracle: &RangeMap<u64>, first: u64, last: u64) -> bool {
    oracle.get(first).is_some_and(|(r, _)| *r.start() < first && last < *r.end())
}

/// The free range of the oracle around the vacant `key`.
fn hole(oracle: &RangeMap<u64>, key: u64) -> (u64, u64) {
    oracle.holes_from(key).next().expect("a vacant key lies in a hole")
}

/// Replaces the value of the oracle's range holding `key` (an exact overwrite).
fn oracle_set(oracle: &mut RangeMap<u64>, key: u64, value: u64) {
    let (r, _) = oracle.get(key).expect("the key holds a value");
    oracle.store(*r.start(), *r.end(), value);
}

fn check(tree: &MapleTree<u64>, oracle: &RangeMap<u64>, rng: &mut SmallRng, span: u64, step: usize) {
    tree.validate().unwrap_or_else(|v| panic!("step {step}: {v}"));
    assert_eq!(tree.len(), oracle.len(), "step {step}");
    let want: Vec<_> = oracle.iter().map(|(r, v)| (r, *v)).collect();
    assert_eq!(tree.iter().map(|(r, v)| (r, *v)).collect::<Vec<_>>(), want, "step {step}");
    assert!(tree.keys().eq(want.iter().map(|(r, _)| r.clone())));
    assert!(tree.values().rev().eq(want.iter().rev().map(|(_, v)| v)));
    assert_eq!(tree.first_key_value().map(|(r, v)| (r, *v)), want.first().cloned());
    assert_eq!(tree.last_key_value().map(|(r, v)| (r, *v)), want.last().cloned());
    for _ in 0..4 {
        let k = key(rng, span);
        let expect = oracle.get(k).map(|(r, v)| (r, *v));
        assert_eq!(tree.get_key_value(k).map(|(r, v)| (r, *v)), expect, "step {step} key {k}");
        assert_eq!(tree.get(k).copied(), expect.as_ref().map(|e| e.1));
        assert_eq!(tree.contains_key(k), expect.is_some());
        if let Some((_, v)) = expect {
            assert_eq!(tree[k], v);
        }
    }
}

/// One random std-API operation on both.
fn step(tree: &mut MapleTree<u64>, oracle: &mut RangeMap<u64>, rng: &mut SmallRng, span: u64, next: &mut u64) {
    let width = (span / 8).max(2);
    *next += 1;
    let value = *next;
    match rng.gen_range(0..13) {
        0 | 1 => {
            let (f, l) = range(rng, span, width);
            tree.store_range(f, l, value).unwrap();
            oracle.store(f, l, value);
        }
        2 => {
            let (f, l) = range(rng, span, width);
            match tree.try_insert(f..=l, value) {
                Ok(v) => {
                    assert_eq!(*v, value);
                    assert!(!oracle.occupied(f, l));
                    oracle.store(f, l, value);
                }
                Err(e) => assert_eq!((e, oracle.occupied(f, l)), (Error::Exists, true)),
            }
        }
        3 => {
            let (f, l) = range(rng, span, width);
            let result = tree.store_no_split(f..=l, value);
            if splits(oracle, f, l) {
                assert_eq!(result, Err(Error::WouldSplit));
            } else {
                result.unwrap();
                oracle.store(f, l, value);
            }
        }
        4 => {
            let (f, l) = range(rng, span, width);
            let result = tree.remove_no_split(f..=l);
            if splits(oracle, f, l) {
                assert_eq!(result, Err(Error::WouldSplit));
            } else {
                result.unwrap();
                oracle.remove(f, l);
            }
        }
        5 => {
            let k = key(rng, span);
            let expect = oracle.get(k).map(|(r, _)| r);
            assert_eq!(tree.remove_entry(k).map(|(r, _)| r), expect);
            oracle.erase(k);
        }
        6 => {
            let k = key(rng, span);
            if let Some(v) = tree.get_mut(k) {
                *v += 1_000_000;
                let new = *v;
                oracle_set(oracle, k, new);
            } else {
                assert!(oracle.get(k).is_none());
            }
        }
        7 => entry_step(tree, oracle, rng, span, value),
        8 => {
            let (f, l) = range(rng, span, span);
            let want: Vec<_> =
                oracle.iter().filter(|(r, _)| *r.end() >= f && *r.start() <= l).map(|(r, _)| r).collect();
            let (mut front, mut back) = (0, want.len());
            let mut it = tree.range_mut(f..=l);
            let mut changed = Vec::new();
            while front < back {
                let (r, v) = if rng.gen() {
                    front += 1;
                    let item = it.next().expect("range_mut ended early");
                    assert_eq!(item.0, want[front - 1]);
                    item
                } else {
                    back -= 1;
                    let item = it.next_back().expect("range_mut ended early");
                    assert_eq!(item.0, want[back]);
                    item
                };
                *v += 7;
                changed.push((*r.start(), *v));
            }
            assert!(it.next().is_none() && it.next_back().is_none());
            for (k, v) in changed {
                oracle_set(oracle, k, v);
            }
        }
        9 => {
            let m = rng.gen_range(2..5);
            tree.retain(|_, v| {
                *v += 1;
                *v % m != 0
            });
            let kept: Vec<_> = oracle.iter().map(|(r, v)| (r, *v + 1)).collect();
            *oracle = RangeMap::new();
            for (r, v) in kept.into_iter().filter(|(_, v)| v % m != 0) {
                oracle.store(*r.start(), *r.end(), v);
            }
        }
        10 => {
            let got = if rng.gen() { tree.pop_first() } else { tree.pop_last() };
            if let Some((r, v)) = got {
                assert_eq!(oracle.erase(*r.start()), Some(v));
            } else {
                assert!(oracle.is_empty());
            }
        }
        11 => {
            let n = tree.len();
            let it = tree.iter_mut();
            assert_eq!(it.len(), n);
            for (i, (_, v)) in it.rev().enumerate() {
                *v = v.wrapping_mul(3) + i as u64;
            }
            let updated: Vec<_> =
                oracle.iter().rev().enumerate().map(|(i, (r, v))| (*r.start(), v.wrapping_mul(3) + i as u64)).collect();
            for (k, v) in updated {
                oracle_set(oracle, k, v);
            }
        }
        _ => {
            tree.values_mut().for_each(|v| *v ^= 1);
            let updated: Vec<_> = oracle.iter().map(|(r, v)| (*r.start(), *v ^ 1)).collect();
            for (k, v) in updated {
                oracle_set(oracle, k, v);
            }
        }
    }
}

/// The entry API at a random key.
fn entry_step(tree: &mut MapleTree<u64>, oracle: &mut RangeMap<u64>, rng: &mut SmallRng, span: u64, value: u64) {
    let k = key(rng, span);
    match tree.entry(k) {
        Entry::Occupied(mut e) => {
            let (r, v) = oracle.get(k).expect("occupied in the tree, so in the oracle");
            assert_eq!((e.key(), e.range(), *e.get()), (k, r.clone(), *v));
            match rng.gen_range(0..3) {
                0 => {
                    assert_eq!(e.insert(value), *v);
                    oracle.store(*r.start(), *r.end(), value);
                }
                1 => {
                    let (range, old) = e.remove_entry();
                    assert_eq!(range, r);
                    assert_eq!(oracle.erase(k), Some(old));
                }
                _ => {
                    *e.get_mut() += 1;
                    let new = *e.into_mut();
                    oracle.store(*r.start(), *r.end(), new);
                }
            }
        }
        Entry::Vacant(e) => {
            assert!(oracle.get(k).is_none());
            let (s, end) = hole(oracle, k);
            assert_eq!((e.key(), e.gap()), (k, s..=end));
            match rng.gen_range(0..3) {
                0 => {
                    assert_eq!(*e.insert(value), value);
                    oracle.store(k, k, value);
                }
                1 => {
                    let first = rng.gen_range(s..=end);
                    let last = rng.gen_range(first..=end);
                    assert_eq!(*e.insert_range(first..=last, value).unwrap(), value);
                    oracle.store(first, last, value);
                }
                _ => {
                    // One key more than the gap, where there is one.
                    let outside = if s > 0 { (s - 1)..=end } else { s..=end.saturating_add(1) };
                    if outside != (s..=end) {
                        assert_eq!(e.insert_range(outside, value).err(), Some(Error::Invalid));
                    }
                }
            }
        }
    }
}

fn run(seed: u64, ops: usize, span: u64) {
    let mut rng = SmallRng::seed_from_u64(seed);
    let (mut tree, mut oracle) = (MapleTree::new(), RangeMap::new());
    let mut next = 0;
    for i in 0..ops {
        step(&mut tree, &mut oracle, &mut rng, span, &mut next);
        check(&tree, &oracle, &mut rng, span, i);
    }
}

#[test]
fn std_api_small_span() {
    for seed in 0..30 {
        run(seed, 1_500, 300);
    }
}

#[test]
fn std_api_wide_span() {
    for seed in 100..104 {
        run(seed, 6_000, 100_000);
    }
}

/// A value that cannot be cloned and counts how many of it are alive.
struct Token {
    id: u64,
    live: Rc<Cell<usize>>,
}

impl Token {
    fn new(id: u64, live: &Rc<Cell<usize>>) -> Token {
        live.set(live.get() + 1);
        Token { id, live: live.clone() }
    }
}

impl Drop for Token {
    fn drop(&mut self) {
        self.live.set(self.live.get() - 1);
    }
}

/// Every store that needs no `T: Clone`, on a value that has none, against the oracle: no
/// value is lost, duplicated or leaked (the live count always equals `len()`).
#[test]
fn non_clone_values() {
    let live = Rc::new(Cell::new(0));
    for seed in 0..20 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let span = 400;
        let (mut tree, mut oracle) = (MapleTree::new(), RangeMap::new());
        for i in 0..2_000u64 {
            let (f, l) = range(&mut rng, span, 40);
            match rng.gen_range(0..6) {
                0 => match tree.insert_range(f, l, Token::new(i, &live)) {
                    Ok(()) => oracle.store(f, l, i),
                    Err(e) => assert_eq!((e, oracle.occupied(f, l)), (Error::Exists, true)),
                },
                1 | 2 => {
                    let result = tree.store_no_split(f..=l, Token::new(i, &live));
                    if splits(&oracle, f, l) {
                        assert_eq!(result, Err(Error::WouldSplit));
                    } else {
                        result.unwrap();
                        oracle.store(f, l, i);
                    }
                }
                3 => {
                    let result = tree.remove_no_split(f..=l);
                    if splits(&oracle, f, l) {
                        assert_eq!(result, Err(Error::WouldSplit));
                    } else {
                        result.unwrap();
                        oracle.remove(f, l);
                    }
                }
                4 => assert_eq!(tree.erase(f).unwrap().map(|t| t.id), oracle.erase(f)),
                _ => {
                    if let Ok(start) = tree.alloc_area(0, span, l - f + 1, Token::new(i, &live)) {
                        oracle.store(start, start + (l - f), i);
                    }
                }
            }
            tree.validate().unwrap();
            assert_eq!(live.get(), tree.len(), "seed {seed} step {i}");
            let got: Vec<_> = tree.iter().map(|(r, t)| (r, t.id)).collect();
            let want: Vec<_> = oracle.iter().map(|(r, v)| (r, *v)).collect();
            assert_eq!(got, want, "seed {seed} step {i}");
        }
        drop(tree);
        assert_eq!(live.get(), 0);
    }
}

fn hash_of<T: Hash>(value: &T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// `Eq`, `Ord` and `Hash` agree with the same relations on the `(start, end, value)` list.
#[test]
fn comparisons_follow_the_entry_list() {
    let mut rng = SmallRng::seed_from_u64(7);
    let trees: Vec<MapleTree<u8>> = (0..60)
        .map(|_| {
            let n = rng.gen_range(0..4);
            (0..n).map(|_| (rng.gen_range(0..6u64)..=rng.gen_range(6..9u64), rng.gen_range(0..2u8))).collect()
        })
        .collect();
    let lists: Vec<Vec<(u64, u64, u8)>> =
        trees.iter().map(|t| t.iter().map(|(r, v)| (*r.start(), *r.end(), *v)).collect()).collect();
    for (a, la) in trees.iter().zip(&lists) {
        for (b, lb) in trees.iter().zip(&lists) {
            assert_eq!(a.cmp(b), la.cmp(lb));
            assert_eq!(a.partial_cmp(b), la.partial_cmp(lb));
            assert_eq!(a == b, la == lb);
            if a == b {
                assert_eq!(hash_of(a), hash_of(b));
            }
        }
    }
}

#[test]
fn collecting_rejects_empty_ranges() {
    assert_eq!(MapleTree::try_from_iter([(5..5, 'a')]).err(), Some(Error::Invalid));
    let tree = MapleTree::try_from_iter([(0..=u64::MAX, 'a'), (10..=10, 'b')]).unwrap();
    assert_eq!(tree.len(), 3);
    let caught = std::panic::catch_unwind(|| {
        let mut tree = MapleTree::new();
        #[allow(clippy::reversed_empty_ranges)]
        tree.extend([(3..=2, 'a')]);
    });
    assert!(caught.is_err());
}
