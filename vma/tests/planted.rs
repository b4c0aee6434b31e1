//! Proof that the `vma_ops` fuzz interpreter finds each planted VMA-level bug (feature
//! `planted-bugs`, see `maple_vma::plant` and `docs/bug-classes.md`), on stable and without
//! libFuzzer: for each bug, seeded random inputs until one panics or fails.
//! `fuzz/planted.sh` measures the same with the real fuzzer.
//!
//! Run with `cargo test -p maple-vma --features planted-bugs --test planted -- --nocapture`.
#![cfg(feature = "planted-bugs")]

use maple_testkit::fuzz::corpus::{assert_every_plant_found, Target};
use maple_testkit::fuzz::vma_ops;

const TARGETS: [(&str, Target); 1] = [("vma_ops", vma_ops::run)];

#[test]
fn every_planted_vma_bug_is_found() {
    assert_every_plant_found(&maple_vma::plant::BUGS, maple_vma::plant::set, &TARGETS);
}
