//! The raw system calls of the live-kernel test: the only `unsafe` code of maple-vma's
//! tests. Every call acts on addresses inside the test's reserved window (or lets the kernel
//! choose an address the test then checks), never on memory that a Rust object owns, and
//! pages are touched only where the model says a VMA grants the access.
#![allow(unsafe_code)]

use core::ffi::c_void;
use std::os::fd::{AsFd, BorrowedFd};

use rustix::mm::{self, MapFlags, MprotectFlags, ProtFlags};

/// A raw errno, or the address/success of a call.
pub(crate) type SysResult<T> = Result<T, i32>;

fn errno(e: rustix::io::Errno) -> i32 {
    e.raw_os_error()
}

fn prot_flags(prot: u32) -> ProtFlags {
    ProtFlags::from_bits_retain(prot)
}

/// `mmap`: anonymous if `fd` is `None`. `flags` are raw `MAP_*` bits without
/// `MAP_ANONYMOUS`; `pgoff` is in pages.
pub(crate) fn mmap(
    addr: u64,
    len: u64,
    prot: u32,
    flags: u32,
    fd: Option<BorrowedFd<'_>>,
    pgoff: u64,
) -> SysResult<u64> {
    let flags = MapFlags::from_bits_retain(flags);
    // SAFETY: the target range is inside the test window or chosen by the kernel among free
    // pages; no Rust object lives in either, so mapping over them invalidates no reference.
    let ptr = unsafe {
        match fd {
            None => mm::mmap_anonymous(addr as *mut c_void, len as usize, prot_flags(prot), flags),
            Some(fd) => mm::mmap(addr as *mut c_void, len as usize, prot_flags(prot), flags, fd.as_fd(), pgoff << 12),
        }
    };
    ptr.map(|p| p as u64).map_err(errno)
}

/// `munmap`.
pub(crate) fn munmap(addr: u64, len: u64) -> SysResult<()> {
    // SAFETY: the range is inside the test window, which holds no Rust object.
    unsafe { mm::munmap(addr as *mut c_void, len as usize) }.map_err(errno)
}

/// `mprotect`.
pub(crate) fn mprotect(addr: u64, len: u64, prot: u32) -> SysResult<()> {
    // SAFETY: the range is inside the test window, which holds no Rust object.
    unsafe { mm::mprotect(addr as *mut c_void, len as usize, MprotectFlags::from_bits_retain(prot)) }.map_err(errno)
}

/// `mremap` with all five arguments (rustix has no form that passes `new_addr` without
/// `MREMAP_FIXED`, which `MREMAP_DONTUNMAP` needs).
pub(crate) fn mremap(addr: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64) -> SysResult<u64> {
    // SAFETY: source and target ranges are inside the test window (or a target the kernel
    // chooses among free pages); no Rust object lives there. The raw system call takes
    // five integer arguments and returns an address or -1 with errno set.
    let ret = unsafe { libc::syscall(libc::SYS_mremap, addr, old_len, new_len, flags as u64, new_addr) };
    if ret == -1 {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        Ok(ret as u64)
    }
}

/// `madvise` with a raw advice number.
pub(crate) fn madvise(addr: u64, len: u64, advice: mm::Advice) -> SysResult<()> {
    // SAFETY: the range is inside the test window; the advices used change only VMA flags.
    unsafe { mm::madvise(addr as *mut c_void, len as usize, advice) }.map_err(errno)
}

/// `mlock` / `mlock2(MLOCK_ONFAULT)`.
pub(crate) fn mlock(addr: u64, len: u64, on_fault: bool) -> SysResult<()> {
    // SAFETY: the range is inside the test window; locking changes no memory contents.
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
pub(crate) fn munlock(addr: u64, len: u64) -> SysResult<()> {
    // SAFETY: the range is inside the test window; unlocking changes no memory contents.
    unsafe { mm::munlock(addr as *mut c_void, len as usize) }.map_err(errno)
}

/// Reads or writes one byte at `addr`.
pub(crate) fn touch(addr: u64, write: bool) {
    let ptr = addr as *mut u8;
    // SAFETY: the caller checked with the model that `addr` lies in a VMA that grants this
    // access and, for file pages, lies before the end of the file; the window holds no Rust
    // object, so the access aliases nothing. Volatile keeps the access from being elided.
    unsafe {
        if write {
            ptr.write_volatile(1);
        } else {
            ptr.read_volatile();
        }
    }
}
