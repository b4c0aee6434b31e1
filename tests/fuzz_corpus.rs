//! The fuzz targets' interpreters on stable: every input of the checked-in seed corpus
//! (`fuzz/corpus/<target>/`), then seeded random inputs, so that CI fuzzes a little on every
//! change without nightly or libFuzzer.
//!
//! `MAPLE_FUZZ_INPUTS=N` sets the number of random inputs per target (default 1000; six targets, so 6000 inputs in all).

use maple_suite::fuzz::{alloc, clone, cursor, prealloc, random_input, tree_ops, vma_ops};
use std::path::Path;

type Target = fn(&[u8]) -> Result<(), String>;

fn random_inputs() -> u64 {
    std::env::var("MAPLE_FUZZ_INPUTS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000)
}

/// Runs `target` over its corpus directory; returns the number of inputs.
fn corpus(name: &str, target: Target) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(name);
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

/// Runs `target` over seeded random inputs of 64 bytes to 4 KiB.
fn random(name: &str, target: Target) {
    for seed in 0..random_inputs() {
        let len = 64 << (seed % 7);
        let data = random_input(seed | ((name.len() as u64) << 48), len);
        if let Err(e) = target(&data) {
            panic!("{name}: random input seed {seed} ({len} bytes): {e}");
        }
    }
}

fn run(name: &str, target: Target) {
    let n = corpus(name, target);
    assert!(n >= 10, "the {name} corpus has only {n} inputs");
    random(name, target);
}

#[test]
fn tree_ops_corpus_and_random() {
    run("tree_ops", tree_ops::run);
}

#[test]
fn cursor_corpus_and_random() {
    run("cursor", cursor::run);
}

#[test]
fn prealloc_corpus_and_random() {
    run("prealloc", prealloc::run);
}

#[test]
fn clone_corpus_and_random() {
    run("clone", clone::run);
}

#[test]
fn alloc_corpus_and_random() {
    run("alloc", alloc::run);
}

#[test]
fn vma_ops_corpus_and_random() {
    run("vma_ops", vma_ops::run);
}
