//! The replay summary (text and JSON) and the `parse` report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use maple_replay::apply::{Counters, Space};
use maple_replay::engine::{Outcome, ReplayError, Stop};
use maple_replay::maps::Difference;
use maple_replay::strace::{Log, ParseError};
use maple_vma::maps::MapsLine;
use serde::Serialize;

/// Everything the summary says.
pub(crate) struct Summary {
    pid: u32,
    seed_pid: u32,
    space: &'static str,
    started_at: Option<usize>,
    stop: Stop,
    ops: BTreeMap<&'static str, usize>,
    failed_in_kernel: usize,
    other_ops: usize,
    untracked: usize,
    skipped: BTreeMap<String, usize>,
    signals: usize,
    unsupported: usize,
    vmas: usize,
    counters: Option<Counters>,
    placements: (usize, usize),
    misplaced: Vec<(usize, u64, u64)>,
    elapsed: Duration,
    parse_time: Duration,
    page_differences: Option<usize>,
    vma_differences: Option<usize>,
    /// Calls that never resumed.
    unfinished: Vec<ParseError>,
}

impl Summary {
    pub(crate) fn new<S: Space>(
        outcome: &Outcome<S>,
        log: &Log,
        space: &S,
        parse_time: Duration,
        differences: Option<&[Difference]>,
    ) -> Self {
        let count = |pages: bool| {
            differences.map(|d| d.iter().filter(|d| matches!(d, Difference::Pages { .. }) == pages).count())
        };
        Summary {
            pid: outcome.pid,
            seed_pid: outcome.seed_pid,
            space: S::NAME,
            started_at: outcome.started_at,
            stop: outcome.stop,
            ops: outcome.ops.clone(),
            failed_in_kernel: outcome.failed_in_kernel,
            other_ops: outcome.other_ops,
            untracked: outcome.untracked,
            skipped: log.stats.skipped.clone(),
            signals: log.stats.signals,
            unsupported: outcome.unsupported.len(),
            vmas: space.map_count(),
            counters: space.counters(),
            placements: outcome.placements,
            misplaced: outcome.misplaced.clone(),
            elapsed: outcome.elapsed,
            parse_time,
            page_differences: count(true),
            vma_differences: count(false),
            unfinished: log.unfinished.clone(),
        }
    }

    fn total_ops(&self) -> usize {
        self.ops.values().sum()
    }

    fn ops_per_second(&self) -> f64 {
        self.total_ops() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn stop_text(&self) -> String {
        match self.stop {
            Stop::EndMarker(line) => format!("the END marker, line {line}"),
            Stop::Exit(line) => format!("the process's exit, line {line}"),
            Stop::EndOfLog => "the end of the log".to_owned(),
            Stop::Error(line) => format!("an error, line {line}"),
        }
    }

    /// The summary as text, one fact per line.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        let from = self.started_at.map_or("the start of the log".to_owned(), |line| match self.seed_pid == self.pid {
            true => format!("the START marker, line {line}"),
            false => format!("the START marker of its ancestor {}, line {line}", self.seed_pid),
        });
        let _ =
            writeln!(out, "replayed process {} on the {}, from {from} to {}", self.pid, self.space, self.stop_text());
        let kinds: Vec<String> = self.ops.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
        let kinds = if kinds.is_empty() { String::new() } else { format!(" ({})", kinds.join(", ")) };
        let _ = writeln!(
            out,
            "operations: {}{kinds}, {} of them failed in the kernel",
            self.total_ops(),
            self.failed_in_kernel
        );
        let _ = writeln!(
            out,
            "other address spaces: {} operations replayed, {} events not replayed",
            self.other_ops, self.untracked
        );
        let skipped: Vec<String> = self.skipped.iter().map(|(name, n)| format!("{name} {n}")).collect();
        let skipped = if skipped.is_empty() { "none".to_owned() } else { skipped.join(", ") };
        let _ = writeln!(
            out,
            "skipped system calls: {skipped}; signals: {}; unmodelled calls: {}",
            self.signals, self.unsupported
        );
        if !self.unfinished.is_empty() {
            let lines: Vec<String> = self.unfinished.iter().map(|error| error.line.to_string()).collect();
            let _ = writeln!(
                out,
                "calls that never resumed (the log was cut short): {}, left out (lines {})",
                lines.len(),
                lines.join(", ")
            );
        }
        let _ = writeln!(out, "VMAs at the end: {}", self.vmas);
        match self.counters {
            Some(counters) => {
                let _ = writeln!(
                    out,
                    "splits: {}, merges: {} (VMA edges made inside a VMA / edges that vanished into one)",
                    counters.splits, counters.merges
                );
            }
            None => {
                let _ = writeln!(out, "splits, merges: not counted by the {}", self.space);
            }
        }
        if self.placements.0 > 0 {
            let _ = writeln!(out, "placement: {} of {} agree with the kernel", self.placements.1, self.placements.0);
            for (line, kernel, ours) in &self.misplaced {
                let _ = writeln!(out, "placement differs: line {line}: the kernel chose {kernel:x}, we chose {ours:x}");
            }
        }
        let _ = writeln!(
            out,
            "throughput: {} operations in {:.3} ms, {:.0} operations/s (parsing took {:.3} ms)",
            self.total_ops(),
            self.elapsed.as_secs_f64() * 1e3,
            self.ops_per_second(),
            self.parse_time.as_secs_f64() * 1e3
        );
        if let (Some(pages), Some(vmas)) = (self.page_differences, self.vma_differences) {
            let _ = writeln!(out, "check: {pages} page differences, {vmas} VMA differences");
        }
        out
    }
}

/// One mapping in `--json`: numbers in hex strings as `/proc/pid/maps` shows them.
#[derive(Serialize)]
struct JsonMapping<'a> {
    start: String,
    end: String,
    perms: String,
    offset: String,
    dev: String,
    inode: u64,
    path: &'a str,
}

#[derive(Serialize)]
struct JsonPlacement {
    line: usize,
    kernel: String,
    ours: String,
}

#[derive(Serialize)]
struct JsonCounters {
    splits: u64,
    merges: u64,
}

#[derive(Serialize)]
struct JsonSummary<'a> {
    operations: usize,
    by_kind: &'a BTreeMap<&'static str, usize>,
    failed_in_kernel: usize,
    other_operations: usize,
    not_replayed: usize,
    skipped: &'a BTreeMap<String, usize>,
    signals: usize,
    vmas: usize,
    counters: Option<JsonCounters>,
    placements: usize,
    placements_agreeing: usize,
    placements_differing: Vec<JsonPlacement>,
    seconds: f64,
    operations_per_second: u64,
}

/// A line and what is wrong there.
#[derive(Serialize)]
struct JsonError<'a> {
    line: usize,
    message: &'a str,
}

/// What `--json` prints.
#[derive(Serialize)]
struct Json<'a> {
    pid: u32,
    space: &'static str,
    stop: String,
    layout: Vec<JsonMapping<'a>>,
    summary: JsonSummary<'a>,
    differences: Vec<String>,
    errors: Vec<JsonError<'a>>,
    /// Calls that never resumed (left out of the replay).
    unfinished: Vec<JsonError<'a>>,
}

/// The layout, the summary, the differences and the errors as one JSON object (and a
/// newline).
pub(crate) fn json(
    layout: &[MapsLine],
    summary: &Summary,
    differences: &[Difference],
    errors: &[ReplayError],
) -> String {
    let hex = |value: u64| format!("{value:#x}");
    let json = Json {
        pid: summary.pid,
        space: summary.space,
        stop: summary.stop_text(),
        layout: layout
            .iter()
            .map(|e| JsonMapping {
                start: hex(e.start),
                end: hex(e.end),
                perms: e.perms.to_string(),
                offset: hex(e.offset),
                dev: format!("{:02x}:{:02x}", e.dev.0, e.dev.1),
                inode: e.inode,
                path: &e.path,
            })
            .collect(),
        summary: JsonSummary {
            operations: summary.total_ops(),
            by_kind: &summary.ops,
            failed_in_kernel: summary.failed_in_kernel,
            other_operations: summary.other_ops,
            not_replayed: summary.untracked,
            skipped: &summary.skipped,
            signals: summary.signals,
            vmas: summary.vmas,
            counters: summary.counters.map(|c| JsonCounters { splits: c.splits, merges: c.merges }),
            placements: summary.placements.0,
            placements_agreeing: summary.placements.1,
            placements_differing: summary
                .misplaced
                .iter()
                .map(|&(line, kernel, ours)| JsonPlacement { line, kernel: hex(kernel), ours: hex(ours) })
                .collect(),
            seconds: summary.elapsed.as_secs_f64(),
            operations_per_second: summary.ops_per_second().round() as u64,
        },
        differences: differences.iter().map(Difference::to_string).collect(),
        errors: errors.iter().map(|e| JsonError { line: e.line, message: &e.message }).collect(),
        unfinished: summary.unfinished.iter().map(|e| JsonError { line: e.line, message: &e.message }).collect(),
    };
    let mut out = serde_json::to_string(&json).unwrap_or_default();
    out.push('\n');
    out
}

/// What `maple-replay parse` prints: events by kind and process, skipped calls.
pub(crate) fn parse_report(log: &Log) -> String {
    let (events, stats) = (&log.events, &log.stats);
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut pids: BTreeMap<u32, usize> = BTreeMap::new();
    for event in events {
        *kinds.entry(event.call.kind()).or_default() += 1;
        *pids.entry(event.pid).or_default() += 1;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "lines: {}, events: {}, signals: {}, interrupted calls: {}, calls that never resumed: {}",
        stats.lines,
        stats.events,
        stats.signals,
        stats.interrupted,
        log.unfinished.len()
    );
    let kinds: Vec<String> = kinds.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    let _ = writeln!(out, "events by kind: {}", kinds.join(", "));
    let pids: Vec<String> = pids.iter().map(|(pid, n)| format!("{pid} ({n})")).collect();
    let _ = writeln!(out, "threads: {}", pids.join(", "));
    let skipped: Vec<String> = stats.skipped.iter().map(|(name, n)| format!("{name} {n}")).collect();
    let _ = writeln!(out, "skipped system calls: {}", skipped.join(", "));
    out
}
