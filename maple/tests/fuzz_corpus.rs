//! The tree's fuzz targets' interpreters on stable: every input of each checked-in seed
//! corpus (`fuzz/corpus/<target>/`), then seeded random inputs (see
//! `maple_testkit::fuzz::corpus`; `MAPLE_FUZZ_INPUTS=N` sets their number per target).

use maple_testkit::fuzz::corpus::run_corpus_and_random as run;
use maple_testkit::fuzz::{alloc, clone, cursor, prealloc, tree_ops};

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
