//! # maple-replay
//!
//! Replays what real programs did to their address space, recorded by strace, on the
//! [`maple_vma`] VMA manager, and compares the result with the layout the kernel produced:
//! strace log parsing, `/proc/pid/maps` parsing and comparison, and the replay of one address
//! space's memory system calls. The `maple-replay` binary is its command line
//! (`maple-replay --help`); the bundled traces are in `traces/`, the capture method in
//! `capture/`.
//!
//! * [`strace`] (with [`syntax`] and [`flags`]): log lines to typed events.
//! * [`maps`]: `/proc/pid/maps` layouts, their exact format and their comparison.
//! * [`engine`]: which process's address space each event belongs to, and the replay.
//! * [`apply`]: the adapter between the replay and an address space ([`apply::Space`]).
//! * [`model`]: the page-granular oracle.
//! * [`cli`]: the command line, the summary and the progress bar.

// The modules were the binary's private modules until the crate split; their items are not
// all documented yet.
#![allow(missing_docs)]

pub mod apply;
pub mod cli;
pub mod engine;
pub mod flags;
pub mod maps;
pub mod model;
pub mod strace;
pub mod summary;
pub mod syntax;
pub mod vma_space;

pub use cli::read_text;
