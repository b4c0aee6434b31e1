//! The adapter between the replay and an address space: the [`Space`] trait, which is all
//! the replay asks of an address space, and its implementations.
//!
//! * [`PageModel`]: the page-granular oracle (`model.rs`), always available.
//! * [`VmaSpace`](crate::vma_space::VmaSpace): the VMA manager, `maple_vma::AddressSpace`.

use std::collections::HashMap;

use crate::model::{page_up, perms_of, PageModel};
use crate::strace::{Call, Ret};
use maple_vma::maps::MapsLine;

/// Device and inode of files by path: strace logs do not show them, `/proc/pid/maps` does.
pub type Files = HashMap<String, (u32, u32, u64)>;

/// File identities (device, inode) by path, from the files mapped in the given layouts.
pub fn files_of<'a>(layouts: impl Iterator<Item = &'a MapsLine>) -> Files {
    let mut files = Files::new();
    for entry in layouts.filter(|entry| entry.inode != 0) {
        files.insert(entry.path.clone(), (entry.dev.0, entry.dev.1, entry.inode));
    }
    files
}

/// Counters an implementation may keep.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    /// VMA edges made inside a VMA.
    pub splits: u64,
    /// VMA edges that vanished into one VMA.
    pub merges: u64,
}

/// An address space the replay can drive.
pub trait Space: Sized {
    /// What the summary calls it.
    const NAME: &'static str;

    /// An empty address space (after `execve`, before the kernel's own mappings).
    fn empty() -> Self;

    /// An address space holding `layout`.
    fn from_layout(layout: &[MapsLine]) -> Result<Self, String>;

    /// The child's address space after a `fork` (no `CLONE_VM`).
    fn fork(&mut self) -> Result<Self, String>;

    /// Applies `call`, which returned `ret` in the kernel, at the addresses the kernel
    /// chose. When `place` is set and the kernel chose the address (mmap without
    /// `MAP_FIXED`, a moving mremap), returns the address this space would have chosen, if
    /// it can tell. An error says why the call makes no sense for the layout (or had another
    /// result than in the kernel).
    fn apply(&mut self, call: &Call, ret: &Ret, place: bool, files: &Files) -> Result<Option<u64>, String>;

    /// Checks the space's internal invariants.
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }

    /// The layout in `/proc/pid/maps` form.
    fn layout(&self) -> Vec<MapsLine>;

    /// Number of VMAs.
    fn map_count(&self) -> usize {
        self.layout().len()
    }

    /// Splits and merges so far, if the implementation counts them.
    fn counters(&self) -> Option<Counters> {
        None
    }
}

impl Space for PageModel {
    const NAME: &'static str = "page model";

    fn empty() -> Self {
        PageModel::default()
    }

    fn from_layout(layout: &[MapsLine]) -> Result<Self, String> {
        if let Some(entry) = layout.iter().find(|entry| entry.offset.checked_add(entry.end - entry.start).is_none()) {
            return Err(format!(
                "{:x}-{:x}: its file offset {:x} runs past the largest file",
                entry.start, entry.end, entry.offset
            ));
        }
        Ok(PageModel::from_layout(layout))
    }

    fn fork(&mut self) -> Result<Self, String> {
        Ok(PageModel::fork(self))
    }

    fn apply(&mut self, call: &Call, ret: &Ret, _place: bool, files: &Files) -> Result<Option<u64>, String> {
        // The model replays what the kernel did; a failed call did nothing (brk excepted:
        // it returns the current break rather than an error).
        let value = match (call, ret) {
            (Call::Brk { addr }, Ret::Value(value)) => {
                self.brk(*addr, *value);
                return Ok(None);
            }
            (_, Ret::Value(value)) => *value,
            (_, Ret::Error(_)) => return Ok(None),
            (_, Ret::Unknown) => return Err("the call's result is unknown".into()),
        };
        // The kernel refuses unaligned addresses and returns only aligned ones: a log that says
        // otherwise is inconsistent, and the page model (which keeps whole pages) cannot
        // replay it.
        let unaligned = |at: u64| at % crate::maps::PAGE != 0;
        let misaligned = match call {
            Call::Mmap { .. } => unaligned(value),
            Call::Mremap { addr, .. } => unaligned(*addr) || unaligned(value),
            Call::Munmap { addr, .. }
            | Call::Mprotect { addr, .. }
            | Call::Madvise { addr, .. }
            | Call::Mlock { addr, .. }
            | Call::Munlock { addr, .. } => unaligned(*addr),
            _ => false,
        };
        if misaligned {
            return Err("the call succeeded in the kernel at an address that is not page-aligned".into());
        }
        if !within_limits(call) {
            return Err("the call succeeded in the kernel with a file offset past 2^63, which no kernel accepts".into());
        }
        let covered =
            |model: &PageModel, addr: u64, len: u64, what: &str| match model.first_hole(addr, addr + page_up(len)) {
                Some(hole) => Err(format!("{what} succeeded in the kernel, but {hole:x} is unmapped in the replay")),
                None => Ok(()),
            };
        match call {
            Call::Mmap { len, prot, flags, path, offset, .. } => {
                let identity = path.as_deref().and_then(|path| files.get(path)).copied().unwrap_or((0, 0, 0));
                self.mmap(value, *len, *prot, *flags, path.as_deref(), *offset, identity);
            }
            Call::Munmap { addr, len } => {
                self.remove(*addr, addr + page_up(*len));
            }
            Call::Mprotect { addr, len, prot } if *len > 0 => {
                self.protect(*addr, addr + page_up(*len), perms_of(*prot, false))?;
            }
            Call::Mremap { addr, old_len, new_len, flags, .. } => {
                self.mremap(*addr, *old_len, *new_len, *flags, value)?
            }
            Call::Madvise { addr, len, advice } => {
                covered(self, *addr, *len, "madvise")?;
                // MADV_DONTFORK and MADV_DOFORK decide what a child gets.
                if let 10 | 11 = advice {
                    self.set_dontfork(*addr, addr + page_up(*len), *advice == 10);
                }
            }
            Call::Mlock { addr, len, .. } => covered(self, *addr, *len, "mlock")?,
            Call::Munlock { addr, len } => covered(self, *addr, *len, "munlock")?,
            _ => {}
        }
        Ok(None)
    }

    fn layout(&self) -> Vec<MapsLine> {
        PageModel::layout(self)
    }
}

/// Past the largest file offset (Linux's `MAX_LFS_FILESIZE` on 64-bit is 2^63 - 1).
const OFFSET_LIMIT: u64 = 1 << 63;

/// Whether the file offset of a successful call is one a kernel can have accepted; a log
/// that says otherwise is inconsistent. (Its address ranges were checked by the engine
/// before: [`Call::ranges`].)
fn within_limits(call: &Call) -> bool {
    match call {
        // The page model keeps the offset of file mappings only (the kernel ignores it for
        // anonymous memory).
        Call::Mmap { len, offset, flags, path, .. } if path.is_some() && flags & crate::flags::MAP_ANONYMOUS == 0 => {
            offset.checked_add(page_up(*len)).is_some_and(|end| end <= OFFSET_LIMIT)
        }
        _ => true,
    }
}
