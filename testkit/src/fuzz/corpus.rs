//! Running a fuzz target's interpreter on stable, as the crates' `fuzz_corpus` tests do:
//! every input of its checked-in seed corpus (`fuzz/corpus/<target>/`), then seeded random
//! inputs, so that `cargo test` fuzzes a little on every change without nightly or libFuzzer.
//!
//! `MAPLE_FUZZ_INPUTS=N` sets the number of random inputs per target (default 1000).

use super::random_input;
use std::path::{Path, PathBuf};

/// A fuzz target's interpreter: `Err` describes the failure.
pub type Target = fn(&[u8]) -> Result<(), String>;

/// The checked-in seed corpus of the fuzz target `name`.
pub fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus").join(name)
}

fn random_inputs() -> u64 {
    std::env::var("MAPLE_FUZZ_INPUTS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000)
}

/// Runs `target` over its corpus directory; returns the number of inputs. Panics with the
/// file's name on the first failure.
pub fn run_corpus(name: &str, target: Target) -> usize {
    let dir = corpus_dir(name);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    for file in &files {
        let data = std::fs::read(file).unwrap();
        if let Err(e) = target(&data) {
            panic!("{}: {e}", file.display());
        }
    }
    files.len()
}

/// Runs `target` over seeded random inputs of 64 bytes to 4 KiB. Panics with the seed on the
/// first failure.
pub fn run_random(name: &str, target: Target) {
    for seed in 0..random_inputs() {
        let len = 64 << (seed % 7);
        let data = random_input(seed | ((name.len() as u64) << 48), len);
        if let Err(e) = target(&data) {
            panic!("{name}: random input seed {seed} ({len} bytes): {e}");
        }
    }
}

/// The corpus (which must hold at least ten inputs), then the random inputs.
pub fn run_corpus_and_random(name: &str, target: Target) {
    let n = run_corpus(name, target);
    assert!(n >= 10, "the {name} corpus has only {n} inputs");
    run_random(name, target);
}

/// The first `(target, seed, failure)` among seeded random inputs (64 bytes to 4 KiB, up to
/// `limit` per target, all targets on each seed before the next): an `Err` or a panic. The
/// stable proof that a planted bug is found (`maple/tests/planted.rs`,
/// `vma/tests/planted.rs`); the caller silences the panic hook.
pub fn first_failure(targets: &[(&'static str, Target)], limit: u64) -> Option<(&'static str, u64, String)> {
    for seed in 0..limit {
        for &(name, target) in targets {
            let data = random_input(seed, 64 << (seed % 7));
            let failure = match std::panic::catch_unwind(|| target(&data)) {
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

/// The stable proof that `targets` find every planted bug: plants each of `bugs` in turn
/// (with `set`, e.g. `maple_tree::plant::set`), runs [`first_failure`] over up to 3000 seeds
/// and prints what found it; then, with nothing planted, 200 seeds must pass.
///
/// # Panics
/// If some bug is found by no target, or a target fails with nothing planted.
pub fn assert_every_plant_found(bugs: &[char], set: fn(Option<char>), targets: &[(&'static str, Target)]) {
    std::panic::set_hook(Box::new(|_| {}));
    let mut missed = Vec::new();
    for &bug in bugs {
        set(Some(bug));
        match first_failure(targets, 3000) {
            Some((target, seed, failure)) => {
                let failure = failure.lines().next().unwrap_or_default();
                println!("bug {bug}: found by {target} on random input {seed}: {failure}");
            }
            None => missed.push(bug),
        }
    }
    set(None);
    let clean = first_failure(targets, 200);
    let _ = std::panic::take_hook();
    assert!(missed.is_empty(), "not found: {missed:?}");
    assert!(clean.is_none(), "a failure with no bug planted: {clean:?}");
}
