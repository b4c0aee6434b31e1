//! Failure injection: every fallible operation, with a node allocation failing at each
//! possible point, either succeeds or fails with `NoMemory` leaving the tree exactly as it
//! was, valid (bug class H of the reference: preallocation and allocator bookkeeping).
//!
//! Trees are bulk-built with `from_sorted`, which reserves exactly the nodes it uses, so
//! their pool of free nodes starts empty and every node a write needs is a real allocation.

use maple_suite::ops::check;
use maple_suite::oracle::RangeMap;
use maple_tree::{Error, MapleTree, Status};

/// Ranges `[10 i, 10 i + 4] = i` for `i < n`, bulk-built: leaves packed full.
fn packed(n: u64) -> (MapleTree<u64>, RangeMap<u64>) {
    let mut oracle = RangeMap::new();
    for i in 0..n {
        oracle.store(i * 10, i * 10 + 4, i);
    }
    let tree = MapleTree::from_sorted(oracle.iter().map(|(r, v)| (r, *v))).unwrap();
    (tree, oracle)
}

/// An operation on the tree, and the same on the oracle.
struct Op {
    name: &'static str,
    tree: fn(&mut MapleTree<u64>) -> Result<(), Error>,
    oracle: fn(&mut RangeMap<u64>),
}

const OPS: &[Op] = &[
    Op { name: "exact fit", tree: |t| t.store_range(10, 14, 99), oracle: |o| o.store(10, 14, 99) },
    Op { name: "node store (gap insert)", tree: |t| t.store_range(25, 26, 99), oracle: |o| o.store(25, 26, 99) },
    Op { name: "split (in range)", tree: |t| t.store(32, 99), oracle: |o| o.store(32, 32, 99) },
    Op { name: "insert", tree: |t| t.insert_range(45, 49, 99), oracle: |o| o.store(45, 49, 99) },
    Op {
        name: "append",
        tree: |t| t.store_range(1 << 40, (1 << 40) + 9, 99),
        oracle: |o| o.store(1 << 40, (1 << 40) + 9, 99),
    },
    Op { name: "spanning store", tree: |t| t.store_range(17, 2_345, 99), oracle: |o| o.store(17, 2_345, 99) },
    Op { name: "wide spanning store", tree: |t| t.store_range(3, 350_003, 99), oracle: |o| o.store(3, 350_003, 99) },
    Op { name: "spanning removal", tree: |t| t.remove_range(12, 9_000), oracle: |o| o.remove(12, 9_000) },
    Op { name: "removal splitting a range", tree: |t| t.remove_range(51, 52), oracle: |o| o.remove(51, 52) },
    Op {
        name: "erase",
        tree: |t| t.erase(61).map(drop),
        oracle: |o| {
            o.erase(61);
        },
    },
    Op { name: "new root", tree: |t| t.store_range(0, u64::MAX, 99), oracle: |o| o.store(0, u64::MAX, 99) },
    Op { name: "remove everything", tree: |t| t.remove_range(0, u64::MAX), oracle: |o| o.remove(0, u64::MAX) },
    Op { name: "store at u64::MAX", tree: |t| t.store(u64::MAX, 99), oracle: |o| o.store(u64::MAX, u64::MAX, 99) },
    Op {
        name: "cursor store",
        tree: |t| {
            let mut cursor = t.cursor_mut(0);
            cursor.set_range(77, 1_234);
            cursor.store(Some(99)).map(drop)
        },
        oracle: |o| o.store(77, 1_234, 99),
    },
    Op {
        name: "cursor erase",
        tree: |t| t.cursor_mut(91).erase().map(drop),
        oracle: |o| {
            o.erase(91);
        },
    },
    Op {
        name: "preallocate + store",
        tree: |t| {
            let mut cursor = t.cursor_mut(0);
            cursor.set_range(33, 4_567);
            cursor.preallocate(Some(99))?.store();
            Ok(())
        },
        oracle: |o| o.store(33, 4_567, 99),
    },
];

/// Runs `op` on copies of `tree` with the n-th allocation failing, for n = 0, 1, ... until it
/// succeeds. Returns how many attempts failed.
fn sweep(tree: &MapleTree<u64>, oracle: &RangeMap<u64>, op: &Op) -> u64 {
    for n in 0..200 {
        let mut copy = tree.clone();
        copy.fail_nth_alloc(Some(n));
        match (op.tree)(&mut copy) {
            Err(Error::NoMemory) => {
                assert!(copy == *tree, "{}: failed at allocation {n} but changed the tree", op.name);
                copy.validate().unwrap_or_else(|v| panic!("{}: failed at allocation {n}: {v}", op.name));
                // The tree must still take writes after a failure.
                copy.fail_nth_alloc(None);
                let mut expected = oracle.clone();
                (op.oracle)(&mut expected);
                (op.tree)(&mut copy).unwrap();
                check(&copy, &expected).unwrap_or_else(|e| panic!("{} after a failure: {e}", op.name));
            }
            Err(e) => panic!("{}: unexpected {e:?}", op.name),
            Ok(()) => {
                let mut expected = oracle.clone();
                (op.oracle)(&mut expected);
                check(&copy, &expected).unwrap_or_else(|e| panic!("{} at n = {n}: {e}", op.name));
                return n;
            }
        }
    }
    panic!("{}: still failing after 200 allocations", op.name);
}

#[test]
fn every_operation_on_every_shape_survives_allocation_failure() {
    for n in [0, 1, 5, 16, 100, 2_000, 40_000] {
        let (tree, oracle) = packed(n);
        let mut failures = 0;
        for op in OPS {
            failures += sweep(&tree, &oracle, op);
        }
        println!("{n} ranges (height {}): {failures} injected failures", tree.height());
        if n >= 16 {
            assert!(failures > 0, "no operation needed an allocation on a packed tree of {n}");
        }
    }
}

/// A failed cursor write leaves the cursor in `Error(NoMemory)` and the tree unchanged.
#[test]
fn cursor_reports_the_failure() {
    let (tree, _) = packed(2_000);
    let mut copy = tree.clone();
    copy.fail_nth_alloc(Some(0));
    let mut cursor = copy.cursor_mut(0);
    cursor.set_range(32, 32); // splits [30, 34] in a full leaf
    assert_eq!(cursor.store(Some(1)), Err(Error::NoMemory));
    assert_eq!(cursor.status(), Status::Error(Error::NoMemory));
    assert!(copy == tree);
    copy.validate().unwrap();
}

/// Random writes with a failure injected every few allocations: each write either happens
/// whole or not at all.
#[test]
fn random_writes_under_allocation_pressure() {
    use maple_suite::ops::{apply, Generator, Op as TreeOp, Phase};
    let mut gen = Generator::new(7, 1 << 20);
    let (mut tree, mut oracle) = packed(3_000);
    let mut failed = 0;
    for i in 0..20_000u64 {
        let op = gen.op(&oracle, if i % 5000 < 4000 { Phase::Grow } else { Phase::EraseRandom });
        let before = tree.clone();
        tree.fail_nth_alloc(Some(i % 3));
        let mut scratch = oracle.clone();
        match apply(&mut tree, &mut scratch, op) {
            Ok(()) => oracle = scratch,
            Err(e) if e.contains("NoMemory") => {
                assert!(tree == before, "{op:?} failed but changed the tree");
                failed += 1;
                assert!(!matches!(op, TreeOp::Load { .. } | TreeOp::Find { .. }));
            }
            Err(e) => panic!("{e}"),
        }
        tree.fail_nth_alloc(None);
        check(&tree, &oracle).unwrap();
    }
    println!("{failed} writes failed and left the tree unchanged");
    assert!(failed > 100);
}
