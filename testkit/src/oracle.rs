//! The range-map oracle.

use std::collections::BTreeMap;
use std::ops::RangeInclusive;

/// A map of non-overlapping inclusive ranges, as simple as it can be: start → (last, value).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RangeMap<V> {
    map: BTreeMap<u64, (u64, V)>,
}

impl<V: Clone + PartialEq> RangeMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        RangeMap { map: BTreeMap::new() }
    }

    /// The entry holding `index`.
    pub fn get(&self, index: u64) -> Option<(RangeInclusive<u64>, &V)> {
        let (&start, (last, v)) = self.map.range(..=index).next_back()?;
        (index <= *last).then_some((start..=*last, v))
    }

    /// Removes the values of `first..=last`, keeping the parts of ranges outside it.
    pub fn remove(&mut self, first: u64, last: u64) {
        // A range starting before `first` and reaching into the window: keep its head (and
        // its tail if it also reaches past `last`).
        if let Some((&start, &(end, ref v))) = self.map.range(..first).next_back() {
            if end >= first {
                let v = v.clone();
                self.map.insert(start, (first - 1, v.clone()));
                if end > last {
                    self.map.insert(last + 1, (end, v));
                }
            }
        }
        let inside: Vec<u64> = self.map.range(first..=last).map(|(&s, _)| s).collect();
        for start in inside {
            let (end, v) = self.map.remove(&start).unwrap();
            if end > last {
                self.map.insert(last + 1, (end, v));
            }
        }
    }

    /// Stores `value` over `first..=last`.
    pub fn store(&mut self, first: u64, last: u64, value: V) {
        self.remove(first, last);
        self.map.insert(first, (last, value));
    }

    /// Whether any key of `first..=last` holds a value.
    pub fn occupied(&self, first: u64, last: u64) -> bool {
        self.get(first).is_some() || self.map.range(first..=last).next().is_some()
    }

    /// Removes the whole range holding `index`, returning its value.
    pub fn erase(&mut self, index: u64) -> Option<V> {
        let (range, _) = self.get(index)?;
        self.map.remove(range.start()).map(|(_, v)| v)
    }

    /// Number of ranges.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The entries in key order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (RangeInclusive<u64>, &V)> + '_ {
        self.map.iter().map(|(&s, (l, v))| (s..=*l, v))
    }

    /// The boundaries of every range (starts and lasts), for biased key generation.
    pub fn boundaries(&self) -> impl Iterator<Item = u64> + '_ {
        self.map.iter().flat_map(|(&s, &(l, _))| [s, l])
    }

    /// The entries in key order from the last one that starts at or before `from` (it may end
    /// before `from`), or from the first: O(log n) to start.
    pub fn range_from(&self, from: u64) -> impl Iterator<Item = (RangeInclusive<u64>, &V)> + '_ {
        let start = self.map.range(..=from).next_back().map_or(0, |(&s, _)| s);
        self.map.range(start..).map(|(&s, (l, v))| (s..=*l, v))
    }

    /// The entry at position `i` in key order.
    pub fn nth(&self, i: usize) -> Option<(RangeInclusive<u64>, &V)> {
        self.iter().nth(i)
    }

    /// The holes (maximal NULL runs) in key order, as `(first, last)`, from the one holding
    /// or following `from` (which may start before `from`).
    pub fn holes_from(&self, from: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        // The next key not yet reported, `None` once past `u64::MAX`.
        let mut cursor = match self.map.range(..=from).next_back() {
            Some((_, &(last, _))) if last >= from => last.checked_add(1),
            Some((_, &(last, _))) => Some(last + 1),
            None => Some(0),
        };
        let mut entries = self.map.range(from..).map(|(&s, &(l, _))| (s, l)).fuse();
        std::iter::from_fn(move || loop {
            let start = cursor?;
            match entries.next() {
                Some((s, l)) => {
                    cursor = l.checked_add(1);
                    if s > start {
                        return Some((start, s - 1));
                    }
                }
                None => {
                    cursor = None;
                    return Some((start, u64::MAX));
                }
            }
        })
    }

    /// The holes in reverse key order, from the one holding or preceding `to`.
    pub fn holes_back(&self, to: u64) -> impl Iterator<Item = (u64, u64)> + '_ {
        // The highest key not yet reported, `None` once below 0.
        let mut cursor = match self.get(to) {
            Some((range, _)) => range.start().checked_sub(1),
            None => Some(to),
        };
        let mut entries = self.map.range(..=to).rev().map(|(&s, &(l, _))| (s, l)).fuse();
        std::iter::from_fn(move || loop {
            let end = cursor?;
            match entries.next() {
                Some((s, _)) if s > end => {}
                Some((s, l)) => {
                    cursor = s.checked_sub(1);
                    if l < end {
                        return Some((l + 1, end));
                    }
                }
                None => {
                    cursor = None;
                    return Some((0, end));
                }
            }
        })
    }
}
