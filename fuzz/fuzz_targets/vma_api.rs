//! The `vma_api` target: see `maple_testkit::fuzz::vma_api` for the calls and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = maple_testkit::fuzz::vma_api::run(data) {
        panic!("{failure}");
    }
});
