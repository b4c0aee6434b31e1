//! The replay engine: follows the address spaces of a log's processes and replays the memory
//! system calls of the selected one on a [`Space`].
//!
//! * Threads share an address space: a `clone` with `CLONE_VM` (or a `vfork`) gives the child
//!   its parent's; any other `clone` or `fork` gives it a copy ([`Space::fork`]).
//! * A successful `execve` gives the process a fresh, empty address space.
//! * With a start layout (`--maps`), the selected process's space is that layout from its
//!   last START capture marker on (from the beginning of the log when it has none), and
//!   only that space is replayed. Without one, every process is replayed from an empty space,
//!   so calls on the mappings the kernel made at `execve` (invisible in the log) fail.
//! * The replay ends at the selected space's END capture marker, else at the selected
//!   process's exit, else at the end of the log.
//!
//! Calls are applied in the order they completed (strace's resumption lines).
//!
//! # Imperfect logs
//!
//! * A call that never resumed (the log was cut at a checkpoint, or strace was killed) has
//!   no known result: [`strace::parse_log`](crate::strace::parse_log) lists it in
//!   [`Log::unfinished`](crate::strace::Log::unfinished) and it is left out of the replay,
//!   which goes on with everything known and still gives a layout. Left out rather than
//!   guessed: the kernel may or may not have applied it, and an end layout (`--check`)
//!   shows which, as a difference over exactly its range.
//! * A log with no events, and a selected pid that is not in the log (or any selected pid
//!   on a log without pid prefixes, whose one process has no known id), are errors
//!   ([`SetupError`]) before anything is replayed.
//! * Without a start layout the replay starts from an empty address space, so the first
//!   call on a mapping the kernel made at `execve` is refused; that error says how to
//!   capture a start layout.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::time::{Duration, Instant};

use crate::apply::{Files, Space};
use crate::flags::{CLONE_VFORK, CLONE_VM, MAP_FIXED, MAP_FIXED_NOREPLACE};
use crate::strace::{Call, Event, Marker, Ret};
use maple_vma::maps::MapsLine;

/// What to replay.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// The process whose address space is replayed (default: the log's first).
    pub pid: Option<u32>,
    /// Its layout at its START marker (or at the start of the log).
    pub start: Option<Vec<MapsLine>>,
    /// Ask the space for its own placement of every mapping the kernel placed.
    pub place: bool,
    /// Report errors and continue instead of stopping at the first.
    pub keep_going: bool,
    /// Check the space's invariants after every operation (slow; for tests).
    pub validate: bool,
    /// File identities by path.
    pub files: Files,
}

/// A call that the replay could not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplayError {
    /// The log line of the call (0 for the start layout).
    pub line: usize,
    /// What went wrong.
    pub message: String,
}

/// Why a log cannot be replayed at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SetupError {
    /// The log holds no memory or process event.
    EmptyLog,
    /// The selected process makes no call in the log and is created by none.
    NoSuchPid {
        /// The selected pid.
        pid: u32,
        /// The processes (threads) the log does have, the first few.
        present: Vec<u32>,
    },
    /// A pid was selected, but the log has no pid prefixes (strace without `-f`).
    NoPids {
        /// The selected pid.
        pid: u32,
    },
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetupError::EmptyLog => write!(
                f,
                "the log holds no memory or process system calls (is it a log of `strace -f -y -e \
                 trace=%memory,%process -o LOG PROGRAM`?)"
            ),
            SetupError::NoSuchPid { pid, present } => {
                let list: Vec<String> = present.iter().map(u32::to_string).collect();
                write!(f, "process {pid} is not in the log (its processes: {}...)", list.join(", "))
            }
            SetupError::NoPids { pid } => write!(
                f,
                "the log has no pid prefixes (strace without -f), so process {pid} cannot be found in it; \
                 leave out the pid to replay its one process"
            ),
        }
    }
}

impl std::error::Error for SetupError {}

/// What the first refused call of a replay without a start layout adds to its error.
pub const NO_START_HINT: &str = "the replay started from an empty address space, without the mappings \
     the kernel made at execve; give the process's layout at the start of the log with --maps FILE \
     (a /proc/pid/maps file; replay/capture/README.md shows how to capture one with the log)";

/// Where the replay of the selected space stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// At the selected space's END capture marker, on this line.
    EndMarker(usize),
    /// At the selected process's exit, on this line.
    Exit(usize),
    /// At the end of the log.
    EndOfLog,
    /// At the call on this line, which could not be applied (without `keep_going`).
    Error(usize),
}

/// The result of a replay.
#[derive(Clone, Debug)]
pub struct Outcome<S> {
    /// The process replayed (0 on a log without pid prefixes).
    pub pid: u32,
    /// The process whose START marker the replay started from: `pid`, or the ancestor it
    /// was forked from when it has no marker of its own.
    pub seed_pid: u32,
    /// Line of the START marker the replay started from, if any.
    pub started_at: Option<usize>,
    /// Where the replay stopped.
    pub stop: Stop,
    /// The selected space at the stop (`None` if it was never replayed).
    pub space: Option<S>,
    /// Operations applied to the selected space, by kind.
    pub ops: BTreeMap<&'static str, usize>,
    /// Of those, calls that had failed in the kernel.
    pub failed_in_kernel: usize,
    /// Operations applied to other spaces.
    pub other_ops: usize,
    /// Events of spaces that were not replayed.
    pub untracked: usize,
    /// Placements compared with `--place`, and how many agreed.
    pub placements: (usize, usize),
    /// The placements that did not agree: line, the kernel's address, ours.
    pub misplaced: Vec<(usize, u64, u64)>,
    /// Calls that change an address space in ways not modelled (line, name).
    pub unsupported: Vec<(usize, String)>,
    /// The calls that could not be applied, of any space.
    pub errors: Vec<ReplayError>,
    /// Time spent applying operations.
    pub elapsed: Duration,
}

struct Engine<'a, S> {
    options: &'a Options,
    spaces: Vec<Option<S>>,
    owner: HashMap<u32, usize>,
    children: HashMap<u32, (u32, u64)>,
    track_all: bool,
    /// Errors met while resolving address spaces (failed forks), for the current event.
    errors: Vec<String>,
}

impl<S: Space> Engine<'_, S> {
    fn new_space(&mut self, space: Option<S>) -> usize {
        self.spaces.push(space);
        self.spaces.len() - 1
    }

    /// The address space of thread `pid`, giving a new thread its parent's (or a copy).
    fn space_of(&mut self, pid: u32) -> usize {
        if let Some(&id) = self.owner.get(&pid) {
            return id;
        }
        let id = match self.children.get(&pid).copied() {
            Some((parent, flags)) if parent != pid => {
                let parent_space = self.space_of(parent);
                if flags & CLONE_VM != 0 {
                    parent_space
                } else {
                    let copy = match self.spaces[parent_space].as_mut().map(S::fork) {
                        Some(Ok(copy)) => Some(copy),
                        Some(Err(message)) => {
                            self.errors.push(format!("fork of thread {parent} into {pid}: {message}"));
                            None
                        }
                        None => None,
                    };
                    self.new_space(copy)
                }
            }
            _ => {
                let space = self.track_all.then(S::empty);
                self.new_space(space)
            }
        };
        self.owner.insert(pid, id);
        id
    }
}

/// Replays `events`; `progress` is called with the index of the event being replayed.
///
/// Fails before replaying anything on an empty log or a selected pid that is not in it
/// ([`SetupError`]); every call that cannot be applied is in [`Outcome::errors`].
pub fn replay<S: Space>(
    events: &[Event],
    options: &Options,
    progress: &mut dyn FnMut(usize),
) -> Result<Outcome<S>, SetupError> {
    let first = events.first().ok_or(SetupError::EmptyLog)?;
    // A log without pid prefixes (strace without -f) has one process, numbered 0 here.
    let no_pids = events.iter().all(|event| event.pid == 0);
    let pid = match options.pid {
        Some(pid) if no_pids => return Err(SetupError::NoPids { pid }),
        Some(pid) => pid,
        None if no_pids => 0,
        None => first.pid,
    };
    let mut children = HashMap::new();
    for event in events {
        let flags = match event.call {
            Call::Clone { flags } => flags,
            Call::Vfork => CLONE_VM | CLONE_VFORK,
            Call::Fork => 0,
            _ => continue,
        };
        if let Ret::Value(child) = event.ret {
            children.insert(u32::try_from(child).unwrap_or(u32::MAX), (event.pid, flags));
        }
    }
    let created = |event: &Event| event.call.creates_process() && event.ret == Ret::Value(u64::from(pid));
    if !events.iter().any(|event| event.pid == pid || created(event)) {
        let mut present: Vec<u32> = events.iter().map(|event| event.pid).collect();
        present.sort_unstable();
        present.dedup();
        present.truncate(8);
        return Err(SetupError::NoSuchPid { pid, present });
    }
    let (seed_pid, seed_at) = match options.start {
        Some(_) => find_seed(events, pid, &children),
        None => (pid, None),
    };
    let mut engine = Engine::<S> {
        options,
        spaces: Vec::new(),
        owner: HashMap::new(),
        children,
        track_all: options.start.is_none(),
        errors: Vec::new(),
    };
    let mut outcome = Outcome {
        pid,
        seed_pid,
        started_at: seed_at.map(|at| events[at].line),
        stop: Stop::EndOfLog,
        space: None,
        ops: BTreeMap::new(),
        failed_in_kernel: 0,
        other_ops: 0,
        untracked: 0,
        placements: (0, 0),
        misplaced: Vec::new(),
        unsupported: Vec::new(),
        errors: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let seed = |engine: &mut Engine<S>, outcome: &mut Outcome<S>, line: usize| {
        let start = engine.options.start.as_deref().unwrap_or_default();
        let id = engine.space_of(seed_pid);
        match S::from_layout(start) {
            Ok(space) => engine.spaces[id] = Some(space),
            Err(message) => outcome.errors.push(ReplayError { line, message: format!("the start layout: {message}") }),
        }
    };
    if options.start.is_some() && seed_at.is_none() {
        seed(&mut engine, &mut outcome, 0);
    }
    let clock = Instant::now();
    for (index, event) in events.iter().enumerate() {
        progress(index);
        let id = engine.space_of(event.pid);
        if let Call::Clone { .. } | Call::Fork | Call::Vfork = event.call {
            if let Ret::Value(child) = event.ret {
                engine.space_of(u32::try_from(child).unwrap_or(u32::MAX));
            }
        }
        for message in engine.errors.drain(..) {
            outcome.errors.push(ReplayError { line: event.line, message });
        }
        let is_target = engine.owner.get(&pid) == Some(&id);
        match &event.call {
            Call::Marker(Marker::Start) if Some(index) == seed_at => seed(&mut engine, &mut outcome, event.line),
            Call::Marker(Marker::End) if is_target && engine.spaces[id].is_some() => {
                outcome.stop = Stop::EndMarker(event.line);
                break;
            }
            Call::Exit { .. } if event.pid == pid => {
                outcome.stop = Stop::Exit(event.line);
                break;
            }
            Call::Execve { .. } if event.ret == Ret::Value(0) => {
                let after_seed = seed_at.map_or(true, |at| index > at);
                let fresh = (engine.track_all || (event.pid == seed_pid && after_seed)).then(S::empty);
                let new = engine.new_space(fresh);
                engine.owner.insert(event.pid, new);
            }
            Call::Clone { .. } | Call::Fork | Call::Vfork => {}
            Call::Unsupported { name } if engine.spaces[id].is_some() => {
                outcome.unsupported.push((event.line, name.clone()))
            }
            Call::Marker(_) | Call::Exit { .. } | Call::Execve { .. } | Call::Unsupported { .. } => {}
            call => {
                let Some(space) = engine.spaces[id].as_mut() else {
                    outcome.untracked += 1;
                    continue;
                };
                let kernel_placed = match call {
                    Call::Mmap { flags, .. } => flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) == 0,
                    Call::Mremap { .. } => true,
                    _ => false,
                };
                let place = options.place && is_target && kernel_placed;
                let ranges_ok = match event.ret {
                    Ret::Value(ret) => call.ranges(ret).is_some(),
                    _ => true,
                };
                let result = if ranges_ok {
                    space.apply(call, &event.ret, place, &options.files)
                } else {
                    Err("a range runs past the end of the address space".to_owned())
                };
                let result =
                    result.and_then(|ours| if options.validate { space.validate().map(|()| ours) } else { Ok(ours) });
                match result {
                    Ok(ours) => {
                        if let (Some(ours), Ret::Value(kernel)) = (ours, &event.ret) {
                            outcome.placements.0 += 1;
                            outcome.placements.1 += usize::from(ours == *kernel);
                            if ours != *kernel {
                                outcome.misplaced.push((event.line, *kernel, ours));
                            }
                        }
                    }
                    Err(message) => {
                        let hint = match options.start.is_none() && outcome.errors.is_empty() {
                            true => format!(" ({NO_START_HINT})"),
                            false => String::new(),
                        };
                        let message = format!("{}: {message}{hint}", call.kind());
                        outcome.errors.push(ReplayError { line: event.line, message });
                        if !options.keep_going {
                            outcome.stop = Stop::Error(event.line);
                            break;
                        }
                    }
                }
                if is_target {
                    *outcome.ops.entry(call.kind()).or_default() += 1;
                    outcome.failed_in_kernel += usize::from(matches!(event.ret, Ret::Error(_)));
                } else {
                    outcome.other_ops += 1;
                }
            }
        }
    }
    outcome.elapsed = clock.elapsed();
    outcome.space = engine.owner.get(&pid).and_then(|&id| engine.spaces[id].take());
    Ok(outcome)
}

/// Where a replay with a start layout begins: the last START marker of `pid`, or, for a
/// process without one, of its nearest ancestor before the process appears (a forked child
/// starts as a copy of its parent). Without any marker, the start layout is `pid`'s at the
/// beginning of the log.
fn find_seed(events: &[Event], pid: u32, children: &HashMap<u32, (u32, u64)>) -> (u32, Option<usize>) {
    let is_start = |event: &Event, who: u32| event.pid == who && event.call == Call::Marker(Marker::Start);
    if let Some(at) = events.iter().rposition(|event| is_start(event, pid)) {
        return (pid, Some(at));
    }
    let first = events.iter().position(|event| event.pid == pid).unwrap_or(events.len());
    let mut who = pid;
    while let Some(&(parent, _)) = children.get(&who) {
        if parent == who {
            break;
        }
        who = parent;
        if let Some(at) = events[..first].iter().rposition(|event| is_start(event, who)) {
            return (who, Some(at));
        }
    }
    (pid, None)
}

#[cfg(test)]
#[path = "engine_tests.rs"]
mod tests;
