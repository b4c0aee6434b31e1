//! The replay summary (text and JSON) and the `parse` report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use crate::apply::{Counters, Space};
use crate::engine::{Outcome, ReplayError, Stop};
use maple_vma::maps::MapsLine;

use crate::maps::Difference;
use crate::strace::{Event, ParseStats};

/// Everything the summary says.
pub struct Summary {
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
}

impl Summary {
    pub fn new<S: Space>(
        outcome: &Outcome<S>,
        stats: &ParseStats,
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
            skipped: stats.skipped.clone(),
            signals: stats.signals,
            unsupported: outcome.unsupported.len(),
            vmas: space.map_count(),
            counters: space.counters(),
            placements: outcome.placements,
            misplaced: outcome.misplaced.clone(),
            elapsed: outcome.elapsed,
            parse_time,
            page_differences: count(true),
            vma_differences: count(false),
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
    pub fn text(&self) -> String {
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

/// A JSON string literal.
fn quote(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The layout, the summary, the differences and the errors as one JSON object.
pub fn json(layout: &[MapsLine], summary: &Summary, differences: &[Difference], errors: &[ReplayError]) -> String {
    let entries: Vec<String> = layout
        .iter()
        .map(|e| {
            format!(
                "{{\"start\":\"{:#x}\",\"end\":\"{:#x}\",\"perms\":\"{}\",\"offset\":\"{:#x}\",\"dev\":\"{:02x}:{:02x}\",\"inode\":{},\"path\":{}}}",
                e.start, e.end, e.perms, e.offset, e.dev.0, e.dev.1, e.inode, quote(&e.path)
            )
        })
        .collect();
    let ops: Vec<String> = summary.ops.iter().map(|(kind, n)| format!("{}:{n}", quote(kind))).collect();
    let skipped: Vec<String> = summary.skipped.iter().map(|(name, n)| format!("{}:{n}", quote(name))).collect();
    let differences: Vec<String> = differences.iter().map(|d| quote(&d.to_string())).collect();
    let errors: Vec<String> =
        errors.iter().map(|e| format!("{{\"line\":{},\"message\":{}}}", e.line, quote(&e.message))).collect();
    let counters =
        summary.counters.map_or("null".to_owned(), |c| format!("{{\"splits\":{},\"merges\":{}}}", c.splits, c.merges));
    format!(
        "{{\"pid\":{},\"space\":{},\"stop\":{},\"layout\":[{}],\"summary\":{{\"operations\":{},\"by_kind\":{{{}}},\"failed_in_kernel\":{},\"other_operations\":{},\"not_replayed\":{},\"skipped\":{{{}}},\"signals\":{},\"vmas\":{},\"counters\":{},\"placements\":{},\"placements_agreeing\":{},\"placements_differing\":[{}],\"seconds\":{},\"operations_per_second\":{:.0}}},\"differences\":[{}],\"errors\":[{}]}}\n",
        summary.pid,
        quote(summary.space),
        quote(&summary.stop_text()),
        entries.join(","),
        summary.total_ops(),
        ops.join(","),
        summary.failed_in_kernel,
        summary.other_ops,
        summary.untracked,
        skipped.join(","),
        summary.signals,
        summary.vmas,
        counters,
        summary.placements.0,
        summary.placements.1,
        summary.misplaced.iter().map(|(line, k, o)| format!("{{\"line\":{line},\"kernel\":\"{k:#x}\",\"ours\":\"{o:#x}\"}}")).collect::<Vec<_>>().join(","),
        summary.elapsed.as_secs_f64(),
        summary.ops_per_second(),
        differences.join(","),
        errors.join(",")
    )
}

/// What `maple-replay parse` prints: events by kind and process, skipped calls.
pub fn parse_report(events: &[Event], stats: &ParseStats) -> String {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    let mut pids: BTreeMap<u32, usize> = BTreeMap::new();
    for event in events {
        *kinds.entry(event.call.kind()).or_default() += 1;
        *pids.entry(event.pid).or_default() += 1;
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "lines: {}, events: {}, signals: {}, interrupted calls: {}",
        stats.lines, stats.events, stats.signals, stats.interrupted
    );
    let kinds: Vec<String> = kinds.iter().map(|(kind, n)| format!("{kind} {n}")).collect();
    let _ = writeln!(out, "events by kind: {}", kinds.join(", "));
    let pids: Vec<String> = pids.iter().map(|(pid, n)| format!("{pid} ({n})")).collect();
    let _ = writeln!(out, "threads: {}", pids.join(", "));
    let skipped: Vec<String> = stats.skipped.iter().map(|(name, n)| format!("{name} {n}")).collect();
    let _ = writeln!(out, "skipped system calls: {}", skipped.join(", "));
    out
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }
}
