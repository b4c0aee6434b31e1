//! The `vma_ops` and `vma_api` fuzz targets' interpreters on stable: every input of their
//! checked-in seed corpora (`fuzz/corpus/vma_ops/`, `fuzz/corpus/vma_api/`), then seeded
//! random inputs (see `maple_testkit::fuzz::corpus`; `MAPLE_FUZZ_INPUTS=N` sets their number).

use maple_testkit::fuzz::corpus::run_corpus_and_random;
use maple_testkit::fuzz::{vma_api, vma_ops};

#[test]
fn vma_ops_corpus_and_random() {
    run_corpus_and_random("vma_ops", vma_ops::run);
}

#[test]
fn vma_api_corpus_and_random() {
    run_corpus_and_random("vma_api", vma_api::run);
}
