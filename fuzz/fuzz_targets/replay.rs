//! The `replay` target: see `maple_testkit::fuzz::replay` for the input and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = maple_testkit::fuzz::replay::run(data) {
        panic!("{failure}");
    }
});
