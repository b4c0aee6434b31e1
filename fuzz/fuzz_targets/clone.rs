//! The `clone` target: see `maple_testkit::fuzz::clone` for the operations and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = maple_testkit::fuzz::clone::run(data) {
        panic!("{failure}");
    }
});
