//! Tree operations, a seeded generator of them, and the interpreter that checks a tree
//! against the oracle after each one.

use crate::oracle::RangeMap;
use maple_tree::{Error, MapleTree};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use std::fmt::Debug;

/// One operation on a tree of `u64` values (fields named as the arguments of the call).
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `store_range(first, last, value)`.
    Store { first: u64, last: u64, value: u64 },
    /// `insert_range(first, last, value)`.
    Insert { first: u64, last: u64, value: u64 },
    /// `remove_range(first, last)`.
    Remove { first: u64, last: u64 },
    /// `erase(index)`.
    Erase { index: u64 },
    /// `load_range(index)`, compared with the oracle.
    Load { index: u64 },
    /// `find(start, max)` and `find_rev(max, start)`, compared with the oracle.
    Find { start: u64, max: u64 },
}

/// What the generator favours.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Stores and inserts of every width, some removals.
    Grow,
    /// Erases of random entries until the tree is empty.
    EraseRandom,
    /// Erases from the highest entry down.
    EraseRightToLeft,
    /// Erases from the lowest entry up.
    EraseLeftToRight,
    /// Wide stores and removals that span many ranges.
    Span,
}

/// A seeded generator of operations, keys biased towards the oracle's boundaries ±1, 0 and
/// `u64::MAX`.
pub struct Generator {
    rng: SmallRng,
    /// Keys mostly fall in `0..span`, so that operations collide.
    span: u64,
    next_value: u64,
}

impl Generator {
    /// A generator from `seed`, with keys mostly below `span`.
    pub fn new(seed: u64, span: u64) -> Self {
        Generator { rng: SmallRng::seed_from_u64(seed), span: span.max(2), next_value: 1 }
    }

    /// The random source, for drivers that make their own choices.
    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.rng
    }

    /// A key: an existing boundary ±1, an edge of the key space, or a random key.
    pub fn key(&mut self, oracle: &RangeMap<u64>) -> u64 {
        match self.rng.gen_range(0..100) {
            0..=44 if !oracle.is_empty() => {
                let i = self.rng.gen_range(0..oracle.len());
                let (range, _) = oracle.nth(i).unwrap();
                let b = if self.rng.gen() { *range.start() } else { *range.end() };
                match self.rng.gen_range(0..3) {
                    0 => b.saturating_sub(1),
                    1 => b,
                    _ => b.saturating_add(1),
                }
            }
            45..=49 => [0, 1, 2, u64::MAX - 2, u64::MAX - 1, u64::MAX][self.rng.gen_range(0..6)],
            50..=52 => self.rng.gen(),
            _ => self.rng.gen_range(0..self.span),
        }
    }

    /// A range starting at a generated key: short while growing, wide while spanning.
    fn range(&mut self, oracle: &RangeMap<u64>, phase: Phase) -> (u64, u64) {
        let first = self.key(oracle);
        let roll = self.rng.gen_range(0..1000);
        let len = match phase {
            Phase::Span if roll < 300 => self.rng.gen_range(0..self.span / 4 + 1),
            Phase::Span if roll < 400 => return (first.min(self.key(oracle)), first.max(self.key(oracle))),
            _ if roll < 700 => self.rng.gen_range(0..8),
            _ if roll < 950 => self.rng.gen_range(0..64),
            _ if roll < 999 || phase == Phase::Grow => self.rng.gen_range(0..self.span / 256 + 1),
            _ => return (first.min(self.key(oracle)), first.max(self.key(oracle))),
        };
        (first, first.saturating_add(len))
    }

    fn value(&mut self) -> u64 {
        self.next_value += 1;
        self.next_value
    }

    /// The next operation for `phase`.
    pub fn op(&mut self, oracle: &RangeMap<u64>, phase: Phase) -> Op {
        let edge_erase = |oracle: &RangeMap<u64>, last: bool| -> Op {
            let entry = if last { oracle.iter().next_back() } else { oracle.iter().next() };
            Op::Erase { index: entry.map_or(0, |(r, _)| *r.start()) }
        };
        match phase {
            Phase::EraseRightToLeft if self.rng.gen_range(0..10) < 9 => return edge_erase(oracle, true),
            Phase::EraseLeftToRight if self.rng.gen_range(0..10) < 9 => return edge_erase(oracle, false),
            Phase::EraseRandom if self.rng.gen_range(0..10) < 8 && !oracle.is_empty() => {
                let i = self.rng.gen_range(0..oracle.len());
                let (range, _) = oracle.nth(i).unwrap();
                let index = self.rng.gen_range(*range.start()..=*range.end());
                return Op::Erase { index };
            }
            _ => {}
        }
        let removal = if phase == Phase::Grow { 3 } else { 15 };
        match self.rng.gen_range(0..100) {
            r if r < 55 => {
                let (first, last) = self.range(oracle, phase);
                Op::Store { first, last, value: self.value() }
            }
            r if r < 75 => {
                let (first, last) = self.range(oracle, phase);
                Op::Insert { first, last, value: self.value() }
            }
            r if r < 75 + removal => {
                let (first, last) = self.range(oracle, phase);
                Op::Remove { first, last }
            }
            r if r < 80 + removal => Op::Erase { index: self.key(oracle) },
            r if r < 90 + removal => Op::Load { index: self.key(oracle) },
            _ => {
                let (start, max) = self.range(oracle, Phase::Grow);
                Op::Find { start, max }
            }
        }
    }
}

/// Applies `op` to the tree and the oracle and checks the answer of the operation itself
/// (return values, errors). Returns a description of the first disagreement.
pub fn apply(tree: &mut MapleTree<u64>, oracle: &mut RangeMap<u64>, op: Op) -> Result<(), String> {
    apply_or_nomem(tree, oracle, op)?.map_err(|e| format!("{op:?} failed: {e:?}"))
}

/// Applies `op` with the `n`-th node allocation failing: the operation either completes (and
/// the oracle follows it, as with [`apply`]) or fails with `NoMemory` and changes nothing.
/// Returns whether it completed. Validate the tree afterwards to see that a failure really
/// left it as it was.
pub fn apply_failing(tree: &mut MapleTree<u64>, oracle: &mut RangeMap<u64>, op: Op, n: u64) -> Result<bool, String> {
    tree.fail_nth_alloc(Some(n));
    let result = apply_or_nomem(tree, oracle, op);
    tree.fail_nth_alloc(None);
    Ok(result?.is_ok())
}

/// [`apply`], except that the tree failing with `NoMemory` (and changing nothing, so the
/// oracle does not change either) is `Ok(Err(NoMemory))` rather than a disagreement.
fn apply_or_nomem(tree: &mut MapleTree<u64>, oracle: &mut RangeMap<u64>, op: Op) -> Result<Result<(), Error>, String> {
    // Whether the tree rightly refused an empty range; `None` when it ran out of memory.
    let invalid = |first: u64, last: u64, got: Result<(), Error>| -> Result<Option<bool>, String> {
        if first > last {
            return if got == Err(Error::Invalid) {
                Ok(Some(true))
            } else {
                Err(format!("{op:?}: expected Invalid, got {got:?}"))
            };
        }
        match got {
            Ok(()) => Ok(Some(false)),
            Err(Error::NoMemory) => Ok(None),
            Err(e) => Err(format!("{op:?} failed: {e:?}")),
        }
    };
    const NOMEM: Result<Result<(), Error>, String> = Ok(Err(Error::NoMemory));
    match op {
        Op::Store { first, last, value } => {
            let Some(refused) = invalid(first, last, tree.store_range(first, last, value))? else { return NOMEM };
            if !refused {
                oracle.store(first, last, value);
            }
        }
        Op::Insert { first, last, value } => {
            let got = tree.insert_range(first, last, value);
            if first <= last && oracle.occupied(first, last) {
                if got != Err(Error::Exists) {
                    return Err(format!("{op:?}: expected Exists, got {got:?}"));
                }
            } else {
                let Some(refused) = invalid(first, last, got)? else { return NOMEM };
                if !refused {
                    oracle.store(first, last, value);
                }
            }
        }
        Op::Remove { first, last } => {
            let Some(refused) = invalid(first, last, tree.remove_range(first, last))? else { return NOMEM };
            if !refused {
                oracle.remove(first, last);
            }
        }
        Op::Erase { index } => {
            let got = match tree.erase(index) {
                Ok(got) => got,
                Err(Error::NoMemory) => return NOMEM,
                Err(e) => return Err(format!("{op:?} failed: {e:?}")),
            };
            let want = oracle.erase(index);
            if got != want {
                return Err(format!("{op:?}: returned {got:?}, oracle {want:?}"));
            }
        }
        Op::Load { index } => {
            let got = tree.load_range(index).map(|(r, v)| (r, *v));
            let want = oracle.get(index).map(|(r, v)| (r, *v));
            if got != want {
                return Err(format!("{op:?}: tree {got:?}, oracle {want:?}"));
            }
        }
        Op::Find { start, max } => {
            let got = tree.find(start, max).map(|(r, v)| (r, *v));
            let want = oracle.iter().find(|(r, _)| *r.end() >= start && *r.start() <= max).map(|(r, v)| (r, *v));
            if start <= max && got != want {
                return Err(format!("{op:?}: find gave {got:?}, oracle {want:?}"));
            }
            let got = tree.find_rev(max, start).map(|(r, v)| (r, *v));
            let want = oracle.iter().rev().find(|(r, _)| *r.end() >= start && *r.start() <= max).map(|(r, v)| (r, *v));
            if start <= max && got != want {
                return Err(format!("{op:?}: find_rev gave {got:?}, oracle {want:?}"));
            }
        }
    }
    Ok(Ok(()))
}

/// Validates the tree and compares its full forward and reverse iteration and its length
/// with the oracle.
pub fn check<V: Clone + PartialEq + Debug>(tree: &MapleTree<V>, oracle: &RangeMap<V>) -> Result<(), String> {
    tree.validate().map_err(|v| v.to_string())?;
    if tree.len() != oracle.len() {
        return Err(format!("len {} but the oracle holds {}", tree.len(), oracle.len()));
    }
    if !tree.iter().eq(oracle.iter()) {
        let ours: Vec<_> = tree.iter().collect();
        let theirs: Vec<_> = oracle.iter().collect();
        let at = ours.iter().zip(&theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
        return Err(format!(
            "forward iteration differs at entry {at}: tree {:?}, oracle {:?}",
            ours.get(at..(at + 3).min(ours.len())),
            theirs.get(at..(at + 3).min(theirs.len()))
        ));
    }
    if !tree.iter().rev().eq(oracle.iter().rev()) {
        return Err("reverse iteration differs from the oracle".into());
    }
    Ok(())
}

/// Runs `ops` operations from `seed` through the phases in turn, checking after every one.
/// Returns the number of operations run, or the failing operation's history tail.
pub fn run_seed(seed: u64, ops: usize, span: u64) -> Result<usize, String> {
    run_seed_on(MapleTree::new(), seed, ops, span, |_, _, _| Ok(()))
}

/// [`run_seed`] on a given empty `tree` (e.g. an allocation tree), calling `extra` after
/// every checked operation for further operations and checks of its own.
pub fn run_seed_on(
    mut tree: MapleTree<u64>,
    seed: u64,
    ops: usize,
    span: u64,
    mut extra: impl FnMut(&mut MapleTree<u64>, &mut RangeMap<u64>, &mut Generator) -> Result<(), String>,
) -> Result<usize, String> {
    let mut gen = Generator::new(seed, span);
    let mut oracle = RangeMap::new();
    let phases = [
        Phase::Grow,
        Phase::Span,
        Phase::EraseRandom,
        Phase::Grow,
        Phase::EraseRightToLeft,
        Phase::Grow,
        Phase::EraseLeftToRight,
    ];
    let mut history: Vec<Op> = Vec::new();
    let per_phase = ops / phases.len() + 1;
    let mut done = 0;
    while done < ops {
        for &phase in &phases {
            for _ in 0..per_phase {
                if done == ops {
                    return Ok(done);
                }
                let erasing = matches!(phase, Phase::EraseRandom | Phase::EraseRightToLeft | Phase::EraseLeftToRight);
                if erasing && oracle.is_empty() && gen.rng().gen_range(0..50) != 0 {
                    break;
                }
                let op = gen.op(&oracle, phase);
                history.push(op);
                let result = apply(&mut tree, &mut oracle, op)
                    .and_then(|()| check(&tree, &oracle))
                    .and_then(|()| extra(&mut tree, &mut oracle, &mut gen));
                if let Err(e) = result {
                    let tail = &history[history.len().saturating_sub(12)..];
                    return Err(format!("seed {seed}, op {done} ({phase:?}): {e}\nlast ops: {tail:#?}"));
                }
                done += 1;
            }
        }
    }
    Ok(done)
}

/// The ranges `[10 i, 10 i + 4]`, value `i + 1`, packed by `from_sorted` (no free nodes), and
/// the oracle holding the same:
///
/// ```text
///   0    4 5   9 10  14 15  19
///   |-v1-| NULL |-v2--| NULL | ...
/// ```
pub fn packed(n: u64) -> (MapleTree<u64>, RangeMap<u64>) {
    let ranges: Vec<_> = (0..n).map(|i| (i * 10..=i * 10 + 4, i + 1)).collect();
    let tree = MapleTree::from_sorted(ranges.iter().cloned()).expect("memory for a packed tree");
    let mut oracle = RangeMap::new();
    for (r, v) in ranges {
        oracle.store(*r.start(), *r.end(), v);
    }
    check(&tree, &oracle).expect("a packed tree agrees with its oracle");
    (tree, oracle)
}
