//! The VMA manager as a replay [`Space`]: `maple_vma::AddressSpace` driven by the logged
//! system calls at the addresses the kernel chose.
//!
//! What a log cannot show, and what this adapter assumes instead (each assumption is a
//! possible VMA boundary difference, never a page difference):
//!
//! * **The start layout's hidden state.** `/proc/pid/maps` shows no VMA flags beyond the
//!   permissions and no anonymous identities. Seeded VMAs get the flags Linux gives such
//!   mappings: `MAY*` for private mappings, `ACCOUNT` for private writable ones,
//!   `GROWSDOWN|ACCOUNT` for `[stack]`, `DONTEXPAND` (one of the never-merging special flags)
//!   for `[vdso]`/`[vvar]`-like mappings. Two adjacent entries that look mergeable but that
//!   the kernel kept apart get `ACCOUNT` on the second (the usual cause: a RELRO region,
//!   written then made read-only, keeps `VM_ACCOUNT`). Every private writable VMA of the
//!   start layout is taken as written (it gets an anonymous identity by a write fault).
//! * **Writes.** Before an `mprotect` that removes write permission and before an `mremap`
//!   that moves, the private writable VMAs concerned are write-faulted: programs write
//!   what they relocate or move (RELRO, realloc), and the kernel's decision depends on it.
//! * **Files.** The log names files by path only: each path is one open file description,
//!   with the device and inode the start or end layout shows for it.
//! * **Failed calls** are replayed with their logged arguments and must fail with the
//!   kernel's errno (for the errors a layout decides: `EINVAL`, `ENOMEM`, `EEXIST`,
//!   `EFAULT`); what Linux applies before failing is kept.
//! * **Special names.** `[vdso]`, `[vvar]`... come from the start layout by address; the
//!   `[vsyscall]` gate area (above the task size, not a VMA) is shown as it was; an entry
//!   that crosses the task size is an error of the start layout.

use std::collections::HashMap;
use std::sync::Arc;

use maple_vma::{AddressSpace, Advice, Backing, Config, FileRef, MapFlags, MremapFlags, Prot, VmFlags, Vma, VmaError};

use crate::apply::{Counters, Files, Space};
use crate::flags::{MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_SHARED_VALIDATE, PROT_WRITE};
use maple_vma::maps::MapsLine;

use crate::maps::{PAGE, SHARED_ANONYMOUS};
use crate::model::page_up;
use crate::strace::{Call, Ret};

/// A `maple_vma::AddressSpace` with what the replay needs around it.
pub struct VmaSpace {
    mm: AddressSpace,
    files: HashMap<String, Arc<FileRef>>,
    next_file: u64,
    brk_known: bool,
    /// Start-layout entries the address space cannot hold (the gate area).
    gate: Vec<MapsLine>,
    /// Names of special mappings from the start layout, by range.
    names: HashMap<(u64, u64), String>,
    counters: Counters,
}

fn vma_error(error: VmaError) -> String {
    format!("the VMA manager refused what the kernel did: {error}")
}

impl VmaSpace {
    fn new() -> Self {
        VmaSpace {
            mm: AddressSpace::new(Config::default()),
            files: HashMap::new(),
            next_file: 1,
            brk_known: false,
            gate: Vec::new(),
            names: HashMap::new(),
            counters: Counters::default(),
        }
    }

    /// The open file description standing for `path`.
    fn file(&mut self, path: &str, identity: Option<&(u32, u32, u64)>, writable: bool) -> Arc<FileRef> {
        if let Some(file) = self.files.get(path) {
            return file.clone();
        }
        let id = self.next_file;
        self.next_file += 1;
        let (dev, inode) = identity.map_or(((0, 0), 0), |&(major, minor, inode)| ((major, minor), inode));
        let mut file = FileRef::new(id, path);
        (file.dev, file.inode, file.writable) = (dev, inode, writable);
        let file = Arc::new(file);
        self.files.insert(path.to_owned(), file.clone());
        file
    }

    /// Whether `addr` is strictly inside a VMA, and whether a VMA starts or ends there.
    fn point(&self, addr: u64) -> (bool, bool) {
        let here = self.mm.vma_lookup(addr);
        let inside = here.is_some_and(|vma| vma.start() < addr);
        let starts = here.is_some_and(|vma| vma.start() == addr);
        let ends = addr > 0 && self.mm.vma_lookup(addr - 1).is_some_and(|vma| vma.end() == addr);
        (inside, starts || ends)
    }

    /// The addresses where a split or a merge may show in `[lo, hi]`: its ends and the VMA
    /// edges in it.
    fn points(&self, lo: u64, hi: u64, into: &mut Vec<u64>) {
        into.extend([lo, hi]);
        for vma in self.mm.range(lo..hi.saturating_add(1)) {
            into.extend([vma.start(), vma.end()].into_iter().filter(|&x| lo <= x && x <= hi));
        }
    }

    /// Runs `op` and counts what it did in the windows it touches: a split where an address
    /// strictly inside a VMA became a VMA edge, a merge where a VMA edge became strictly
    /// inside a VMA.
    fn counted<T>(
        &mut self,
        windows: &[(u64, u64)],
        op: impl FnOnce(&mut Self) -> Result<T, String>,
    ) -> Result<T, String> {
        let mut candidates = Vec::new();
        for &(lo, hi) in windows {
            self.points(lo, hi, &mut candidates);
        }
        candidates.sort_unstable();
        candidates.dedup();
        let before: Vec<(u64, (bool, bool))> = candidates.iter().map(|&x| (x, self.point(x))).collect();
        let result = op(self)?;
        for (x, (was_inside, was_edge)) in before {
            let (inside, edge) = self.point(x);
            self.counters.splits += u64::from(was_inside && edge);
            self.counters.merges += u64::from(was_edge && inside);
        }
        Ok(result)
    }

    /// Write-faults the private writable VMAs in `[start, end)` (see the module docs).
    fn touch(&mut self, start: u64, end: u64) {
        let targets: Vec<u64> = self
            .mm
            .range(start..end)
            .filter(|vma| vma.flags().contains(VmFlags::WRITE) && !vma.flags().contains(VmFlags::SHARED))
            .map(|vma| vma.start().max(start))
            .collect();
        for addr in targets {
            let _ = self.mm.fault(addr, true);
        }
    }

    /// The protection, flags and file of a logged mmap, as the VMA manager takes them.
    fn mmap_args(&mut self, call: &Call, files: &Files) -> (Prot, MapFlags, Option<(Arc<FileRef>, u64)>) {
        let Call::Mmap { prot, flags, fd, path, offset, .. } = call else { unreachable!() };
        let prot = Prot::from_bits_retain((*prot & 0x7) as u32);
        let mut map_flags = MapFlags::from_bits_retain(*flags as u32 & MapFlags::ALL.bits());
        // MAP_SHARED_VALIDATE is MAP_SHARED with both sharing bits set.
        if flags & MAP_SHARED_VALIDATE == MAP_SHARED_VALIDATE {
            map_flags.remove(MapFlags::PRIVATE);
        }
        let shared = map_flags.contains(MapFlags::SHARED);
        let file = if map_flags.contains(MapFlags::ANONYMOUS) {
            None
        } else {
            let name = path.clone().unwrap_or_else(|| format!("fd {fd}"));
            let writable = !shared || prot.contains(Prot::WRITE);
            Some((self.file(&name, files.get(&name), writable), *offset / PAGE))
        };
        (prot, map_flags, file)
    }

    fn mmap(&mut self, call: &Call, ret: u64, place: bool, files: &Files) -> Result<Option<u64>, String> {
        let Call::Mmap { addr, len, flags, .. } = call else { unreachable!() };
        let (prot, map_flags, file) = self.mmap_args(call, files);
        let kernel_placed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) == 0;
        let len = *len;
        self.counted(&[(ret, ret.saturating_add(len))], |space| {
            let mut ours_placed = None;
            if place && kernel_placed {
                let ours = space.mm.mmap(*addr, len, prot, map_flags, file.clone()).map_err(vma_error)?;
                ours_placed = Some(ours);
                if ours == ret {
                    return Ok(ours_placed);
                }
                space.mm.munmap(ours, len).map_err(vma_error)?;
            }
            let mut fixed = map_flags;
            fixed.remove(MapFlags::FIXED_NOREPLACE);
            fixed.insert(MapFlags::FIXED);
            let got = space.mm.mmap(ret, len, prot, fixed, file).map_err(vma_error)?;
            if got != ret {
                return Err(format!("mapped at {got:x}, the kernel at {ret:x}"));
            }
            Ok(ours_placed)
        })
    }

    fn mremap(&mut self, call: &Call, ret: u64, place: bool) -> Result<Option<u64>, String> {
        let Call::Mremap { addr, old_len, new_len, flags, new_addr } = call else { unreachable!() };
        let (addr, old_len, new_len) = (*addr, *old_len, *new_len);
        let flags = MremapFlags::from_bits_retain(*flags as u32);
        let moved = ret != addr;
        if moved {
            self.touch(addr, addr.saturating_add(old_len.max(PAGE)));
        }
        let windows = [(addr, addr.saturating_add(old_len.max(new_len))), (ret, ret.saturating_add(new_len))];
        self.counted(&windows, |space| {
            let mut ours_placed = None;
            let mut at = addr;
            let mut len = old_len;
            if place && moved && !flags.contains(MremapFlags::FIXED) {
                let ours = space.mm.mremap(addr, old_len, new_len, flags, *new_addr).map_err(vma_error)?;
                ours_placed = Some(ours);
                if ours == ret {
                    return Ok(ours_placed);
                }
                (at, len) = (ours, new_len);
            }
            let flags = if moved { flags | MremapFlags::MAYMOVE | MremapFlags::FIXED } else { flags };
            let got = space.mm.mremap(at, len, new_len, flags, ret).map_err(vma_error)?;
            if got != ret {
                return Err(format!("remapped to {got:x}, the kernel to {ret:x}"));
            }
            Ok(ours_placed)
        })
    }

    fn brk(&mut self, addr: u64, ret: u64) -> Result<(), String> {
        if !self.brk_known {
            self.mm.set_brk_base(ret);
            self.brk_known = true;
        }
        // brk(0) is below the heap's start: refused, it returns the current break.
        let old = self.mm.brk(0);
        let window = (page_up(old.min(ret)), page_up(old.max(ret)));
        let got = self.counted(&[window], |space| {
            let got = space.mm.brk(if addr == 0 { ret } else { addr });
            Ok(got)
        })?;
        if got != ret {
            return Err(format!("the break is {got:x}, the kernel's {ret:x}"));
        }
        Ok(())
    }
}

impl VmaSpace {
    /// Runs `call` with its logged arguments; `None` if the VMA manager has no such call.
    fn run_logged(&mut self, call: &Call, files: &Files) -> Option<Result<(), VmaError>> {
        let result = match *call {
            Call::Mmap { addr, len, .. } => {
                let (prot, flags, file) = self.mmap_args(call, files);
                self.mm.mmap(addr, len, prot, flags, file).map(drop)
            }
            Call::Munmap { addr, len } => self.mm.munmap(addr, len),
            Call::Mprotect { addr, len, prot } => {
                self.mm.mprotect(addr, len, Prot::from_bits_retain((prot & 0x7) as u32))
            }
            Call::Mremap { addr, old_len, new_len, flags, new_addr } => {
                self.mm.mremap(addr, old_len, new_len, MremapFlags::from_bits_retain(flags as u32), new_addr).map(drop)
            }
            Call::Madvise { addr, len, advice } => {
                let advice = i32::try_from(advice).ok().and_then(Advice::from_raw)?;
                self.mm.madvise(addr, len, advice)
            }
            Call::Mlock { addr, len, flags } => self.mm.mlock(addr, len, flags & 1 != 0),
            Call::Munlock { addr, len } => self.mm.munlock(addr, len),
            _ => return None,
        };
        Some(result)
    }

    /// A call that failed in the kernel with `errno`: replayed with its logged arguments, it
    /// must fail the same way, and what Linux applies before failing (mprotect, mlock or
    /// madvise stopping at a hole) is kept. Failures that depend on what an address space
    /// does not hold (`EBADF`, `EACCES`, `EAGAIN` from limits...) are not compared.
    fn apply_failed(&mut self, call: &Call, errno: &str, files: &Files) -> Result<(), String> {
        let expected = match errno {
            "EINVAL" => 22,
            "ENOMEM" => 12,
            "EEXIST" => 17,
            "EFAULT" => 14,
            _ => return Ok(()),
        };
        let before = self.mm.clone();
        match self.run_logged(call, files) {
            None => Ok(()),
            Some(Err(error)) if error.errno() == expected => Ok(()),
            outcome => {
                self.mm = before;
                match outcome {
                    Some(Err(error)) => Err(format!("the kernel failed with {errno}, the VMA manager with {error}")),
                    _ => Err(format!("the kernel failed with {errno}, the VMA manager succeeded")),
                }
            }
        }
    }
}

/// Whether `next` looks mergeable with `previous` in `/proc/pid/maps`.
fn looks_mergeable(previous: &MapsLine, next: &MapsLine) -> bool {
    previous.end == next.start
        && previous.perms == next.perms
        && (previous.dev, previous.inode, &previous.path) == (next.dev, next.inode, &next.path)
        && (next.inode == 0 || previous.offset.checked_add(previous.end - previous.start) == Some(next.offset))
        && !next.path.starts_with('[')
}

impl Space for VmaSpace {
    const NAME: &'static str = "VMA manager";

    fn empty() -> Self {
        VmaSpace::new()
    }

    fn from_layout(layout: &[MapsLine]) -> Result<Self, String> {
        let mut space = VmaSpace::new();
        // ASLR moved the top of the mmap area: the kernel placed the first mapping (the
        // dynamic loader) right below it, so it is the end of the highest VMA under the stack.
        let stack = layout.iter().find(|entry| entry.path == "[stack]").map_or(u64::MAX, |entry| entry.start);
        if let Some(top) =
            layout.iter().filter(|entry| entry.end <= stack && !entry.path.starts_with('[')).map(|e| e.end).max()
        {
            // The highest mapping ends below the task size; otherwise keep the default.
            if let Ok(config) = Config::builder().mmap_base(top).build() {
                space.mm = AddressSpace::new(config);
            }
        }
        let task_size = space.mm.config().task_size();
        let mut heap = None;
        let mut previous: Option<&MapsLine> = None;
        for entry in layout {
            let after = previous.replace(entry);
            if entry.end > task_size {
                // Only an entry wholly above the task size is gate area; one that crosses it
                // would hide its low part from the address space.
                if entry.start < task_size {
                    return Err(format!(
                        "{:x}-{:x} crosses the task size {task_size:#x}: it is neither a VMA nor gate area",
                        entry.start, entry.end
                    ));
                }
                space.gate.push(entry.clone());
                continue;
            }
            if entry.path == "[heap]" {
                heap = Some(entry);
                continue;
            }
            let perms = entry.perms;
            let mut flags = VmFlags::MAYREAD | VmFlags::MAYEXEC;
            flags.set(VmFlags::READ, perms.read);
            flags.set(VmFlags::WRITE, perms.write);
            flags.set(VmFlags::EXEC, perms.exec);
            if perms.shared {
                flags.insert(VmFlags::SHARED | VmFlags::MAYSHARE);
                flags.set(VmFlags::MAYWRITE, perms.write);
            } else {
                flags.insert(VmFlags::MAYWRITE);
                flags.set(VmFlags::ACCOUNT, perms.write);
            }
            let backing = if entry.path == SHARED_ANONYMOUS && perms.shared {
                // The object is at least as large as what is mapped of it.
                Backing::SharedAnonymous {
                    object: entry.inode,
                    pages: (entry.offset / PAGE).saturating_add((entry.end - entry.start) / PAGE),
                }
            } else if entry.is_file() {
                let identity = (entry.dev.0, entry.dev.1, entry.inode);
                Backing::File(space.file(&entry.path, Some(&identity), perms.write || !perms.shared))
            } else {
                Backing::Anonymous
            };
            match entry.path.as_str() {
                "[stack]" => {
                    flags.insert(VmFlags::GROWSDOWN | VmFlags::ACCOUNT);
                    space.mm.set_start_stack(entry.end - 1);
                }
                name if name.starts_with('[') => {
                    flags.insert(VmFlags::DONTEXPAND);
                    space.names.insert((entry.start, entry.end), name.to_owned());
                }
                _ => {}
            }
            if after.is_some_and(|previous| looks_mergeable(previous, entry)) {
                flags.insert(VmFlags::ACCOUNT);
            }
            let pgoff = if matches!(backing, Backing::Anonymous) { entry.start / PAGE } else { entry.offset / PAGE };
            let vma = Vma::new(entry.start, entry.end, pgoff, flags, backing, ());
            space.mm.insert(vma).map_err(|error| format!("{:x}-{:x}: {error}", entry.start, entry.end))?;
        }
        if let Some(heap) = heap {
            space.mm.set_brk_base(heap.start);
            space.brk_known = true;
            if space.mm.brk(heap.end) != heap.end {
                return Err(format!("the heap {:x}-{:x} cannot be set up", heap.start, heap.end));
            }
        }
        let writable: Vec<u64> =
            space.mm.iter().filter(|vma| vma.flags().contains(VmFlags::WRITE)).map(Vma::start).collect();
        for addr in writable {
            let _ = space.mm.fault(addr, true);
        }
        Ok(space)
    }

    fn fork(&mut self) -> Result<Self, String> {
        Ok(VmaSpace {
            mm: self.mm.fork().map_err(vma_error)?,
            files: self.files.clone(),
            next_file: self.next_file,
            brk_known: self.brk_known,
            gate: self.gate.clone(),
            names: self.names.clone(),
            counters: Counters::default(),
        })
    }

    fn apply(&mut self, call: &Call, ret: &Ret, place: bool, files: &Files) -> Result<Option<u64>, String> {
        let value = match ret {
            Ret::Value(value) => *value,
            Ret::Error(errno) => return self.apply_failed(call, errno, files).map(|()| None),
            Ret::Unknown => return Err("the call's result is unknown".into()),
        };
        match call {
            Call::Mmap { .. } => return self.mmap(call, value, place, files),
            Call::Mremap { .. } => return self.mremap(call, value, place),
            Call::Brk { addr } => self.brk(*addr, value)?,
            Call::Munmap { addr, len } => {
                let (addr, len) = (*addr, *len);
                self.counted(&[(addr, addr.saturating_add(len))], |space| {
                    space.mm.munmap(addr, len).map_err(vma_error)
                })?;
            }
            Call::Mprotect { addr, len, prot } => {
                let (addr, len) = (*addr, *len);
                if prot & PROT_WRITE == 0 {
                    self.touch(addr, addr.saturating_add(len));
                }
                let prot = Prot::from_bits_retain((*prot & 0x7) as u32);
                self.counted(&[(addr, addr.saturating_add(len))], |space| {
                    space.mm.mprotect(addr, len, prot).map_err(vma_error)
                })?;
            }
            Call::Madvise { addr, len, advice } => {
                let (addr, len) = (*addr, *len);
                if let Some(advice) = i32::try_from(*advice).ok().and_then(Advice::from_raw) {
                    self.counted(&[(addr, addr.saturating_add(len))], |space| {
                        space.mm.madvise(addr, len, advice).map_err(vma_error)
                    })?;
                }
            }
            Call::Mlock { addr, len, flags } => {
                let (addr, len, on_fault) = (*addr, *len, flags & 1 != 0);
                self.counted(&[(addr, addr.saturating_add(len))], |space| {
                    space.mm.mlock(addr, len, on_fault).map_err(vma_error)
                })?;
            }
            Call::Munlock { addr, len } => {
                let (addr, len) = (*addr, *len);
                self.counted(&[(addr, addr.saturating_add(len))], |space| {
                    space.mm.munlock(addr, len).map_err(vma_error)
                })?;
            }
            Call::Mlockall { .. } | Call::Munlockall => {
                return Err("mlockall is not modelled by the VMA manager".into())
            }
            _ => {}
        }
        Ok(None)
    }

    fn layout(&self) -> Vec<MapsLine> {
        let mut layout: Vec<MapsLine> = self.mm.maps_lines().collect();
        for entry in &mut layout {
            if let Some(name) = self.names.get(&(entry.start, entry.end)) {
                entry.path = name.clone();
            }
        }
        layout.extend(self.gate.iter().cloned());
        layout
    }

    fn map_count(&self) -> usize {
        self.mm.map_count()
    }

    fn validate(&self) -> Result<(), String> {
        self.mm.validate().map_err(|violation| format!("the VMA manager's invariants broke: {violation}"))
    }

    fn counters(&self) -> Option<Counters> {
        Some(self.counters)
    }
}

#[cfg(test)]
#[path = "vma_space_tests.rs"]
mod tests;
