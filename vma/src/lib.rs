//! # maple-vma
//!
//! A model of a Linux process address space (`struct mm_struct` and its VMAs) on the
//! [`maple_tree`] crate, with the kernel's layouts: the same splits, the same merges (hidden
//! flags, anonymous identities and fork ancestry included), the same placement and the same
//! errors, for OS and hypervisor authors, emulators, sandboxes and people studying the
//! kernel.
//!
//! * [`AddressSpace`]: the VMAs of one process, with the system calls
//!   ([`mmap`](AddressSpace::mmap), [`munmap`](AddressSpace::munmap),
//!   [`mprotect`](AddressSpace::mprotect), [`mremap`](AddressSpace::mremap),
//!   [`brk`](AddressSpace::brk), [`madvise`](AddressSpace::madvise),
//!   [`mlock`](AddressSpace::mlock)), [`fault`](AddressSpace::fault),
//!   [`fork`](AddressSpace::fork), the kernel's primitives ([`split`](AddressSpace::split),
//!   [`merge`](AddressSpace::merge), [`expand`](AddressSpace::expand),
//!   [`shrink`](AddressSpace::shrink)), queries (`find_vma`, `vma_lookup`, ...), `Display` as
//!   `/proc/pid/maps` and [`validate`](AddressSpace::validate).
//! * [`Vma`]: range, pgoff, [`VmFlags`] (including what `/proc/pid/maps` hides), [`Backing`],
//!   anonymous identity ([`Anon`]), name, and user data `D` merged through a
//!   [`MergePolicy`].
//! * [`VmaError`]: typed errors with the kernel's errno.
//! * [`maps`]: one line of `/proc/pid/maps` ([`maps::MapsLine`]), printed and parsed exactly;
//!   [`AddressSpace::maps_lines`] gives them.
//!
//! Every operation plans its changes on a private copy of the VMAs it touches and commits
//! them at once, so running out of memory leaves the address space exactly as it was (see
//! the `commit` module docs). Where Linux itself applies a request partially (mprotect or
//! mlock stopping at a hole, madvise, a split refused by `max_map_count`), so does this
//! crate, and the operation's documentation says so.
//!
//! ```
//! use maple_vma::{AddressSpace, Config, MapFlags, Prot};
//!
//! let mut mm: AddressSpace = AddressSpace::new(Config::default());
//! let anon = MapFlags::PRIVATE | MapFlags::ANONYMOUS;
//! let a = mm.mmap(0, 0x3000, Prot::READ | Prot::WRITE, anon, None)?;
//! mm.mprotect(a + 0x1000, 0x1000, Prot::READ)?;
//! print!("{mm}"); // three lines, as /proc/self/maps would show them
//! mm.validate().expect("consistent");
//! # Ok::<(), maple_vma::VmaError>(())
//! ```
#![no_std]
#![forbid(unsafe_code)]
// Every address, length and page-offset computation is checked (or saturating/wrapping where
// the comment says why it cannot matter): a hostile argument gets a typed error, never an
// overflow. The two modules below that allow plain arithmetic say why in their `mod` line.
#![warn(clippy::arithmetic_side_effects)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

/// Testing only: the change planted bug `$bug` makes at this site (module `plant`, feature
/// `planted-bugs`); without the feature nothing at all. `plant!('X' => statements)`.
#[cfg(feature = "planted-bugs")]
macro_rules! plant {
    ($bug:literal => $($body:tt)*) => {
        if $crate::plant::on($bug) {
            $($body)*
        }
    };
}

/// Without the `planted-bugs` feature a planted bug's site is nothing.
#[cfg(not(feature = "planted-bugs"))]
macro_rules! plant {
    ($($site:tt)*) => {};
}

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

// Only counts and indices bounded by vector lengths (slots, pieces, stores); its address
// arithmetic goes through `vma_iter`.
#[allow(clippy::arithmetic_side_effects)]
mod commit;
mod config;
mod error;
mod fault;
mod flags;
pub mod maps;
// Only index arithmetic next to an existing piece (`i + 1`, `i - 1` after a left merge was
// found) is left here; pgoff arithmetic goes through `Vma::pgoff_at`/`pgoff_end`.
#[allow(clippy::arithmetic_side_effects)]
mod merge;
mod mmap;
mod mremap;
mod placement;
#[cfg(feature = "planted-bugs")]
pub mod plant;
mod primitives;
mod protect;
mod space;
mod validate;
mod vma;
mod vma_iter;

pub use config::{Config, ConfigBuilder, ConfigError, LinuxPolicy, MergePolicy};
pub use error::VmaError;
pub use fault::FaultOutcome;
pub use flags::{Advice, MapFlags, Mnemonics, MremapFlags, Prot, VmFlags};
pub use merge::SplitSide;
pub use space::{AddressSpace, Vmas};
pub use validate::VmaViolation;
pub use vma::{Anon, AnonId, Backing, FileKind, FileRef, Vma};
