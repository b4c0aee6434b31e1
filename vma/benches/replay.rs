//! Replay throughput (`cargo bench -p maple-vma --bench replay`): the largest bundled trace
//! (git, 593 memory system calls of one process) parsed, then replayed from its start layout
//! on the VMA manager and, for comparison, on the page-granular model. Reported as operations
//! per second (criterion's element throughput).
//!
//! The replay code is the `maple-vma` binary's, compiled into this bench.

#[allow(dead_code, unused_imports)]
#[path = "../src/replay/mod.rs"]
mod replay;

use criterion::{Criterion, Throughput};
use replay::apply::Space;
use replay::engine::{replay, Options};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../data/traces/git");
const PID: u32 = 4909;

fn replay_on<S: Space>(events: &[replay::strace::Event], options: &Options) -> usize {
    let outcome = replay::<S>(events, options, &mut |_| {});
    assert!(outcome.errors.is_empty() && outcome.space.is_some(), "the bundled trace replays cleanly");
    outcome.ops.values().sum()
}

fn bench(c: &mut Criterion) {
    let text = replay::cli::read_text(&format!("{DIR}/strace.log.gz")).unwrap();
    let start = replay::cli::read_maps(&format!("{DIR}/{PID}.start.maps.gz")).unwrap();
    let end = replay::cli::read_maps(&format!("{DIR}/{PID}.end.maps.gz")).unwrap();
    let (events, _, errors) = replay::cli::parse_log(&text, false).unwrap();
    assert!(errors.is_empty());
    let options = Options {
        pid: Some(PID),
        files: replay::cli::files_of(start.iter().chain(&end)),
        start: Some(start),
        place: false,
        keep_going: false,
        validate: false,
    };
    let ops = replay_on::<replay::vma_space::VmaSpace>(&events, &options) as u64;
    let mut group = c.benchmark_group("replay-git");
    group.throughput(Throughput::Elements(ops));
    group.bench_function("parse", |b| b.iter(|| replay::cli::parse_log(&text, false).unwrap().0.len()));
    group.bench_function("vma-manager", |b| b.iter(|| replay_on::<replay::vma_space::VmaSpace>(&events, &options)));
    group.bench_function("page-model", |b| b.iter(|| replay_on::<replay::model::PageModel>(&events, &options)));
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
