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
