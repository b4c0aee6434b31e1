//! The `strace_parse` target: see `maple_testkit::fuzz::strace_parse` for the input and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = maple_testkit::fuzz::strace_parse::run(data) {
        panic!("{failure}");
    }
});
