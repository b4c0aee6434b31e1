//! Tests of the replay engine on the page model, over small hand-written logs.

use super::*;
use crate::maps::parse_layout;
use crate::model::PageModel;
use crate::strace::Parser;

fn events(log: &str) -> Vec<Event> {
    let mut parser = Parser::new();
    let events = log.lines().enumerate().filter_map(|(i, line)| parser.line(i + 1, line).unwrap()).collect();
    assert!(parser.finish().is_empty());
    events
}

fn run(log: &str, options: &Options) -> Outcome<PageModel> {
    replay::<PageModel>(&events(log), options, &mut |_| {}).unwrap()
}

fn maps(outcome: &Outcome<PageModel>) -> String {
    outcome.space.as_ref().unwrap().layout().iter().map(|entry| format!("{entry}\n")).collect()
}

const START: &str = "\
00400000-00401000 r--p 00000000 fe:00 7                                  /bin/x
00600000-00602000 rw-p 00000000 00:00 0                                  [heap]
7f0000000000-7f0000004000 rw-p 00000000 00:00 0 
";

#[test]
fn replays_from_the_start_marker_to_the_end_marker_across_threads() {
    let log = "\
10 execve(\"/bin/x\", [\"x\"], 0x7ffd /* 1 var */) = 0
10 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000009000
10 madvise(0x6d61706c0000, 0, MADV_NORMAL) = 0
10 mprotect(0x7f0000001000, 4096, PROT_READ) = 0
10 clone3({flags=CLONE_VM|CLONE_THREAD, exit_signal=0} <unfinished ...>
11 munmap(0x7f0000003000, 4096) = 0
10 <... clone3 resumed> => {parent_tid=[11]}, 88) = 11
11 brk(NULL) = 0x602000
11 brk(0x604000) = 0x604000
12 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000010000
11 madvise(0x6d61706c1000, 0, MADV_NORMAL) = 0
10 munmap(0x7f0000000000, 4096) = 0
";
    let options = Options { start: Some(parse_layout(START).unwrap()), ..Options::default() };
    let outcome = run(log, &options);
    assert_eq!(outcome.errors, []);
    assert_eq!(outcome.started_at, Some(3));
    assert_eq!(outcome.stop, Stop::EndMarker(11));
    assert_eq!(outcome.untracked, 2, "the mmap before the START marker, and thread 12 (not a child)");
    assert_eq!(outcome.ops.values().sum::<usize>(), 4);
    assert_eq!(
        maps(&outcome),
        "\
00400000-00401000 r--p 00000000 fe:00 7                                  /bin/x
00600000-00604000 rw-p 00000000 00:00 0                                  [heap]
7f0000000000-7f0000001000 rw-p 00000000 00:00 0 
7f0000001000-7f0000002000 r--p 00000000 00:00 0 
7f0000002000-7f0000003000 rw-p 00000000 00:00 0 
"
    );
}

#[test]
fn a_fork_copies_and_an_execve_empties() {
    let log = "\
1 mmap(0x10000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x10000
1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x1) = 2
2 munmap(0x10000, 4096) = 0
1 mmap(0x20000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x20000
2 execve(\"/bin/y\", [\"y\"], 0x1 /* 0 vars */) = 0
2 mmap(0x30000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x30000
1 +++ exited with 0 +++
";
    let parent = run(log, &Options::default());
    assert_eq!(parent.stop, Stop::Exit(7));
    assert_eq!(maps(&parent), "00010000-00012000 rw-p 00000000 00:00 0 \n00020000-00021000 r--p 00000000 00:00 0 \n");
    let child = run(log, &Options { pid: Some(2), ..Options::default() });
    assert_eq!(maps(&child), "00030000-00031000 r--p 00000000 00:00 0 \n");
    assert_eq!(child.other_ops, 2);
}

#[test]
fn calls_that_make_no_sense_are_errors_with_their_line() {
    let log = "\
1 mmap(0x10000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x10000
1 mprotect(0x10000, 8192, PROT_NONE) = 0
1 mremap(0x50000, 4096, 8192, MREMAP_MAYMOVE) = 0x60000
1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)
";
    let outcome = run(log, &Options::default());
    assert_eq!(outcome.stop, Stop::Error(2));
    assert_eq!(outcome.errors.len(), 1);
    assert!(outcome.errors[0].message.contains("11000 is unmapped"), "{:?}", outcome.errors);
    let outcome = run(log, &Options { keep_going: true, ..Options::default() });
    assert_eq!(outcome.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(outcome.failed_in_kernel, 1);
    assert_eq!(outcome.stop, Stop::EndOfLog);
}

#[test]
fn a_log_without_pids_is_one_process_and_a_pid_cannot_be_asked() {
    let log = "\
mmap(0x10000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x10000
madvise(0x6d61706c0000, 0, MADV_NORMAL) = 0
munmap(0x10000, 4096) = 0
+++ exited with 0 +++
";
    let start = "00020000-00021000 r--p 00000000 00:00 0 \n";
    let options = Options { start: Some(parse_layout(start).unwrap()), ..Options::default() };
    let outcome = run(log, &options);
    assert_eq!((outcome.pid, outcome.started_at, outcome.stop), (0, Some(2), Stop::Exit(4)));
    assert_eq!(maps(&outcome), start);
    // Any pid is unknown in such a log (it used to be ignored silently).
    let options = Options { pid: Some(4242), ..options };
    let error = replay::<PageModel>(&events(log), &options, &mut |_| {}).unwrap_err();
    assert_eq!(error, SetupError::NoPids { pid: 4242 });
}

#[test]
fn a_child_without_a_start_marker_starts_from_its_parent_and_misses_dontfork_pages() {
    let log = "\
1 madvise(0x6d61706c0000, 0, MADV_NORMAL) = 0
1 mmap(0x10000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x10000
1 madvise(0x10000, 4096, MADV_DONTFORK) = 0
1 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|SIGCHLD, child_tidptr=0x1) = 2
2 munmap(0x30000, 4096) = 0
2 madvise(0x6d61706c1000, 0, MADV_NORMAL) = 0
1 munmap(0x11000, 4096) = 0
";
    let start = "00030000-00032000 r--p 00000000 00:00 0 \n";
    let options = Options { pid: Some(2), start: Some(parse_layout(start).unwrap()), ..Options::default() };
    let outcome = run(log, &options);
    assert_eq!(outcome.errors, []);
    assert_eq!((outcome.seed_pid, outcome.started_at, outcome.stop), (1, Some(1), Stop::EndMarker(6)));
    assert_eq!(outcome.other_ops, 2, "the parent's mmap and madvise before the fork");
    assert_eq!(maps(&outcome), "00011000-00012000 rw-p 00000000 00:00 0 \n00031000-00032000 r--p 00000000 00:00 0 \n");
}

/// A small deterministic generator (xorshift), for the robustness test below.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Random, mostly nonsensical logs: the replay reports errors, never panics, and the VMA
/// manager stays valid after every call it accepts.
#[test]
fn random_logs_give_errors_not_panics() {
    use crate::vma_space::VmaSpace;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let prots = ["PROT_NONE", "PROT_READ", "PROT_READ|PROT_WRITE", "PROT_READ|PROT_EXEC"];
    let addr = |rng: &mut Rng| match rng.below(4) {
        0 => rng.next(),
        1 => 0xffff_ffff_ffff_f000,
        _ => 0x7f00_0000_0000 + rng.below(64) * 0x1000,
    };
    let len = |rng: &mut Rng| match rng.below(4) {
        0 => rng.next(),
        1 => 0,
        _ => rng.below(8) * 0x1000 + rng.below(2) * 0x123,
    };
    let (mut applied, mut refused) = (0, 0);
    for round in 0..20 {
        let mut log = String::from("1 madvise(0x6d61706c0000, 0, MADV_NORMAL) = 0\n");
        for _ in 0..200 {
            let (a, l, r) = (addr(&mut rng), len(&mut rng), addr(&mut rng));
            let prot = prots[rng.below(4) as usize];
            let ret =
                if rng.below(8) == 0 { "-1 ENOMEM (Cannot allocate memory)".to_owned() } else { format!("{r:#x}") };
            let line = match rng.below(7) {
                0 => format!("1 mmap({a:#x}, {l}, {prot}, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = {ret}"),
                1 => format!("1 mmap({a:#x}, {l}, {prot}, MAP_SHARED, 3</f>, {:#x}) = {ret}", rng.below(16) * 0x1000),
                2 => format!("1 munmap({a:#x}, {l}) = {}", if ret.starts_with('-') { &ret } else { "0" }),
                3 => format!("1 mprotect({a:#x}, {l}, {prot}) = 0"),
                4 => format!("1 mremap({a:#x}, {l}, {}, MREMAP_MAYMOVE) = {ret}", len(&mut rng)),
                5 => format!("1 brk({a:#x}) = {r:#x}"),
                _ => format!("1 madvise({a:#x}, {l}, MADV_DONTFORK) = 0"),
            };
            log.push_str(&line);
            log.push('\n');
        }
        let start = "7f0000000000-7f0000010000 rw-p 00000000 00:00 0 \n";
        let options = Options {
            start: Some(parse_layout(start).unwrap()),
            keep_going: true,
            validate: true,
            ..Options::default()
        };
        let events = events(&log);
        let pages = replay::<PageModel>(&events, &options, &mut |_| {}).unwrap();
        let vmas = replay::<VmaSpace>(&events, &options, &mut |_| {}).unwrap();
        assert!(pages.space.is_some() && vmas.space.is_some(), "round {round}");
        assert!(vmas.errors.iter().all(|e| !e.message.contains("invariants")), "round {round}: {:?}", vmas.errors);
        assert_eq!(vmas.ops.values().sum::<usize>(), 200, "every call is tried");
        applied += 200 - vmas.errors.len();
        refused += vmas.errors.len();
    }
    // Both kinds happen: the test is not vacuous.
    assert!(applied > 500 && refused > 500, "applied {applied}, refused {refused}");
}

#[test]
fn logs_that_cannot_be_replayed_are_errors_before_anything_runs() {
    let none: &[Event] = &[];
    assert_eq!(replay::<PageModel>(none, &Options::default(), &mut |_| {}).unwrap_err(), SetupError::EmptyLog);
    let log = events("10 munmap(0x7f0000003000, 4096) = 0\n11 munmap(0x7f0000003000, 4096) = 0\n");
    let options = Options { pid: Some(12), ..Options::default() };
    let error = replay::<PageModel>(&log, &options, &mut |_| {}).unwrap_err();
    assert_eq!(error, SetupError::NoSuchPid { pid: 12, present: vec![10, 11] });
    assert!(error.to_string().contains("process 12 is not in the log"), "{error}");
    // A child that only appears as a clone's result is in the log.
    let log = events("10 clone(child_stack=NULL, flags=SIGCHLD) = 12\n");
    assert!(replay::<PageModel>(&log, &options, &mut |_| {}).is_ok());
    let unprefixed = events("munmap(0x7f0000003000, 4096) = 0\n");
    let error = replay::<PageModel>(&unprefixed, &options, &mut |_| {}).unwrap_err();
    assert_eq!(error, SetupError::NoPids { pid: 12 });
    assert!(replay::<PageModel>(&unprefixed, &Options::default(), &mut |_| {}).is_ok());
}

#[test]
fn the_first_refused_call_without_a_start_layout_says_how_to_capture_one() {
    let log = "10 mprotect(0x7f0000001000, 4096, PROT_READ) = 0\n10 mprotect(0x7f0000002000, 4096, PROT_READ) = 0\n";
    let outcome = run(log, &Options { keep_going: true, ..Options::default() });
    assert_eq!(outcome.errors.len(), 2);
    assert!(outcome.errors[0].message.contains("--maps") && outcome.errors[0].message.contains("replay/capture"));
    assert!(!outcome.errors[1].message.contains("--maps"), "once is enough");
    let with_start = Options { start: Some(parse_layout(START).unwrap()), keep_going: true, ..Options::default() };
    let outcome = run("10 mprotect(0x7f0000100000, 4096, PROT_READ) = 0\n", &with_start);
    assert!(!outcome.errors[0].message.contains("--maps"), "{:?}", outcome.errors);
}

#[test]
fn a_break_moved_below_the_heap_start_and_back_does_not_panic() {
    // Found by the `replay` fuzz target: the page model mapped the heap over an inverted
    // range (start above end) and panicked in `BTreeMap::range`.
    let log = "\
10 brk(NULL) = 0x600000
10 brk(0x400000) = 0x400000
10 brk(0x500000) = 0x500000
";
    for keep_going in [false, true] {
        let outcome = run(log, &Options { keep_going, ..Options::default() });
        assert_eq!(outcome.space.unwrap().layout(), []);
        let options = Options { keep_going, ..Options::default() };
        let vmas = replay::<crate::vma_space::VmaSpace>(&events(log), &options, &mut |_| {});
        assert!(vmas.unwrap().space.unwrap().validate().is_ok());
    }
}

/// Found by a local fuzz campaign of the `replay` target: the page model added file offsets
/// and lengths without checking, so a log whose successful calls name ranges or offsets no
/// kernel accepts overflowed (a panic in debug builds, a wrong layout in release). Each such
/// call is now an error of the log.
#[test]
fn successful_calls_past_any_address_space_or_file_size_are_errors_of_the_log() {
    let calls = [
        "1 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3</lib/x.so>, 0xfffffffffffff000) = 0x10000",
        "1 munmap(0x10000, 0xfffffffffffff000) = 0",
        "1 mprotect(0xfffffffffffff000, 8192, PROT_READ) = 0",
        "1 mremap(0x10000, 4096, 0xffffffffffffe000, MREMAP_MAYMOVE) = 0x20000",
        "1 madvise(0x10000, 0xffffffffffffffff, MADV_DONTFORK) = 0",
    ];
    for call in calls {
        let log =
            format!("1 mmap(0x10000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x10000\n{call}\n");
        let outcome = run(&log, &Options::default());
        assert_eq!(outcome.stop, Stop::Error(2), "{call}: {:?}", outcome.errors);
        assert_eq!(outcome.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2], "{call}");
    }
    // A start layout whose file offset runs past the largest file is refused up front.
    let layout = "00400000-00402000 r--p fffffffffffff000 fe:00 7                          /bin/x\n";
    let options = Options { start: Some(parse_layout(layout).unwrap()), ..Options::default() };
    let outcome = run("1 munmap(0x400000, 4096) = 0\n", &options);
    assert!(outcome.errors[0].message.contains("the start layout"), "{:?}", outcome.errors);
}
