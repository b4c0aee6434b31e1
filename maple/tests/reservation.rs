//! `MapleTree::reserve`: the nodes of several writes reserved at once (the kernel reserves the
//! worst case of one VMA operation before it changes anything).
//!
//! What is checked, and how it is seen from outside the crate:
//! * `reserve` fails cleanly at every allocation: with the n-th allocation failing, for every
//!   n until it succeeds, it returns `NoMemory`, the tree's content is unchanged, it is valid,
//!   and it holds no more nodes than before;
//! * the reserved writes never fail and never allocate: with every allocation failing after
//!   `reserve`, `k` random stores, removes and erases on trees of up to three levels or more
//!   all succeed, agree with the oracle, keep the tree valid and leave `allocated_nodes()` alone.
//!   Inside the crate, debug assertions (on in the test profile) also check that each write
//!   stays within its own budget and that the blank nodes left cover the writes left;
//! * dropping the reservation releases the nodes no write took.

use maple_testkit::ops::{check, packed, Generator, Op, Phase};
use maple_testkit::oracle::RangeMap;
use maple_tree::{Error, MapleTree};
use rand::Rng;

/// The same ranges in a new tree without free nodes.
fn repacked(tree: &MapleTree<u64>) -> MapleTree<u64> {
    MapleTree::from_sorted(tree.iter().map(|(r, &v)| (r, v))).unwrap()
}

fn nodes(tree: &MapleTree<u64>) -> usize {
    let (leaves, internals) = tree.allocated_nodes();
    leaves + internals
}

#[test]
fn reserve_fails_cleanly_at_every_allocation() {
    for n in [0, 1, 20, 300, 5_000] {
        let (tree, oracle) = packed(n);
        for writes in [1, 2, 3, 5, 8, 40] {
            let mut points = 0;
            loop {
                let mut trial = repacked(&tree);
                let before = nodes(&trial);
                trial.fail_nth_alloc(Some(points));
                let result = trial.reserve(writes).map(|r| r.reserved_nodes());
                trial.fail_nth_alloc(None);
                match result {
                    Err(e) => {
                        assert_eq!(e, Error::NoMemory);
                        trial.validate().unwrap();
                        check(&trial, &oracle).unwrap();
                        assert_eq!(nodes(&trial), before, "a failed reserve kept nodes");
                        points += 1;
                    }
                    Ok((leaves, internals)) => {
                        // Every node the reservation holds was one allocation point.
                        assert_eq!(points as usize, leaves + internals, "{n} ranges, {writes} writes");
                        assert!(leaves >= writes);
                        break;
                    }
                }
            }
        }
    }
}

/// The write a generated operation stands for here: inserts become stores, loads erases and
/// finds removals, so that every operation writes.
fn as_write(op: Op) -> Op {
    match op {
        Op::Insert { first, last, value } => Op::Store { first, last, value },
        Op::Load { index } => Op::Erase { index },
        Op::Find { start, max } => Op::Remove { first: start, last: max },
        op => op,
    }
}

/// Applies one write (see [`as_write`]) through the reservation and to the oracle, checking
/// the result.
fn reserved_write(
    reservation: &mut maple_tree::Reservation<'_, u64>,
    oracle: &mut RangeMap<u64>,
    op: Op,
) -> Result<(), String> {
    let invalid = |got: Result<(), Error>| (got == Err(Error::Invalid)).then_some(()).ok_or(format!("{op:?}: {got:?}"));
    match as_write(op) {
        Op::Store { first, last, value } => {
            let got = reservation.store_range(first, last, value);
            if first > last {
                return invalid(got);
            }
            got.map_err(|e| format!("{op:?}: {e:?}"))?;
            oracle.store(first, last, value);
        }
        Op::Remove { first, last } => {
            let got = reservation.remove_range(first, last);
            if first > last {
                return invalid(got);
            }
            got.map_err(|e| format!("{op:?}: {e:?}"))?;
            oracle.remove(first, last);
        }
        Op::Erase { index } => {
            let got = reservation.erase(index).map_err(|e| format!("{op:?}: {e:?}"))?;
            let want = oracle.erase(index);
            if got != want {
                return Err(format!("{op:?}: erased {got:?}, oracle {want:?}"));
            }
        }
        other => unreachable!("{other:?} is not a write"),
    }
    Ok(())
}

#[test]
fn reserved_writes_never_fail_nor_allocate() {
    let (mut writes_made, mut tallest) = (0, 0);
    for seed in 0..12u64 {
        let span = [1 << 10, 1 << 16, 1 << 40][seed as usize % 3];
        let mut gen = Generator::new(seed, span);
        // Every other seed starts from a tree of four levels, the others from an empty one.
        let (mut tree, mut oracle) = packed(if seed % 2 == 0 { 3_000 } else { 0 });
        for round in 0..300 {
            // Half the rounds start without free nodes, so the reservation allocates them all.
            if gen.rng().gen() {
                tree = repacked(&tree);
            }
            let k = gen.rng().gen_range(1..=6);
            let phase = match round % 4 {
                0 | 1 => Phase::Grow,
                2 => Phase::Span,
                _ => Phase::EraseRandom,
            };
            let ops: Vec<Op> = (0..k).map(|_| gen.op(&oracle, phase)).collect();
            // A copy tells how many allocations `reserve` makes; the one after those fails.
            let mut probe = tree.try_clone().unwrap();
            let probe_before = nodes(&probe);
            let reserve_allocations = nodes(&probe.reserve(k).unwrap()) - probe_before;
            tree.fail_nth_alloc(Some(reserve_allocations as u64));
            let mut reservation = tree.reserve(k).unwrap();
            let allocated = reservation.allocated_nodes();
            for (i, &op) in ops.iter().enumerate() {
                reserved_write(&mut reservation, &mut oracle, op)
                    .unwrap_or_else(|e| panic!("seed {seed} round {round}, write {i} of {k}: {e}"));
                reservation.validate().unwrap_or_else(|v| panic!("seed {seed} round {round}: {op:?}: {v}"));
                check(&reservation, &oracle).unwrap_or_else(|e| panic!("seed {seed} round {round}: {op:?}: {e}"));
                assert_eq!(reservation.allocated_nodes(), allocated, "a reserved write allocated");
                writes_made += 1;
            }
            tallest = tallest.max(reservation.height());
            drop(reservation);
            tree.fail_nth_alloc(None);
            tree.validate().unwrap();
            check(&tree, &oracle).unwrap();
        }
    }
    assert!(writes_made > 10_000);
    // Tall enough that writes split, span leaves and rebalance on several levels.
    assert!(tallest >= 3, "the trees reached height {tallest} only");
}

#[test]
fn an_invalid_write_changes_nothing_and_uses_no_reserved_write() {
    let (mut tree, oracle) = packed(200);
    let mut reservation = tree.reserve(1).unwrap();
    assert_eq!(reservation.store_range(5, 4, 9), Err(Error::Invalid));
    assert_eq!(reservation.remove_range(5, 4), Err(Error::Invalid));
    assert_eq!(reservation.writes_left(), 1);
    check(&reservation, &oracle).unwrap();
    reservation.store_range(3, 12, 9).unwrap();
    assert_eq!(reservation.writes_left(), 0);
}

#[test]
fn writes_past_the_reservation_are_ordinary_writes() {
    let (mut tree, oracle) = packed(2_000);
    let before: Vec<_> = tree.iter().map(|(r, &v)| (r, v)).collect();
    tree.fail_nth_alloc(Some(0));
    let mut reservation = tree.reserve(0).unwrap();
    // A store that splits a full leaf needs nodes, and there are none.
    assert_eq!(reservation.store_range(1, 2, 7), Err(Error::NoMemory));
    drop(reservation);
    tree.validate().unwrap();
    check(&tree, &oracle).unwrap();
    assert!(tree.iter().map(|(r, &v)| (r, v)).eq(before));
}

#[test]
fn drop_releases_the_nodes_no_write_took() {
    // Reserve and drop without writing: back to the same node count.
    let (mut tree, _) = packed(3_000);
    let before = nodes(&tree);
    let reservation = tree.reserve(3).unwrap();
    let (leaves, internals) = reservation.reserved_nodes();
    assert!(leaves + internals > 0);
    assert_eq!(nodes(&reservation), before + leaves + internals);
    drop(reservation);
    assert_eq!(nodes(&tree), before);

    // A reservation much larger than the tree gives its memory back.
    let (mut small, _) = packed(40);
    let memory = small.memory_bytes();
    let reservation = small.reserve(1_000).unwrap();
    let peak = reservation.memory_bytes();
    assert!(peak > 10 * memory);
    drop(reservation);
    assert_eq!(nodes(&small), nodes(&packed(40).0));
    assert!(small.memory_bytes() <= memory + memory / 4, "{} bytes after, {memory} before", small.memory_bytes());

    // With writes: no more nodes than the same writes made one by one would leave.
    for seed in 0..20u64 {
        let mut gen = Generator::new(seed, 1 << 16);
        let (base, mut oracle) = packed(2_000);
        let ops: Vec<Op> = (0..4).map(|_| gen.op(&oracle, Phase::Span)).collect();
        let mut one_by_one = repacked(&base);
        let mut twin_oracle = oracle.clone();
        for &op in &ops {
            maple_testkit::ops::apply(&mut one_by_one, &mut twin_oracle, as_write(op)).unwrap();
        }
        let mut tree = repacked(&base);
        let mut reservation = tree.reserve(ops.len()).unwrap();
        for &op in &ops {
            reserved_write(&mut reservation, &mut oracle, op).unwrap();
        }
        drop(reservation);
        tree.validate().unwrap();
        assert!(
            nodes(&tree) <= nodes(&one_by_one),
            "seed {seed}: {} nodes kept, {} by the same writes one by one",
            nodes(&tree),
            nodes(&one_by_one)
        );
    }
}

#[test]
fn shrink_to_fit_after_writes_that_left_spare_nodes() {
    // A store reserves its worst case and may take less: the rest stays as spare nodes at the
    // end of the arena, next to nodes on the free lists. Compacting must count both as free.
    let (mut tree, mut oracle) = packed(3_000);
    for i in 0..20u64 {
        // Each splits a full leaf of the packed tree, which has no free node: the store
        // allocates its worst case and leaves the nodes it did not take spare.
        tree.store_range(i * 300 + 1, i * 300 + 2, 1_000 + i).unwrap();
        oracle.store(i * 300 + 1, i * 300 + 2, 1_000 + i);
    }
    // A wide removal frees many nodes onto the free lists (and may take spare ones).
    tree.remove_range(10_000, 20_000).unwrap();
    oracle.remove(10_000, 20_000);
    tree.shrink_to_fit();
    tree.validate().unwrap();
    check(&tree, &oracle).unwrap();
    for i in 0..500u64 {
        tree.store_range(i * 61 + 3, i * 61 + 9, i).unwrap();
        oracle.store(i * 61 + 3, i * 61 + 9, i);
        tree.validate().unwrap_or_else(|v| panic!("store {i} after shrink_to_fit: {v}"));
    }
    check(&tree, &oracle).unwrap();
}

#[test]
fn repeated_reservations_reuse_their_blank_nodes() {
    // A reservation dropped unused keeps a few blank nodes for the next one: the node count
    // and the memory stay as after the first, and the next reservation fails at the same
    // points.
    let (mut tree, oracle) = packed(3_000);
    let before = nodes(&tree);
    let (mut points, mut memory) = (None, None);
    for round in 0..4 {
        let reservation = tree.reserve(3).unwrap();
        let (leaves, internals) = reservation.reserved_nodes();
        assert_eq!(nodes(&reservation), before + leaves + internals);
        drop(reservation);
        assert_eq!(nodes(&tree), before, "round {round}");
        assert_eq!(*memory.get_or_insert(tree.memory_bytes()), tree.memory_bytes(), "round {round}");
        tree.validate().unwrap();
        // With the n-th allocation failing: the same number of points every round.
        let mut n = 0;
        while tree.clone().tap_fail(n) {
            n += 1;
        }
        assert_eq!(*points.get_or_insert(n), n, "round {round}");
        assert_eq!(n as usize, leaves + internals);
    }
    check(&tree, &oracle).unwrap();
    // A copy and a compaction leave the kept blank nodes out.
    assert_eq!(nodes(&tree.try_clone().unwrap()), before);
    tree.shrink_to_fit();
    tree.validate().unwrap();
    assert_eq!(nodes(&tree), before);
}

trait TapFail {
    /// Whether `reserve(3)` fails with the `n`-th allocation failing.
    fn tap_fail(self, n: u64) -> bool;
}

impl TapFail for MapleTree<u64> {
    fn tap_fail(mut self, n: u64) -> bool {
        self.fail_nth_alloc(Some(n));
        let failed = self.reserve(3).is_err();
        self.fail_nth_alloc(None);
        failed
    }
}
