//! The `vma_api` target: every public call of `maple_vma::AddressSpace` with arbitrary
//! arguments on an arbitrary configuration; see [`crate::vma::api`] for the calls and the
//! checks.

/// Runs one input; `Err` (or a panic) describes the first failed check.
pub fn run(data: &[u8]) -> Result<(), String> {
    crate::vma::api::run(data)
}
