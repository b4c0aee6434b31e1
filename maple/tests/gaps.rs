//! Allocation trees: scenario tests for the kernel's historical gap bugs (class F of
//! `docs/bug-classes.md`: parent gap, off by one, reverse limits, empty nodes,
//! false `-EBUSY`, root special cases), the window semantics of `check_empty_area_window`,
//! `check_alloc_range` on a real process layout, `alloc_cyclic_testing`, the cursor forms,
//! clones and allocation failures. Every tree is validated (gaps included) and every answer
//! is also compared with the brute-force scan of the oracle.

use maple_testkit::gaps::{compare, oracle_empty_area, query, search_and_alloc, Query};
use maple_testkit::ops::{apply, check, run_seed_on, Generator, Op};
use maple_testkit::oracle::RangeMap;
use maple_tree::{Error, MapleTree, Status};

const MAX: u64 = u64::MAX;

/// An allocation tree and its oracle holding the same ranges (each range's value is its start).
fn build(ranges: &[(u64, u64)]) -> (MapleTree<u64>, RangeMap<u64>) {
    let mut tree = MapleTree::new_alloc();
    let mut oracle = RangeMap::new();
    for &(first, last) in ranges {
        tree.store_range(first, last, first).unwrap();
        oracle.store(first, last, first);
    }
    check(&tree, &oracle).unwrap();
    (tree, oracle)
}

/// `empty_area` and `empty_area_rev` for `(min, max, size)`, checked against the oracle.
fn areas(tree: &MapleTree<u64>, oracle: &RangeMap<u64>, min: u64, max: u64, size: u64) -> [Result<u64, Error>; 2] {
    agree(tree, oracle, min, max, size);
    [tree.empty_area(min, max, size), tree.empty_area_rev(min, max, size)]
}

/// Checks `empty_area` and `empty_area_rev` for `(min, max, size)` against the oracle.
fn agree(tree: &MapleTree<u64>, oracle: &RangeMap<u64>, min: u64, max: u64, size: u64) {
    compare(tree, oracle, Query { min, max, size, align: 1 }).unwrap();
}

/// `n` ranges of 10 keys every 16 keys: holes of 6 keys, a tree of height 2 or 3.
fn striped(n: u64) -> Vec<(u64, u64)> {
    (0..n).map(|i| (i * 16, i * 16 + 9)).collect()
}

#[test]
fn argument_errors() {
    let (tree, oracle) = build(&[(10, 20)]);
    for (min, max, size) in [(5, 4, 1), (0, 10, 0), (0, 9, 11), (MAX, MAX, 2), (MAX - 1, MAX, 3)] {
        assert_eq!(areas(&tree, &oracle, min, max, size), [Err(Error::Invalid), Err(Error::Invalid)]);
    }
    assert_eq!(tree.empty_area_aligned(0, 100, 4, 3), Err(Error::Invalid));
    assert_eq!(tree.empty_area_rev_aligned(0, 100, 4, 0), Err(Error::Invalid));
    // A window just large enough is valid.
    assert_eq!(areas(&tree, &oracle, 0, 9, 10), [Ok(0), Ok(0)]);
    assert_eq!(areas(&tree, &oracle, 0, MAX, MAX), [Err(Error::Busy), Err(Error::Busy)]);
}

/// The empty tree answers arithmetically, up to the full key space.
#[test]
fn empty_tree() {
    let (tree, oracle) = build(&[]);
    assert_eq!(areas(&tree, &oracle, 0, MAX, 1), [Ok(0), Ok(MAX)]);
    assert_eq!(areas(&tree, &oracle, 0, MAX, MAX), [Ok(0), Ok(1)]);
    assert_eq!(areas(&tree, &oracle, 7, 7, 1), [Ok(7), Ok(7)]);
    assert_eq!(areas(&tree, &oracle, 100, 200, 50), [Ok(100), Ok(151)]);
}

/// The kernel's `mas_sparse_area` fix: in a tree holding only index 0, the search moved `min`
/// past 0 without re-checking that `size` still fit.
///
/// ```text
///   0   1 ..................................... MAX
///   [x] [             NULL                      ]
/// ```
#[test]
fn tree_holding_only_index_zero() {
    let (tree, oracle) = build(&[(0, 0)]);
    assert_eq!(areas(&tree, &oracle, 0, MAX, 1), [Ok(1), Ok(MAX)]);
    assert_eq!(areas(&tree, &oracle, 0, 10, 10), [Ok(1), Ok(1)]);
    assert_eq!(areas(&tree, &oracle, 0, 9, 10), [Err(Error::Busy), Err(Error::Busy)]);
    assert_eq!(areas(&tree, &oracle, 0, 0, 1), [Err(Error::Busy), Err(Error::Busy)]);
    assert_eq!(areas(&tree, &oracle, 0, MAX, MAX), [Ok(1), Ok(1)]);
    // Only the last key: the mirror case.
    let (tree, oracle) = build(&[(MAX, MAX)]);
    assert_eq!(areas(&tree, &oracle, 0, MAX, MAX), [Ok(0), Ok(0)]);
    assert_eq!(areas(&tree, &oracle, MAX - 1, MAX, 2), [Err(Error::Busy), Err(Error::Busy)]);
}

/// Exact window semantics (`check_empty_area_window`): a fit may start exactly at `min`, end
/// exactly at `max`, and a hole cut by the window counts only its part inside.
///
/// ```text
///   0x00-0x0f  0x10-0x1f  0x20-0x2f  0x30-0x3f
///   [ used  ]  [  NULL  ]  [ used  ]  [  NULL ... MAX
/// ```
#[test]
fn window_edges() {
    let (tree, oracle) = build(&[(0, 0xf), (0x20, 0x2f)]);
    assert_eq!(areas(&tree, &oracle, 0, MAX, 16), [Ok(0x10), Ok(MAX - 15)]);
    assert_eq!(areas(&tree, &oracle, 0, MAX, 17), [Ok(0x30), Ok(MAX - 16)]);
    assert_eq!(areas(&tree, &oracle, 0x10, 0x1f, 16), [Ok(0x10), Ok(0x10)]);
    assert_eq!(areas(&tree, &oracle, 0x11, 0x20, 16), [Err(Error::Busy), Err(Error::Busy)]);
    assert_eq!(areas(&tree, &oracle, 0x10, 0x1e, 15), [Ok(0x10), Ok(0x10)]);
    assert_eq!(areas(&tree, &oracle, 0x14, 0x1b, 4), [Ok(0x14), Ok(0x18)]);
    assert_eq!(areas(&tree, &oracle, 0x18, 0x3f, 8), [Ok(0x18), Ok(0x38)]);
    assert_eq!(areas(&tree, &oracle, 0x18, 0x3f, 9), [Ok(0x30), Ok(0x37)]);
    assert_eq!(areas(&tree, &oracle, 0, 0x2f, 17), [Err(Error::Busy), Err(Error::Busy)]);
}

/// A gap at the end of a node's data: the only hole big enough is the last slot of the last
/// leaf (the tail up to `u64::MAX`), found through the last child of every internal node.
/// The reverse search must count the trailing NULL (set17).
#[test]
fn gap_at_the_end_of_the_data() {
    let (tree, oracle) = build(&striped(2000));
    assert!(tree.height() >= 3);
    let end = 2000 * 16 - 6;
    assert_eq!(areas(&tree, &oracle, 0, MAX, 7), [Ok(end), Ok(MAX - 6)]);
    assert_eq!(areas(&tree, &oracle, 0, end + 6, 7), [Ok(end), Ok(end)]);
    assert_eq!(areas(&tree, &oracle, 0, end + 5, 7), [Err(Error::Busy), Err(Error::Busy)]);
    assert_eq!(areas(&tree, &oracle, 0, MAX, 6), [Ok(10), Ok(MAX - 5)]);
    assert_eq!(areas(&tree, &oracle, 0, end - 1, 6), [Ok(10), Ok(end - 16)]);
}

/// Searches that must leave a subtree whose recorded gap was large enough but whose fit lay
/// outside the window, and climb past the end of its parent's data into the next parent
/// (`mas_skip_node` comparing with the slot count instead of the data end gave a false
/// `-EBUSY`).
#[test]
fn search_ascends_past_a_nodes_data_end() {
    let mut ranges = striped(3000);
    // One big hole inside the tree, at 1000 * 16.
    ranges.retain(|&(first, _)| !(16_000..16_100).contains(&first));
    let (tree, oracle) = build(&ranges);
    let hole = (15_994, 16_111);
    assert_eq!(oracle.holes_from(16_000).next(), Some(hole));
    // Windows starting and ending at every position around the hole: the part left must hold
    // the request, else the search must go on past the hole's subtree.
    for at in hole.0 - 3..=hole.1 + 3 {
        agree(&tree, &oracle, at, MAX, 50);
        agree(&tree, &oracle, 0, at, 50);
        agree(&tree, &oracle, at, at + 200, 50);
    }
    let tail = 3000 * 16 - 6;
    assert_eq!(areas(&tree, &oracle, 16_062, MAX, 50), [Ok(16_062), Ok(MAX - 49)]);
    assert_eq!(areas(&tree, &oracle, 16_063, MAX, 50), [Ok(tail), Ok(MAX - 49)]);
    assert_eq!(areas(&tree, &oracle, 0, 16_043, 50), [Ok(hole.0), Ok(hole.0)]);
    assert_eq!(areas(&tree, &oracle, 0, 16_042, 50), [Err(Error::Busy), Err(Error::Busy)]);
    assert_eq!(areas(&tree, &oracle, 0, tail + 48, 50), [Ok(hole.0), Ok(hole.1 - 49)]);
}

/// An empty leaf at the end of a parent (set35/36): erasing every range of the last leaves
/// leaves a long trailing NULL in a thin leaf; erasing in the middle empties whole leaves that
/// rebalancing must merge, with the parent's gaps recomputed.
#[test]
fn emptied_leaves_and_rebalanced_gaps() {
    let (mut tree, mut oracle) = build(&striped(1000));
    for i in (600..1000).rev() {
        assert_eq!(tree.erase(i * 16), Ok(Some(i * 16)));
        oracle.erase(i * 16);
        tree.validate().unwrap();
        assert_eq!(tree.empty_area(0, MAX, 7), Ok(i * 16 - 6));
        assert_eq!(tree.empty_area_rev(0, i * 16 + 100, 7), Ok(i * 16 + 100 - 6));
    }
    for i in 100..300 {
        tree.erase(i * 16).unwrap();
        oracle.erase(i * 16);
        tree.validate().unwrap();
        let hole = (i - 99) * 16 + 6;
        assert_eq!(tree.empty_area(0, MAX, hole), Ok(100 * 16 - 6));
        assert_eq!(tree.empty_area(0, MAX, hole + 1), Ok(600 * 16 - 6));
    }
    check(&tree, &oracle).unwrap();
    let mut gen = Generator::new(1, 20_000);
    for _ in 0..500 {
        let q = query(&mut gen, &oracle);
        compare(&tree, &oracle, q).unwrap();
    }
}

/// Every write kind keeps the gaps exact: split, spanning store over many leaves, NULL store
/// that merges with NULL neighbours across leaves, exact fits turning a slot NULL and back.
#[test]
fn every_write_kind_keeps_gaps() {
    let (mut tree, mut oracle) = build(&striped(500));
    let mut steps: Vec<(u64, u64, Option<u64>)> = vec![
        (100, 103, None),      // exact fit over a range: its neighbours' holes merge
        (96, 105, Some(1)),    // overwrite across the merged hole
        (1000, 5000, None),    // spanning NULL store
        (1000, 5000, Some(2)), // spanning store filling it
        (0, 7999, None),       // everything but the tail
        (4000, 4000, Some(3)), // a single key in a huge hole
        (0, MAX - 1, Some(4)), // all but the last key
        (MAX, MAX, Some(5)),   // the last key: no NULL left
    ];
    steps.extend((0..40).map(|i| (i * 7, i * 7 + 2, Some(i))));
    for (first, last, value) in steps {
        let op = match value {
            Some(value) => Op::Store { first, last, value },
            None => Op::Remove { first, last },
        };
        apply(&mut tree, &mut oracle, op).and_then(|()| check(&tree, &oracle)).unwrap();
        for size in [1, 2, 3, 6, 7, 100, 5000, MAX / 2] {
            agree(&tree, &oracle, 0, MAX, size);
            agree(&tree, &oracle, 50, 6000, size.min(5951));
        }
    }
}

/// `check_alloc_range` and `check_alloc_rev_range`: a real process layout (the bundled
/// python3 `/proc/pid/maps`), every hole found by its exact size forward and backward, then
/// allocations of assorted sizes until the window is full.
#[test]
fn real_process_layout() {
    let maps = include_str!("../examples/data/python3.maps");
    let mut ranges = Vec::new();
    for line in maps.lines() {
        let span = line.split_whitespace().next().unwrap();
        let (start, end) = span.split_once('-').unwrap();
        let (start, end) = (u64::from_str_radix(start, 16).unwrap(), u64::from_str_radix(end, 16).unwrap());
        ranges.push((start, end - 1));
    }
    let (mut tree, mut oracle) = build(&ranges);
    let holes: Vec<_> = oracle.holes_from(0).collect();
    assert!(holes.len() > 10, "{} holes", holes.len());
    for &(first, last) in &holes {
        let size = (last - first).saturating_add(1);
        let [fwd, rev] = areas(&tree, &oracle, 0, MAX, size);
        assert!(fwd.unwrap() <= first && rev.unwrap() >= first);
        assert_eq!(areas(&tree, &oracle, first, last, size), [Ok(first), Ok(first)]);
        if first > 0 {
            assert_eq!(areas(&tree, &oracle, first - 1, last, size), [Ok(first), Ok(first)]);
        }
    }
    // Fill the window between the heap and the mmap area with 4 KiB to 64 KiB allocations
    // (`check_empty_area_fill`), alternately bottom-up and top-down.
    let (lo, hi) = (0x7f5d_1800_0000, 0x7f5d_4000_0000 - 1);
    let mut n = 0u64;
    loop {
        let size = 0x1000 << (n % 5);
        let got = if n % 2 == 0 { tree.alloc_area(lo, hi, size, n) } else { tree.alloc_area_rev(lo, hi, size, n) };
        let want = oracle_empty_area(&oracle, Query { min: lo, max: hi, size, align: 1 }, n % 2 == 1);
        assert_eq!(got, want);
        match got {
            Ok(start) => oracle.store(start, start + size - 1, n),
            Err(e) => {
                assert_eq!(e, Error::Busy);
                if size == 0x1000 {
                    break;
                }
            }
        }
        n += 1;
        if n % 64 == 0 {
            check(&tree, &oracle).unwrap();
        }
    }
    check(&tree, &oracle).unwrap();
    assert!(n > 100, "{n} allocations");
}

/// Aligned searches return the lowest (highest) aligned start of `size` free keys.
#[test]
fn aligned_searches() {
    let (tree, oracle) = build(&[(0, 0x2_0fff), (0x40_0000, 0x40_0fff)]);
    let two_mib = 0x20_0000;
    // Exact since the blind spot went: 0x20_0000..=0x3f_ffff is free (it was 0x60_0000).
    assert_eq!(tree.empty_area_aligned(0, MAX, two_mib, two_mib), Ok(0x20_0000));
    assert_eq!(tree.empty_area_aligned(0, MAX, 0x1000, two_mib), Ok(0x20_0000));
    assert_eq!(tree.empty_area_aligned(0, MAX, two_mib + 1, two_mib), Ok(0x60_0000));
    assert_eq!(tree.empty_area_rev_aligned(0, 0x3f_ffff, 0x1000, two_mib), Ok(0x20_0000));
    assert_eq!(tree.empty_area_rev_aligned(0, MAX, 0x1000, two_mib), Ok(MAX - (two_mib - 1)));
    // No blind spot (Linux's `vm_unmapped_area` has one here): 0x21000..=0x3fffff holds
    // exactly one aligned 2 MiB run, shorter than the padded size `2 * two_mib - 1`.
    assert_eq!(tree.empty_area_aligned(0, 0x3f_ffff, two_mib, two_mib), Ok(0x20_0000));
    assert_eq!(tree.empty_area_rev_aligned(0, 0x3f_ffff, two_mib, two_mib), Ok(0x20_0000));
    assert_eq!(tree.empty_area_aligned(0, 0x3f_fffe, two_mib, two_mib), Err(Error::Busy));
    let mut gen = Generator::new(9, 1 << 30);
    for _ in 0..2000 {
        let q = query(&mut gen, &oracle);
        compare(&tree, &oracle, Query { align: 1 << (q.size % 22), ..q }).unwrap();
    }
}

/// `alloc_cyclic_testing`: IDs go round from `next`, wrap once to `min`, report the wrap, and
/// the key after `u64::MAX` wraps to 0 and is reported on the following call.
#[test]
fn alloc_cyclic() {
    let mut tree = MapleTree::new_alloc();
    let mut next = 0;
    for i in 1..=10 {
        assert_eq!(tree.alloc_cyclic(1, 10, &mut next, i), Ok((i, false)));
        assert_eq!(next, i + 1);
    }
    assert_eq!(tree.alloc_cyclic(1, 10, &mut next, 11), Err(Error::Busy));
    assert_eq!(next, 11);
    tree.erase(4).unwrap();
    tree.erase(7).unwrap();
    assert_eq!(tree.alloc_cyclic(1, 10, &mut next, 12), Ok((4, true)));
    assert_eq!(tree.alloc_cyclic(1, 10, &mut next, 13), Ok((7, false)));
    assert_eq!(tree.alloc_cyclic(5, 1, &mut next, 14), Err(Error::Invalid));
    tree.validate().unwrap();

    let mut tree = MapleTree::new_alloc();
    let mut next = MAX - 1;
    assert_eq!(tree.alloc_cyclic(0, MAX, &mut next, 1), Ok((MAX - 1, false)));
    assert_eq!(tree.alloc_cyclic(0, MAX, &mut next, 2), Ok((MAX, false)));
    assert_eq!(next, 0);
    assert_eq!(tree.alloc_cyclic(0, MAX, &mut next, 3), Ok((0, true)));
    assert_eq!(tree.alloc_cyclic(0, MAX, &mut next, 4), Ok((1, false)));
    tree.validate().unwrap();
}

/// The cursor forms leave the cursor on the fit, so a store fills exactly the fit.
#[test]
fn cursor_empty_area() {
    let (mut tree, _) = build(&striped(300));
    let mut cursor = tree.cursor_mut(0);
    cursor.empty_area(0, MAX, 3).unwrap();
    assert_eq!((cursor.index(), cursor.last(), cursor.status()), (10, 12, Status::Active));
    assert_eq!(cursor.store(Some(99)), Ok(None));
    cursor.empty_area_rev(0, 4000, 3).unwrap();
    assert_eq!((cursor.index(), cursor.last()), (3997, 3999));
    assert_eq!(cursor.next(MAX), Some(&4000));
    cursor.set(77);
    assert_eq!(cursor.empty_area(5, 4, 1), Err(Error::Invalid));
    assert_eq!((cursor.index(), cursor.status()), (77, Status::Start));
    assert_eq!(cursor.empty_area(0, 4700, 7), Err(Error::Busy));
    assert_eq!(cursor.status(), Status::Error(Error::Busy));
    assert_eq!(tree.load_range(11), Some((10..=12, &99)));
    tree.validate().unwrap();
    // On an empty tree the cursor is left to walk again.
    let mut empty = MapleTree::<u8>::new_alloc();
    let mut cursor = empty.cursor_mut(0);
    cursor.empty_area_rev(0, 100, 10).unwrap();
    assert_eq!((cursor.index(), cursor.last(), cursor.status()), (91, 100, Status::Start));
    cursor.store(Some(1)).unwrap();
    assert_eq!(empty.load_range(95), Some((91..=100, &1)));
}

/// A structural clone keeps the mode and the gaps; both copies then diverge correctly.
#[test]
fn clones_keep_gaps() {
    let (tree, oracle) = build(&striped(400));
    for mut copy in [tree.clone(), tree.try_clone().unwrap()] {
        assert!(copy.is_alloc());
        check(&copy, &oracle).unwrap();
        let mut oracle = oracle.clone();
        let mut gen = Generator::new(3, 7000);
        for _ in 0..300 {
            search_and_alloc(&mut copy, &mut oracle, &mut gen, 2).unwrap();
        }
    }
    check(&tree, &oracle).unwrap();
    assert!(!MapleTree::<u8>::new().is_alloc());
}

/// An allocation that fails for want of memory leaves the tree (gaps included) as it was.
#[test]
fn failed_allocations_change_nothing() {
    let (tree, oracle) = build(&striped(700));
    for (size, rev) in [(6, false), (6, true), (1, false), (1000, true), (3, false)] {
        for n in 0.. {
            let mut copy = tree.clone();
            copy.fail_nth_alloc(Some(n));
            let got = if rev { copy.alloc_area_rev(0, MAX, size, 1) } else { copy.alloc_area(0, MAX, size, 1) };
            copy.fail_nth_alloc(None);
            copy.validate().unwrap();
            match got {
                Err(Error::NoMemory) => assert!(copy == tree, "changed after a failed allocation"),
                Ok(start) => {
                    let want = oracle_empty_area(&oracle, Query { min: 0, max: MAX, size, align: 1 }, rev);
                    assert_eq!(Ok(start), want);
                    break;
                }
                Err(e) => panic!("{e:?}"),
            }
        }
    }
}

/// On trees that are not allocation trees the searches walk the leaves, with the same answers.
#[test]
fn plain_trees_answer_the_same() {
    for seed in 0..8 {
        run_seed_on(MapleTree::new(), seed, 1_500, [600, 50_000][seed as usize % 2], |tree, oracle, gen| {
            assert!(!tree.is_alloc());
            search_and_alloc(tree, oracle, gen, 3)
        })
        .unwrap();
    }
    let plain = MapleTree::from_sorted(striped(2000).into_iter().map(|(f, l)| (f..=l, f))).unwrap();
    let alloc = MapleTree::from_sorted_alloc(striped(2000).into_iter().map(|(f, l)| (f..=l, f))).unwrap();
    alloc.validate().unwrap();
    assert_eq!(plain.empty_area(0, MAX, 7), alloc.empty_area(0, MAX, 7));
    assert_eq!(plain.empty_area_rev(0, 1000, 6), alloc.empty_area_rev(0, 1000, 6));
}
