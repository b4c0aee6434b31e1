//! Proof that the fuzz interpreters find each planted historical bug (feature
//! `planted-bugs`, see `maple_tree::plant`), on stable and without libFuzzer: for each bug,
//! seeded random inputs go through every target until one reports a failure or a panic.
//! `fuzz/planted.sh` measures the same with the real fuzzer and coverage guidance.
//!
//! Run with `cargo test -p maple-tree --features planted-bugs --test planted -- --nocapture`.
#![cfg(feature = "planted-bugs")]

use maple_testkit::fuzz::{alloc, clone, cursor, prealloc, random_input, tree_ops};
use std::panic::{catch_unwind, AssertUnwindSafe};

type Target = (&'static str, fn(&[u8]) -> Result<(), String>);

const TARGETS: [Target; 5] = [
    ("tree_ops", tree_ops::run),
    ("cursor", cursor::run),
    ("prealloc", prealloc::run),
    ("clone", clone::run),
    ("alloc", alloc::run),
];

/// The first (target, input number, failure) that detects the planted bug, trying up to
/// `limit` random inputs per target.
fn detect(limit: u64) -> Option<(&'static str, u64, String)> {
    for seed in 0..limit {
        for (name, target) in TARGETS {
            let data = random_input(seed, 64 << (seed % 7));
            let failure = match catch_unwind(AssertUnwindSafe(|| target(&data))) {
                Ok(Ok(())) => continue,
                Ok(Err(e)) => e,
                Err(panic) => {
                    let text = panic.downcast_ref::<String>().cloned();
                    let text = text.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()));
                    format!("panic: {}", text.unwrap_or_default())
                }
            };
            return Some((name, seed, failure));
        }
    }
    None
}

#[test]
fn every_planted_bug_is_found() {
    std::panic::set_hook(Box::new(|_| {}));
    let mut missed = Vec::new();
    for bug in maple_tree::plant::BUGS {
        maple_tree::plant::set(Some(bug));
        match detect(3000) {
            Some((target, seed, failure)) => {
                let failure = failure.lines().next().unwrap_or_default();
                println!("bug {bug}: found by {target} on random input {seed}: {failure}");
            }
            None => missed.push(bug),
        }
    }
    maple_tree::plant::set(None);
    let _ = std::panic::take_hook();
    assert!(missed.is_empty(), "not found: {missed:?}");
    assert!(detect(200).is_none(), "a failure with no bug planted");
}
