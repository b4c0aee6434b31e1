//! The command line: `maple-replay replay` and `maple-replay parse`, the summary, the progress bar.

use std::fmt::Write as _;
use std::io::{IsTerminal, Read, Write};
use std::time::{Duration, Instant};

use crate::apply::{Files, Space};
use crate::engine::{replay, Options, Outcome, Stop};
use maple_vma::maps::MapsLine;

use crate::maps::{compare, parse_layout, Difference};
use crate::model::PageModel;
use crate::strace::{Event, ParseError, ParseStats, Parser};
use crate::summary;
use crate::vma_space::VmaSpace;

const USAGE: &str = "\
usage: maple-replay replay [--maps START] [--pid P] [--place] [--json] [--check END] [--keep-going]
                        [--validate] [--model vma|pages] LOG
       maple-replay parse [--keep-going] LOG
       maple-replay demo [replay options]

replay   replays the memory system calls of one address space recorded in LOG, a log of
         `strace -f -y -e trace=%memory,%process -o LOG PROGRAM`, and prints its final
         layout in /proc/pid/maps format (or JSON) and a summary (on stderr).
           --maps START  the process's layout at its START capture marker (or at the start
                         of the log), a /proc/pid/maps file
           --pid P       the process to replay (default: the log's first)
           --place       compare our own placement of each mapping with the kernel's
           --json        print the layout, the summary and the differences as JSON
           --check END   compare the final layout with END (a /proc/pid/maps file) page by
                         page and VMA by VMA; exit with 1 on a difference
           --keep-going  report bad lines and calls that make no sense, and continue
           --validate    check the address space's invariants after every operation
           --model M     what replays the calls: `vma`, the VMA manager (the default), or
                         `pages`, a page-granular model that knows no merge rules (an
                         oracle for the pages, not for VMA boundaries)
parse    parses LOG and prints what it holds.
demo     replays the bundled trace of python3 importing modules (replay/traces/python3 in the
         source tree) with --place and --check against the layout the kernel produced.
Files ending in .gz are decompressed.";

/// The process of the bundled python3 trace that `demo` replays.
const DEMO_PID: u32 = 3473;

/// Parsed command-line arguments.
#[derive(Debug, Default)]
struct Args {
    command: String,
    maps: Option<String>,
    pid: Option<u32>,
    place: bool,
    json: bool,
    check: Option<String>,
    keep_going: bool,
    validate: bool,
    /// `vma` or `pages`.
    model: String,
    log: String,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args { command: args.next().ok_or("no command")?, model: "vma".into(), ..Args::default() };
    if !matches!(parsed.command.as_str(), "replay" | "parse" | "demo") {
        return Err(format!("unknown command `{}`", parsed.command));
    }
    let mut logs = Vec::new();
    if parsed.command == "demo" {
        // The README's first command: the bundled python3 trace, checked against the kernel.
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/traces/python3");
        parsed.command = "replay".into();
        parsed.maps = Some(format!("{dir}/{DEMO_PID}.start.maps.gz"));
        parsed.check = Some(format!("{dir}/{DEMO_PID}.end.maps.gz"));
        parsed.pid = Some(DEMO_PID);
        parsed.place = true;
        logs.push(format!("{dir}/strace.log.gz"));
    }
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--maps" => parsed.maps = Some(value("--maps")?),
            "--check" => parsed.check = Some(value("--check")?),
            "--pid" => {
                let text = value("--pid")?;
                parsed.pid = Some(text.parse().map_err(|_| format!("--pid: `{text}` is not a pid"))?);
            }
            "--model" => {
                parsed.model = value("--model")?;
                if !matches!(parsed.model.as_str(), "vma" | "pages") {
                    return Err(format!("--model: `{}` is neither `vma` nor `pages`", parsed.model));
                }
            }
            "--place" => parsed.place = true,
            "--json" => parsed.json = true,
            "--keep-going" => parsed.keep_going = true,
            "--validate" => parsed.validate = true,
            _ if arg.starts_with("--") => return Err(format!("unknown option `{arg}`")),
            _ => logs.push(arg),
        }
    }
    match logs.len() {
        1 => parsed.log = logs.remove(0),
        0 => return Err("no LOG given".into()),
        _ => return Err(format!("one LOG expected, got {}", logs.len())),
    }
    Ok(parsed)
}

/// Reads a file, decompressing `.gz`.
pub fn read_text(path: &str) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|error| format!("{path}: {error}"))?;
    let mut text = String::new();
    let result = if path.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(file).read_to_string(&mut text)
    } else {
        std::io::BufReader::new(file).read_to_string(&mut text)
    };
    result.map_err(|error| format!("{path}: {error}"))?;
    Ok(text)
}

pub fn read_maps(path: &str) -> Result<Vec<MapsLine>, String> {
    parse_layout(&read_text(path)?).map_err(|error| format!("{path}: {error}"))
}

/// A progress bar on stderr, drawn only when stderr is a terminal and the work is long.
struct Progress {
    label: &'static str,
    total: usize,
    drawn: Option<usize>,
    enabled: bool,
}

impl Progress {
    fn new(label: &'static str, total: usize) -> Self {
        Progress { label, total, drawn: None, enabled: total >= 20_000 && std::io::stderr().is_terminal() }
    }

    fn update(&mut self, done: usize) {
        let percent = done * 100 / self.total.max(1);
        if !self.enabled || self.drawn == Some(percent) {
            return;
        }
        self.drawn = Some(percent);
        let bar: String = (0..40).map(|i| if i * 100 < percent * 40 { '#' } else { ' ' }).collect();
        eprint!("\r{:<8} [{bar}] {percent:3}% {done}/{}", self.label, self.total);
    }

    fn finish(&mut self) {
        if self.enabled && self.drawn.is_some() {
            eprint!("\r{:80}\r", "");
        }
    }
}

/// Parses a whole log; with `keep_going`, errors are collected instead of ending it.
pub fn parse_log(text: &str, keep_going: bool) -> Result<(Vec<Event>, ParseStats, Vec<ParseError>), ParseError> {
    let mut parser = Parser::new();
    let mut events = Vec::new();
    let mut errors = Vec::new();
    let total = text.bytes().filter(|&b| b == b'\n').count();
    let mut progress = Progress::new("parsing", total);
    for (i, line) in text.lines().enumerate() {
        if i % 4096 == 0 {
            progress.update(i);
        }
        match parser.line(i + 1, line) {
            Ok(event) => events.extend(event),
            Err(error) if keep_going => errors.push(error),
            Err(error) => return Err(error),
        }
    }
    progress.finish();
    let unfinished = parser.finish();
    if let Some(first) = unfinished.first().filter(|_| !keep_going) {
        return Err(first.clone());
    }
    errors.extend(unfinished);
    Ok((events, parser.stats().clone(), errors))
}

/// File identities (device, inode) by path, from the files mapped in the given layouts.
pub fn files_of<'a>(layouts: impl Iterator<Item = &'a MapsLine>) -> Files {
    let mut files = Files::new();
    for entry in layouts.filter(|entry| entry.inode != 0) {
        files.insert(entry.path.clone(), (entry.dev.0, entry.dev.1, entry.inode));
    }
    files
}

/// Runs the command line; returns the exit code.
pub fn main() -> i32 {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.is_empty() || args.iter().any(|arg| arg == "--help" || arg == "-h") {
        println!("{USAGE}");
        return if args.is_empty() { 2 } else { 0 };
    }
    match parse_args(args.into_iter()).and_then(|args| run(&args)) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("maple-replay: {message}");
            2
        }
    }
}

fn run(args: &Args) -> Result<i32, String> {
    let text = read_text(&args.log)?;
    let clock = Instant::now();
    let (events, stats, parse_errors) =
        parse_log(&text, args.keep_going).map_err(|error| format!("{}: {error}", args.log))?;
    let parse_time = clock.elapsed();
    for error in &parse_errors {
        eprintln!("maple-replay: {}: {error}", args.log);
    }
    if args.command == "parse" {
        print!("{}", summary::parse_report(&events, &stats));
        return Ok(i32::from(!parse_errors.is_empty()));
    }
    let start = args.maps.as_deref().map(read_maps).transpose()?;
    let end = args.check.as_deref().map(read_maps).transpose()?;
    let files = files_of(start.iter().chain(end.iter()).flatten());
    let options = Options {
        pid: args.pid,
        start,
        place: args.place,
        keep_going: args.keep_going,
        validate: args.validate,
        files,
    };
    let end = end.as_deref();
    match args.model.as_str() {
        "pages" => report(args, &run_on::<PageModel>(&events, &options), &stats, parse_time, end, parse_errors.len()),
        _ => report(args, &run_on::<VmaSpace>(&events, &options), &stats, parse_time, end, parse_errors.len()),
    }
}

/// Replays `events` on a `S`, with a progress bar.
fn run_on<S: Space>(events: &[Event], options: &Options) -> Outcome<S> {
    let mut progress = Progress::new("replay", events.len());
    let outcome = replay::<S>(events, options, &mut |i| {
        if i % 4096 == 0 {
            progress.update(i)
        }
    });
    progress.finish();
    outcome
}

fn report<S: Space>(
    args: &Args,
    outcome: &Outcome<S>,
    stats: &ParseStats,
    parse_time: Duration,
    end: Option<&[MapsLine]>,
    parse_errors: usize,
) -> Result<i32, String> {
    for error in &outcome.errors {
        eprintln!("maple-replay: {}: line {}: {}", args.log, error.line, error.message);
    }
    let Some(space) = &outcome.space else {
        return Err(format!("process {} has no replayed address space in {}", outcome.pid, args.log));
    };
    let layout = space.layout();
    let differences: Option<Vec<Difference>> = end.map(|end| compare(end, &layout));
    let summary = summary::Summary::new(outcome, stats, space, parse_time, differences.as_deref());
    let mut out = String::new();
    if args.json {
        out = summary::json(&layout, &summary, differences.as_deref().unwrap_or_default(), &outcome.errors);
    } else {
        for entry in &layout {
            let _ = writeln!(out, "{entry}");
        }
        eprint!("{}", summary.text());
        for difference in differences.iter().flatten() {
            eprintln!("difference: {difference}");
        }
    }
    std::io::stdout().write_all(out.as_bytes()).map_err(|error| format!("stdout: {error}"))?;
    let failed = !outcome.errors.is_empty()
        || parse_errors > 0
        || matches!(outcome.stop, Stop::Error(_))
        || differences.is_some_and(|d| !d.is_empty());
    Ok(i32::from(failed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Args, String> {
        parse_args(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn arguments() {
        let parsed =
            args(&["replay", "--maps", "a", "--pid", "7", "--place", "--check", "b", "--keep-going", "log"]).unwrap();
        assert_eq!((parsed.maps.as_deref(), parsed.pid, parsed.check.as_deref()), (Some("a"), Some(7), Some("b")));
        assert!(parsed.place && parsed.keep_going && !parsed.json);
        assert_eq!(parsed.log, "log");
        assert!(args(&["replay"]).unwrap_err().contains("no LOG"));
        assert!(args(&["replay", "--pid", "x", "log"]).unwrap_err().contains("not a pid"));
        assert!(args(&["replay", "--maps"]).unwrap_err().contains("needs a value"));
        assert!(args(&["replay", "--bogus", "log"]).unwrap_err().contains("unknown option"));
        assert!(args(&["frobnicate", "log"]).unwrap_err().contains("unknown command"));
        assert!(args(&["replay", "a", "b"]).unwrap_err().contains("one LOG"));
        assert_eq!(args(&["replay", "log"]).unwrap().model, "vma");
        let demo = args(&["demo", "--json"]).unwrap();
        assert!(demo.place && demo.json && demo.command == "replay" && demo.pid == Some(DEMO_PID));
        for file in [&demo.log, demo.maps.as_ref().unwrap(), demo.check.as_ref().unwrap()] {
            assert!(std::path::Path::new(file).exists(), "{file}");
        }
        assert!(args(&["demo", "other.log"]).unwrap_err().contains("one LOG"));
        assert_eq!(args(&["replay", "--model", "pages", "log"]).unwrap().model, "pages");
        assert!(args(&["replay", "--model", "x", "log"]).unwrap_err().contains("neither"));
    }
}
