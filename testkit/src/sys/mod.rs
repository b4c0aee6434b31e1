//! The workspace's one module of `unsafe` code: what talks to the operating system directly.
//! Every block carries a `// SAFETY:` comment; nothing else in the workspace may use
//! `unsafe` (the crates deny it, and `maple-tree` and `maple-vma` forbid it).
//!
//! * [`Window`] (Linux only): raw memory system calls on a reserved window of the process,
//!   for the live-kernel differential test (`vma/tests/live_kernel`) and the kernel column of
//!   the VMA bench (`vma/benches/kernel.rs`).
//! * [`CountingAlloc`]: a global allocator that counts the calling thread's allocations, for
//!   tests that prove a path allocates nothing (`vma/tests/no_alloc.rs`).
#![allow(unsafe_code)]

mod count_alloc;
#[cfg(target_os = "linux")]
mod window;

pub use count_alloc::CountingAlloc;
#[cfg(target_os = "linux")]
pub use window::*;
