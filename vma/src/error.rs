//! [`VmaError`]: why an address-space operation failed, with the errno Linux returns.

use core::fmt;

/// Why an operation failed. Each variant maps to the errno Linux returns in the same
/// situation ([`VmaError::errno`]). Several variants share `ENOMEM`, as in the kernel, but
/// say which of its causes applied.
///
/// Unless an operation's documentation says otherwise, a failed operation changed nothing.
/// The documented exceptions are the ones where Linux itself applies part of a request
/// (mprotect/mlock across a hole, madvise, a second split refused by `max_map_count`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VmaError {
    /// `EINVAL`: bad alignment, a zero length where Linux refuses it, bad flag combinations,
    /// overlapping mremap source and target, a range outside the task size.
    Invalid,
    /// `ENOMEM`: a tree node could not be allocated. Nothing changed.
    OutOfMemory,
    /// `ENOMEM`: the operation would exceed `max_map_count`.
    MapCountExceeded,
    /// `ENOMEM`: the range (or part of it) is not mapped.
    NotMapped,
    /// `ENOMEM`: no free range of the requested size (placement, or growth in place without
    /// `MREMAP_MAYMOVE`).
    NoSpace,
    /// `EEXIST`: `MAP_FIXED_NOREPLACE` found a mapping in the way.
    Exists,
    /// `EFAULT`: the mremap source is not (entirely) one mapped VMA, or a fault hit no VMA or
    /// a VMA without the needed permission.
    Fault,
    /// SIGBUS: a fault past the end of the backing file or shmem object (reported as
    /// `EFAULT` where a system call meets it).
    Bus,
    /// `EACCES`: the requested protection exceeds what the mapping may have (`VM_MAY*`).
    Access,
    /// `EAGAIN`: the operation cannot be done now (a locked-memory limit).
    Again,
    /// `EOVERFLOW`: the file offset plus the length wraps, or passes the largest offset of
    /// the file's kind (`MAX_LFS_FILESIZE` for regular files).
    Overflow,
    /// `EPERM`: the mapping does not allow it.
    Permission,
    /// `EOPNOTSUPP`: `MAP_SHARED_VALIDATE` with a flag the file does not support.
    NotSupported,
}

impl VmaError {
    /// The positive Linux errno of this error.
    ///
    /// ```
    /// assert_eq!(maple_vma::VmaError::MapCountExceeded.errno(), 12);
    /// ```
    pub const fn errno(self) -> i32 {
        match self {
            VmaError::Invalid => 22,
            VmaError::OutOfMemory | VmaError::MapCountExceeded | VmaError::NotMapped | VmaError::NoSpace => 12,
            VmaError::Exists => 17,
            VmaError::Fault | VmaError::Bus => 14,
            VmaError::Access => 13,
            VmaError::Again => 11,
            VmaError::Overflow => 75,
            VmaError::Permission => 1,
            VmaError::NotSupported => 95,
        }
    }
}

impl From<maple_tree::Error> for VmaError {
    fn from(e: maple_tree::Error) -> Self {
        match e {
            maple_tree::Error::Invalid | maple_tree::Error::WouldSplit => VmaError::Invalid,
            maple_tree::Error::Exists => VmaError::Exists,
            maple_tree::Error::Busy => VmaError::NoSpace,
            _ => VmaError::OutOfMemory,
        }
    }
}

impl fmt::Display for VmaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VmaError::Invalid => "invalid argument (EINVAL)",
            VmaError::OutOfMemory => "out of memory for tree nodes (ENOMEM)",
            VmaError::MapCountExceeded => "max_map_count reached (ENOMEM)",
            VmaError::NotMapped => "range not mapped (ENOMEM)",
            VmaError::NoSpace => "no free range fits (ENOMEM)",
            VmaError::Exists => "range already mapped (EEXIST)",
            VmaError::Fault => "bad address (EFAULT)",
            VmaError::Bus => "access past the end of the backing object (SIGBUS)",
            VmaError::Access => "permission exceeds the mapping's maximum (EACCES)",
            VmaError::Again => "resource temporarily unavailable (EAGAIN)",
            VmaError::Overflow => "offset overflow (EOVERFLOW)",
            VmaError::Permission => "operation not permitted (EPERM)",
            VmaError::NotSupported => "flag not supported by the mapping (EOPNOTSUPP)",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for VmaError {}
