//! The `vma_ops` target: address-space system calls (mmap, munmap, mprotect, mremap,
//! madvise, mlock, munlock, page faults) on a `maple_vma::AddressSpace` against the
//! page-granular oracle of [`crate::vma::oracle`], which knows nothing about VMAs. After every
//! call the address space is validated (its tree included) and every page of the area is
//! compared with the oracle.
//!
//! The input is the random source itself ([`BytesRng`]): the operation generator of
//! [`crate::vma`] draws every choice (which call, the address near an existing boundary or
//! anywhere in the area, the length, protections, flags, files) from the next bytes, so the
//! fuzzer steers the generator and the seeded tests run the same generator. Placements are
//! fixed (`MAP_FIXED` mmaps, mremap shrinking, growing in place or moving to a fixed
//! address), which is what the oracle predicts; placement itself is checked by the VMA
//! manager's own tests and the replay's `--place`.

use super::MAX_OPS;
use crate::vma::{oracle, BytesRng};

/// Runs one input; a difference panics (as in the seeded tests), which the fuzzer reports.
pub fn run(data: &[u8]) -> Result<(), String> {
    let mut rng = BytesRng::new(data);
    oracle::run(&mut rng, MAX_OPS, true, |rng| !rng.is_empty());
    Ok(())
}
