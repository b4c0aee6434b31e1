//! Generic keys: trees over `u8`, `u16`, `u32` and a newtype key, against the test kit's
//! oracle on the keys' `u64` values, with the operations biased towards both ends of the key
//! space (stores at `K::MAX`, `set(a..)` with an unbounded end, gaps and free-range searches
//! at the top, cursor NULL ranges ending at `K::MAX`, vacant entries there). Each step
//! validates (K1: nothing stored above `K::MAX`).

use maple_testkit::oracle::RangeMap;
use maple_tree::{Entry, Error, Key, MapleTree, Status};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// A page number: a newtype key over `u32`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Page(u32);

impl Key for Page {
    const MAX: Page = Page(u32::MAX);
    fn to_u64(self) -> u64 {
        u64::from(self.0)
    }
    fn from_u64(raw: u64) -> Page {
        Page(raw as u32)
    }
}

fn k<K: Key>(raw: u64) -> K {
    K::from_u64(raw)
}

fn raw<K: Key>(range: core::ops::RangeInclusive<K>) -> (u64, u64) {
    (range.start().to_u64(), range.end().to_u64())
}

/// The model's free ranges inside `0..=top`.
fn holes(oracle: &RangeMap<u64>, top: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut next = Some(0u64);
    for (range, _) in oracle.iter() {
        if let Some(n) = next {
            if *range.start() > n {
                out.push((n, range.start() - 1));
            }
        }
        next = range.end().checked_add(1);
    }
    if let Some(n) = next.filter(|&n| n <= top) {
        out.push((n, top));
    }
    out
}

/// The hole holding `key`, if it is free.
fn hole_at(oracle: &RangeMap<u64>, top: u64, key: u64) -> Option<(u64, u64)> {
    holes(oracle, top).into_iter().find(|&(a, b)| a <= key && key <= b)
}

/// A key biased towards both ends of `0..=top`.
fn any_key(rng: &mut SmallRng, top: u64) -> u64 {
    let near = top.min(40);
    match rng.gen_range(0..4) {
        0 => rng.gen_range(0..=near),
        1 => top - rng.gen_range(0..=near),
        _ => rng.gen_range(0..=top),
    }
}

fn same<K: Key>(tree: &MapleTree<u64, K>, oracle: &RangeMap<u64>) {
    let top = K::MAX.to_u64();
    tree.validate().unwrap();
    let ours: Vec<_> = tree.iter().map(|(r, v)| (raw(r), *v)).collect();
    let model: Vec<_> = oracle.iter().map(|(r, v)| ((*r.start(), *r.end()), *v)).collect();
    assert_eq!(ours, model);
    assert_eq!(tree.len(), oracle.len());
    let gaps: Vec<_> = tree.gaps(..).map(raw).collect();
    assert_eq!(gaps, holes(oracle, top));
    let mut back: Vec<_> = tree.gaps(..).rev().map(raw).collect();
    back.reverse();
    assert_eq!(back, gaps);
}

/// Brute force of `empty_area(min, K::MAX, size)` (lowest) or `empty_area_rev` (highest).
fn fit(oracle: &RangeMap<u64>, top: u64, min: u64, size: u64, rev: bool) -> Option<u64> {
    let mut fits =
        holes(oracle, top).into_iter().map(|(a, b)| (a.max(min), b)).filter(|&(a, b)| a <= b && b - a >= size - 1);
    if rev {
        fits.next_back().map(|(_, b)| b - (size - 1))
    } else {
        fits.next().map(|(a, _)| a)
    }
}

fn differential<K: Key>(seeds: u64, steps: u64) {
    let top = K::MAX.to_u64();
    for seed in 0..seeds {
        let mut rng = SmallRng::seed_from_u64(seed);
        let mut tree: MapleTree<u64, K> =
            if seed % 2 == 0 { MapleTree::new_keyed() } else { MapleTree::new_alloc_keyed() };
        let mut oracle = RangeMap::new();
        for step in 0..steps {
            let a = any_key(&mut rng, top);
            let b = any_key(&mut rng, top);
            let (a, b) = (a.min(b), a.max(b));
            let b = if rng.gen_bool(0.5) { a + (b - a).min(rng.gen_range(0..8)) } else { b };
            match rng.gen_range(0..14) {
                0 | 1 => {
                    tree.store_range(k(a), k(b), step).unwrap();
                    oracle.store(a, b, step);
                }
                2 => {
                    // An unbounded end is `K::MAX`.
                    tree.set(k::<K>(a).., step).unwrap();
                    oracle.store(a, top, step);
                }
                3 => {
                    tree.remove_range(k(a), k(b)).unwrap();
                    oracle.remove(a, b);
                }
                4 => {
                    tree.cut(..=k::<K>(b)).unwrap();
                    oracle.remove(0, b);
                }
                5 => assert_eq!(tree.erase(k(a)).unwrap(), oracle.erase(a)),
                6 => {
                    let result = tree.insert_range(k(a), k(b), step);
                    if oracle.occupied(a, b) {
                        assert_eq!(result, Err(Error::Exists));
                    } else {
                        result.unwrap();
                        oracle.store(a, b, step);
                    }
                }
                7 => {
                    let expected = oracle.get(a).map(|(r, v)| ((*r.start(), *r.end()), *v));
                    assert_eq!(tree.get_key_value(k(a)).map(|(r, v)| (raw(r), *v)), expected);
                    assert_eq!(tree.contains_key(k(a)), oracle.get(a).is_some());
                }
                8 => match tree.entry(k(a)) {
                    Entry::Occupied(e) => {
                        assert_eq!(Some(raw(e.range())), oracle.get(a).map(|(r, _)| (*r.start(), *r.end())));
                    }
                    Entry::Vacant(e) => {
                        assert_eq!(Some(raw(e.gap())), hole_at(&oracle, top, a));
                        let (first, last) = raw(e.gap());
                        e.insert_range(k::<K>(first)..=k(last), step).unwrap();
                        oracle.store(first, last, step);
                    }
                },
                9 => {
                    let size = 1 + rng.gen_range(0..=(b - a).min(top));
                    if top - a < size - 1 {
                        assert_eq!(tree.empty_area(k(a), K::MAX, size), Err(Error::Invalid));
                    } else {
                        for rev in [false, true] {
                            let ours = if rev {
                                tree.empty_area_rev(k(a), K::MAX, size)
                            } else {
                                tree.empty_area(k(a), K::MAX, size)
                            };
                            let expected = fit(&oracle, top, a, size, rev).map(k::<K>).ok_or(Error::Busy);
                            assert_eq!(ours, expected, "size {size} from {a}, rev {rev}");
                        }
                        if let Ok(start) = tree.alloc_area(k(a), K::MAX, size, step) {
                            oracle.store(start.to_u64(), start.to_u64() + (size - 1), step);
                        }
                    }
                }
                10 => {
                    // The cursor's range at the top of the key space ends at `K::MAX`, and
                    // stepping past it overflows.
                    let mut cursor = tree.cursor(K::MAX);
                    let value = cursor.walk().copied();
                    match oracle.get(top) {
                        Some((r, v)) => {
                            assert_eq!(value, Some(*v));
                            assert_eq!((cursor.index().to_u64(), cursor.last().to_u64()), (*r.start(), *r.end()));
                        }
                        None => {
                            assert_eq!(value, None);
                            let hole = hole_at(&oracle, top, top);
                            assert_eq!(Some((cursor.index().to_u64(), cursor.last().to_u64())), hole);
                        }
                    }
                    assert_eq!(cursor.last(), K::MAX);
                    assert_eq!(cursor.next_range(K::MAX), None);
                    assert_eq!(cursor.status(), Status::Overflow);
                    // Every range from `a` to the end, NULL ranges included, tiles the rest of
                    // the key space.
                    let mut cursor = tree.cursor(k(a));
                    cursor.walk();
                    let mut at = cursor.index().to_u64();
                    assert!(at <= a);
                    loop {
                        let (index, last) = (cursor.index().to_u64(), cursor.last().to_u64());
                        assert_eq!(index, at);
                        assert_eq!(cursor.current().copied(), oracle.get(index).map(|(_, v)| *v));
                        if last == top {
                            break;
                        }
                        at = last + 1;
                        cursor.next_range(K::MAX);
                    }
                }
                11 => {
                    // A store through the cursor into the NULL range at the top stays inside
                    // the key space.
                    let mut cursor = tree.cursor_mut(K::MAX);
                    if cursor.walk().is_none() {
                        let first = cursor.index().to_u64();
                        cursor.store(Some(step)).unwrap();
                        assert_eq!((cursor.index().to_u64(), cursor.last().to_u64()), (first, top));
                        oracle.store(first, top, step);
                    }
                }
                12 => {
                    let mut cursor = tree.cursor_mut(k(a));
                    cursor.set_range(k(a), k(b));
                    cursor.store(None).unwrap();
                    oracle.remove(a, b);
                    assert!(cursor.last().to_u64() <= top);
                }
                _ => {
                    let last = tree.pop_last().map(|(r, v)| (raw(r), v));
                    let expected = oracle.iter().next_back().map(|(r, v)| ((*r.start(), *r.end()), *v));
                    assert_eq!(last, expected);
                    if let Some(((first, end), _)) = last {
                        oracle.remove(first, end);
                    }
                }
            }
            same(&tree, &oracle);
        }
    }
}

#[test]
fn u8_keys_against_the_oracle() {
    differential::<u8>(40, 400);
}

#[test]
fn u16_keys_against_the_oracle() {
    differential::<u16>(12, 400);
}

#[test]
fn u32_keys_against_the_oracle() {
    differential::<u32>(24, 400);
}

#[test]
fn newtype_keys_against_the_oracle() {
    differential::<Page>(12, 400);
}

#[test]
fn usize_keys_against_the_oracle() {
    differential::<usize>(4, 300);
}

/// The edges one by one, on `u8`: a store at `MAX`, a full tree, the empty tree's ranges.
#[test]
fn the_top_of_a_small_key_space() {
    let mut tree = MapleTree::<char, u8>::new_keyed();
    // An empty tree is one free range: the key space.
    assert_eq!(tree.gaps(..).collect::<Vec<_>>(), [0..=255]);
    let mut cursor = tree.cursor(7);
    assert_eq!(cursor.walk(), None);
    assert_eq!((cursor.index(), cursor.last()), (0, 255));
    let Entry::Vacant(hole) = tree.entry(9) else { unreachable!() };
    assert_eq!(hole.gap(), 0..=255);
    assert_eq!(tree.empty_area_rev(0, 255, 256), Ok(0));
    assert_eq!(tree.empty_area(1, 255, 256), Err(Error::Invalid));

    tree.store(255, 'z').unwrap();
    assert_eq!(tree.get_key_value(255), Some((255..=255, &'z')));
    assert_eq!(tree.gaps(..).collect::<Vec<_>>(), [0..=254]);
    assert_eq!(tree.empty_area_rev(0, u8::MAX, 1), Ok(254));
    tree.set(.., 'a').unwrap();
    assert_eq!(tree.iter().collect::<Vec<_>>(), [(0..=255, &'a')]);
    assert_eq!(tree.gaps(..).next(), None);
    assert_eq!(tree.empty_area(0, 255, 1), Err(Error::Busy));
    assert_eq!(tree.insert(200, 'b'), Err(Error::Exists));
    tree.validate().unwrap();

    // Cyclic allocation wraps after `u8::MAX`.
    let mut ids = MapleTree::<(), u8>::new_alloc_keyed();
    let mut next = 254;
    assert_eq!(ids.alloc_cyclic(0, u8::MAX, &mut next, ()), Ok((254, false)));
    assert_eq!(ids.alloc_cyclic(0, u8::MAX, &mut next, ()), Ok((255, false)));
    assert_eq!(next, 0);
    assert_eq!(ids.alloc_cyclic(0, u8::MAX, &mut next, ()), Ok((0, true)));

    // Removing up to `MAX` and erasing leave nothing above it either.
    tree.remove_range(100, 255).unwrap();
    assert_eq!(tree.last_key_value(), Some((0..=99, &'a')));
    assert_eq!(tree.gaps(50..).collect::<Vec<_>>(), [100..=255]);
    let mut cursor = tree.cursor_mut(150);
    assert_eq!(cursor.walk(), None);
    assert_eq!((cursor.index(), cursor.last()), (100, 255));
    cursor.store(Some('t')).unwrap();
    assert_eq!(tree.last_key_value(), Some((100..=255, &'t')));
    tree.validate().unwrap();
}

/// Every key type shares the std traits: equality, ordering, hashing, `collect`, `Index`.
#[test]
fn std_traits_on_generic_keys() {
    use std::collections::hash_map::DefaultHasher;
    use std::hash::{Hash, Hasher};
    let hash = |t: &MapleTree<char, u32>| {
        let mut h = DefaultHasher::new();
        t.hash(&mut h);
        h.finish()
    };
    let a: MapleTree<char, u32> = [(0..10u32, 'a'), (u32::MAX - 5..u32::MAX, 'b')].into_iter().collect();
    let mut b = MapleTree::<char, u32>::default();
    b.try_extend([(0..=9, 'a'), (u32::MAX - 5..=u32::MAX - 1, 'b')]).unwrap();
    assert_eq!(a, b);
    assert_eq!(hash(&a), hash(&b));
    assert_eq!(a[u32::MAX - 1], 'b');
    b.store(u32::MAX, 'c').unwrap();
    assert!(a < b);
    assert_eq!(format!("{b:?}"), "{0..=9: 'a', 4294967290..=4294967294: 'b', 4294967295..=4294967295: 'c'}");
    let pages: MapleTree<u8, Page> = [(Page(1)..=Page(2), 1u8), (Page(u32::MAX)..=Page::MAX, 2)].into_iter().collect();
    assert_eq!(pages.keys().collect::<Vec<_>>(), [Page(1)..=Page(2), Page::MAX..=Page::MAX]);
    assert_eq!(pages.gaps(Page(2)..).collect::<Vec<_>>(), [Page(3)..=Page(u32::MAX - 1)]);
    assert_eq!(pages.into_iter().map(|(_, v)| v).collect::<Vec<_>>(), [1, 2]);
}

/// Reserved writes and the bulk conversions work on generic keys as on `u64`.
#[test]
fn reservations_and_mutable_iterators_on_generic_keys() {
    let mut tree = MapleTree::<u32, u16>::new_keyed();
    tree.set(.., 0).unwrap();
    let mut reserved = tree.reserve(3).unwrap();
    reserved.store_range(10, 19, 1).unwrap();
    reserved.remove_range(u16::MAX - 9, u16::MAX).unwrap();
    assert_eq!(reserved.erase(5).unwrap(), Some(0));
    drop(reserved);
    assert_eq!(tree.keys().collect::<Vec<_>>(), [10..=19, 20..=u16::MAX - 10]);
    for (range, value) in tree.iter_mut() {
        *value = u32::from(*range.end());
    }
    assert_eq!(tree.values().copied().collect::<Vec<_>>(), [19, u32::from(u16::MAX - 10)]);
    tree.retain(|range, _| *range.start() > 10);
    assert_eq!(tree.len(), 1);
    tree.validate().unwrap();
}

/// The bulk builds for any key type: packed, and the same errors as `from_sorted`.
#[test]
fn sorted_builds_on_generic_keys() {
    let ranges: Vec<_> = (0..5_000u32).map(|i| (Page(i * 4)..=Page(i * 4 + 1), i)).collect();
    let tree = MapleTree::from_sorted_keyed(ranges.iter().cloned()).unwrap();
    tree.validate().unwrap();
    assert_eq!(tree.len(), 5_000);
    assert_eq!(tree.get_key_value(Page(9)), Some((Page(8)..=Page(9), &2)));
    let alloc =
        MapleTree::from_sorted_alloc_keyed(ranges.into_iter().chain([(Page(u32::MAX)..=Page::MAX, 7)])).unwrap();
    alloc.validate().unwrap();
    assert!(alloc.is_alloc());
    assert_eq!(alloc.empty_area_rev(Page(0), Page::MAX, 1), Ok(Page(u32::MAX - 1)));
    assert_eq!(MapleTree::<u8, u8>::from_sorted_keyed([(5..5, 1)]).err(), Some(Error::Invalid));
    assert_eq!(MapleTree::<u8, u8>::from_sorted_keyed([(0..=9, 1), (9..=12, 2)]).err(), Some(Error::Invalid));
    let full = MapleTree::<u8, u8>::from_sorted_keyed([(0..=254, 1), (255..=255, 2)]).unwrap();
    assert_eq!(full.gaps(..).next(), None);
    full.validate().unwrap();
}
