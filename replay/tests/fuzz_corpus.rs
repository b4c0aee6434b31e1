//! The parser and replay fuzz targets' interpreters on stable: every input of their
//! checked-in seed corpora (`fuzz/corpus/{strace_parse,maps_roundtrip,replay}/`), then
//! seeded random inputs (see `maple_testkit::fuzz::corpus`; `MAPLE_FUZZ_INPUTS=N` sets their
//! number).

use maple_testkit::fuzz::corpus::run_corpus_and_random;
use maple_testkit::fuzz::{maps_roundtrip, replay, strace_parse};

#[test]
fn strace_parse_corpus_and_random() {
    run_corpus_and_random("strace_parse", strace_parse::run);
}

#[test]
fn maps_roundtrip_corpus_and_random() {
    run_corpus_and_random("maps_roundtrip", maps_roundtrip::run);
}

#[test]
fn replay_corpus_and_random() {
    run_corpus_and_random("replay", replay::run);
}
