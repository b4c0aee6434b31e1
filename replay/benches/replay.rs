//! Replay throughput (`cargo bench -p maple-replay --bench replay`): the largest bundled trace
//! (git, 593 memory system calls of one process) parsed, then replayed from its start layout
//! on the VMA manager and, for comparison, on the page-granular model. Reported as operations
//! per second (criterion's element throughput).
//!

use criterion::{Criterion, Throughput};
use maple_replay::apply::files_of;
use maple_replay::apply::Space;
use maple_replay::engine::{replay, Options};
use maple_replay::maps::parse_layout;
use maple_replay::strace::parse_log;
use maple_replay::{model, read_text, strace, vma_space};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/traces/git");
const PID: u32 = 4909;

fn replay_on<S: Space>(events: &[strace::Event], options: &Options) -> usize {
    let outcome = replay::<S>(events, options, &mut |_| {}).expect("the bundled trace has its process");
    assert!(outcome.errors.is_empty() && outcome.space.is_some(), "the bundled trace replays cleanly");
    outcome.ops.values().sum()
}

fn bench(c: &mut Criterion) {
    let text = read_text(&format!("{DIR}/strace.log.gz")).unwrap();
    let start = parse_layout(&read_text(&format!("{DIR}/{PID}.start.maps.gz")).unwrap()).unwrap();
    let end = parse_layout(&read_text(&format!("{DIR}/{PID}.end.maps.gz")).unwrap()).unwrap();
    let log = parse_log(&text, false, &mut |_| {}).unwrap();
    assert!(log.errors.is_empty() && log.unfinished.is_empty());
    let events = log.events;
    let options = Options {
        pid: Some(PID),
        files: files_of(start.iter().chain(&end)),
        start: Some(start),
        place: false,
        keep_going: false,
        validate: false,
    };
    let ops = replay_on::<vma_space::VmaSpace>(&events, &options) as u64;
    let mut group = c.benchmark_group("replay-git");
    group.throughput(Throughput::Elements(ops));
    group.bench_function("parse", |b| b.iter(|| parse_log(&text, false, &mut |_| {}).unwrap().events.len()));
    group.bench_function("vma-manager", |b| b.iter(|| replay_on::<vma_space::VmaSpace>(&events, &options)));
    group.bench_function("page-model", |b| b.iter(|| replay_on::<model::PageModel>(&events, &options)));
    group.finish();
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    bench(&mut criterion);
    criterion.final_summary();
}
