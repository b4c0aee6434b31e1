//! Read throughput beside a writer: `SharedMapleTree` against `RwLock<BTreeMap>`,
//! `Mutex<BTreeMap>` and an `ArcSwap` of an immutable `BTreeMap` rebuilt per write (what
//! rust-vmm's `vm-memory` does), in the same run; then the handle's single-threaded cost
//! against the plain tree. A plain harness (no criterion): each figure is the median of
//! `MAPLE_BENCH_RUNS` (default 3) timed runs.
//!
//! `cargo bench -p maple-tree --bench shared`. Environment: `MAPLE_BENCH_QUICK=1` (N = 1e4,
//! 0.2 s per run), `MAPLE_SHARED_N` (ranges, default 1e5), `MAPLE_SHARED_READERS` (reader
//! thread counts, default `1,2`; use more on a machine with more cores),
//! `MAPLE_SHARED_SECS` (seconds per run). While readers run, one writer thread stores
//! continuously (a new value over an existing range, one publication per write).

mod common;

use arc_swap::ArcSwap;
use common::{below, gen_ranges, quick, rng, SEED};
use maple_tree::{MapleTree, SharedMapleTree};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread;
use std::time::{Duration, Instant};

type Map = BTreeMap<u64, (u64, u64)>;

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// The range holding `a` in a start-keyed `BTreeMap`.
fn btree_get(map: &Map, a: u64) -> Option<u64> {
    map.range(..=a).next_back().and_then(|(_, &(last, v))| (a <= last).then_some(v))
}

/// One structure under test: readers look up, the writer overwrites range `i`'s value.
trait Subject: Sync {
    const NAME: &'static str;
    type Reader: Send;
    fn reader(&self) -> Self::Reader;
    fn get(reader: &Self::Reader, key: u64) -> Option<u64>;
    fn store(&self, first: u64, last: u64, value: u64);
}

impl Subject for SharedMapleTree<u64> {
    const NAME: &'static str = "SharedMapleTree";
    type Reader = maple_tree::ReadHandle<u64>;
    fn reader(&self) -> Self::Reader {
        SharedMapleTree::reader(self)
    }
    fn get(reader: &Self::Reader, key: u64) -> Option<u64> {
        reader.read().get(key).copied()
    }
    fn store(&self, first: u64, last: u64, value: u64) {
        self.write().store_range(first, last, value).unwrap();
    }
}

impl Subject for Arc<RwLock<Map>> {
    const NAME: &'static str = "RwLock<BTreeMap>";
    type Reader = Self;
    fn reader(&self) -> Self {
        Arc::clone(self)
    }
    fn get(reader: &Self, key: u64) -> Option<u64> {
        btree_get(&reader.read().unwrap(), key)
    }
    fn store(&self, first: u64, last: u64, value: u64) {
        self.write().unwrap().insert(first, (last, value));
    }
}

impl Subject for Arc<Mutex<Map>> {
    const NAME: &'static str = "Mutex<BTreeMap>";
    type Reader = Self;
    fn reader(&self) -> Self {
        Arc::clone(self)
    }
    fn get(reader: &Self, key: u64) -> Option<u64> {
        btree_get(&reader.lock().unwrap(), key)
    }
    fn store(&self, first: u64, last: u64, value: u64) {
        self.lock().unwrap().insert(first, (last, value));
    }
}

impl Subject for Arc<ArcSwap<Map>> {
    const NAME: &'static str = "ArcSwap<BTreeMap> (rebuilt per write)";
    type Reader = Self;
    fn reader(&self) -> Self {
        Arc::clone(self)
    }
    fn get(reader: &Self, key: u64) -> Option<u64> {
        btree_get(&reader.load(), key)
    }
    fn store(&self, first: u64, last: u64, value: u64) {
        let mut map = Map::clone(&self.load());
        map.insert(first, (last, value));
        ArcSwap::store(self, Arc::new(map));
    }
}

/// Lookups per second per reader with `readers` reader threads and one writer, and the
/// writer's writes per second.
fn run<S: Subject>(subject: &S, ranges: &[(u64, u64)], keys: &[u64], readers: usize, secs: f64) -> (f64, f64) {
    let stop = AtomicBool::new(false);
    let lookups = AtomicU64::new(0);
    let writes = AtomicU64::new(0);
    let start = Instant::now();
    thread::scope(|s| {
        for t in 0..readers {
            let reader = subject.reader();
            let (stop, lookups) = (&stop, &lookups);
            s.spawn(move || {
                let mut n = 0u64;
                let mut i = t * 7919;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..256 {
                        black_box(S::get(&reader, keys[i % keys.len()]));
                        i += 1;
                    }
                    n += 256;
                }
                lookups.fetch_add(n, Ordering::Relaxed);
            });
        }
        let (stop, writes) = (&stop, &writes);
        s.spawn(move || {
            let mut r = rng(7);
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let (first, last) = ranges[below(&mut r, ranges.len())];
                subject.store(first, last, n);
                n += 1;
            }
            writes.store(n, Ordering::Relaxed);
        });
        thread::sleep(Duration::from_secs_f64(secs));
        stop.store(true, Ordering::Relaxed);
    });
    let elapsed = start.elapsed().as_secs_f64();
    (lookups.load(Ordering::Relaxed) as f64 / elapsed / readers as f64, writes.load(Ordering::Relaxed) as f64 / elapsed)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn throughput<S: Subject>(subject: S, ranges: &[(u64, u64)], keys: &[u64], counts: &[usize], secs: f64, runs: usize) {
    for &readers in counts {
        let results: Vec<_> = (0..runs).map(|_| run(&subject, ranges, keys, readers, secs)).collect();
        let reads = median(results.iter().map(|r| r.0).collect());
        let writes = median(results.iter().map(|r| r.1).collect());
        println!(
            "read-throughput/{}/readers={readers}: {:>8.2} M lookups/s per reader, writer {:>10.0} writes/s",
            S::NAME,
            reads / 1e6,
            writes
        );
    }
}

/// Nanoseconds per call of `f` over `n` calls, median of `runs`.
fn per_op(runs: usize, n: usize, mut f: impl FnMut(usize)) -> f64 {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                for i in 0..n {
                    f(i);
                }
                t.elapsed().as_nanos() as f64 / n as f64
            })
            .collect(),
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists the benches; there are none to list
    }
    let quick = quick() || std::env::args().any(|a| a == "--test");
    let n = env("MAPLE_SHARED_N").unwrap_or(if quick { 10_000 } else { 100_000 });
    let secs = env("MAPLE_SHARED_SECS").unwrap_or(if quick { 0.2 } else { 1.0 });
    let runs = env("MAPLE_BENCH_RUNS").unwrap_or(if quick { 1 } else { 3 });
    let counts: Vec<usize> = std::env::var("MAPLE_SHARED_READERS")
        .unwrap_or_else(|_| "1,2".into())
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    let ranges = gen_ranges(n, SEED);
    let mut r = rng(n as u64);
    let keys: Vec<u64> = (0..1 << 16)
        .map(|_| {
            let (first, last) = ranges[below(&mut r, n)];
            first + below(&mut r, (last - first + 1) as usize) as u64
        })
        .collect();
    let mut tree = MapleTree::new();
    let mut map = Map::new();
    for (i, &(first, last)) in ranges.iter().enumerate() {
        tree.store_range(first, last, i as u64).unwrap();
        map.insert(first, (last, i as u64));
    }
    println!("N = {n}, {secs} s per run, median of {runs}; one writer storing continuously");

    throughput(SharedMapleTree::from(tree.clone()), &ranges, &keys, &counts, secs, runs);
    throughput(Arc::new(RwLock::new(map.clone())), &ranges, &keys, &counts, secs, runs);
    throughput(Arc::new(Mutex::new(map.clone())), &ranges, &keys, &counts, secs, runs);
    throughput(Arc::new(ArcSwap::from_pointee(map.clone())), &ranges, &keys, &counts, secs, runs);

    // Single-threaded: the handle against the plain tree, no other thread.
    let ops = keys.len();
    let shared = SharedMapleTree::from(tree.clone());
    let handle = shared.reader();
    let plain_read = per_op(runs, ops, |i| {
        black_box(tree.get(keys[i]));
    });
    let shared_read = per_op(runs, ops, |i| {
        black_box(handle.read().get(keys[i]));
    });
    let writes: Vec<(u64, u64)> = (0..ops).map(|_| ranges[below(&mut r, n)]).collect();
    let plain_write = per_op(runs, ops, |i| {
        let (first, last) = writes[i];
        tree.store_range(first, last, i as u64).unwrap();
    });
    let shared_write = per_op(runs, ops, |i| {
        let (first, last) = writes[i];
        shared.write().store_range(first, last, i as u64).unwrap();
    });
    let mut batch = shared.write();
    let batched_write = per_op(runs, ops, |i| {
        let (first, last) = writes[i];
        batch.store_range(first, last, i as u64).unwrap();
        if i % 64 == 63 {
            batch.publish();
        }
    });
    drop(batch);
    println!(
        "single-thread/get: plain {plain_read:.1} ns, handle {shared_read:.1} ns, ratio {:.2}",
        shared_read / plain_read
    );
    println!(
        "single-thread/store_range (exact fit): plain {plain_write:.1} ns, handle {shared_write:.1} ns (ratio {:.2}), \
         batched by 64 {batched_write:.1} ns (ratio {:.2})",
        shared_write / plain_write,
        batched_write / plain_write
    );
}
