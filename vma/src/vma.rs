//! [`Vma`]: one virtual memory area, and what backs it.
//!
//! Invariants (checked by [`crate::AddressSpace::validate`]): `start < end`, both multiples
//! of the page size; `pgoff + pages` fits in a `u64`; `pgoff` is the page offset into the backing object of `start` (for
//! private anonymous memory, address-derived: `start / page_size` when created).

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

use crate::flags::VmFlags;

/// An open file description that can be mapped. Two mappings are of "the same file" for
/// merging when their `FileRef`s have the same [`FileRef::id`] (the kernel compares
/// `struct file` pointers, so two `open()`s of one inode do not merge).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FileRef {
    /// Identity of the open file description.
    pub id: u64,
    /// Device `(major, minor)` shown in `/proc/pid/maps`.
    pub dev: (u32, u32),
    /// Inode number shown in `/proc/pid/maps`.
    pub inode: u64,
    /// Path shown in `/proc/pid/maps` (for a memfd: `/memfd:name (deleted)`).
    pub path: String,
    /// Whether the description is open for writing: a shared mapping of a read-only file
    /// loses `VM_MAYWRITE` (and cannot be made writable).
    pub writable: bool,
    /// Whether the file's mapping has a `close` hook (`vm_ops->close`): such VMAs are never
    /// deleted by a merge (only extended).
    pub has_close: bool,
    /// File size in pages (`u64::MAX` if unknown): faults past it raise SIGBUS.
    pub size_pages: u64,
    /// What kind of file it is, which bounds the offsets it can be mapped at.
    pub kind: FileKind,
}

/// The kind of a mapped file (its inode type, as far as mmap cares): it decides the largest
/// offset + length a mapping may reach before mmap fails with `EOVERFLOW`
/// (`file_mmap_size_max`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FileKind {
    /// A regular file (also memfd and shmem files): up to `MAX_LFS_FILESIZE` (`2^63 - 1`).
    #[default]
    Regular,
    /// A block device: up to `MAX_LFS_FILESIZE`.
    BlockDevice,
    /// A socket: up to `MAX_LFS_FILESIZE`.
    Socket,
    /// A character device or other special file: the range must fit below `2^64`.
    CharDevice,
    /// A special file that takes every unsigned offset (`FOP_UNSIGNED_OFFSET`, `/dev/mem`).
    UnsignedOffset,
}

impl FileKind {
    /// `file_mmap_size_max`: the largest byte offset + length (0: no limit).
    fn max_size(self) -> u64 {
        match self {
            FileKind::Regular | FileKind::BlockDevice | FileKind::Socket => i64::MAX as u64,
            FileKind::CharDevice => u64::MAX,
            FileKind::UnsignedOffset => 0,
        }
    }

    /// `file_mmap_ok`: whether `len` bytes at page offset `pgoff` stay within
    /// [`max_size`](Self::max_size). Written the kernel's way, without computing the end:
    /// with no limit (0) the subtraction wraps on purpose, so that the offset check then only
    /// refuses a range that wraps.
    pub(crate) fn mmap_ok(self, pgoff: u64, len: u64, page_shift: u32) -> bool {
        let max = self.max_size();
        if max != 0 && len > max {
            return false;
        }
        pgoff <= max.wrapping_sub(len) >> page_shift
    }
}

impl FileRef {
    /// A writable regular file description of unknown size with the given identity, shown as
    /// `path` with device `00:00` and inode `id`.
    pub fn new(id: u64, path: impl Into<String>) -> Self {
        FileRef {
            id,
            dev: (0, 0),
            inode: id,
            path: path.into(),
            writable: true,
            has_close: false,
            size_pages: u64::MAX,
            kind: FileKind::Regular,
        }
    }
}

/// What a VMA maps.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Backing {
    /// Private anonymous memory (`pgoff` is address-derived).
    Anonymous,
    /// Shared anonymous memory: each `mmap(MAP_SHARED|MAP_ANONYMOUS)` creates its own shmem
    /// object (identity `object`), shown as `/dev/zero (deleted)`; different objects never
    /// merge.
    SharedAnonymous {
        /// Identity of the shmem object (also the inode shown in maps).
        object: u64,
        /// Size of the object in pages: the length of the mmap that created it. Faults past
        /// it raise SIGBUS (after an mremap that grew the mapping).
        pages: u64,
    },
    /// A file, through an open file description.
    File(Arc<FileRef>),
}

impl Backing {
    /// Whether this is private anonymous memory (`vma_is_anonymous`).
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Backing::Anonymous)
    }

    /// The kernel's `vm_file` identity: `None` for private anonymous memory.
    pub(crate) fn file_identity(&self) -> Option<(bool, u64)> {
        match self {
            Backing::Anonymous => None,
            Backing::SharedAnonymous { object, .. } => Some((false, *object)),
            Backing::File(f) => Some((true, f.id)),
        }
    }

    pub(crate) fn same_object(&self, other: &Backing) -> bool {
        self.file_identity() == other.file_identity()
    }

    /// Pages of the backing object (`u64::MAX` for private anonymous memory or an unknown
    /// file size).
    pub(crate) fn object_pages(&self) -> u64 {
        match self {
            Backing::Anonymous => u64::MAX,
            Backing::SharedAnonymous { pages, .. } => *pages,
            Backing::File(f) => f.size_pages,
        }
    }

    fn has_close(&self) -> bool {
        matches!(self, Backing::File(f) if f.has_close)
    }
}

/// Identity of an anonymous-memory object (the kernel's `anon_vma`), assigned by the first
/// write fault on a private mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AnonId(pub u64);

/// A VMA's anonymous-memory link: the object and whether it was inherited through fork (the
/// kernel's `anon_vma_chain` is then longer than one entry, which restricts merges).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Anon {
    /// The anonymous-memory object.
    pub id: AnonId,
    /// Whether the chain has more than one entry (a fork child's VMA).
    pub inherited: bool,
}

/// One virtual memory area: `[start, end)` with its flags, backing and anonymous identity,
/// plus user data `D` (cloned on split, compared for merges by the
/// [`MergePolicy`](crate::MergePolicy)).
#[derive(Clone, PartialEq, Eq)]
pub struct Vma<D = ()> {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) pgoff: u64,
    pub(crate) flags: VmFlags,
    pub(crate) backing: Backing,
    pub(crate) anon: Option<Anon>,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) data: D,
}

impl<D> Vma<D> {
    /// First byte address.
    pub fn start(&self) -> u64 {
        self.start
    }
    /// One past the last byte address.
    pub fn end(&self) -> u64 {
        self.end
    }
    /// `end - start` (zero for a value from [`Vma::new`] whose end is not above its start,
    /// which [`AddressSpace::insert`](crate::AddressSpace::insert) refuses).
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
    /// Whether the range is empty: never for a VMA of an address space, which covers at
    /// least one page.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The range as a Rust range.
    pub fn range(&self) -> core::ops::Range<u64> {
        self.start..self.end
    }
    /// Whether `addr` lies inside.
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }
    /// Page offset into the backing object of `start` (`vm_pgoff`).
    pub fn pgoff(&self) -> u64 {
        self.pgoff
    }
    /// The flags, including the ones `/proc/pid/maps` does not show.
    pub fn flags(&self) -> VmFlags {
        self.flags
    }
    /// What the VMA maps.
    pub fn backing(&self) -> &Backing {
        &self.backing
    }
    /// The anonymous-memory identity, if a write fault (or a merge) gave it one.
    pub fn anon(&self) -> Option<Anon> {
        self.anon
    }
    /// The name given with `PR_SET_VMA_ANON_NAME`, if any.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// The user data.
    pub fn data(&self) -> &D {
        &self.data
    }
    /// The user data, mutably. Changing it does not re-merge anything.
    pub fn data_mut(&mut self) -> &mut D {
        &mut self.data
    }
    /// Pages covered, for a page size of `1 << page_shift`.
    pub(crate) fn pages(&self, page_shift: u32) -> u64 {
        self.len() >> page_shift
    }
    /// The page offset of `addr` (in `[start, end]`) in the backing object. Cannot
    /// overflow for a VMA of an address space, whose `pgoff + pages` fits in a `u64` (every
    /// entry point checks it for the VMAs it creates; `validate` checks it for all).
    pub(crate) fn pgoff_at(&self, addr: u64, page_shift: u32) -> u64 {
        debug_assert!(self.start <= addr && addr <= self.end);
        #[allow(clippy::arithmetic_side_effects)] // pgoff + pages fits, and start <= addr <= end
        let pgoff = self.pgoff + ((addr - self.start) >> page_shift);
        pgoff
    }
    /// The page offset just past the VMA's last page (`pgoff + pages`); see
    /// [`pgoff_at`](Self::pgoff_at).
    pub(crate) fn pgoff_end(&self, page_shift: u32) -> u64 {
        self.pgoff_at(self.end, page_shift)
    }
    /// Whether a merge may delete this VMA (no `close` hook: `can_merge_remove_vma`).
    pub(crate) fn removable(&self) -> bool {
        !self.backing.has_close()
    }
}

impl<D: fmt::Debug> fmt::Debug for Vma<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vma")
            .field("range", &format_args!("{:#x}..{:#x}", self.start, self.end))
            .field("pgoff", &format_args!("{:#x}", self.pgoff))
            .field("flags", &self.flags)
            .field("backing", &self.backing)
            .field("anon", &self.anon)
            .field("name", &self.name)
            .field("data", &self.data)
            .finish()
    }
}
