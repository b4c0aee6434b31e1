//! The maple workspace's test kit: oracles, operation generators and interpreters shared by
//! the crates' integration tests (`maple/tests/`, `vma/tests/`), the benches in `maple/benches/` and the fuzz targets in
//! `fuzz/`.
//!
//! * [`oracle::RangeMap`]: the dumb model of a maple tree, a `BTreeMap` from range start to
//!   `(last, value)` holding non-NULL ranges only, so NULL runs are merged by construction and
//!   equal neighbours never are.
//! * [`ops`]: tree operations, a seeded generator biased towards existing boundaries ±1, 0 and
//!   `u64::MAX`, and the interpreter that applies each operation to a tree and the oracle,
//!   then validates the tree and compares the two.
//! * [`gaps`]: free-range searches and allocating writes checked against a brute-force scan
//!   of the oracle's holes, and the differential run on allocation trees.
//! * [`cursor_model`]: a model of the cursor state machine over the oracle's slots.
//! * [`vma`]: address-space operations for the VMA manager, their generator, and the
//!   page-granular oracle they are checked against (tests and the `vma_ops` fuzz target).
//! * [`sys`]: the workspace's one `unsafe` module: raw memory system calls on a reserved
//!   window (Linux only), for the live-kernel test and the VMA bench's kernel column, and a
//!   counting global allocator for the tests that prove a path allocates nothing.
//! * [`fuzz`]: the fuzz targets' inputs (`arbitrary`-derived operation enums) and
//!   interpreters, one module per target, runnable on stable.

// `unsafe` is denied everywhere but in `sys`, the workspace's one module of unsafe code (raw
// system calls, the counting allocator), which allows it and justifies each block.
#![deny(unsafe_code)]

pub mod cursor_model;
pub mod fuzz;
pub mod gaps;
pub mod ops;
pub mod oracle;
pub mod sys;
pub mod vma;

/// The workspace README's examples, compiled and run as doc tests
/// (`cargo test -p maple-testkit --doc`; each crate's own README is tested by its crate).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct WorkspaceReadmeDoctests;
