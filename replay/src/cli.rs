//! The command line: `maple-replay replay`, `parse` and `demo` (arguments by clap), the
//! progress bar (indicatif) and the exit code.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use maple_replay::apply::{files_of, Space};
use maple_replay::engine::{replay, Options, Outcome, Stop};
use maple_replay::maps::{compare, parse_layout, Difference};
use maple_replay::model::PageModel;
use maple_replay::strace::{decode, parse_log, Log};
use maple_replay::vma_space::VmaSpace;
use maple_replay::{read_bytes, read_text};
use maple_vma::maps::MapsLine;

use crate::summary;

/// Replays the memory system calls of real programs, recorded by strace, on the maple-vma
/// VMA manager, and compares the result with the layouts the kernel produced.
#[derive(Debug, Parser)]
#[command(name = "maple-replay", version, after_help = "Files ending in .gz are decompressed.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Replays the memory system calls of one address space recorded in LOG, and prints its
    /// final layout in /proc/pid/maps format (or JSON) and a summary (on stderr).
    ///
    /// LOG is a log of `strace -f -y -e trace=%memory,%process -o LOG PROGRAM`;
    /// replay/capture/ in the source tree records one with the start and end layouts.
    Replay {
        #[command(flatten)]
        options: ReplayArgs,
        /// The strace log.
        log: PathBuf,
    },
    /// Parses LOG and prints what it holds.
    Parse {
        /// Report bad lines and continue instead of stopping at the first.
        #[arg(long)]
        keep_going: bool,
        /// The strace log.
        log: PathBuf,
    },
    /// Replays the bundled trace of python3 importing modules (replay/traces/python3 in the
    /// source tree) with --place and --check against the layout the kernel produced.
    Demo {
        #[command(flatten)]
        options: ReplayArgs,
    },
}

/// What replays the calls.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
enum Model {
    /// The VMA manager (maple-vma).
    #[default]
    Vma,
    /// A page-granular model that knows no merge rules: an oracle for the pages, not for
    /// VMA boundaries.
    Pages,
}

#[derive(Debug, Default, Args)]
struct ReplayArgs {
    /// The process's layout at its START capture marker (or at the start of the log): a
    /// /proc/pid/maps file.
    #[arg(long, value_name = "START")]
    maps: Option<PathBuf>,
    /// The process to replay (default: the log's first).
    #[arg(long, value_name = "P")]
    pid: Option<u32>,
    /// Compare our own placement of each mapping with the kernel's.
    #[arg(long)]
    place: bool,
    /// Print the layout, the summary and the differences as JSON.
    #[arg(long)]
    json: bool,
    /// Compare the final layout with END (a /proc/pid/maps file) page by page and VMA by
    /// VMA; exit with 1 on a difference.
    #[arg(long, value_name = "END")]
    check: Option<PathBuf>,
    /// Report bad lines and calls that make no sense, and continue.
    #[arg(long)]
    keep_going: bool,
    /// Check the address space's invariants after every operation.
    #[arg(long)]
    validate: bool,
    /// What replays the calls.
    #[arg(long, value_enum, default_value_t = Model::Vma)]
    model: Model,
}

/// The process of the bundled python3 trace that `demo` replays.
const DEMO_PID: u32 = 3473;

/// What `demo` runs: the bundled python3 trace, checked against the kernel.
fn demo(mut options: ReplayArgs) -> (ReplayArgs, PathBuf) {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/traces/python3"));
    options.maps = Some(dir.join(format!("{DEMO_PID}.start.maps.gz")));
    options.check = Some(dir.join(format!("{DEMO_PID}.end.maps.gz")));
    options.pid = Some(DEMO_PID);
    options.place = true;
    (options, dir.join("strace.log.gz"))
}

/// Runs the command line; returns the exit code: 0, 1 when the replay failed or differs
/// from `--check`, 2 on a usage or input error.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Replay { options, log } => run_replay(&options, &log),
        Command::Demo { options } => {
            let (options, log) = demo(options);
            run_replay(&options, &log)
        }
        Command::Parse { keep_going, log } => run_parse(keep_going, &log),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(message) => {
            eprintln!("maple-replay: {message}");
            ExitCode::from(2)
        }
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal and the work is long.
fn progress(label: &'static str, total: usize) -> ProgressBar {
    if total < 20_000 || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template("{msg:8} [{bar:40}] {percent:>3}% {pos}/{len}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("## ");
    bar.set_style(style);
    bar.set_message(label);
    bar
}

/// Reads and parses a log, with a progress bar; prints what was skipped or cut.
fn read_log(path: &str, keep_going: bool) -> Result<(Log, Duration), String> {
    let bytes = read_bytes(path)?;
    let text = decode(&bytes).map_err(|error| format!("{path}: {error}"))?;
    let bar = progress("parsing", text.bytes().filter(|&b| b == b'\n').count());
    let clock = Instant::now();
    let log = parse_log(text, keep_going, &mut |line| bar.set_position(line as u64))
        .map_err(|error| format!("{path}: {error}"))?;
    let elapsed = clock.elapsed();
    bar.finish_and_clear();
    for error in &log.errors {
        eprintln!("maple-replay: {path}: {error}");
    }
    for error in &log.unfinished {
        eprintln!("maple-replay: {path}: {error}; left out of the replay");
    }
    Ok((log, elapsed))
}

fn run_parse(keep_going: bool, log: &std::path::Path) -> Result<u8, String> {
    let path = log.to_string_lossy();
    let (log, _) = read_log(&path, keep_going)?;
    print!("{}", summary::parse_report(&log));
    Ok(u8::from(!log.errors.is_empty()))
}

fn read_maps(path: &std::path::Path) -> Result<Vec<MapsLine>, String> {
    let path = path.to_string_lossy();
    parse_layout(&read_text(&path)?).map_err(|error| format!("{path}: {error}"))
}

fn run_replay(args: &ReplayArgs, log: &std::path::Path) -> Result<u8, String> {
    let path = log.to_string_lossy();
    let (log, parse_time) = read_log(&path, args.keep_going)?;
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
    let run = Run { args, path: &path, log: &log, parse_time, end: end.as_deref() };
    match args.model {
        Model::Pages => run.report(&run_on::<PageModel>(&log, &options, &path)?),
        Model::Vma => run.report(&run_on::<VmaSpace>(&log, &options, &path)?),
    }
}

/// Replays the log on a `S`, with a progress bar.
fn run_on<S: Space>(log: &Log, options: &Options, path: &str) -> Result<Outcome<S>, String> {
    let bar = progress("replay", log.events.len());
    let outcome = replay::<S>(&log.events, options, &mut |i| {
        if i % 4096 == 0 {
            bar.set_position(i as u64)
        }
    });
    bar.finish_and_clear();
    outcome.map_err(|error| format!("{path}: {error}"))
}

/// One replay's inputs, for its report.
struct Run<'a> {
    args: &'a ReplayArgs,
    path: &'a str,
    log: &'a Log,
    parse_time: Duration,
    end: Option<&'a [MapsLine]>,
}

impl Run<'_> {
    /// Prints the layout and the summary; returns the exit code.
    fn report<S: Space>(&self, outcome: &Outcome<S>) -> Result<u8, String> {
        for error in &outcome.errors {
            eprintln!("maple-replay: {}: line {}: {}", self.path, error.line, error.message);
        }
        let Some(space) = &outcome.space else {
            return Err(format!("{}: process {} has no replayed address space", self.path, outcome.pid));
        };
        let layout = space.layout();
        let differences: Option<Vec<Difference>> = self.end.map(|end| compare(end, &layout));
        let summary = summary::Summary::new(outcome, self.log, space, self.parse_time, differences.as_deref());
        let mut out = String::new();
        if self.args.json {
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
            || !self.log.errors.is_empty()
            || matches!(outcome.stop, Stop::Error(_))
            || differences.is_some_and(|d| !d.is_empty());
        Ok(u8::from(failed))
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    fn args(list: &[&str]) -> Result<Cli, String> {
        Cli::try_parse_from(std::iter::once("maple-replay").chain(list.iter().copied())).map_err(|e| e.to_string())
    }

    #[test]
    fn arguments() {
        Cli::command().debug_assert();
        let parsed =
            args(&["replay", "--maps", "a", "--pid", "7", "--place", "--check", "b", "--keep-going", "log"]).unwrap();
        let Command::Replay { options, log } = parsed.command else { panic!("not replay") };
        assert_eq!(
            (options.maps.as_deref(), options.pid, options.check.as_deref()),
            (Some("a".as_ref()), Some(7), Some("b".as_ref()))
        );
        assert!(options.place && options.keep_going && !options.json);
        assert_eq!((log.to_str(), options.model), (Some("log"), Model::Vma));
        assert!(args(&["replay"]).unwrap_err().contains("<LOG>"));
        assert!(args(&["replay", "--pid", "x", "log"]).unwrap_err().contains("invalid value 'x'"));
        assert!(args(&["replay", "--maps"]).unwrap_err().contains("a value is required"));
        assert!(args(&["replay", "--bogus", "log"]).unwrap_err().contains("unexpected argument '--bogus'"));
        assert!(args(&["frobnicate", "log"]).unwrap_err().contains("unrecognized subcommand"));
        assert!(args(&["replay", "a", "b"]).unwrap_err().contains("unexpected argument 'b'"));
        let Command::Demo { options } = args(&["demo", "--json"]).unwrap().command else { panic!("not demo") };
        let (demo, log) = demo(options);
        assert!(demo.place && demo.json && demo.pid == Some(DEMO_PID));
        for file in [&log, demo.maps.as_ref().unwrap(), demo.check.as_ref().unwrap()] {
            assert!(file.exists(), "{file:?}");
        }
        assert!(args(&["demo", "other.log"]).is_err());
        let Command::Replay { options, .. } = args(&["replay", "--model", "pages", "log"]).unwrap().command else {
            panic!("not replay")
        };
        assert_eq!(options.model, Model::Pages);
        assert!(args(&["replay", "--model", "x", "log"]).unwrap_err().contains("possible values: vma, pages"));
        assert!(args(&["--version"]).unwrap_err().contains(env!("CARGO_PKG_VERSION")));
        assert!(args(&["replay", "--help"]).unwrap_err().contains("--keep-going"));
    }
}
