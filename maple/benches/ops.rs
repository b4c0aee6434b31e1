//! Timing benches: our tree, `BTreeMap` and `rangemap` on the same VMA-like data, in the same
//! run, workload by workload (see `common` for the data set and the baselines).
//!
//! `cargo bench --bench ops` runs everything at N = 1e3..1e6; `MAPLE_BENCH_QUICK=1` runs a
//! short version (N up to 1e5, short measurements); `MAPLE_BENCH_SIZES=100000,1000000` picks
//! the sizes; a criterion filter after `--` picks workloads (`-- lookup`). Every bench id is
//! `workload/structure/N` and every estimate is the time of one operation (a full pass for
//! the iteration workloads, one clone for `clone`, a clone and one write to it for
//! `clone-write`). `cargo test --benches` runs each once, at N = 1e3.
//!
//! Mutating workloads time a chunk of at most N/10 operations (and at most 4096), then undo
//! them untimed, so the structure stays within 10% of its size.

mod common;

use common::{
    below, btree_scan_highest, btree_scan_lowest, gen_ranges, quick, rng, sizes, BTree, Maple, Order, RMap, RangeStore,
    BASE, PAGE, SEED,
};
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use maple_tree::MapleTree;
use rand::seq::SliceRandom;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Length of the random query streams: large enough that at N = 1e6 the queried leaves do
/// not fit in the caches.
const QUERIES: usize = 1 << 16;
/// Window of the overlap query.
const MIB: u64 = 1 << 20;
/// Values written by the mutating workloads: distinct from the layout's (rangemap merges
/// equal neighbours).
const FRESH: u64 = 1 << 40;

/// The layout of one size and the query streams every structure sees.
struct Data {
    n: usize,
    ranges: Vec<(u64, u64)>,
    /// A random range, then a random byte inside it.
    hits: Vec<u64>,
    /// The ranges' mid-points in address order.
    ascending: Vec<u64>,
    /// Starts of 1 MiB windows, uniform over the layout's span.
    windows: Vec<u64>,
    /// Uniform addresses over the span (starts and ends of free-range searches).
    uniform: Vec<u64>,
    /// Ranges followed by a gap of at least a page, shuffled.
    gaps: Vec<usize>,
    /// Every range, shuffled.
    shuffled: Vec<usize>,
    /// First ranges of non-overlapping 17-range spans, shuffled.
    spans: Vec<usize>,
    /// Build orders.
    random_order: Vec<usize>,
    ascending_order: Vec<usize>,
}

impl Data {
    fn new(n: usize) -> Data {
        let ranges = gen_ranges(n, SEED);
        let end = ranges[n - 1].1;
        let mut r = rng(n as u64);
        let hits = (0..QUERIES)
            .map(|_| {
                let (first, last) = ranges[below(&mut r, n)];
                first + below(&mut r, (last - first + 1) as usize) as u64
            })
            .collect();
        let ascending = ranges.iter().map(|&(first, last)| first + (last - first) / 2).collect();
        let windows = (0..QUERIES).map(|_| BASE + below(&mut r, (end - BASE - MIB) as usize) as u64).collect();
        let uniform = (0..QUERIES).map(|_| BASE + below(&mut r, (end - BASE) as usize) as u64).collect();
        let mut gaps: Vec<usize> = (0..n - 1).filter(|&i| ranges[i + 1].0 > ranges[i].1 + 1).collect();
        gaps.shuffle(&mut r);
        let mut shuffled: Vec<usize> = (0..n).collect();
        shuffled.shuffle(&mut r);
        let mut spans: Vec<usize> = (0..n.saturating_sub(17)).step_by(20).collect();
        spans.shuffle(&mut r);
        Data {
            n,
            ranges,
            hits,
            ascending,
            windows,
            uniform,
            gaps,
            shuffled,
            spans,
            random_order: Order::Random.indices(n, SEED),
            ascending_order: Order::Ascending.indices(n, SEED),
        }
    }

    fn end(&self) -> u64 {
        self.ranges[self.n - 1].1
    }

    fn build<S: RangeStore>(&self, order: &[usize]) -> S {
        let mut s = S::empty();
        for &i in order {
            let (first, last) = self.ranges[i];
            s.put(first, last, i as u64);
        }
        s
    }

    fn chunk(&self) -> usize {
        (self.n / 10).clamp(1, 4096)
    }
}

type Group<'a> = BenchmarkGroup<'a, WallTime>;

/// Cycles through a list, one item per call.
struct Cycle<'a, T> {
    items: &'a [T],
    at: usize,
}

impl<'a, T: Copy> Cycle<'a, T> {
    fn new(items: &'a [T]) -> Self {
        Cycle { items, at: 0 }
    }

    #[inline]
    fn next(&mut self) -> T {
        let item = self.items[self.at];
        self.at += 1;
        if self.at == self.items.len() {
            self.at = 0;
        }
        item
    }

    /// The next `k` items (distinct if `k` is at most the list's length).
    fn take(&mut self, k: usize) -> Vec<T> {
        (0..k).map(|_| self.next()).collect()
    }
}

/// Times `op` on chunks of distinct items from `items`, undoing each chunk untimed.
fn chunked<S, T: Copy>(
    b: &mut criterion::Bencher<'_>,
    s: &mut S,
    items: &[T],
    chunk: usize,
    mut op: impl FnMut(&mut S, T),
    mut undo: impl FnMut(&mut S, T),
) {
    let chunk = chunk.min(items.len()).max(1);
    let mut cycle = Cycle::new(items);
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        let mut done = 0;
        while done < iters {
            let batch = cycle.take(chunk.min((iters - done) as usize));
            let start = Instant::now();
            for &item in &batch {
                op(s, item);
            }
            total += start.elapsed();
            for &item in batch.iter().rev() {
                undo(s, item);
            }
            done += batch.len() as u64;
        }
        total
    });
}

fn id<S: RangeStore>(d: &Data) -> BenchmarkId {
    BenchmarkId::new(S::NAME, d.n)
}

fn lookup_random<S: RangeStore>(g: &mut Group, s: &S, d: &Data) {
    g.bench_function(id::<S>(d), |b| {
        let mut q = Cycle::new(&d.hits);
        b.iter(|| s.get(black_box(q.next())))
    });
}

fn lookup_ascending<S: RangeStore>(g: &mut Group, s: &S, d: &Data) {
    g.bench_function(id::<S>(d), |b| {
        let mut q = Cycle::new(&d.ascending);
        b.iter(|| s.get(black_box(q.next())))
    });
}

/// Latency: the next query's index depends on the value the previous one found.
fn lookup_dependent<S: RangeStore>(g: &mut Group, s: &S, d: &Data) {
    g.bench_function(id::<S>(d), |b| {
        let mask = d.hits.len() - 1;
        let mut i = 0;
        b.iter(|| {
            let v = s.get(d.hits[i]).unwrap_or(0);
            i = (i + 1 + (v as usize & 1)) & mask;
            v
        })
    });
}

fn overlap_window<S: RangeStore>(g: &mut Group, s: &S, d: &Data) {
    g.bench_function(id::<S>(d), |b| {
        let mut q = Cycle::new(&d.windows);
        b.iter(|| {
            let first = black_box(q.next());
            s.overlap_sum(first, first + MIB - 1)
        })
    });
}

fn iterate<S: RangeStore>(g: &mut Group, s: &S, d: &Data) {
    g.bench_function(id::<S>(d), |b| b.iter(|| s.iter_sum()));
}

fn iterate_next<S: RangeStore>(g: &mut Group, s: &S, d: &Data) {
    g.bench_function(id::<S>(d), |b| b.iter(|| s.next_sum()));
}

fn iterate_rev<S: RangeStore>(g: &mut Group, s: &S, d: &Data) {
    g.bench_function(id::<S>(d), |b| b.iter(|| s.rev_sum()));
}

fn clone<S: RangeStore>(g: &mut Group, s: &S, d: &Data) {
    g.bench_function(id::<S>(d), |b| b.iter_with_large_drop(|| s.clone()));
}

/// A snapshot that then diverges: a clone, and one exact-fit overwrite of a random range in
/// it (for our copy-on-write clone, the first write copies the shared nodes it touches; the
/// others copy everything in the clone). Dropped untimed.
fn clone_write<S: RangeStore>(g: &mut Group, s: &S, d: &Data) {
    let mut k = 0;
    g.bench_function(id::<S>(d), |b| {
        b.iter_with_large_drop(|| {
            let mut copy = s.clone();
            let (first, last) = d.ranges[d.shuffled[k % d.shuffled.len()]];
            k += 1;
            black_box(copy.overwrite_exact(first, last, FRESH));
            copy
        })
    });
}

fn overwrite<S: RangeStore>(g: &mut Group, s: &mut S, d: &Data) {
    g.bench_function(id::<S>(d), |b| {
        chunked(
            b,
            s,
            &d.shuffled,
            d.chunk(),
            |s, i| {
                let (first, last) = d.ranges[i];
                black_box(s.overwrite_exact(first, last, FRESH + i as u64));
            },
            |s, i| {
                let (first, last) = d.ranges[i];
                s.overwrite_exact(first, last, i as u64);
            },
        )
    });
}

/// A one-page range at the bottom of a gap.
fn insert_gap<S: RangeStore>(g: &mut Group, s: &mut S, d: &Data) {
    g.bench_function(id::<S>(d), |b| {
        chunked(
            b,
            s,
            &d.gaps,
            d.chunk(),
            |s, i| {
                let first = d.ranges[i].1 + 1;
                black_box(s.insert_checked(first, first + PAGE - 1, FRESH + i as u64));
            },
            |s, i| {
                let first = d.ranges[i].1 + 1;
                s.erase(first, first + PAGE - 1);
            },
        )
    });
}

/// A one-page range a page after the last one, again and again.
fn append<S: RangeStore>(g: &mut Group, s: &mut S, d: &Data) {
    let slots: Vec<u64> = (0..d.chunk() as u64).map(|k| d.end() + 1 + PAGE + k * 2 * PAGE).collect();
    g.bench_function(id::<S>(d), |b| {
        chunked(
            b,
            s,
            &slots,
            slots.len(),
            |s, first| {
                black_box(s.insert_checked(first, first + PAGE - 1, FRESH + first));
            },
            |s, first| s.erase(first, first + PAGE - 1),
        )
    });
}

fn erase<S: RangeStore>(g: &mut Group, s: &mut S, d: &Data) {
    g.bench_function(id::<S>(d), |b| {
        chunked(
            b,
            s,
            &d.shuffled,
            d.chunk(),
            |s, i| {
                let (first, last) = d.ranges[i];
                s.erase(first, last);
            },
            |s, i| {
                let (first, last) = d.ranges[i];
                s.put(first, last, i as u64);
            },
        )
    });
}

/// A store from the middle of range `i` to the middle of range `i + 16`: 15 ranges dropped,
/// two trimmed.
fn span_store<S: RangeStore>(g: &mut Group, s: &mut S, d: &Data) {
    let mid = |(first, last): (u64, u64)| first + (last - first) / 2;
    g.bench_function(id::<S>(d), |b| {
        chunked(
            b,
            s,
            &d.spans,
            d.chunk(),
            |s, i| s.store_over(mid(d.ranges[i]), mid(d.ranges[i + 16]), FRESH + i as u64),
            |s, i| {
                let (first, last) = (d.ranges[i].0, d.ranges[i + 16].1);
                s.store_over(first, last, 0);
                s.erase(first, last);
                for j in i..=i + 16 {
                    s.put(d.ranges[j].0, d.ranges[j].1, j as u64);
                }
            },
        )
    });
}

fn build<S: RangeStore>(g: &mut Group, d: &Data, order: &[usize]) {
    g.bench_function(id::<S>(d), |b| b.iter_with_large_drop(|| d.build::<S>(order)));
}

/// A bulk build from sorted ranges: `MapleTree::from_sorted` against `BTreeMap`'s
/// `FromIterator` of sorted pairs (its own bulk build, which packs nodes full). rangemap has
/// no bulk build, so it is not in this group.
fn from_sorted(c: &mut Criterion, d: &Data) {
    let mut g = c.benchmark_group("from-sorted");
    g.bench_function(id::<Maple>(d), |b| {
        b.iter_with_large_drop(|| {
            let items = d.ranges.iter().enumerate().map(|(i, &(first, last))| (first..=last, i as u64));
            MapleTree::from_sorted(items).expect("out of memory")
        })
    });
    g.bench_function(id::<BTree>(d), |b| {
        b.iter_with_large_drop(|| {
            d.ranges.iter().enumerate().map(|(i, &(first, last))| (first, (last, i as u64))).collect::<BTree>()
        })
    });
    g.finish();
}

/// The next entry through a cursor; the baselines have no cursor and look up the next
/// range's mid-point afresh (`lookup_ascending`).
fn cursor_next(g: &mut Group, tree: &Maple, d: &Data) {
    g.bench_function(id::<Maple>(d), |b| {
        let mut cursor = tree.cursor(0);
        b.iter(|| match cursor.next(u64::MAX) {
            Some(&v) => v,
            None => {
                cursor.set(0);
                0
            }
        })
    });
}

/// Walk pattern of the cursor benches: 64 steps forward, then 32 back, drifting through the
/// whole structure.
#[inline]
fn forward(step: u64) -> bool {
    step % 96 < 64
}

fn cursor_walk_maple(g: &mut Group, tree: &Maple, d: &Data) {
    g.bench_function(id::<Maple>(d), |b| {
        let mut cursor = tree.cursor(0);
        cursor.find(u64::MAX);
        let mut step = 0u64;
        b.iter(|| {
            step += 1;
            let found = if forward(step) { cursor.next(u64::MAX) } else { cursor.prev(0) };
            match found {
                Some(&v) => v,
                None => {
                    cursor.set(0);
                    cursor.find(u64::MAX);
                    step = 0;
                    0
                }
            }
        })
    });
}

fn cursor_walk_btree(g: &mut Group, map: &BTree, d: &Data) {
    use std::ops::Bound::{Excluded, Unbounded};
    g.bench_function(id::<BTree>(d), |b| {
        let mut at = d.ranges[0].0;
        let mut step = 0u64;
        b.iter(|| {
            step += 1;
            let found =
                if forward(step) { map.range((Excluded(at), Unbounded)).next() } else { map.range(..at).next_back() };
            match found {
                Some((&k, &(_, v))) => {
                    at = k;
                    v
                }
                None => {
                    at = d.ranges[0].0;
                    step = 0;
                    0
                }
            }
        })
    });
}

/// Free-range searches on an allocation tree against a linear scan of the `BTreeMap`, and
/// against a point lookup in the same tree.
fn gap_search(c: &mut Criterion, d: &Data, map: &BTree) {
    let mut tree: Maple = MapleTree::new_alloc();
    for &i in &d.random_order {
        tree.store_range(d.ranges[i].0, d.ranges[i].1, i as u64).expect("out of memory");
    }
    let end = d.end();
    // Gaps are 0..=16 pages: a 16-page request is met about every 17 ranges, a 17-page one
    // never (the search must prove it up to the end of the layout).
    let fits = 16 * PAGE;
    let never = 17 * PAGE;
    check_search(d, &tree, map, fits);
    check_search(d, &tree, map, never);
    gap_group(
        c,
        "gap-lowest",
        d,
        &tree,
        map,
        |t, a| t.empty_area(a, end, fits).ok(),
        |m, a| btree_scan_lowest(m, a, end, fits),
    );
    gap_group(
        c,
        "gap-highest",
        d,
        &tree,
        map,
        |t, a| t.empty_area_rev(BASE, a, fits).ok(),
        |m, a| btree_scan_highest(m, BASE, a, fits),
    );
    gap_group(
        c,
        "gap-nofit",
        d,
        &tree,
        map,
        |t, a| t.empty_area(a, end, never).ok(),
        |m, a| btree_scan_lowest(m, a, end, never),
    );
}

/// One free-range search from each address of the uniform stream: ours, the `BTreeMap`
/// scan, and a point lookup in the same allocation tree.
fn gap_group(
    c: &mut Criterion,
    name: &str,
    d: &Data,
    tree: &Maple,
    map: &BTree,
    ours: impl Fn(&Maple, u64) -> Option<u64>,
    scan: impl Fn(&BTree, u64) -> Option<u64>,
) {
    let mut g = c.benchmark_group(name);
    g.bench_function(id::<Maple>(d), |b| {
        let mut q = Cycle::new(&d.uniform);
        b.iter(|| ours(tree, black_box(q.next())))
    });
    g.bench_function(id::<BTree>(d), |b| {
        let mut q = Cycle::new(&d.uniform);
        b.iter(|| scan(map, black_box(q.next())))
    });
    g.bench_function(BenchmarkId::new("maple-lookup", d.n), |b| {
        let mut q = Cycle::new(&d.hits);
        b.iter(|| tree.load(black_box(q.next())).copied())
    });
    g.finish();
}

/// The three structures must answer alike, or the comparison means nothing: checked on a
/// sample of every query stream before the timings, and again after the mutating workloads
/// (which must have undone themselves).
fn check_alike(d: &Data, maple: &Maple, btree: &BTree, rmap: &RMap) {
    for &a in d.hits.iter().chain(&d.uniform).take(4096) {
        let v = RangeStore::get(maple, a);
        assert_eq!(v, RangeStore::get(btree, a), "lookup of {a:#x}");
        assert_eq!(v, RangeStore::get(rmap, a), "lookup of {a:#x}");
    }
    for &w in d.windows.iter().take(1024) {
        let sum = maple.overlap_sum(w, w + MIB - 1);
        assert_eq!(sum, btree.overlap_sum(w, w + MIB - 1), "window at {w:#x}");
        assert_eq!(sum, rmap.overlap_sum(w, w + MIB - 1), "window at {w:#x}");
    }
    assert_eq!(maple.len(), btree.len());
    assert_eq!(maple.iter_sum(), btree.iter_sum());
    assert_eq!(maple.rev_sum(), rmap.rev_sum());
    assert_eq!(maple.next_sum(), btree.next_sum());
}

/// Our free-range searches must find what the scans find.
fn check_search(d: &Data, tree: &Maple, map: &BTree, size: u64) {
    for &a in d.uniform.iter().take(512) {
        assert_eq!(tree.empty_area(a, d.end(), size).ok(), btree_scan_lowest(map, a, d.end(), size), "from {a:#x}");
        assert_eq!(tree.empty_area_rev(BASE, a, size).ok(), btree_scan_highest(map, BASE, a, size), "to {a:#x}");
    }
}

/// Runs `$work` on each structure in one group.
macro_rules! each {
    ($c:expr, $name:expr, $work:ident, $d:expr, $m:expr, $b:expr, $r:expr) => {{
        let mut g = $c.benchmark_group($name);
        $work(&mut g, $m, $d);
        $work(&mut g, $b, $d);
        $work(&mut g, $r, $d);
        g.finish();
    }};
}

fn run_size(c: &mut Criterion, n: usize, build_max: usize) {
    let d = Data::new(n);
    let (mut maple, mut btree, mut rmap): (Maple, BTree, RMap) =
        (d.build(&d.random_order), d.build(&d.random_order), d.build(&d.random_order));
    check_alike(&d, &maple, &btree, &rmap);

    each!(c, "lookup-random", lookup_random, &d, &maple, &btree, &rmap);
    each!(c, "lookup-ascending", lookup_ascending, &d, &maple, &btree, &rmap);
    each!(c, "lookup-dependent", lookup_dependent, &d, &maple, &btree, &rmap);
    {
        let mut g = c.benchmark_group("cursor-next");
        cursor_next(&mut g, &maple, &d);
        lookup_ascending(&mut g, &btree, &d);
        lookup_ascending(&mut g, &rmap, &d);
        g.finish();
    }
    {
        let mut g = c.benchmark_group("cursor-walk");
        cursor_walk_maple(&mut g, &maple, &d);
        cursor_walk_btree(&mut g, &btree, &d);
        g.finish();
    }
    each!(c, "overlap-1mib", overlap_window, &d, &maple, &btree, &rmap);
    each!(c, "iter", iterate, &d, &maple, &btree, &rmap);
    each!(c, "iter-next", iterate_next, &d, &maple, &btree, &rmap);
    each!(c, "iter-rev", iterate_rev, &d, &maple, &btree, &rmap);
    each!(c, "clone", clone, &d, &maple, &btree, &rmap);
    each!(c, "clone-write", clone_write, &d, &maple, &btree, &rmap);
    gap_search(c, &d, &btree);
    each!(c, "overwrite", overwrite, &d, &mut maple, &mut btree, &mut rmap);
    each!(c, "insert-gap", insert_gap, &d, &mut maple, &mut btree, &mut rmap);
    each!(c, "append", append, &d, &mut maple, &mut btree, &mut rmap);
    each!(c, "erase", erase, &d, &mut maple, &mut btree, &mut rmap);
    each!(c, "span-store", span_store, &d, &mut maple, &mut btree, &mut rmap);
    check_alike(&d, &maple, &btree, &rmap);
    drop((maple, btree, rmap));

    // The same reads on structures built in address order.
    let (maple, btree, rmap): (Maple, BTree, RMap) =
        (d.build(&d.ascending_order), d.build(&d.ascending_order), d.build(&d.ascending_order));
    check_alike(&d, &maple, &btree, &rmap);
    each!(c, "lookup-random-ascbuilt", lookup_random, &d, &maple, &btree, &rmap);
    each!(c, "iter-ascbuilt", iterate, &d, &maple, &btree, &rmap);
    drop((maple, btree, rmap));

    from_sorted(c, &d);
    if n <= build_max {
        for (name, order) in [("build-random", &d.random_order), ("build-ascending", &d.ascending_order)] {
            let mut g = c.benchmark_group(name);
            build::<Maple>(&mut g, &d, order);
            build::<BTree>(&mut g, &d, order);
            build::<RMap>(&mut g, &d, order);
            g.finish();
        }
    }
}

fn main() {
    let quick = quick();
    // `cargo bench` passes `--bench`; without it (`cargo test --benches`) criterion runs each
    // bench once, which only needs the smallest size.
    let benching = std::env::args().any(|a| a == "--bench");
    let (warm_up, measure, samples) = if quick { (0.1, 0.3, 10) } else { (0.3, 1.0, 20) };
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs_f64(warm_up))
        .measurement_time(Duration::from_secs_f64(measure))
        .sample_size(samples)
        .configure_from_args();
    let sizes = if benching { sizes(quick) } else { vec![1_000] };
    let build_max = if quick { 10_000 } else { 100_000 };
    for n in sizes {
        run_size(&mut c, n, build_max);
    }
    c.final_summary();
}
