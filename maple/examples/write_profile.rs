//! A profile driver for the write paths, for instruction counts under callgrind (not a
//! timing bench: `cargo bench --bench ops` times).
//!
//! `write_profile <op> <n> <count>` builds the bench's VMA-like layout of `n` ranges in
//! random order, then runs `count` operations of one kind on it:
//!
//! * `erase`: erases `count` distinct ranges (shuffled);
//! * `insert-gap`: inserts a one-page range at the bottom of `count` distinct gaps;
//! * `append`: inserts `count` one-page ranges past the end, a page apart;
//! * `build-random`, `build-ascending`: builds a tree of the first `count` ranges in that
//!   order (by `store_range`, as the bench's build rows do; no base tree is built first);
//! * `from-sorted`: bulk-builds `count` trees of the `n` ranges (`MapleTree::from_sorted`);
//! * `iter`, `iter-next`, `iter-rev`: `count` full passes over the tree, as the bench's
//!   iteration rows make them (`fold`, a `for` loop, `rev().fold`);
//! * `lookup`: `count` point lookups (`load`) at random addresses in the layout;
//! * `overlap`: `count` queries of a 1 MiB window at a random address in the layout, as the
//!   bench's `overlap-1mib` row makes them (`range(..).fold`);
//! * `btree-erase`, `btree-build-random`, `btree-build-ascending`, `btree-from-sorted`: the
//!   same erases and builds on the bench's `BTreeMap` (start -> (end, value)), for the
//!   baseline's counts.
//!
//! Instructions per operation: `(callgrind(count) - callgrind(0)) / count`, e.g.
//!
//! ```text
//! valgrind --tool=callgrind --callgrind-out-file=/dev/null target/release/examples/write_profile erase 100000 5000
//! ```

#[path = "../benches/common/mod.rs"]
mod common;

use common::{gen_ranges, Order, PAGE, SEED};
use maple_tree::MapleTree;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::hint::black_box;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: write_profile <erase|insert-gap|append|build-random|build-ascending|from-sorted|iter|iter-next|iter-rev|lookup|overlap|btree-erase|btree-build-random|btree-build-ascending|btree-from-sorted> <n> <count>";
    let (op, n, count) = match args.as_slice() {
        [_, op, n, count] => (op.as_str(), n.parse().expect(usage), count.parse::<usize>().expect(usage)),
        _ => panic!("{usage}"),
    };
    let ranges = gen_ranges(n, SEED);
    // The layout in a tree built by random inserts, for the operations that run on it (the
    // builds make their own).
    let mut tree = MapleTree::new();
    let builds = op.starts_with("build") || op.starts_with("btree") || op == "from-sorted";
    if !builds {
        for i in Order::Random.indices(n, SEED) {
            tree.store_range(ranges[i].0, ranges[i].1, i as u64).unwrap();
        }
    }
    let mut rng = SmallRng::seed_from_u64(7);
    match op {
        "erase" => {
            let mut order: Vec<usize> = (0..n).collect();
            order.shuffle(&mut rng);
            for &i in order.iter().take(count) {
                black_box(tree.erase(ranges[i].0).unwrap());
            }
        }
        "insert-gap" => {
            let mut gaps: Vec<usize> = (0..n - 1).filter(|&i| ranges[i + 1].0 > ranges[i].1 + 1).collect();
            gaps.shuffle(&mut rng);
            for &i in gaps.iter().take(count) {
                let first = ranges[i].1 + 1;
                black_box(tree.insert_range(first, first + PAGE - 1, i as u64)).unwrap();
            }
        }
        "append" => {
            let end = ranges[n - 1].1;
            for k in 0..count as u64 {
                let first = end + 1 + PAGE + k * 2 * PAGE;
                black_box(tree.insert_range(first, first + PAGE - 1, k)).unwrap();
            }
        }
        "build-random" | "build-ascending" => {
            let order = if op == "build-random" { Order::Random } else { Order::Ascending };
            let mut built = MapleTree::new();
            for i in order.indices(count, SEED) {
                built.store_range(ranges[i].0, ranges[i].1, i as u64).unwrap();
            }
            black_box(&built);
        }
        "from-sorted" => {
            for _ in 0..count {
                let items = ranges.iter().enumerate().map(|(i, &(first, last))| (first..=last, i as u64));
                black_box(MapleTree::from_sorted(items).unwrap());
            }
        }
        "lookup" => {
            use rand::Rng;
            let (low, high) = (ranges[0].0, ranges[n - 1].1);
            for _ in 0..count {
                black_box(tree.load(rng.gen_range(low..high)));
            }
        }
        "overlap" => {
            use rand::Rng;
            let (low, high) = (ranges[0].0, ranges[n - 1].1);
            for _ in 0..count {
                let first = rng.gen_range(low..high);
                black_box(tree.range(first..=first + (1 << 20) - 1).fold(0u64, |acc, (_, v)| acc.wrapping_add(*v)));
            }
        }
        "iter" | "iter-next" | "iter-rev" => {
            for _ in 0..count {
                let sum = match op {
                    "iter" => tree.iter().fold(0u64, |acc, (r, v)| acc.wrapping_add(*r.start() ^ *v)),
                    "iter-rev" => tree.iter().rev().fold(0u64, |acc, (r, v)| acc.wrapping_add(*r.start() ^ *v)),
                    _ => {
                        let mut acc = 0u64;
                        for (r, v) in tree.iter() {
                            acc = acc.wrapping_add(*r.start() ^ *v);
                        }
                        acc
                    }
                };
                black_box(sum);
            }
        }
        "btree-from-sorted" => {
            use std::collections::BTreeMap;
            for _ in 0..count {
                let items = ranges.iter().enumerate().map(|(i, &(first, last))| (first, (last, i as u64)));
                black_box(items.collect::<BTreeMap<_, _>>());
            }
        }
        "btree-erase" | "btree-build-random" | "btree-build-ascending" => {
            // The baseline's counts: a `BTreeMap` of start -> (end, value), as the bench's.
            use std::collections::BTreeMap;
            let order = if op == "btree-build-ascending" { Order::Ascending } else { Order::Random };
            let build = |count: usize| {
                let mut map = BTreeMap::new();
                for i in order.indices(count, SEED) {
                    map.insert(ranges[i].0, (ranges[i].1, i as u64));
                }
                map
            };
            if op == "btree-erase" {
                let mut map = build(n);
                let mut order: Vec<usize> = (0..n).collect();
                order.shuffle(&mut rng);
                for &i in order.iter().take(count) {
                    black_box(map.remove(&ranges[i].0));
                }
                black_box(&map);
            } else {
                black_box(build(count));
            }
        }
        _ => panic!("{usage}"),
    }
    black_box(&tree);
}
