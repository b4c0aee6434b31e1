//! The strace log parser: typed events for the memory and process system calls of a log
//! written by `strace -f -y -e trace=%memory,%process -o LOG PROGRAM`.
//!
//! Accepted: logs with or without pid prefixes (`-f`, also `[pid N]`), timestamps (`-t`,
//! `-tt`, `-ttt`, `-r`), durations (`-T`), symbolic, `-X verbose` or `-X raw` constants, `-y`
//! file descriptor paths, `<unfinished ...>` / `<... NAME resumed>` pairs (joined into one
//! event at the line of the resumption, the moment the call completed), failed calls,
//! signal lines (`--- SIGCHLD ... ---`, counted) and exit lines (`+++ exited with 0 +++`,
//! events). System calls that do not change an address space are skipped and counted by
//! name; those that do but are not modelled (`shmat`, `mseal`, ...) become
//! [`Call::Unsupported`] so that the replay can say so.
//!
//! A zero-length `madvise` at [`MARKER_START`] or [`MARKER_END`] is a capture marker (see
//! `replay/capture/README.md`), reported as [`Call::Marker`].

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::flags::{self, parse_flags, parse_int};
pub use crate::syntax::Ret;
use crate::syntax::{parse_fd, parse_ret, split_args, split_prefix};

/// Address of the marker the capture helper makes right after its start dump.
pub const MARKER_START: u64 = 0x6d61_706c_0000;
/// Address of the marker the capture helper makes right before its end dump.
pub const MARKER_END: u64 = 0x6d61_706c_1000;

/// One event of a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// 1-based line number (of the resumption, for an unfinished call).
    pub line: usize,
    /// The thread that made the call; 0 when the log has no pid prefixes.
    pub pid: u32,
    /// What happened.
    pub call: Call,
    /// Its result.
    pub ret: Ret,
}

/// Which capture marker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    /// Made right after the start dump.
    Start,
    /// Made right before the end dump.
    End,
}

/// A system call (or process event) that matters to an address space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `mmap`: the arguments as logged (`-y` gives the file's path).
    Mmap {
        /// The address argument.
        addr: u64,
        /// The length argument, in bytes.
        len: u64,
        /// The `PROT_*` bits.
        prot: u64,
        /// The `MAP_*` bits.
        flags: u64,
        /// The file descriptor (-1 for anonymous memory).
        fd: i64,
        /// The mapped file's path, from `-y`.
        path: Option<String>,
        /// The file offset, in bytes.
        offset: u64,
    },
    /// `munmap`.
    Munmap {
        /// The address argument.
        addr: u64,
        /// The length argument, in bytes.
        len: u64,
    },
    /// `mprotect`, and `pkey_mprotect` (the key is not modelled).
    Mprotect {
        /// The address argument.
        addr: u64,
        /// The length argument, in bytes.
        len: u64,
        /// The `PROT_*` bits.
        prot: u64,
    },
    /// `mremap`.
    Mremap {
        /// The address argument.
        addr: u64,
        /// The old length, in bytes.
        old_len: u64,
        /// The new length, in bytes.
        new_len: u64,
        /// The `MREMAP_*` bits.
        flags: u64,
        /// The new address (`MREMAP_FIXED`), else 0.
        new_addr: u64,
    },
    /// `brk`; the return value is the new break.
    Brk {
        /// The address argument.
        addr: u64,
    },
    /// `madvise` (zero-length ones at the marker addresses are [`Call::Marker`]s).
    Madvise {
        /// The address argument.
        addr: u64,
        /// The length argument, in bytes.
        len: u64,
        /// The `MADV_*` value.
        advice: u64,
    },
    /// `mlock` (flags 0) and `mlock2`.
    Mlock {
        /// The address argument.
        addr: u64,
        /// The length argument, in bytes.
        len: u64,
        /// The `MLOCK_*` bits (`mlock2`).
        flags: u64,
    },
    /// `munlock`.
    Munlock {
        /// The address argument.
        addr: u64,
        /// The length argument, in bytes.
        len: u64,
    },
    /// `mlockall`.
    Mlockall {
        /// The `MCL_*` bits.
        flags: u64,
    },
    /// `munlockall`.
    Munlockall,
    /// `execve`/`execveat`; the path is unknown for a resumption without its start line.
    Execve {
        /// The program, if the log shows it.
        path: Option<String>,
    },
    /// `clone`/`clone3` with their flags; the return value is the new thread's id.
    Clone {
        /// The `CLONE_*` flags.
        flags: u64,
    },
    /// `fork`; the return value is the child's pid.
    Fork,
    /// `vfork`; the return value is the child's pid.
    Vfork,
    /// `+++ exited with N +++` or `+++ killed by SIG... +++`.
    Exit {
        /// `0`, `SIGKILL`, ...
        status: String,
    },
    /// A capture marker (see [`MARKER_START`]).
    Marker(Marker),
    /// A call that changes an address space in a way this replay does not model.
    Unsupported {
        /// The system call's name.
        name: String,
    },
}

impl Call {
    /// The address ranges `[start, end)` the call names, given its result `ret`, or `None`
    /// if one of them runs past the end of the address space (no kernel would have
    /// accepted it: the log is corrupt).
    pub fn ranges(&self, ret: u64) -> Option<Vec<(u64, u64)>> {
        let range = |start: u64, len: u64| start.checked_add(len).map(|end| (start, end));
        let ranges = match *self {
            Call::Mmap { len, .. } => vec![range(ret, len)?],
            Call::Munmap { addr, len }
            | Call::Mprotect { addr, len, .. }
            | Call::Madvise { addr, len, .. }
            | Call::Mlock { addr, len, .. }
            | Call::Munlock { addr, len } => vec![range(addr, len)?],
            Call::Mremap { addr, old_len, new_len, .. } => {
                vec![range(addr, old_len.max(new_len))?, range(ret, new_len)?]
            }
            _ => Vec::new(),
        };
        // Lengths are rounded up to whole pages by the kernel: leave room for that.
        ranges.iter().all(|&(_, end)| end.checked_add(0xfff).is_some()).then_some(ranges)
    }

    /// Whether the call makes a new thread or process (`clone`, `fork`, `vfork`), whose id
    /// is its result.
    pub fn creates_process(&self) -> bool {
        matches!(self, Call::Clone { .. } | Call::Fork | Call::Vfork)
    }

    /// Short name of the kind of call, for summaries.
    pub fn kind(&self) -> &'static str {
        match self {
            Call::Mmap { .. } => "mmap",
            Call::Munmap { .. } => "munmap",
            Call::Mprotect { .. } => "mprotect",
            Call::Mremap { .. } => "mremap",
            Call::Brk { .. } => "brk",
            Call::Madvise { .. } => "madvise",
            Call::Mlock { .. } => "mlock",
            Call::Munlock { .. } => "munlock",
            Call::Mlockall { .. } => "mlockall",
            Call::Munlockall => "munlockall",
            Call::Execve { .. } => "execve",
            Call::Clone { .. } => "clone",
            Call::Fork => "fork",
            Call::Vfork => "vfork",
            Call::Exit { .. } => "exit",
            Call::Marker(_) => "marker",
            Call::Unsupported { .. } => "unsupported",
        }
    }
}

/// A line that could not be understood.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// The 1-based line.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// What the parser saw besides events.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParseStats {
    /// Lines read.
    pub lines: usize,
    /// Events made.
    pub events: usize,
    /// System calls that do not change an address space, by name.
    pub skipped: BTreeMap<String, usize>,
    /// `--- SIG... ---` lines.
    pub signals: usize,
    /// Unfinished calls whose thread exited before they resumed.
    pub interrupted: usize,
}

/// Calls that change mappings but are not modelled by the replay.
const UNSUPPORTED: &[&str] =
    &["shmat", "shmdt", "mseal", "remap_file_pages", "map_shadow_stack", "mbind", "process_madvise", "mmap2"];

/// An unfinished call waiting for its resumption.
struct Pending {
    line: usize,
    text: String,
}

/// The stateful line parser (it pairs unfinished calls with their resumptions).
#[derive(Default)]
pub struct Parser {
    pending: HashMap<u32, Pending>,
    stats: ParseStats,
}

impl Parser {
    /// A parser at the start of a log.
    pub fn new() -> Self {
        Self::default()
    }

    /// Statistics so far.
    pub fn stats(&self) -> &ParseStats {
        &self.stats
    }

    /// Parses line number `line` (1-based, without its newline). Returns the event it
    /// completes, if any.
    pub fn line(&mut self, line: usize, text: &str) -> Result<Option<Event>, ParseError> {
        self.stats.lines += 1;
        let error = |message: String| ParseError { line, message };
        let (pid, body) = split_prefix(text);
        let pid = pid.unwrap_or(0);
        let body = body.trim_end();
        if body.is_empty() {
            return Ok(None);
        }
        if body.starts_with("---") {
            self.stats.signals += 1;
            return Ok(None);
        }
        if let Some(inner) = body.strip_prefix("+++") {
            let inner = inner.trim_end_matches('+').trim();
            if inner.starts_with("superseded by execve") {
                self.pending.remove(&pid);
                return Ok(None);
            }
            let status = inner
                .strip_prefix("exited with ")
                .or_else(|| inner.strip_prefix("killed by "))
                .ok_or_else(|| error(format!("unknown process event `{body}`")))?;
            if self.pending.remove(&pid).is_some() {
                self.stats.interrupted += 1;
            }
            return Ok(Some(self.event(line, pid, Call::Exit { status: status.to_owned() }, Ret::Unknown)));
        }
        if let Some(partial) = body.strip_suffix("<unfinished ...>") {
            if let Some(previous) = self.pending.insert(pid, Pending { line, text: partial.trim_end().to_owned() }) {
                return Err(error(format!(
                    "thread {pid} starts a call while its call of line {} is unfinished",
                    previous.line
                )));
            }
            return Ok(None);
        }
        let joined;
        let call_text = if let Some(resumed) = body.strip_prefix("<... ") {
            let (name, rest) =
                resumed.split_once(" resumed>").ok_or_else(|| error(format!("malformed resumption `{body}`")))?;
            match self.pending.remove(&pid) {
                Some(pending) if pending.text.starts_with(name) => {
                    joined = format!("{}{}", pending.text, rest);
                    joined.as_str()
                }
                Some(pending) => {
                    return Err(error(format!(
                        "`{name}` resumed, but the unfinished call of line {} is another",
                        pending.line
                    )))
                }
                // After an execve in another thread, strace resumes it in the leader.
                None if name == "execve" => {
                    joined = format!("execve(?{}", rest);
                    joined.as_str()
                }
                None => return Err(error(format!("`{name}` resumed without an unfinished call"))),
            }
        } else {
            body
        };
        let (name, call, ret) = parse_call(call_text).map_err(error)?;
        match call {
            Some(call) => Ok(Some(self.event(line, pid, call, ret))),
            None => {
                *self.stats.skipped.entry(name.to_owned()).or_default() += 1;
                Ok(None)
            }
        }
    }

    /// Ends the log: the calls still unfinished, which mean it was cut short (one error
    /// each, at the line where the call started).
    pub fn finish(&mut self) -> Vec<ParseError> {
        let mut errors: Vec<ParseError> = self
            .pending
            .drain()
            .map(|(pid, pending)| ParseError {
                line: pending.line,
                message: format!("thread {pid}'s call never resumed (the log was cut short?): `{}`", pending.text),
            })
            .collect();
        errors.sort_by_key(|error| error.line);
        errors
    }

    fn event(&mut self, line: usize, pid: u32, call: Call, ret: Ret) -> Event {
        self.stats.events += 1;
        Event { line, pid, call, ret }
    }
}

/// A whole log, parsed ([`parse_log`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Log {
    /// The events, in the order their calls completed.
    pub events: Vec<Event>,
    /// What the parser saw besides events.
    pub stats: ParseStats,
    /// Lines that could not be understood and were skipped (only with `keep_going`).
    pub errors: Vec<ParseError>,
    /// Calls that started (`<unfinished ...>`) but never resumed: the log was cut short,
    /// at a checkpoint or by a killed strace. Their result is unknown, so they are not
    /// events: a replay leaves them out and says so (see [`crate::engine`]).
    pub unfinished: Vec<ParseError>,
}

/// Parses a whole log. A line that cannot be understood ends it with an error naming the
/// line, unless `keep_going` is set: then it is collected in [`Log::errors`] and skipped.
/// Calls that never resumed are never an error ([`Log::unfinished`]). `progress` is called
/// with the number of lines read, every 4096 lines.
///
/// ```
/// use maple_replay::strace::{parse_log, Call};
///
/// let log = "10 munmap(0x7f0000000000, 4096) = 0\n10 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>\n";
/// let parsed = parse_log(log, false, &mut |_| {})?;
/// assert_eq!(parsed.events[0].call, Call::Munmap { addr: 0x7f00_0000_0000, len: 4096 });
/// assert_eq!(parsed.unfinished[0].line, 2);
/// assert!(parse_log("10 mmap(\n", false, &mut |_| {}).is_err());
/// # Ok::<(), maple_replay::strace::ParseError>(())
/// ```
pub fn parse_log(text: &str, keep_going: bool, progress: &mut dyn FnMut(usize)) -> Result<Log, ParseError> {
    let mut parser = Parser::new();
    let mut log = Log::default();
    for (i, line) in text.lines().enumerate() {
        if i % 4096 == 0 {
            progress(i);
        }
        match parser.line(i + 1, line) {
            Ok(event) => log.events.extend(event),
            Err(error) if keep_going => log.errors.push(error),
            Err(error) => return Err(error),
        }
    }
    log.unfinished = parser.finish();
    log.stats = parser.stats;
    Ok(log)
}

/// `bytes` as text, or an error naming the first line that is not UTF-8 (strace escapes
/// what is not printable, so such a line is corrupt).
///
/// ```
/// assert_eq!(maple_replay::strace::decode(b"a\nb\xff\n").unwrap_err().line, 2);
/// ```
pub fn decode(bytes: &[u8]) -> Result<&str, ParseError> {
    std::str::from_utf8(bytes).map_err(|error| {
        let valid = &bytes[..error.valid_up_to()];
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        let column = valid.len() - valid.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1) + 1;
        ParseError { line, message: format!("not UTF-8 text (byte {column} of the line)") }
    })
}

/// Parses a complete call, `name(args) = ret`, into its name, its event (`None` for a call
/// that is skipped) and its result.
fn parse_call(text: &str) -> Result<(&str, Option<Call>, Ret), String> {
    let open = text.find('(').ok_or_else(|| format!("not a system call: `{text}`"))?;
    let name = &text[..open];
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'?') {
        return Err(format!("not a system call: `{text}`"));
    }
    let (args, after) =
        split_args(&text[open + 1..]).ok_or_else(|| format!("`{name}`: no closing parenthesis (truncated line?)"))?;
    let ret = parse_ret(after).ok_or_else(|| format!("`{name}`: no return value (truncated line?)"))?;
    let call = call_of(name, &args).map_err(|message| format!("`{name}`: {message}"))?;
    Ok((name, call, ret))
}

fn call_of(name: &str, args: &[&str]) -> Result<Option<Call>, String> {
    let want = |n: usize| if args.len() >= n { Ok(()) } else { Err(format!("{} arguments, expected {n}", args.len())) };
    let int = |i: usize| parse_int(args[i]).ok_or_else(|| format!("argument {} `{}` is not a number", i + 1, args[i]));
    let bits = |i: usize, table: &[(&str, u64)]| {
        parse_flags(args[i], table, &[]).map_err(|bad| format!("unknown constant `{bad}` in `{}`", args[i]))
    };
    let call = match name {
        "mmap" => {
            want(6)?;
            let (fd, path) = parse_fd(args[4]).ok_or_else(|| format!("bad file descriptor `{}`", args[4]))?;
            let path = path.map(str::to_owned);
            Call::Mmap {
                addr: int(0)?,
                len: int(1)?,
                prot: bits(2, flags::PROT)?,
                flags: bits(3, flags::MAP)?,
                fd,
                path,
                offset: int(5)?,
            }
        }
        "munmap" => {
            want(2)?;
            Call::Munmap { addr: int(0)?, len: int(1)? }
        }
        "mprotect" | "pkey_mprotect" => {
            want(3)?;
            Call::Mprotect { addr: int(0)?, len: int(1)?, prot: bits(2, flags::PROT)? }
        }
        "mremap" => {
            want(4)?;
            let flags = bits(3, flags::MREMAP)?;
            let new_addr = if args.len() > 4 { int(4)? } else { 0 };
            Call::Mremap { addr: int(0)?, old_len: int(1)?, new_len: int(2)?, flags, new_addr }
        }
        "brk" => {
            want(1)?;
            Call::Brk { addr: int(0)? }
        }
        "madvise" => {
            want(3)?;
            let (addr, len) = (int(0)?, int(1)?);
            match addr {
                MARKER_START if len == 0 => Call::Marker(Marker::Start),
                MARKER_END if len == 0 => Call::Marker(Marker::End),
                _ => Call::Madvise { addr, len, advice: bits(2, flags::MADV)? },
            }
        }
        "mlock" | "mlock2" => {
            want(2)?;
            let flags = if name == "mlock2" && args.len() > 2 { bits(2, flags::MLOCK)? } else { 0 };
            Call::Mlock { addr: int(0)?, len: int(1)?, flags }
        }
        "munlock" => {
            want(2)?;
            Call::Munlock { addr: int(0)?, len: int(1)? }
        }
        "mlockall" => {
            want(1)?;
            Call::Mlockall { flags: bits(0, flags::MCL)? }
        }
        "munlockall" => Call::Munlockall,
        "execve" | "execveat" => {
            let at = usize::from(name == "execveat");
            let path = args
                .get(at)
                .and_then(|arg| arg.strip_prefix('"'))
                .map(|arg| arg.trim_end_matches("...").trim_end_matches('"').to_owned());
            Call::Execve { path }
        }
        "clone" | "clone3" => Call::Clone { flags: clone_flags(args)? },
        "fork" => Call::Fork,
        "vfork" => Call::Vfork,
        _ if UNSUPPORTED.contains(&name) => Call::Unsupported { name: name.to_owned() },
        _ => return Ok(None),
    };
    Ok(Some(call))
}

/// The flags of `clone(child_stack=..., flags=CLONE_VM|...|SIGCHLD, ...)` or
/// `clone3({flags=..., exit_signal=SIGCHLD, ...}, 88)`.
fn clone_flags(args: &[&str]) -> Result<u64, String> {
    let field = |fields: &[&str]| fields.iter().find_map(|field| field.strip_prefix("flags=")).map(str::to_owned);
    let text = match args.first().and_then(|arg| arg.strip_prefix('{')) {
        Some(first) => {
            let inner = first.split(" => ").next().unwrap_or("").trim_end().trim_end_matches('}');
            let fields = format!("{inner})");
            split_args(&fields).and_then(|(fields, _)| field(&fields))
        }
        None => field(args),
    };
    let text = text.ok_or_else(|| "no flags= argument".to_owned())?;
    parse_flags(&text, flags::CLONE, flags::SIGNALS).map_err(|bad| format!("unknown clone flag `{bad}`"))
}

#[cfg(test)]
#[path = "strace_tests.rs"]
mod tests;
