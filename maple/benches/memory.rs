//! Memory per stored range, counted by a global allocator: the bytes a structure holds
//! after it is built (node slack and free nodes included), divided by the ranges it stores.
//!
//! `cargo bench --bench memory` (sizes as for the timing benches: `MAPLE_BENCH_QUICK`,
//! `MAPLE_BENCH_SIZES`). It prints a table and writes `memory/results.json` under criterion's
//! results directory, where the summary reads it. Values of 8 bytes (`u64`), 24 bytes
//! (`[u64; 3]`), and 8 bytes with a niche (`NonZeroU64`, standing for the pointers the kernel
//! stores: `Option<Box<_>>`, `Option<&_>` and `Option<NonZeroU64>` take 8 bytes). Leaves store
//! values densely without `Option`, so the niche no longer changes the leaf: 272 bytes for
//! either 8-byte kind.

mod common;

use cap::Cap;
use common::{gen_ranges, quick, results_dir, sizes, Order, SEED};
use maple_tree::MapleTree;
use rangemap::RangeInclusiveMap;
use std::alloc::System;
use std::collections::BTreeMap;
use std::num::NonZeroU64;

#[global_allocator]
static ALLOCATOR: Cap<System> = Cap::new(System, usize::MAX);

/// The value types measured.
trait Value: Clone + Eq + 'static {
    /// How the value is named in the results: its size, and whether `Option` of it is free.
    const KIND: &'static str;
    fn of(i: usize) -> Self;
}

impl Value for u64 {
    const KIND: &'static str = "8";
    fn of(i: usize) -> Self {
        i as u64
    }
}

impl Value for NonZeroU64 {
    const KIND: &'static str = "8 (niche)";
    fn of(i: usize) -> Self {
        NonZeroU64::new(i as u64 + 1).expect("not zero")
    }
}

impl Value for [u64; 3] {
    const KIND: &'static str = "24";
    fn of(i: usize) -> Self {
        [i as u64; 3]
    }
}

/// Net bytes allocated by `build` and still held by what it returns (the result is dropped
/// after counting).
fn held<R>(build: impl FnOnce() -> R) -> usize {
    let before = ALLOCATOR.allocated();
    let built = build();
    let bytes = ALLOCATOR.allocated() - before;
    drop(built);
    bytes
}

/// `empty` with `items` put in, in the order of `idx`.
fn built<V: Value, S>(
    items: &[(u64, u64, V)],
    idx: &[usize],
    mut empty: S,
    mut put: impl FnMut(&mut S, u64, u64, V),
) -> S {
    for &i in idx {
        let (first, last, ref value) = items[i];
        put(&mut empty, first, last, value.clone());
    }
    empty
}

struct Row {
    structure: &'static str,
    build: &'static str,
    value: &'static str,
    n: usize,
    bytes: usize,
}

fn measure<V: Value>(n: usize, rows: &mut Vec<Row>) {
    let ranges = gen_ranges(n, SEED);
    let items: Vec<(u64, u64, V)> = ranges.iter().enumerate().map(|(i, &(f, l))| (f, l, V::of(i))).collect();
    let mut push = |structure, build, bytes| rows.push(Row { structure, build, value: V::KIND, n, bytes });
    for (build, order) in [("random", Order::Random), ("ascending", Order::Ascending)] {
        let idx = order.indices(n, SEED);
        let store = |t: &mut MapleTree<V>, f, l, v| t.store_range(f, l, v).expect("out of memory");
        push("maple", build, held(|| built(&items, &idx, MapleTree::new(), store)));
        push("maple-alloc", build, held(|| built(&items, &idx, MapleTree::new_alloc(), store)));
        push("btree", build, held(|| built(&items, &idx, BTreeMap::new(), |m, f, l, v| drop(m.insert(f, (l, v))))));
        push(
            "rangemap",
            build,
            held(|| built(&items, &idx, RangeInclusiveMap::new(), |m, f, l, v| m.insert(f..=l, v))),
        );
    }
    push(
        "maple",
        "bulk",
        held(|| MapleTree::from_sorted(items.iter().map(|(f, l, v)| (*f..=*l, v.clone()))).expect("out of memory")),
    );
    push("btree", "bulk", held(|| items.iter().map(|(f, l, v)| (*f, (*l, v.clone()))).collect::<BTreeMap<_, _>>()));
}

fn main() {
    // `cargo test --benches` runs this without `--bench`: one small size is enough there.
    let benching = std::env::args().any(|a| a == "--bench");
    let sizes = if benching { sizes(quick()) } else { vec![1_000] };
    let mut rows = Vec::new();
    for &n in &sizes {
        measure::<u64>(n, &mut rows);
        measure::<NonZeroU64>(n, &mut rows);
        measure::<[u64; 3]>(n, &mut rows);
    }
    println!("{:<12} {:<10} {:>10} {:>8} {:>12} {:>8}", "structure", "build", "value B", "N", "bytes", "B/range");
    for r in &rows {
        let per = r.bytes as f64 / r.n as f64;
        println!("{:<12} {:<10} {:>10} {:>8} {:>12} {:>8.1}", r.structure, r.build, r.value, r.n, r.bytes, per);
    }
    if !benching {
        return;
    }
    let json: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "structure": r.structure, "build": r.build, "value": r.value,
                "n": r.n, "bytes": r.bytes,
            })
        })
        .collect();
    let dir = results_dir().join("memory");
    std::fs::create_dir_all(&dir).expect("create the results directory");
    let path = dir.join("results.json");
    std::fs::write(&path, serde_json::to_string_pretty(&json).expect("serialize")).expect("write the results");
    println!("wrote {}", path.display());
}
