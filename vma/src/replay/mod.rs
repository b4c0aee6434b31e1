//! The `replay` command: strace log parsing, `/proc/pid/maps` parsing and comparison, and the
//! replay of one address space's memory system calls.
//!
//! * [`strace`] (with [`syntax`] and [`flags`]): log lines to typed events.
//! * [`maps`]: `/proc/pid/maps` layouts, their exact format and their comparison.
//! * [`engine`]: which process's address space each event belongs to, and the replay.
//! * [`apply`]: the adapter between the replay and an address space ([`apply::Space`]).
//! * [`model`]: the page-granular oracle.
//! * [`cli`]: the command line, the summary and the progress bar.

pub(crate) mod apply;
pub(crate) mod cli;
pub(crate) mod engine;
pub(crate) mod flags;
pub(crate) mod maps;
pub(crate) mod model;
pub(crate) mod strace;
pub(crate) mod summary;
pub(crate) mod syntax;
pub(crate) mod vma_space;
