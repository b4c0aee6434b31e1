//! Failure injection (bug class H of `docs/bug-classes.md`: preallocation and
//! allocator bookkeeping; the kernel's `check_nomem`, `check_prealloc` failure paths and
//! `check_mtree_dup`'s random allocation failures).
//!
//! `MapleTree::fail_nth_alloc(Some(n))` makes the n-th next node allocation fail. For every
//! fallible operation and every store kind, on trees of several heights, each test runs the
//! operation on a fresh clone with `n = 0, 1, 2, ...` until it succeeds. A failure must be
//! `NoMemory`, leave the entries exactly as they were (`==` compares entries) and a valid
//! tree, and a retry without injection must then succeed. The success is compared with the
//! `RangeMap` oracle.
//!
//! Trees built by `from_sorted` have an empty pool of free nodes (the build reserves exactly
//! the nodes it uses) and clones keep their pool, so on those trees an operation must fail
//! exactly as many times as the nodes its store kind reserves: 0 for in-place kinds, 1 leaf
//! (+ internal nodes) for splits, spanning stores and new roots (except an `erase` or a
//! `remove_range` of one range whose NULL only moves a leaf boundary: no node).

use maple_testkit::ops::{check, Generator, Op as GenOp, Phase};
use maple_testkit::oracle::RangeMap;
use maple_tree::{Error, MapleTree, Status, StoreType};
use rand::Rng;
use std::collections::BTreeSet;

const MAX: u64 = u64::MAX;

/// `MAPLE_SOAK=N` multiplies the random test's seeds by N and makes the exhaustive test run
/// every candidate instead of a sample.
fn soak() -> u64 {
    std::env::var("MAPLE_SOAK").ok().and_then(|s| s.parse().ok()).unwrap_or(1)
}

/// Every store kind, in the order of the write-path table.
const KINDS: [StoreType; 9] = [
    StoreType::StoreRoot,
    StoreType::NewRoot,
    StoreType::ExactFit,
    StoreType::Append,
    StoreType::SlotStore,
    StoreType::NodeStore,
    StoreType::SplitStore,
    StoreType::Rebalance,
    StoreType::SpanningStore,
];

// ---------------------------------------------------------------------------------------------
// Tree shapes
// ---------------------------------------------------------------------------------------------

/// A tree to inject failures into.
struct Shape {
    name: String,
    tree: MapleTree<u64>,
    oracle: RangeMap<u64>,
    /// The stored ranges, in order.
    ranges: Vec<(u64, u64)>,
    /// Built by `from_sorted` (or empty): no free nodes, so every reserved node is allocated.
    empty_pool: bool,
}

/// The ranges `[10 i, 10 i + 4]`, value `i + 1`:
///
/// ```text
///   0    4 5   9 10  14 15  19
///   |-v1-| NULL |-v2--| NULL | ...
/// ```
fn spaced(n: u64) -> Vec<(u64, u64)> {
    (0..n).map(|i| (i * 10, i * 10 + 4)).collect()
}

fn shape(name: &str, ranges: Vec<(u64, u64)>, packed: bool, height: usize) -> Shape {
    let mut oracle = RangeMap::new();
    for (&(a, b), v) in ranges.iter().zip(1..) {
        oracle.store(a, b, v);
    }
    let tree = if packed {
        MapleTree::from_sorted(ranges.iter().zip(1..).map(|(&(a, b), v)| (a..=b, v))).unwrap()
    } else {
        let mut tree = MapleTree::new();
        for (&(a, b), v) in ranges.iter().zip(1..) {
            tree.store_range(a, b, v).unwrap();
            tree.validate().unwrap();
        }
        tree
    };
    check(&tree, &oracle).unwrap();
    assert_eq!(tree.height(), height, "shape {name}");
    Shape { name: name.into(), tree, oracle, ranges, empty_pool: packed }
}

/// Empty, one leaf, and packed trees of height 2, 3 and 4; plus grown trees (half-full
/// nodes, a non-empty pool) of height 2 and 3.
fn shapes() -> Vec<Shape> {
    vec![
        shape("empty", vec![], true, 0),
        shape("one leaf", spaced(5), true, 1),
        shape("packed h2", spaced(100), true, 2),
        shape("packed h3", spaced(500), true, 3),
        shape("packed h4", spaced(3_000), true, 4),
        shape("grown h2", spaced(60), false, 2),
        shape("grown h3", spaced(400), false, 3),
    ]
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/// The fallible operations. `value: None` is a NULL store (`remove_range` for the tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Op {
    Store { first: u64, last: u64, value: Option<u64> },
    Insert { first: u64, last: u64 },
    Erase { index: u64 },
    CursorStore { first: u64, last: u64, value: Option<u64> },
    CursorErase { index: u64 },
    Preallocate { first: u64, last: u64, value: Option<u64> },
}

/// The name of an operation's kind, for coverage reports.
fn op_name(op: &Op) -> &'static str {
    match op {
        Op::Store { value: Some(_), .. } => "store_range",
        Op::Store { value: None, .. } => "remove_range",
        Op::Insert { .. } => "insert_range",
        Op::Erase { .. } => "erase",
        Op::CursorStore { .. } => "CursorMut::store",
        Op::CursorErase { .. } => "CursorMut::erase",
        Op::Preallocate { .. } => "CursorMut::preallocate",
    }
}

/// The write an operation performs on `oracle`'s content, as `(first, last, is_null)`, or
/// `None` for an erase of a hole (which writes nothing).
fn write_of(op: Op, oracle: &RangeMap<u64>) -> Option<(u64, u64, bool)> {
    match op {
        Op::Store { first, last, value }
        | Op::CursorStore { first, last, value }
        | Op::Preallocate { first, last, value } => Some((first, last, value.is_none())),
        Op::Insert { first, last } => Some((first, last, false)),
        Op::Erase { index } | Op::CursorErase { index } => {
            let (range, _) = oracle.get(index)?;
            Some((*range.start(), *range.end(), true))
        }
    }
}

/// The store kind and reserved `(leaves, internal nodes)` of a write, from the tree's own
/// classifier (a reservation on a scratch copy, dropped unused).
fn classify(scratch: &mut MapleTree<u64>, first: u64, last: u64, null: bool) -> (StoreType, usize) {
    let mut cursor = scratch.cursor_mut(first);
    cursor.set_range(first, last);
    let prealloc = cursor.preallocate(if null { None } else { Some(0) }).unwrap();
    let (leaves, internals) = prealloc.reserved_nodes();
    (prealloc.store_type(), leaves + internals)
}

/// Runs `op` on the tree. Returns the value the operation reports (the old value for cursor
/// stores and erases, nothing for the tree's stores). Checks the cursor's state on failure:
/// status `Error(e)` and the range the caller asked for, not a widened one.
fn run(op: Op, tree: &mut MapleTree<u64>) -> Result<Option<u64>, Error> {
    match op {
        Op::Store { first, last, value: Some(v) } => tree.store_range(first, last, v).map(|()| None),
        Op::Store { first, last, value: None } => tree.remove_range(first, last).map(|()| None),
        Op::Insert { first, last } => tree.insert_range(first, last, 77).map(|()| None),
        Op::Erase { index } => tree.erase(index),
        Op::CursorStore { first, last, value } => {
            let mut cursor = tree.cursor_mut(first);
            cursor.set_range(first, last);
            let got = cursor.store(value);
            match got {
                Err(e) => {
                    assert_eq!(cursor.status(), Status::Error(e));
                    assert_eq!((cursor.index(), cursor.last()), (first, last), "range kept");
                }
                // Active on the range written; Start on the whole key space when the store
                // emptied the tree; None (range kept) for a NULL store into an empty tree.
                Ok(_) => match cursor.status() {
                    Status::Active => assert!(cursor.index() <= first && last <= cursor.last()),
                    Status::Start => assert_eq!((cursor.index(), cursor.last()), (0, MAX)),
                    Status::None => assert_eq!((cursor.index(), cursor.last(), value), (first, last, None)),
                    other => panic!("{op:?}: status {other:?} after a store"),
                },
            }
            got
        }
        Op::CursorErase { index } => {
            let mut cursor = tree.cursor_mut(index);
            let got = cursor.erase();
            if let Err(e) = got {
                assert_eq!(cursor.status(), Status::Error(e));
                let (i, l) = (cursor.index(), cursor.last());
                assert!(i <= index && index <= l, "erase kept the walked range");
            }
            got
        }
        Op::Preallocate { first, last, value } => {
            let mut cursor = tree.cursor_mut(first);
            cursor.set_range(first, last);
            match cursor.preallocate(value) {
                Ok(prealloc) => Ok(prealloc.store()),
                Err(e) => {
                    assert_eq!(cursor.status(), Status::Error(e));
                    assert_eq!((cursor.index(), cursor.last()), (first, last));
                    Err(e)
                }
            }
        }
    }
}

/// Applies `op` to the oracle; returns what `run` must report.
fn model(op: Op, oracle: &mut RangeMap<u64>) -> Option<u64> {
    let old_at = |o: &RangeMap<u64>, i: u64| o.get(i).map(|(_, v)| *v);
    match op {
        Op::Store { first, last, value } => {
            match value {
                Some(v) => oracle.store(first, last, v),
                None => oracle.remove(first, last),
            }
            None
        }
        Op::Insert { first, last } => {
            oracle.store(first, last, 77);
            None
        }
        Op::Erase { index } | Op::CursorErase { index } => oracle.erase(index),
        Op::CursorStore { first, last, value } | Op::Preallocate { first, last, value } => {
            let old = old_at(oracle, first);
            match value {
                Some(v) => oracle.store(first, last, v),
                None => oracle.remove(first, last),
            }
            old
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The exhaustive failure loop
// ---------------------------------------------------------------------------------------------

/// Runs `op` on fresh clones of the shape with the n-th allocation failing, n = 0, 1, ...,
/// until it succeeds; returns that n (the number of allocations the operation made).
fn exhaust(shape: &Shape, op: Op) -> usize {
    let what = |n: usize| format!("{}: {op:?} failing allocation {n}", shape.name);
    for n in 0..64 {
        let mut tree = shape.tree.clone();
        let (leaves, internals) = tree.allocated_nodes();
        tree.fail_nth_alloc(Some(n as u64));
        match run(op, &mut tree) {
            Err(Error::NoMemory) => {
                // Untouched: same entries, same shape, valid; the n allocations made before
                // the failing one stay in the pool.
                tree.validate().unwrap_or_else(|e| panic!("{}: {e}", what(n)));
                assert!(tree == shape.tree, "{}: entries changed", what(n));
                assert_eq!(tree.len(), shape.tree.len(), "{}", what(n));
                assert_eq!(tree.height(), shape.tree.height(), "{}", what(n));
                let (l, i) = tree.allocated_nodes();
                assert_eq!(l + i, leaves + internals + n, "{}: allocations made", what(n));
                // Retrying without injection succeeds (the kernel's retry after -ENOMEM).
                tree.fail_nth_alloc(None);
                let mut oracle = shape.oracle.clone();
                let want = model(op, &mut oracle);
                let got = run(op, &mut tree).unwrap_or_else(|e| panic!("{}: retry: {e:?}", what(n)));
                assert_eq!(got, want, "{}: retry result", what(n));
                check(&tree, &oracle).unwrap_or_else(|e| panic!("{}: retry: {e}", what(n)));
            }
            Ok(got) => {
                tree.fail_nth_alloc(None);
                let mut oracle = shape.oracle.clone();
                let want = model(op, &mut oracle);
                assert_eq!(got, want, "{}: result", what(n));
                check(&tree, &oracle).unwrap_or_else(|e| panic!("{}: {e}", what(n)));
                let (l, i) = tree.allocated_nodes();
                assert!(l + i <= leaves + internals + n, "{}: allocated more than it reserved", what(n));
                return n;
            }
            Err(e) => panic!("{}: unexpected {e:?}", what(n)),
        }
    }
    panic!("{}: {op:?} still failing after 64 injected failures", shape.name)
}

// ---------------------------------------------------------------------------------------------
// Candidate writes
// ---------------------------------------------------------------------------------------------

/// Range indices worth writing at: the first few, the last few, some in the middle, and
/// those that end a leaf (found by probing for spanning stores over `[end, end + 1]`).
fn interesting_ranges(shape: &Shape) -> Vec<usize> {
    let n = shape.ranges.len();
    if n == 0 {
        return vec![];
    }
    let mut ks: BTreeSet<usize> = (0..n.min(12)).chain(n.saturating_sub(12)..n).collect();
    ks.insert(n / 2);
    ks.insert(n / 3);
    let mut scratch = shape.tree.clone();
    let mut leaf_ends = 0;
    for k in 0..n - 1 {
        let end = shape.ranges[k].1;
        if classify(&mut scratch, end, end + 1, false).0 == StoreType::SpanningStore {
            // A few leaf ends, and the ranges around them.
            if leaf_ends < 6 || k > n - 40 {
                ks.extend(k.saturating_sub(8)..(k + 3).min(n));
            }
            leaf_ends += 1;
        }
    }
    ks.into_iter().collect()
}

/// Candidate writes `(first, last)` around range `k` (with gaps `[end + 1, end + 5]`):
/// exact, growing into the gap, inside the range, inside the gap, the whole gap, and wide
/// writes over the next ranges.
fn candidate_writes(ranges: &[(u64, u64)], k: usize) -> Vec<(u64, u64)> {
    let (s, e) = ranges[k];
    let mut out = vec![(s, e), (s, e + 2), (s + 1, s + 2), (s + 1, e), (e + 1, e + 2), (e + 1, e + 5), (e + 2, e + 5)];
    for m in [1, 2, 3, 5, 6, 7, 9, 12, 20, 40] {
        if let Some(&(_, e2)) = ranges.get(k + m) {
            out.push((s, e2));
            out.push((s + 1, e2));
            out.push((s, e2 + 5));
        }
    }
    out
}

/// Candidate operations for a shape; each is classified by the write it performs.
fn candidates(shape: &Shape) -> Vec<Op> {
    let mut writes = vec![(0, MAX), (100, 200), (0, 0), (MAX, MAX), (1, MAX)];
    if let Some(&(_, e)) = shape.ranges.last() {
        writes.push((e + 100, e + 200)); // into the final NULL: an append
        writes.push((e + 100, MAX));
    }
    let ks = interesting_ranges(shape);
    for &k in &ks {
        writes.extend(candidate_writes(&shape.ranges, k));
    }
    let mut ops = Vec::new();
    for &(first, last) in &writes {
        for value in [Some(1_000), None] {
            ops.push(Op::Store { first, last, value });
            ops.push(Op::CursorStore { first, last, value });
            ops.push(Op::Preallocate { first, last, value });
        }
        if !shape.oracle.occupied(first, last) {
            ops.push(Op::Insert { first, last });
        }
    }
    for &k in &ks {
        let (s, e) = shape.ranges[k];
        for index in [s, e, e + 1] {
            ops.push(Op::Erase { index });
            ops.push(Op::CursorErase { index });
        }
    }
    if shape.ranges.is_empty() {
        ops.push(Op::Erase { index: 5 });
        ops.push(Op::CursorErase { index: 5 });
    }
    ops
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

/// Every fallible operation × every store kind it can reach × every shape: failures leave the
/// tree untouched; on a tree with an empty pool the operation fails exactly as many times as
/// the nodes its kind reserves (so splits, spanning stores and new roots fail at n = 0, and
/// in-place kinds never allocate) — but for `erase` and `remove_range` of a range whose
/// NULL only moves a leaf boundary, which take no node.
#[test]
fn every_operation_every_store_kind() {
    let exhaustive = std::env::var_os("MAPLE_SOAK").is_some();
    let mut coverage: BTreeSet<(&'static str, String)> = BTreeSet::new();
    let mut runs = 0;
    let mut failures = 0;
    let mut boundary_moves = 0;
    for shape in shapes() {
        let mut scratch = shape.tree.clone();
        // A sample of the candidates: per shape, one per operation, store kind, reserved
        // count and residues of the range ends (all of them with `MAPLE_SOAK` set).
        let mut seen = BTreeSet::new();
        for op in candidates(&shape) {
            let Some((first, last, null)) = write_of(op, &shape.oracle) else {
                // Erasing a hole allocates nothing and changes nothing.
                assert_eq!(exhaust(&shape, op), 0);
                continue;
            };
            let (kind, reserved) = classify(&mut scratch, first, last, null);
            let key = (op_name(&op), format!("{kind:?}"), reserved, first % 13, last % 11);
            if !exhaustive && !seen.insert(key) {
                continue;
            }
            let n = exhaust(&shape, op);
            runs += 1;
            failures += n;
            coverage.insert((op_name(&op), format!("{kind:?}")));
            // `erase` and `remove_range` of one whole range whose NULL would end its leaf
            // move the leaf boundary from one walk, taking no node and reserving none (the
            // cursor and the preallocation reserve the spanning store's budget, as the
            // kernel's do): they succeed with no memory at all. `exhaust` checked the result.
            let moved_boundary =
                n == 0 && kind == StoreType::SpanningStore && matches!(op_name(&op), "erase" | "remove_range");
            if moved_boundary {
                boundary_moves += 1;
            } else if shape.empty_pool {
                assert_eq!(n, reserved, "{}: {op:?} ({kind:?}) allocated {n} nodes, reserved {reserved}", shape.name);
            } else {
                assert!(n <= reserved, "{}: {op:?} ({kind:?})", shape.name);
            }
            let needs_nodes = matches!(
                kind,
                StoreType::StoreRoot | StoreType::NewRoot | StoreType::SplitStore | StoreType::SpanningStore
            ) && !(null && matches!(kind, StoreType::StoreRoot | StoreType::NewRoot));
            if shape.empty_pool && needs_nodes && !moved_boundary {
                assert!(n >= 1, "{}: {op:?} ({kind:?}) should need a node", shape.name);
            }
            if !needs_nodes {
                assert_eq!(n, 0, "{}: {op:?} ({kind:?}) should need no node", shape.name);
            }
        }
    }
    println!("{runs} operations, {failures} injected failures, {boundary_moves} erases moved a boundary");
    assert!(boundary_moves > 0, "no erase took the boundary move");
    for (op, kind) in &coverage {
        println!("  {op:>24}  {kind}");
    }
    // store_range reaches every kind; the other writes reach every kind that can allocate.
    for kind in KINDS {
        assert!(coverage.contains(&("store_range", format!("{kind:?}"))), "store_range never reached {kind:?}");
    }
    for op in ["remove_range", "erase", "CursorMut::store", "CursorMut::erase", "CursorMut::preallocate"] {
        for kind in [StoreType::SpanningStore, StoreType::NodeStore, StoreType::Rebalance] {
            assert!(coverage.contains(&(op, format!("{kind:?}"))), "{op} never reached {kind:?}");
        }
    }
    for op in ["insert_range", "CursorMut::store", "CursorMut::preallocate"] {
        for kind in [StoreType::StoreRoot, StoreType::SplitStore, StoreType::SpanningStore] {
            if op == "insert_range" && kind == StoreType::SpanningStore {
                continue; // an insert fits in one NULL range, which never crosses leaves
            }
            assert!(coverage.contains(&(op, format!("{kind:?}"))), "{op} never reached {kind:?}");
        }
    }
}

/// The cursor after a failed store: status `Error(NoMemory)`, its range unchanged (not the
/// widened NULL range: the kernel's Aug-2024 retry bug), and a retry through the same cursor
/// succeeds and leaves it `Active` on the written range.
#[test]
fn cursor_error_status_and_retry() {
    let base = shape("packed h3", spaced(500), true, 3);
    // (first, last, value, the range the cursor reports after the retry). The NULL store
    // [36, 398] starts and ends inside NULL gaps, so it widens to [35, 399]:
    //
    //   30  34 35  39 40      395 399 400 404
    //   |-r3-| NULL |-r4- ... -| NULL |-r40-|
    //           ^36                ^398
    for (first, last, value, reported) in
        [(31, 401, Some(5), (31, 401)), (31, 401, None, (31, 401)), (36, 398, None, (35, 399))]
    {
        let mut tree = base.tree.clone();
        tree.fail_nth_alloc(Some(0));
        let mut cursor = tree.cursor_mut(first);
        cursor.set_range(first, last);
        assert_eq!(cursor.store(value), Err(Error::NoMemory));
        assert_eq!(cursor.status(), Status::Error(Error::NoMemory));
        assert_eq!((cursor.index(), cursor.last()), (first, last));
        // Reads from an error status return nothing.
        assert_eq!(cursor.next(MAX), None);
        assert_eq!(cursor.find(MAX), None);
        // The injection fired once; the retry allocates freely.
        let old = cursor.store(value).unwrap();
        assert_eq!(old, base.oracle.get(first).map(|(_, v)| *v));
        assert_eq!(cursor.status(), Status::Active);
        assert_eq!((cursor.index(), cursor.last()), reported);
        let mut oracle = base.oracle.clone();
        match value {
            Some(v) => oracle.store(first, last, v),
            None => oracle.remove(first, last),
        }
        check(&tree, &oracle).unwrap();
    }
}

/// Partial reservations are kept: after a failure at allocation n, the n nodes already
/// allocated stay in the pool, so a retry only needs the rest (the kernel's Jun-2024
/// "alloc node fail" bookkeeping bug asked for zero nodes in a similar state).
#[test]
fn partial_reservation_is_kept_for_the_retry() {
    let base = shape("packed h4", spaced(3_000), true, 4);
    let (first, last) = (1_001, 2_504); // spans many leaves: 1 leaf + 4 internal nodes
    let mut scratch = base.tree.clone();
    let (kind, need) = classify(&mut scratch, first, last, false);
    assert_eq!((kind, need), (StoreType::SpanningStore, 5));
    for done in 0..need {
        let mut tree = base.tree.clone();
        tree.fail_nth_alloc(Some(done as u64));
        assert_eq!(tree.store_range(first, last, 9), Err(Error::NoMemory));
        tree.validate().unwrap();
        assert!(tree == base.tree);
        // `done` nodes are in the pool: allowing exactly the rest succeeds, one fewer fails.
        let rest = need - done;
        let mut short = tree.clone();
        short.fail_nth_alloc(Some(rest as u64 - 1));
        assert_eq!(short.store_range(first, last, 9), Err(Error::NoMemory));
        short.validate().unwrap();
        assert!(short == base.tree);
        // The short attempt added rest - 1 more; one allocation remains.
        short.fail_nth_alloc(Some(1));
        short.store_range(first, last, 9).unwrap();
        short.fail_nth_alloc(None);
        let mut oracle = base.oracle.clone();
        oracle.store(first, last, 9);
        check(&short, &oracle).unwrap();
        tree.fail_nth_alloc(Some(rest as u64));
        tree.store_range(first, last, 9).unwrap();
        tree.fail_nth_alloc(None);
        check(&tree, &oracle).unwrap();
    }
}

/// `try_clone` of every shape; `fail_nth_alloc(None)` disarms; a clone does not inherit an
/// armed failure.
#[test]
fn arming_and_disarming() {
    for shape in shapes() {
        let mut tree = shape.tree.clone();
        tree.fail_nth_alloc(Some(0));
        let copy = tree.try_clone().unwrap();
        assert!(copy == tree);
        let mut copy = copy;
        // The copy is not armed: a store into an empty range needing a node succeeds.
        copy.store_range(MAX - 10, MAX - 5, 1).unwrap();
        copy.validate().unwrap();
        tree.fail_nth_alloc(None);
        tree.store_range(MAX - 10, MAX - 5, 1).unwrap();
        tree.validate().unwrap();
        assert!(copy == tree, "{}", shape.name);
    }
}

/// Random operations with random allocation failures (the kernel's `check_mtree_dup` with
/// random failure): the tree is rebuilt packed every 25 operations so that writes must
/// allocate, and each failed operation must leave the tree equal to the oracle.
#[test]
fn random_operations_with_random_failures() {
    let mut total = (0, 0);
    for seed in 0..6 * soak() {
        let span = [2_000, 50_000, 1 << 40][seed as usize % 3];
        let mut gen = Generator::new(seed, span);
        let mut oracle = RangeMap::new();
        let mut tree: MapleTree<u64> = MapleTree::new();
        let phases = [Phase::Grow, Phase::Grow, Phase::Span, Phase::EraseRandom, Phase::Grow];
        for (step, phase) in (0..3_000).map(|i| (i, phases[i * phases.len() / 3_000])) {
            if step % 25 == 0 {
                tree = MapleTree::from_sorted(oracle.iter().map(|(r, v)| (r, *v))).unwrap();
            }
            let op = match gen.op(&oracle, phase) {
                GenOp::Store { first, last, value } if first <= last => Op::Store { first, last, value: Some(value) },
                GenOp::Insert { first, last, .. } if first <= last && !oracle.occupied(first, last) => {
                    Op::Insert { first, last }
                }
                GenOp::Remove { first, last } if first <= last => Op::Store { first, last, value: None },
                GenOp::Erase { index } => Op::Erase { index },
                _ => continue,
            };
            let fail_at = gen.rng().gen_range(0..4u64);
            tree.fail_nth_alloc(Some(fail_at));
            match run(op, &mut tree) {
                Err(Error::NoMemory) => {
                    total.1 += 1;
                    check(&tree, &oracle)
                        .unwrap_or_else(|e| panic!("seed {seed} step {step}: failed {op:?} changed the tree: {e}"));
                }
                Ok(got) => {
                    let want = model(op, &mut oracle);
                    assert_eq!(got, want, "seed {seed} step {step}: {op:?}");
                    check(&tree, &oracle).unwrap_or_else(|e| panic!("seed {seed} step {step}: {op:?}: {e}"));
                }
                Err(e) => panic!("seed {seed} step {step}: {op:?}: {e:?}"),
            }
            tree.fail_nth_alloc(None);
            total.0 += 1;
        }
    }
    println!("{} operations, {} failed with NoMemory", total.0, total.1);
    assert!(total.1 > 500, "too few injected failures: {}", total.1);
}
