//! The error type of every fallible tree operation.

use core::fmt;

/// Why a tree operation failed. A failed operation changes nothing.
///
/// The variants mirror the kernel's error codes (`-EINVAL`, `-EEXIST`, `-ENOMEM`, `-EBUSY`;
/// [`Error::WouldSplit`], which the kernel has no use for, is `-EINVAL`); [`Error::errno`]
/// gives the number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The arguments make no sense: `first > last`, a zero size, an empty window.
    Invalid,
    /// Part of the range already holds an entry (from the insert family).
    Exists,
    /// A node could not be allocated; the tree is exactly as it was.
    NoMemory,
    /// No free range fits the request (from the free-range searches).
    Busy,
    /// The store would cut one stored value in two, which needs a copy of it (from the
    /// stores for values that are not `Clone`, such as [`MapleTree::store_no_split`]).
    ///
    /// [`MapleTree::store_no_split`]: crate::MapleTree::store_no_split
    WouldSplit,
}

impl Error {
    /// The Linux errno the kernel returns for this error (positive).
    pub const fn errno(self) -> i32 {
        match self {
            Error::Invalid => 22,
            Error::Exists => 17,
            Error::NoMemory => 12,
            Error::Busy => 16,
            Error::WouldSplit => 22,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Invalid => "invalid argument",
            Error::Exists => "range already occupied",
            Error::NoMemory => "out of memory",
            Error::Busy => "no free range fits",
            Error::WouldSplit => "the store would cut a value in two",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}
