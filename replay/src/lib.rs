//! # maple-replay
//!
//! Replays what real programs did to their address space, recorded by strace, on the
//! [`maple_vma`] VMA manager, and compares the result with the layout the kernel produced.
//! The `maple-replay` binary is its command line (`maple-replay --help`); the bundled traces
//! are in `traces/`, the capture method in `capture/`.
//!
//! * [`strace`]: log lines to typed [`Event`](strace::Event)s ([`strace::parse_log`]).
//! * [`maps`]: layouts (`/proc/pid/maps` files of [`MapsLine`](maple_vma::maps::MapsLine)s)
//!   and their comparison ([`maps::compare`]).
//! * [`engine`]: which process's address space each event belongs to, and the replay
//!   ([`engine::replay`]).
//! * [`apply`]: what the replay asks of an address space ([`apply::Space`]), implemented by
//!   [`vma_space::VmaSpace`] (the VMA manager) and [`model::PageModel`] (a page-granular
//!   oracle).
//!
//! ```
//! use maple_replay::engine::{replay, Options};
//! use maple_replay::maps::{compare, parse_layout};
//! use maple_replay::strace::parse_log;
//! use maple_replay::vma_space::VmaSpace;
//! use maple_replay::apply::Space;
//!
//! let start = parse_layout("7f0000000000-7f0000004000 rw-p 00000000 00:00 0 \n")?;
//! let log = parse_log("\
//! 10 mprotect(0x7f0000001000, 4096, PROT_READ) = 0
//! 10 munmap(0x7f0000003000, 4096) = 0
//! ", false, &mut |_| {})?;
//! let options = Options { start: Some(start), ..Options::default() };
//! let outcome = replay::<VmaSpace>(&log.events, &options, &mut |_| {})?;
//! assert!(outcome.errors.is_empty());
//! let end = parse_layout("\
//! 7f0000000000-7f0000001000 rw-p 00000000 00:00 0
//! 7f0000001000-7f0000002000 r--p 00000000 00:00 0
//! 7f0000002000-7f0000003000 rw-p 00000000 00:00 0
//! ")?;
//! assert_eq!(compare(&end, &outcome.space.unwrap().layout()), []);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::io::Read;

pub mod apply;
pub mod engine;
mod flags;
pub mod maps;
pub mod model;
pub mod strace;
mod syntax;
pub mod vma_space;

/// The bytes of a file, decompressed if its name ends in `.gz`. The error names the file.
pub fn read_bytes(path: &str) -> Result<Vec<u8>, String> {
    let file = std::fs::File::open(path).map_err(|error| format!("{path}: {error}"))?;
    let mut bytes = Vec::new();
    let result = if path.ends_with(".gz") {
        flate2::read::MultiGzDecoder::new(file).read_to_end(&mut bytes)
    } else {
        std::io::BufReader::new(file).read_to_end(&mut bytes)
    };
    result.map_err(|error| format!("{path}: {error}"))?;
    Ok(bytes)
}

/// The text of a file ([`read_bytes`]); text that is not UTF-8 is an error naming its line
/// ([`strace::decode`]).
pub fn read_text(path: &str) -> Result<String, String> {
    String::from_utf8(read_bytes(path)?).map_err(|error| match strace::decode(error.as_bytes()) {
        Err(error) => format!("{path}: {error}"),
        Ok(_) => format!("{path}: {error}"),
    })
}
