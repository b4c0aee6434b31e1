//! Proof that the fuzz interpreters find each planted historical bug (feature
//! `planted-bugs`, see `maple_tree::plant` and `docs/bug-classes.md`), on stable and without
//! libFuzzer: for each bug, seeded random inputs go through every target until one reports a
//! failure or a panic.
//! `fuzz/planted.sh` measures the same with the real fuzzer and coverage guidance.
//!
//! Run with `cargo test -p maple-tree --features planted-bugs --test planted -- --nocapture`.
#![cfg(feature = "planted-bugs")]

use maple_testkit::fuzz::corpus::{assert_every_plant_found, Target};
use maple_testkit::fuzz::{alloc, clone, cursor, prealloc, tree_ops};

const TARGETS: [(&str, Target); 5] = [
    ("tree_ops", tree_ops::run),
    ("cursor", cursor::run),
    ("prealloc", prealloc::run),
    ("clone", clone::run),
    ("alloc", alloc::run),
];

#[test]
fn every_planted_bug_is_found() {
    assert_every_plant_found(&maple_tree::plant::BUGS, maple_tree::plant::set, &TARGETS);
}
