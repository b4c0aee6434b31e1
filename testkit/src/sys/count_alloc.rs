//! A counting global allocator: the system allocator plus a per-thread count of the
//! allocations made (`alloc`, `alloc_zeroed`, `realloc`; frees are not counted). The count is
//! per thread so that the test harness's other threads never show up in a measurement.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting this thread's allocations. Install it in a test binary
/// with `#[global_allocator] static GLOBAL: CountingAlloc = CountingAlloc;`, then measure
/// with [`CountingAlloc::count`].
///
/// ```
/// use maple_testkit::sys::CountingAlloc;
///
/// // Without the allocator installed, nothing is counted: check `is_installed` first, so
/// // that a zero-allocation assertion cannot pass vacuously.
/// let counted = CountingAlloc::count(|| drop(vec![1u8; 10]));
/// assert!(!CountingAlloc::is_installed() && counted == 0);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAlloc;

impl CountingAlloc {
    /// The allocations this thread made while `f` ran.
    pub fn count(f: impl FnOnce()) -> u64 {
        let before = ALLOCATIONS.with(Cell::get);
        f();
        ALLOCATIONS.with(Cell::get) - before
    }

    /// Whether this allocator is the binary's global allocator (it allocates once to find out).
    pub fn is_installed() -> bool {
        Self::count(|| drop(std::hint::black_box(Box::new(0u8)))) > 0
    }

    fn counted() {
        // `try_with`: the thread's counter may already be gone while the thread exits.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    }
}

// SAFETY: every call is passed to `System` unchanged, with the caller's arguments, so
// `System`'s guarantees are the caller's; the counter is a const-initialised thread-local
// `Cell`, whose update allocates nothing and cannot re-enter the allocator.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        Self::counted();
        // SAFETY: the caller's contract for `alloc` (a non-zero-size layout) is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (every allocation goes there).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        Self::counted();
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        Self::counted();
        // SAFETY: `ptr` came from `System` with `layout`; the caller's `new_size` contract
        // is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The trait's calls, made directly (the test binary's global allocator is the system's):
    /// each allocating call counts once, frees do not, and the memory is usable. Runs under
    /// Miri (`cargo +nightly miri test -p maple-testkit --lib sys`), which checks every call
    /// pairs up.
    #[test]
    fn counts_each_allocating_call() {
        let layout = Layout::from_size_align(24, 8).unwrap();
        let counted = CountingAlloc::count(|| {
            // SAFETY: a non-zero-size layout; every pointer is checked, written within its
            // size and freed once with the layout it was allocated with.
            unsafe {
                let p = CountingAlloc.alloc(layout);
                assert!(!p.is_null());
                p.write_bytes(7, 24);
                let p = CountingAlloc.realloc(p, layout, 48);
                assert!(!p.is_null());
                assert_eq!(p.read(), 7);
                CountingAlloc.dealloc(p, Layout::from_size_align(48, 8).unwrap());
                let z = CountingAlloc.alloc_zeroed(layout);
                assert!(!z.is_null());
                assert_eq!(z.add(23).read(), 0);
                CountingAlloc.dealloc(z, layout);
            }
        });
        assert_eq!(counted, 3);
        assert!(!CountingAlloc::is_installed());
    }
}
