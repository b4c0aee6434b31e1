//! The `vma_ops` target: see `maple_testkit::fuzz::vma_ops` for the operations and the checks.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(failure) = maple_testkit::fuzz::vma_ops::run(data) {
        panic!("{failure}");
    }
});
