//! The `maps_roundtrip` target: see `maple_testkit::fuzz::maps_roundtrip` for the input and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = maple_testkit::fuzz::maps_roundtrip::run(data) {
        panic!("{failure}");
    }
});
