//! What the bench binaries share: the VMA-like data set, and one interface over the three
//! structures compared (our tree, `BTreeMap` keyed by range start, `rangemap`), so every
//! workload runs the same code on each.
//!
//! # Data set
//!
//! Ranges laid out like a process's VMAs: starting at `0x5555_0000_0000`, each range is
//! 1..=64 pages of 4 KiB, and the gap to the next is 0..=16 pages (so 1 in 17 neighbours
//! touch), both uniform, from a fixed seed. Range `i` holds the value `i`.
//!
//! # Baselines
//!
//! * `BTreeMap<u64, (u64, u64)>`: start → (inclusive end, value). "Which range holds `a`" is
//!   `range(..=a).next_back()` plus an end check: the stable API has no predecessor cursor.
//! * `rangemap::RangeInclusiveMap<u64, u64>`: values are distinct, so nothing merges.

#![allow(dead_code)] // each bench binary uses its own part

use maple_tree::MapleTree;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rangemap::RangeInclusiveMap;
use std::collections::BTreeMap;
use std::ops::Bound;

/// Page size of the layout.
pub(crate) const PAGE: u64 = 4096;
/// Address of the first range.
pub(crate) const BASE: u64 = 0x5555_0000_0000;
/// Seed of the layout and of every query stream.
pub(crate) const SEED: u64 = 42;

/// The VMA-like layout: `n` inclusive ranges in address order.
pub(crate) fn gen_ranges(n: usize, seed: u64) -> Vec<(u64, u64)> {
    let mut rng = SmallRng::seed_from_u64(seed);
    let mut next = BASE;
    (0..n)
        .map(|_| {
            let first = next;
            let last = first + rng.gen_range(1..=64u64) * PAGE - 1;
            next = last + 1 + rng.gen_range(0..=16u64) * PAGE;
            (first, last)
        })
        .collect()
}

/// How a structure is built from the layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Order {
    /// One insert per range, in a random order (the shape of a long-lived map).
    Random,
    /// One insert per range, in address order.
    Ascending,
}

impl Order {
    /// The ranges' indices in this build order.
    pub(crate) fn indices(self, n: usize, seed: u64) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..n).collect();
        if self == Order::Random {
            idx.shuffle(&mut SmallRng::seed_from_u64(seed ^ 0x5eed));
        }
        idx
    }
}

/// One interface over the structures compared. Values are `u64`; every method does what
/// the VMA-style workload needs, the way an idiomatic user of that structure would.
pub(crate) trait RangeStore: Clone {
    /// Name used in bench ids and in the summary.
    const NAME: &'static str;
    /// An empty structure.
    fn empty() -> Self;
    /// Inserts a range known to be free (building).
    fn put(&mut self, first: u64, last: u64, value: u64);
    /// The value of the range holding `addr`.
    fn get(&self, addr: u64) -> Option<u64>;
    /// Inserts `first..=last` if no key in it is taken; whether it did.
    fn insert_checked(&mut self, first: u64, last: u64, value: u64) -> bool;
    /// Replaces the value of the range that is exactly `first..=last`; whether there was one.
    fn overwrite_exact(&mut self, first: u64, last: u64, value: u64) -> bool;
    /// Removes the range `first..=last` (an existing one).
    fn erase(&mut self, first: u64, last: u64);
    /// Stores `value` over `first..=last`, trimming or dropping what it covers.
    fn store_over(&mut self, first: u64, last: u64, value: u64);
    /// Sum of the values of the ranges overlapping `first..=last`.
    fn overlap_sum(&self, first: u64, last: u64) -> u64;
    /// Sum over all entries (start + value), in order.
    fn iter_sum(&self) -> u64;
    /// The same, in reverse order.
    fn rev_sum(&self) -> u64;
    /// [`RangeStore::iter_sum`] by explicit `next()` calls (a `for` loop), where `iter_sum`
    /// lets the iterator drive itself (`fold`).
    fn next_sum(&self) -> u64;

    /// Builds from the layout in `order`.
    fn build(ranges: &[(u64, u64)], order: Order) -> Self {
        let mut s = Self::empty();
        for i in order.indices(ranges.len(), SEED) {
            let (first, last) = ranges[i];
            s.put(first, last, i as u64);
        }
        s
    }
}

/// Our tree.
pub(crate) type Maple = MapleTree<u64>;
/// The primary baseline.
pub(crate) type BTree = BTreeMap<u64, (u64, u64)>;
/// The interval-map baseline.
pub(crate) type RMap = RangeInclusiveMap<u64, u64>;

impl RangeStore for Maple {
    const NAME: &'static str = "maple";

    fn empty() -> Self {
        MapleTree::new()
    }

    fn put(&mut self, first: u64, last: u64, value: u64) {
        self.store_range(first, last, value).expect("out of memory");
    }

    #[inline]
    fn get(&self, addr: u64) -> Option<u64> {
        self.load(addr).copied()
    }

    fn insert_checked(&mut self, first: u64, last: u64, value: u64) -> bool {
        self.insert_range(first, last, value).is_ok()
    }

    fn overwrite_exact(&mut self, first: u64, last: u64, value: u64) -> bool {
        // A store over exactly one existing range is the in-place slot store.
        self.store_range(first, last, value).is_ok()
    }

    fn erase(&mut self, first: u64, _last: u64) {
        MapleTree::erase(self, first).expect("out of memory");
    }

    fn store_over(&mut self, first: u64, last: u64, value: u64) {
        self.store_range(first, last, value).expect("out of memory");
    }

    fn overlap_sum(&self, first: u64, last: u64) -> u64 {
        self.range(first..=last).fold(0, |acc, (_, v)| acc.wrapping_add(*v))
    }

    fn iter_sum(&self) -> u64 {
        self.iter().fold(0, |acc, (r, v)| acc.wrapping_add(*r.start() ^ *v))
    }

    fn rev_sum(&self) -> u64 {
        self.iter().rev().fold(0, |acc, (r, v)| acc.wrapping_add(*r.start() ^ *v))
    }

    fn next_sum(&self) -> u64 {
        let mut acc = 0u64;
        for (r, v) in self.iter() {
            acc = acc.wrapping_add(*r.start() ^ *v);
        }
        acc
    }
}

impl RangeStore for BTree {
    const NAME: &'static str = "btree";

    fn empty() -> Self {
        BTreeMap::new()
    }

    fn put(&mut self, first: u64, last: u64, value: u64) {
        self.insert(first, (last, value));
    }

    #[inline]
    fn get(&self, addr: u64) -> Option<u64> {
        match self.range(..=addr).next_back() {
            Some((_, &(last, value))) if last >= addr => Some(value),
            _ => None,
        }
    }

    fn insert_checked(&mut self, first: u64, last: u64, value: u64) -> bool {
        // The range starting last at or before `last` is the only one that can overlap.
        if let Some((_, &(end, _))) = self.range(..=last).next_back() {
            if end >= first {
                return false;
            }
        }
        self.insert(first, (last, value));
        true
    }

    fn overwrite_exact(&mut self, first: u64, last: u64, value: u64) -> bool {
        match self.get_mut(&first) {
            Some((end, v)) if *end == last => {
                *v = value;
                true
            }
            _ => false,
        }
    }

    fn erase(&mut self, first: u64, _last: u64) {
        self.remove(&first);
    }

    fn store_over(&mut self, first: u64, last: u64, value: u64) {
        // Trim the range that starts before `first` and reaches into it (keeping a tail if it
        // reaches past `last`), remove those starting inside, keep the tail of the last one.
        let mut tail = None;
        if let Some((_, (end, v))) = self.range_mut(..first).next_back() {
            if *end >= first {
                if *end > last {
                    tail = Some((*end, *v));
                }
                *end = first - 1;
            }
        }
        let inside: Vec<u64> = self.range(first..=last).map(|(&k, _)| k).collect();
        for k in inside {
            let (end, v) = self.remove(&k).expect("key just seen");
            if end > last {
                tail = Some((end, v));
            }
        }
        if let Some((end, v)) = tail {
            self.insert(last + 1, (end, v));
        }
        self.insert(first, (last, value));
    }

    fn overlap_sum(&self, first: u64, last: u64) -> u64 {
        let head = match self.range(..first).next_back() {
            Some((_, &(end, v))) if end >= first => v,
            _ => 0,
        };
        self.range(first..=last).fold(head, |acc, (_, &(_, v))| acc.wrapping_add(v))
    }

    fn iter_sum(&self) -> u64 {
        self.iter().fold(0, |acc, (k, (_, v))| acc.wrapping_add(*k ^ *v))
    }

    fn rev_sum(&self) -> u64 {
        self.iter().rev().fold(0, |acc, (k, (_, v))| acc.wrapping_add(*k ^ *v))
    }

    fn next_sum(&self) -> u64 {
        let mut acc = 0u64;
        for (k, (_, v)) in self.iter() {
            acc = acc.wrapping_add(*k ^ *v);
        }
        acc
    }
}

impl RangeStore for RMap {
    const NAME: &'static str = "rangemap";

    fn empty() -> Self {
        RangeInclusiveMap::new()
    }

    fn put(&mut self, first: u64, last: u64, value: u64) {
        self.insert(first..=last, value);
    }

    #[inline]
    fn get(&self, addr: u64) -> Option<u64> {
        RangeInclusiveMap::get(self, &addr).copied()
    }

    fn insert_checked(&mut self, first: u64, last: u64, value: u64) -> bool {
        if self.overlaps(&(first..=last)) {
            return false;
        }
        self.insert(first..=last, value);
        true
    }

    fn overwrite_exact(&mut self, first: u64, last: u64, value: u64) -> bool {
        self.insert(first..=last, value);
        true
    }

    fn erase(&mut self, first: u64, last: u64) {
        self.remove(first..=last);
    }

    fn store_over(&mut self, first: u64, last: u64, value: u64) {
        self.insert(first..=last, value);
    }

    fn overlap_sum(&self, first: u64, last: u64) -> u64 {
        self.overlapping(&(first..=last)).fold(0, |acc, (_, v)| acc.wrapping_add(*v))
    }

    fn iter_sum(&self) -> u64 {
        self.iter().fold(0, |acc, (r, v)| acc.wrapping_add(*r.start() ^ *v))
    }

    fn rev_sum(&self) -> u64 {
        self.iter().rev().fold(0, |acc, (r, v)| acc.wrapping_add(*r.start() ^ *v))
    }

    fn next_sum(&self) -> u64 {
        let mut acc = 0u64;
        for (r, v) in self.iter() {
            acc = acc.wrapping_add(*r.start() ^ *v);
        }
        acc
    }
}

/// The lowest start of a free run of `size` keys at or above `low` (and ending at most at
/// `high`), by walking a `BTreeMap` of ranges: what a map without gap tracking must do.
pub(crate) fn btree_scan_lowest(map: &BTree, low: u64, high: u64, size: u64) -> Option<u64> {
    let mut candidate = low;
    if let Some((_, &(end, _))) = map.range(..=low).next_back() {
        if end >= low {
            candidate = end + 1;
        }
    }
    for (&start, &(end, _)) in map.range((Bound::Excluded(low), Bound::Unbounded)) {
        if start > high {
            break;
        }
        if start - candidate >= size {
            break;
        }
        candidate = end + 1;
    }
    (candidate <= high && high - candidate + 1 >= size).then_some(candidate)
}

/// The highest start of a free run of `size` keys ending at most at `high` (and starting at
/// or above `low`), walking the `BTreeMap` backwards.
pub(crate) fn btree_scan_highest(map: &BTree, low: u64, high: u64, size: u64) -> Option<u64> {
    // `limit` is one past the highest key the run may end at.
    let mut limit = high + 1;
    if let Some((&start, &(end, _))) = map.range(..=high).next_back() {
        if end >= high {
            limit = start;
        }
    }
    for (&start, &(end, _)) in map.range(..limit).rev() {
        if end < low {
            break;
        }
        if limit - (end + 1) >= size {
            return Some(limit - size);
        }
        limit = start;
    }
    (limit >= low && limit - low >= size).then(|| limit - size)
}

/// Deterministic random numbers for query streams.
pub(crate) fn rng(stream: u64) -> SmallRng {
    SmallRng::seed_from_u64(SEED.wrapping_mul(31).wrapping_add(stream))
}

/// The sizes to run: `MAPLE_BENCH_SIZES` (comma-separated) if set, else 1e3..1e5 in quick
/// mode and 1e3..1e6 otherwise.
pub(crate) fn sizes(quick: bool) -> Vec<usize> {
    if let Ok(list) = std::env::var("MAPLE_BENCH_SIZES") {
        let parsed: Vec<usize> = list.split(',').filter_map(|s| s.trim().parse().ok()).collect();
        if !parsed.is_empty() {
            return parsed;
        }
    }
    if quick {
        vec![1_000, 10_000, 100_000]
    } else {
        vec![1_000, 10_000, 100_000, 1_000_000]
    }
}

/// Whether `MAPLE_BENCH_QUICK` asks for the quick mode.
pub(crate) fn quick() -> bool {
    std::env::var("MAPLE_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0")
}

/// Where results go: criterion's own directory (`$CARGO_TARGET_DIR/criterion`, by default
/// `target/criterion` of the workspace).
pub(crate) fn results_dir() -> std::path::PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")));
    target.join("criterion")
}

/// A random index below `n`.
pub(crate) fn below(rng: &mut SmallRng, n: usize) -> usize {
    rng.gen_range(0..n)
}
