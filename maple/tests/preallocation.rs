//! `CursorMut::preallocate` (the kernel's `mas_preallocate` / `mas_store_prealloc`), bug class
//! H of `docs/bug-classes.md`: a reservation must name the right store kind,
//! reserve enough nodes that the store cannot fail, and never be exceeded (the kernel's
//! `check_prealloc`, the 2025 allocation-accounting fixes and the Jun-2024 "alloc node fail"
//! bug). The store kind cannot change between `preallocate` and `store` here: the
//! reservation borrows the cursor, so nothing else can write in between.
//!
//! How "never exceeded" is observed from outside:
//! * a tree built by `MapleTree::new` or `from_sorted` has no free nodes, so `preallocate`
//!   must allocate exactly the reserved count (`allocated_nodes()` grows by it);
//! * a write that ran out of reserved nodes would allocate more from the system, so
//!   `allocated_nodes()` must not change between `preallocate` and `store`;
//! * inside the crate a debug assertion in the allocator fires when a write takes more nodes
//!   than it reserved; these tests run with debug assertions (checked below), so thousands of
//!   random reserved writes exercise it.

use maple_testkit::ops::{check, packed, Generator};
use maple_testkit::oracle::RangeMap;
use maple_tree::{Error, MapleTree, Status, StoreType};
use rand::Rng;

const MAX: u64 = u64::MAX;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// `MAPLE_SOAK=N` multiplies the random tests' seeds by N.
fn soak() -> u64 {
    std::env::var("MAPLE_SOAK").ok().and_then(|s| s.parse().ok()).unwrap_or(1)
}

/// Total nodes allocated (live and free).
fn nodes(tree: &MapleTree<u64>) -> usize {
    let (leaves, internals) = tree.allocated_nodes();
    leaves + internals
}

/// What one reserved write did.
#[derive(Debug)]
struct Reserved {
    kind: StoreType,
    reserved: (usize, usize),
    /// Nodes `preallocate` allocated from the system.
    allocated_by_preallocate: usize,
    /// Nodes the store allocated beyond the reservation (must be 0).
    allocated_by_store: usize,
}

/// Preallocates `entry` over `[first, last]` and stores it; checks the returned old value,
/// the cursor's range afterwards, the tree against the oracle (which it updates), and that
/// the whole write allocated no more nodes than it reserved. Returns the store kind.
fn reserve_and_store(
    tree: &mut MapleTree<u64>,
    oracle: &mut RangeMap<u64>,
    first: u64,
    last: u64,
    entry: Option<u64>,
) -> StoreType {
    let before = nodes(tree);
    let old_want = oracle.get(first).map(|(_, v)| *v);
    let mut cursor = tree.cursor_mut(first);
    cursor.set_range(first, last);
    let prealloc = cursor.preallocate(entry).expect("preallocate");
    let kind = prealloc.store_type();
    let (leaves, internals) = prealloc.reserved_nodes();
    let old = prealloc.store();
    assert_eq!(old, old_want, "old value at {first}");
    match (cursor.status(), entry) {
        (Status::Active, Some(_)) => assert_eq!((cursor.index(), cursor.last()), (first, last)),
        (Status::Active, None) => assert!(cursor.index() <= first && last <= cursor.last()),
        (Status::Start, None) => assert_eq!((cursor.index(), cursor.last()), (0, MAX)),
        (status, _) => panic!("status {status:?} after a reserved store of {entry:?}"),
    }
    match entry {
        Some(v) => oracle.store(first, last, v),
        None => oracle.remove(first, last),
    }
    check(tree, oracle).unwrap_or_else(|e| panic!("{kind:?} over {first}..={last}: {e}"));
    assert!(nodes(tree) - before <= leaves + internals, "{kind:?}: allocated beyond the reservation");
    kind
}

/// Like [`reserve_and_store`], measuring the allocations of each step separately: reserves,
/// drops the reservation, reserves again (which must find the nodes in the pool) and stores.
fn measured(
    tree: &mut MapleTree<u64>,
    oracle: &mut RangeMap<u64>,
    first: u64,
    last: u64,
    entry: Option<u64>,
) -> Reserved {
    let before = nodes(tree);
    let old_want = oracle.get(first).map(|(_, v)| *v);
    let mut cursor = tree.cursor_mut(first);
    cursor.set_range(first, last);
    let prealloc = cursor.preallocate(entry).expect("preallocate");
    let kind = prealloc.store_type();
    let reserved = prealloc.reserved_nodes();
    drop(prealloc);
    let after_preallocate = nodes(tree);
    // The dropped reservation left its nodes in the pool; reserving again takes no new node.
    let mut cursor = tree.cursor_mut(first);
    cursor.set_range(first, last);
    let prealloc = cursor.preallocate(entry).expect("preallocate again");
    assert_eq!(prealloc.store_type(), kind);
    let old = prealloc.store();
    assert_eq!(old, old_want, "old value at {first}");
    let after_store = nodes(tree);
    match entry {
        Some(v) => oracle.store(first, last, v),
        None => oracle.remove(first, last),
    }
    check(tree, oracle).unwrap_or_else(|e| panic!("{kind:?} over {first}..={last}: {e}"));
    Reserved {
        kind,
        reserved,
        allocated_by_preallocate: after_preallocate - before,
        allocated_by_store: after_store - after_preallocate,
    }
}

// ---------------------------------------------------------------------------------------------
// One scenario per store kind
// ---------------------------------------------------------------------------------------------

/// A write with the store kind and the reservation the write-path table documents.
struct Case {
    name: &'static str,
    tree: fn() -> (MapleTree<u64>, RangeMap<u64>),
    first: u64,
    last: u64,
    entry: Option<u64>,
    kind: StoreType,
    reserved: (usize, usize),
    height_after: Option<usize>,
}

fn empty() -> (MapleTree<u64>, RangeMap<u64>) {
    (MapleTree::new(), RangeMap::new())
}

/// `[10, 19] = 1, [20, 29] = 2`, packed:
///
/// ```text
///   0    9 10  19 20  29 30       MAX
///   | NULL |  1   |  2   |   NULL    |
/// ```
fn two_ranges() -> (MapleTree<u64>, RangeMap<u64>) {
    let tree = MapleTree::from_sorted([(10..=19, 1), (20..=29, 2)]).unwrap();
    let mut oracle = RangeMap::new();
    oracle.store(10, 19, 1);
    oracle.store(20, 29, 2);
    (tree, oracle)
}

fn cases() -> Vec<Case> {
    use StoreType::*;
    let case = |name, tree, first, last, entry, kind, reserved, height_after| Case {
        name,
        tree,
        first,
        last,
        entry,
        kind,
        reserved,
        height_after,
    };
    vec![
        case("store into an empty tree", empty, 10, 19, Some(7), StoreRoot, (1, 0), Some(1)),
        case("NULL into an empty tree", empty, 10, 19, None, StoreRoot, (0, 0), Some(0)),
        case("[0, MAX] over a tree", || packed(500), 0, MAX, Some(7), NewRoot, (1, 0), Some(1)),
        case("NULL over [0, MAX]", || packed(500), 0, MAX, None, NewRoot, (0, 0), Some(0)),
        // Wide NULL store that widens to the whole key space: also a new (empty) root.
        case("NULL widened to everything", || packed(500), 0, 4_994, None, NewRoot, (0, 0), Some(0)),
        case("exact fit", two_ranges, 10, 19, Some(7), ExactFit, (0, 0), Some(1)),
        case("exact fit of a NULL range", two_ranges, 0, 9, Some(7), ExactFit, (0, 0), Some(1)),
        // The last slot [30, MAX] becomes NULL, 7, NULL.
        case("append", two_ranges, 40, 49, Some(7), Append, (0, 0), Some(1)),
        // 1 is overwritten, 2 is cut: same slot count, a pivot moves.
        case("slot store", two_ranges, 10, 24, Some(7), SlotStore, (0, 0), Some(1)),
        // 1 is split in three.
        case("node store", two_ranges, 12, 14, Some(7), NodeStore, (0, 0), Some(1)),
        // One full leaf (16 slots): splitting it needs a leaf and a new root.
        case("split of a root leaf", || packed(8), 1, 2, Some(7), SplitStore, (1, 1), Some(2)),
        // Root with 13 children: the split only adds a leaf.
        case("split under a roomy root", || packed(100), 1, 2, Some(7), SplitStore, (1, 0), Some(2)),
        // Root with 16 children: a leaf, a second root half and a new root.
        case("split under a full root", || packed(120), 1, 2, Some(7), SplitStore, (1, 2), Some(3)),
        // Full parent, roomy root.
        case("split under a full parent", || packed(500), 1, 2, Some(7), SplitStore, (1, 1), Some(3)),
        // Full leaf, parent and root.
        case("split all the way up", || packed(2_000), 1, 2, Some(7), SplitStore, (1, 3), Some(4)),
        // A NULL inside a range also splits a full leaf (the range is cut in two).
        case("NULL split", || packed(100), 1, 2, None, SplitStore, (1, 0), Some(2)),
        // The first leaf (15 slots) drops to 4: it must merge with its sibling.
        case("rebalance by a value", || packed(100), 0, 59, Some(7), Rebalance, (0, 0), Some(2)),
        case("rebalance by a NULL", || packed(100), 0, 59, None, Rebalance, (0, 0), Some(2)),
        case("spanning store, height 2", || packed(100), 1, 401, Some(7), SpanningStore, (1, 2), None),
        case("spanning store, height 3", || packed(500), 1, 4_001, Some(7), SpanningStore, (1, 3), None),
        case("spanning NULL, height 4", || packed(3_000), 1, 4_001, None, SpanningStore, (1, 4), None),
        // Erasing the last range of a leaf: the NULL takes in the next leaf's leading NULL.
        case("NULL across a leaf end", || packed(100), 70, 74, None, SpanningStore, (1, 2), None),
    ]
}

/// Every store kind: `store_type()` and `reserved_nodes()` are what the write-path table
/// documents; on a tree without free nodes `preallocate` allocates exactly the reservation;
/// the store allocates nothing more; the result matches the oracle.
#[test]
#[cfg_attr(not(debug_assertions), ignore = "the allocator's budget assertion needs debug assertions")]
fn store_kind_and_reservation_of_each_case() {
    let mut kinds = std::collections::BTreeSet::new();
    for case in cases() {
        let (mut tree, mut oracle) = (case.tree)();
        let got = measured(&mut tree, &mut oracle, case.first, case.last, case.entry);
        assert_eq!(got.kind, case.kind, "{}", case.name);
        assert_eq!(got.reserved, case.reserved, "{}", case.name);
        let total = case.reserved.0 + case.reserved.1;
        assert_eq!(got.allocated_by_preallocate, total, "{}: pool was empty", case.name);
        assert_eq!(got.allocated_by_store, 0, "{}: store exceeded its reservation", case.name);
        if let Some(h) = case.height_after {
            assert_eq!(tree.height(), h, "{}", case.name);
        }
        kinds.insert(format!("{:?}", got.kind));
    }
    assert_eq!(kinds.len(), 9, "every store kind has a case: {kinds:?}");
}

/// Dropping a reservation without storing leaves the entries unchanged (its nodes stay in
/// the pool, so the same write then succeeds even with every allocation failing).
#[test]
fn dropped_reservation_changes_nothing() {
    for case in cases() {
        let (mut tree, oracle) = (case.tree)();
        let before = tree.clone();
        let nodes_before = nodes(&tree);
        {
            let mut cursor = tree.cursor_mut(case.first);
            cursor.set_range(case.first, case.last);
            let prealloc = cursor.preallocate(case.entry).unwrap();
            assert_eq!(prealloc.store_type(), case.kind, "{}", case.name);
            drop(prealloc);
            // The cursor is still usable and the tree still reads as before.
            cursor.set(case.first);
            assert_eq!(cursor.walk().copied(), oracle.get(case.first).map(|(_, v)| *v));
        }
        tree.validate().unwrap();
        assert!(tree == before, "{}", case.name);
        check(&tree, &oracle).unwrap();
        let total = case.reserved.0 + case.reserved.1;
        assert_eq!(nodes(&tree), nodes_before + total, "{}: reserved nodes stay pooled", case.name);

        tree.fail_nth_alloc(Some(0));
        let mut oracle = oracle;
        reserve_and_store(&mut tree, &mut oracle, case.first, case.last, case.entry);
        tree.fail_nth_alloc(None);
        check(&tree, &oracle).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    }
}

/// With the next allocation failing, `preallocate` fails with `NoMemory` for every kind that
/// needs nodes (on a tree without free nodes), sets the cursor's status to
/// `Error(NoMemory)`, keeps its range, and leaves the tree unchanged; kinds that need no
/// node succeed.
#[test]
fn preallocate_without_memory() {
    for case in cases() {
        let (mut tree, oracle) = (case.tree)();
        let before = tree.clone();
        tree.fail_nth_alloc(Some(0));
        let needs_nodes = case.reserved != (0, 0);
        {
            let mut cursor = tree.cursor_mut(case.first);
            cursor.set_range(case.first, case.last);
            match cursor.preallocate(case.entry) {
                Err(e) => {
                    assert!(needs_nodes, "{}: failed though it needs no node", case.name);
                    assert_eq!(e, Error::NoMemory, "{}", case.name);
                    assert_eq!(cursor.status(), Status::Error(Error::NoMemory));
                    assert_eq!((cursor.index(), cursor.last()), (case.first, case.last));
                }
                Ok(prealloc) => {
                    assert!(!needs_nodes, "{}: reserved nodes out of thin air", case.name);
                    drop(prealloc);
                }
            }
        }
        tree.fail_nth_alloc(None);
        tree.validate().unwrap();
        assert!(tree == before, "{}", case.name);
        check(&tree, &oracle).unwrap();
    }
    // An empty range is invalid, whatever the memory.
    let (mut tree, _) = two_ranges();
    let mut cursor = tree.cursor_mut(0);
    cursor.set_range(20, 10);
    assert_eq!(cursor.preallocate(Some(1)).err(), Some(Error::Invalid));
    assert_eq!(cursor.status(), Status::Error(Error::Invalid));
}

// ---------------------------------------------------------------------------------------------
// Random reserved writes
// ---------------------------------------------------------------------------------------------

/// How a random phase mixes its writes (percentages).
#[derive(Clone, Copy, Debug)]
struct Mix {
    /// Erase a whole existing range.
    erase: u32,
    /// Otherwise, a NULL store rather than a value.
    null: u32,
}

const GROW: Mix = Mix { erase: 5, null: 10 };
const CHURN: Mix = Mix { erase: 20, null: 30 };
const SHRINK: Mix = Mix { erase: 50, null: 50 };

/// A random write `(first, last, entry)`: an erase of an existing range (as a NULL store over
/// it), or a store of a value or NULL starting at a generated key (biased to existing
/// boundaries ±1, 0 and `u64::MAX`), mostly short, sometimes spanning many leaves (up to a
/// tenth of `span`, the key space the generator mostly draws from).
fn random_write(gen: &mut Generator, oracle: &RangeMap<u64>, span: u64, mix: Mix) -> (u64, u64, Option<u64>) {
    if gen.rng().gen_range(0..100) < mix.erase && !oracle.is_empty() {
        let i = gen.rng().gen_range(0..oracle.len());
        let (range, _) = oracle.nth(i).unwrap();
        return (*range.start(), *range.end(), None);
    }
    let first = gen.key(oracle);
    let rng = gen.rng();
    let len = match rng.gen_range(0..1_000) {
        0..=599 => rng.gen_range(0..8),
        600..=899 => rng.gen_range(0..64),
        900..=994 => rng.gen_range(0..span / 200 + 1),
        _ => rng.gen_range(0..span / 10 + 1),
    };
    let entry = if rng.gen_range(0..100) < mix.null { None } else { Some(rng.gen_range(1..1 << 40)) };
    (first, first.saturating_add(len), entry)
}

/// Thousands of random writes, each preallocated then stored (1 in 10 dropped instead), on
/// trees that start packed at every height from 0 to 5 and are then grown, churned and
/// shrunk: a write never allocates beyond what `preallocate` reserved (and the allocator's
/// debug assertion holds), and the tree matches the oracle after every write.
#[test]
#[cfg_attr(not(debug_assertions), ignore = "the allocator's budget assertion needs debug assertions")]
fn random_reserved_writes_on_every_height() {
    let mut stats = std::collections::BTreeMap::new();
    let configs = [(0u64, 3_000), (6, 3_000), (100, 3_000), (700, 4_000), (3_000, 4_000), (40_000, 1_000)];
    // Two seeds per starting tree (`MAPLE_SOAK=N` for 2N).
    let runs = (0..2 * soak()).flat_map(|rep| configs.iter().map(move |&(n, ops)| (rep, n, ops)));
    for (seed, (rep, n, ops)) in runs.enumerate() {
        let seed = seed as u64 + 1;
        if rep > 0 && n >= 40_000 {
            continue;
        }
        let (mut tree, mut oracle) = packed(n);
        let mut heights = std::collections::BTreeSet::from([tree.height()]);
        let span = (n * 12).max(1_000);
        let mut gen = Generator::new(seed, span);
        for step in 0..ops {
            let mix = [GROW, CHURN, SHRINK][step * 3 / ops];
            let (first, last, entry) = random_write(&mut gen, &oracle, span, mix);
            let drop_it = gen.rng().gen_range(0..10) == 0;
            let before = nodes(&tree);
            let old_want = oracle.get(first).map(|(_, v)| *v);
            let mut cursor = tree.cursor_mut(first);
            cursor.set_range(first, last);
            let prealloc = cursor.preallocate(entry).unwrap();
            let kind = prealloc.store_type();
            let (l, i) = prealloc.reserved_nodes();
            let what = || format!("seed {seed} step {step}: {kind:?} over {first}..={last} {entry:?}");
            if drop_it {
                drop(prealloc);
                assert!(nodes(&tree) - before <= l + i, "{}", what());
                tree.validate().unwrap();
                assert_eq!(tree.len(), oracle.len(), "{}", what());
                let got = tree.load_range(first).map(|(r, v)| (r, *v));
                assert_eq!(got, oracle.get(first).map(|(r, v)| (r, *v)), "{}", what());
                continue;
            }
            *stats.entry(format!("{kind:?}")).or_insert(0) += 1;
            let old = prealloc.store();
            let taken = nodes(&tree) - before;
            assert!(taken <= l + i, "{}: allocated {taken}, reserved {:?}", what(), (l, i));
            assert_eq!(old, old_want, "{}: old value", what());
            match entry {
                Some(v) => oracle.store(first, last, v),
                None => oracle.remove(first, last),
            }
            tree.validate().unwrap_or_else(|e| panic!("{}: {e}", what()));
            if oracle.len() < 10_000 || step % 50 == 0 {
                check(&tree, &oracle).unwrap_or_else(|e| panic!("{}: {e}", what()));
            }
            heights.insert(tree.height());
        }
        check(&tree, &oracle).unwrap();
        println!("seed {seed}: {n} ranges packed, heights seen {heights:?}, {} ranges at the end", tree.len());
    }
    println!("{stats:?}");
    assert_eq!(stats.len(), 9, "every store kind was reserved: {stats:?}");
}

/// Random writes on freshly packed trees (no free nodes), so every reservation is allocated
/// from the system: `preallocate` allocates exactly the reserved count and the store none
/// beyond it.
#[test]
fn random_reserved_writes_on_packed_trees() {
    let mut stats = std::collections::BTreeMap::new();
    let configs = [120u64, 500, 2_500];
    for (seed, n) in (0..soak()).flat_map(|_| configs).enumerate() {
        let seed = seed as u64 + 11;
        let (_, mut oracle) = packed(n);
        let span = n * 12;
        let mut gen = Generator::new(seed, span);
        for step in 0..1_500 {
            let (first, last, entry) = random_write(&mut gen, &oracle, span, [GROW, CHURN, SHRINK][step * 3 / 1_500]);
            let mut tree = MapleTree::from_sorted(oracle.iter().map(|(r, v)| (r, *v))).unwrap();
            let got = measured(&mut tree, &mut oracle, first, last, entry);
            let total = got.reserved.0 + got.reserved.1;
            assert_eq!(got.allocated_by_preallocate, total, "seed {seed} step {step}: {got:?}");
            assert_eq!(got.allocated_by_store, 0, "seed {seed} step {step}: {got:?} over {first}..={last}");
            *stats.entry(format!("{:?}", got.kind)).or_insert(0) += 1;
        }
    }
    println!("{stats:?}");
    assert!(stats.contains_key("SplitStore") && stats.contains_key("SpanningStore"));
}
