//! The `vma_ops` fuzz target's interpreter on stable: every input of its checked-in seed
//! corpus (`fuzz/corpus/vma_ops/`), then seeded random inputs (see
//! `maple_testkit::fuzz::corpus`; `MAPLE_FUZZ_INPUTS=N` sets their number).

use maple_testkit::fuzz::corpus::run_corpus_and_random;
use maple_testkit::fuzz::vma_ops;

#[test]
fn vma_ops_corpus_and_random() {
    run_corpus_and_random("vma_ops", vma_ops::run);
}
