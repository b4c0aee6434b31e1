//! The `cursor` target: see `maple_testkit::fuzz::cursor` for the operations and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = maple_testkit::fuzz::cursor::run(data) {
        panic!("{failure}");
    }
});
