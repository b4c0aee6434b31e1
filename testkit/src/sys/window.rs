//! Raw memory system calls on a reserved window of the process (Linux only), for the
//! live-kernel differential test (`vma/tests/live_kernel`) and the kernel column of the VMA
//! bench (`vma/benches/kernel.rs`). These calls cannot run under Miri (they change the real
//! address space).
//!
//! Soundness rests on two rules. [`Window`] enforces the first at run time: a call that can
//! replace, unmap, re-protect, move or touch memory acts only on the window or on mappings
//! the kernel placed for the caller; a call outside them panics (a bug in the caller). The
//! second is the caller's promise when it reserves a window ([`Window::reserve`] is `unsafe`):
//! while the window has holes, the process creates no mapping by other means that could land
//! in them (no large heap allocation, no new thread), so that nothing but the window's own
//! mappings ever lives there and no call can invalidate a reference. Every gap above the
//! window is filled at reservation, so that the kernel's top-down placement (of the
//! caller's requests and of anything else) can only choose the window or lower addresses.

use core::ffi::c_void;
use std::io::Read;
use std::os::fd::{AsFd, BorrowedFd};

use rustix::mm::{self, MapFlags, MprotectFlags, ProtFlags};

/// The page size the window assumes.
pub const PAGE: u64 = 4096;

/// A reserved window of the address space, bracketed by a guard page at each end (shared
/// anonymous `PROT_NONE` mappings, which never merge with anything), with every free gap
/// above it (up to 1 GiB below the stack, which keeps room to grow) filled, so that the
/// kernel's top-down placement can only choose the window. The window starts empty.
#[derive(Debug)]
pub struct Window {
    guard_lo: u64,
    start: u64,
    end: u64,
    /// Mappings the kernel placed outside the window for the caller (placements that found
    /// no room inside): as much the caller's as the window.
    placed: Vec<(u64, u64)>,
}

impl Window {
    /// Reserves a window of `pages` pages; `None` if the kernel refuses (or `/proc/self/maps`
    /// cannot be read). The window starts empty; dropping it unmaps it, its guards and what
    /// the kernel placed for it.
    ///
    /// # Safety
    ///
    /// Until the window is dropped, the caller must not create memory mappings by other means
    /// that could land in the window's holes: no heap allocation large enough for the
    /// allocator to map it separately (glibc: 128 KiB and more) and no new thread. (Such a
    /// mapping would be unmapped or replaced by the window's calls.)
    pub unsafe fn reserve(pages: u64) -> Option<Window> {
        let total = (pages + 2) * PAGE;
        let private = MapFlags::PRIVATE.bits() | MapFlags::NORESERVE.bits();
        let base = raw_mmap(0, total, 0, private, None, 0).ok()?;
        let window = Window { guard_lo: base, start: base + PAGE, end: base + PAGE + pages * PAGE, placed: Vec::new() };
        let shared_fixed = MapFlags::SHARED.bits() | MapFlags::FIXED.bits();
        // The guards replace the two ends of the reservation just made, then the window itself
        // is unmapped: nothing else can live there yet.
        raw_mmap(window.guard_lo, PAGE, 0, shared_fixed, None, 0).ok()?;
        raw_mmap(window.end, PAGE, 0, shared_fixed, None, 0).ok()?;
        raw_munmap(window.start, pages * PAGE).ok()?;
        // Fill the free gaps above the window (below the stack, leaving it room to grow).
        // `MAP_FIXED_NOREPLACE` never replaces anything, so it is safe anywhere.
        let mut text = String::new();
        std::fs::File::open("/proc/self/maps").ok()?.read_to_string(&mut text).ok()?;
        let all = maple_vma::maps::parse_maps(&text).ok()?;
        let stack = all.iter().find(|m| m.path == "[stack]").map_or(u64::MAX, |m| m.start);
        let ceiling = stack.saturating_sub(1 << 30);
        let mut at = window.end + PAGE;
        for m in all.iter().filter(|m| m.end > window.end + PAGE) {
            let (start, end) = (m.start, m.end);
            let top = start.min(ceiling);
            if top > at {
                raw_mmap(at, top - at, 0, private | MapFlags::FIXED_NOREPLACE.bits(), None, 0).ok()?;
            }
            at = at.max(end);
        }
        Some(window)
    }

    /// The first address of the window.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// One past the window's last address.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// The lower guard page's address (the upper one is at [`end`](Self::end)).
    pub fn guard_lo(&self) -> u64 {
        self.guard_lo
    }

    /// Panics unless `addr..addr + len` lies in the window or in a mapping the kernel placed
    /// for the caller.
    fn check(&self, addr: u64, len: u64) {
        let end = addr.checked_add(len).expect("range wraps");
        let inside = |(lo, hi): (u64, u64)| lo <= addr && end <= hi;
        assert!(
            inside((self.start, self.end)) || self.placed.iter().any(|&r| inside(r)),
            "{addr:#x}+{len:#x} lies outside the window {:#x}..{:#x}",
            self.start,
            self.end
        );
    }

    /// Records a placement the kernel made outside the window.
    fn adopt(&mut self, addr: u64, len: u64) {
        if addr < self.start || addr >= self.end {
            self.placed.push((addr, addr + len));
        }
    }

    /// Empties the window (and unmaps what the kernel placed outside it).
    pub fn clear(&mut self) {
        self.munmap(self.start, self.end - self.start).expect("clear the window");
        for (lo, hi) in std::mem::take(&mut self.placed) {
            // A mapping the kernel placed for the caller (see `adopt`).
            raw_munmap(lo, hi - lo).expect("unmap a placed mapping");
        }
    }

    /// `mmap`: anonymous if `fd` is `None`. `flags` are raw `MAP_*` bits without
    /// `MAP_ANONYMOUS`; `pgoff` is in pages. With `MAP_FIXED` the range must lie in the
    /// window; otherwise the kernel chooses among free pages (or fails for
    /// `MAP_FIXED_NOREPLACE`), which replaces nothing.
    pub fn mmap(
        &mut self,
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        fd: Option<BorrowedFd<'_>>,
        pgoff: u64,
    ) -> SysResult<u64> {
        let replaces = flags & MapFlags::FIXED.bits() != 0 && flags & MapFlags::FIXED_NOREPLACE.bits() == 0;
        if replaces {
            self.check(addr, len);
        }
        let at = raw_mmap(addr, len, prot, flags, fd, pgoff)?;
        self.adopt(at, len.next_multiple_of(PAGE));
        Ok(at)
    }

    /// `munmap`.
    pub fn munmap(&mut self, addr: u64, len: u64) -> SysResult<()> {
        self.check(addr, len);
        raw_munmap(addr, len)
    }

    /// `mprotect`.
    pub fn mprotect(&mut self, addr: u64, len: u64, prot: u32) -> SysResult<()> {
        self.check(addr, len);
        // SAFETY: `check` keeps the range inside the caller's window, which holds no Rust object.
        unsafe { mm::mprotect(addr as *mut c_void, len as usize, MprotectFlags::from_bits_retain(prot)) }.map_err(errno)
    }

    /// `mremap` with all five arguments (rustix has no form that passes `new_addr` without
    /// `MREMAP_FIXED`, which `MREMAP_DONTUNMAP` needs).
    pub fn mremap(&mut self, addr: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64) -> SysResult<u64> {
        self.check(addr, old_len.max(1));
        const FIXED: u32 = 2;
        if flags & FIXED != 0 {
            self.check(new_addr, new_len);
        }
        // SAFETY: `check` keeps the source (and a fixed target) inside the caller's window; any
        // other target is chosen by the kernel among free pages. No Rust object lives in
        // either. The raw system call takes five integer arguments and returns an address or
        // -1 with errno set.
        let ret = unsafe { libc::syscall(libc::SYS_mremap, addr, old_len, new_len, flags as u64, new_addr) };
        if ret == -1 {
            return Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0));
        }
        let at = ret as u64;
        self.adopt(at, new_len.next_multiple_of(PAGE));
        Ok(at)
    }

    /// `madvise`.
    pub fn madvise(&mut self, addr: u64, len: u64, advice: mm::Advice) -> SysResult<()> {
        self.check(addr, len);
        // SAFETY: `check` keeps the range inside the caller's window; no Rust object lives there.
        unsafe { mm::madvise(addr as *mut c_void, len as usize, advice) }.map_err(errno)
    }

    /// `mlock` / `mlock2(MLOCK_ONFAULT)`.
    pub fn mlock(&mut self, addr: u64, len: u64, on_fault: bool) -> SysResult<()> {
        self.check(addr, len);
        // SAFETY: `check` keeps the range inside the caller's window; locking changes no memory
        // contents.
        unsafe {
            if on_fault {
                mm::mlock_with(addr as *mut c_void, len as usize, mm::MlockFlags::ONFAULT)
            } else {
                mm::mlock(addr as *mut c_void, len as usize)
            }
        }
        .map_err(errno)
    }

    /// `munlock`.
    pub fn munlock(&mut self, addr: u64, len: u64) -> SysResult<()> {
        self.check(addr, len);
        // SAFETY: `check` keeps the range inside the caller's window; unlocking changes no
        // memory contents.
        unsafe { mm::munlock(addr as *mut c_void, len as usize) }.map_err(errno)
    }

    /// Reads or writes one byte at `addr`. The caller checks with its model that a VMA there
    /// grants the access (and, for file pages, that the page lies before the end of the
    /// file); otherwise the process gets a signal.
    pub fn touch(&mut self, addr: u64, write: bool) {
        self.check(addr, 1);
        let ptr = addr as *mut u8;
        // SAFETY: `check` keeps `addr` inside the caller's window, which holds no Rust object,
        // so the access aliases nothing. Volatile keeps the access from being elided.
        unsafe {
            if write {
                ptr.write_volatile(1);
            } else {
                ptr.read_volatile();
            }
        }
    }
}

impl Drop for Window {
    fn drop(&mut self) {
        self.clear();
        // The guards were reserved with the window; nothing else lives there.
        let _ = raw_munmap(self.guard_lo, PAGE);
        let _ = raw_munmap(self.end, PAGE);
    }
}

/// A raw errno, or the address/success of a call.
pub type SysResult<T> = Result<T, i32>;

fn errno(e: rustix::io::Errno) -> i32 {
    e.raw_os_error()
}

/// `mmap` without checks; callers are the [`Window`]'s methods, which check the range first.
fn raw_mmap(addr: u64, len: u64, prot: u32, flags: u32, fd: Option<BorrowedFd<'_>>, pgoff: u64) -> SysResult<u64> {
    let flags = MapFlags::from_bits_retain(flags);
    let prot = ProtFlags::from_bits_retain(prot);
    // SAFETY: every caller passes either a range of its window (checked), a range this module
    // reserved, `MAP_FIXED_NOREPLACE` (which fails rather than replace anything) or no fixed
    // address (the kernel chooses among free pages); no Rust object lives in any of them.
    let ptr = unsafe {
        match fd {
            None => mm::mmap_anonymous(addr as *mut c_void, len as usize, prot, flags),
            Some(fd) => mm::mmap(addr as *mut c_void, len as usize, prot, flags, fd.as_fd(), pgoff << 12),
        }
    };
    ptr.map(|p| p as u64).map_err(errno)
}

/// `munmap` without checks; callers check the range first.
fn raw_munmap(addr: u64, len: u64) -> SysResult<()> {
    // SAFETY: every caller passes a range of its window (checked), one this module reserved,
    // or one the kernel placed for the caller; no Rust object lives there.
    unsafe { mm::munmap(addr as *mut c_void, len as usize) }.map_err(errno)
}
