//! Page faults (`handle_mm_fault` as far as VMAs are concerned: `anon_vma_prepare`) and
//! fork (`dup_mmap`).

use alloc::vec::Vec;

use crate::config::MergePolicy;
use crate::error::VmaError;
use crate::flags::VmFlags;
use crate::space::{AddressSpace, Slot};
use crate::vma::{Anon, AnonId, Vma};
use crate::vma_iter;

/// What a fault did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultOutcome {
    /// Permitted; no change to the VMA.
    Mapped,
    /// A write fault on private memory gave the VMA its anonymous identity: adopted from a
    /// compatible neighbour, or new.
    AnonAssigned(AnonId),
}

impl<D: Clone, P: MergePolicy<D>> AddressSpace<D, P> {
    /// A page fault at `addr`: checks that a VMA maps it with the needed permission, and on
    /// the first write to private memory assigns the VMA's anonymous identity the way
    /// `anon_vma_prepare` does: reuse the identity of the next, else the previous VMA if that
    /// neighbour is adjacent, has the same backing, flags equal apart from the access bits,
    /// linear pgoff and a non-inherited identity; otherwise a new one. Read faults (the zero
    /// page) and shared mappings assign nothing. The layout never changes.
    ///
    /// # Errors
    /// `Fault` if no VMA contains `addr`, or the access is not permitted (a write to a
    /// non-writable VMA, any access to a `PROT_NONE` one): the process would get SIGSEGV.
    /// `Bus` if the page lies past the end of the backing file or shmem object (SIGBUS); a
    /// write to a private mapping has then already been given its anonymous identity, as the
    /// kernel's copy-on-write path prepares it first.
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, FaultOutcome, MapFlags, Prot};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x4000, Prot::READ | Prot::WRITE, fixed, None)?;
    /// assert_eq!(mm.fault(0x10000, false)?, FaultOutcome::Mapped);
    /// assert!(matches!(mm.fault(0x10000, true)?, FaultOutcome::AnonAssigned(_)));
    /// assert!(mm.vma_lookup(0x10000).unwrap().anon().is_some());
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn fault(&mut self, addr: u64, write: bool) -> Result<FaultOutcome, VmaError> {
        let (_, slot) = self.slot_at(addr).ok_or(VmaError::Fault)?;
        let vma = self.vma_at(slot);
        let allowed = if write { vma.flags.contains(VmFlags::WRITE) } else { vma.flags.intersects(VmFlags::ACCESS) };
        if !allowed {
            return Err(VmaError::Fault);
        }
        let past_eof = vma.pgoff_at(addr, self.config.page_shift) >= vma.backing.object_pages();
        let cow = write && !vma.flags.contains(VmFlags::SHARED);
        if !cow || vma.anon.is_some() {
            return if past_eof { Err(VmaError::Bus) } else { Ok(FaultOutcome::Mapped) };
        }
        let next = self.slot_from(vma.end).map(|s| self.vma_at(s));
        let prev = self.slot_below(vma.start).map(|s| self.vma_at(s));
        let anon = self.anon_for_fault(prev, vma, next);
        // The copy-on-write path prepares the anonymous memory before it reads the page.
        self.vmas[slot as usize].as_mut().expect("live slot").anon = Some(anon);
        if past_eof {
            return Err(VmaError::Bus);
        }
        Ok(FaultOutcome::AnonAssigned(anon.id))
    }

    /// Faults in `[start, end)` as `__mm_populate` does after `mlock`, `MAP_LOCKED` or
    /// `MAP_POPULATE`, VMA by VMA: private writable VMAs take a write fault (and so an
    /// anonymous identity); `VM_LOCKONFAULT`, I/O and PFN-map VMAs are skipped. An
    /// inaccessible (`PROT_NONE`) VMA stops the walk with `NotMapped` (mlock reports it as
    /// ENOMEM) unless `ignore_errors` (mmap's populate).
    pub(crate) fn populate(&mut self, start: u64, end: u64, ignore_errors: bool) -> Result<(), VmaError> {
        let vmas: alloc::vec::Vec<(u64, VmFlags)> =
            self.range(start..end).map(|v| (v.start.max(start), v.flags)).collect();
        for (addr, flags) in vmas {
            if flags.intersects(VmFlags::LOCKONFAULT | VmFlags::IO | VmFlags::PFNMAP) {
                continue;
            }
            if !flags.intersects(VmFlags::ACCESS) {
                if ignore_errors {
                    continue;
                }
                return Err(VmaError::NotMapped);
            }
            let write = (flags & (VmFlags::WRITE | VmFlags::SHARED)) == VmFlags::WRITE;
            let vma_end = self.vma_lookup(addr).map_or(addr, |v| v.end.min(end));
            // The first page takes the anonymous identity; the last page is the one most likely
            // to lie past the end of the object. (`vma_end > addr`: the VMA intersects the
            // range, and `end` is page aligned.)
            let last_page = vma_end.saturating_sub(self.page_size()).max(addr);
            let first = self.fault(addr, write).map(drop);
            let last = self.fault(last_page, write).map(drop);
            if let Err(e) = first.and(last) {
                if !ignore_errors {
                    return Err(if e == VmaError::Bus { VmaError::NotMapped } else { e });
                }
            }
        }
        Ok(())
    }

    /// `anon_vma_prepare` for `vma`: the identity of `next`, else of `prev`, if that neighbour
    /// is compatible and its identity not inherited; else a new one.
    pub(crate) fn anon_for_fault(&self, prev: Option<&Vma<D>>, vma: &Vma<D>, next: Option<&Vma<D>>) -> Anon {
        let from_next = next.filter(|n| self.anon_compatible_neighbours(vma, n)).and_then(|n| n.anon);
        let from_prev = || prev.filter(|p| self.anon_compatible_neighbours(p, vma)).and_then(|p| p.anon);
        match from_next.filter(|a| !a.inherited).or_else(|| from_prev().filter(|a| !a.inherited)) {
            Some(a) => a,
            None => {
                let id = self.next_anon.get();
                self.next_anon.set(id.wrapping_add(1)); // 2^64 faults do not happen
                Anon { id: AnonId(id), inherited: false }
            }
        }
    }

    /// `anon_vma_compatible(a, b)`: `a` directly below `b` and alike enough to share
    /// anonymous memory.
    fn anon_compatible_neighbours(&self, a: &Vma<D>, b: &Vma<D>) -> bool {
        a.end == b.start
            && a.backing.same_object(&b.backing)
            && (a.flags ^ b.flags).difference(VmFlags::ACCESS | VmFlags::SOFTDIRTY).is_empty()
            && b.pgoff == a.pgoff_end(self.config.page_shift)
    }

    /// `fork()`: the child's address space. Every VMA is copied except `DONTCOPY` ones;
    /// the copy of a VMA with anonymous memory gets a new identity marked inherited (which
    /// restricts its merges, as the kernel's longer `anon_vma_chain` does), `WIPEONFORK`
    /// copies get none, and the child does not inherit `VM_LOCKED`. The parent is unchanged.
    ///
    /// The child's tree is a copy-on-write clone of the parent's: O(n / 64) plus the
    /// per-VMA copies, and the two trees share their nodes until either writes them.
    ///
    /// # Errors
    /// `OutOfMemory` if the child's tree cannot be made (the parent is unchanged).
    ///
    /// ```
    /// use maple_vma::{Advice, AddressSpace, Config, MapFlags, Prot};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x2000, Prot::READ | Prot::WRITE, fixed, None)?;
    /// mm.mmap(0x20000, 0x2000, Prot::READ | Prot::WRITE, fixed, None)?;
    /// mm.madvise(0x20000, 0x2000, Advice::DontFork)?;
    /// mm.fault(0x10000, true)?;
    /// let child = mm.fork()?;
    /// assert_eq!(child.map_count(), 1);
    /// let (parent_anon, child_anon) = (mm.iter().next().unwrap().anon(), child.iter().next().unwrap().anon());
    /// assert_ne!(parent_anon.unwrap().id, child_anon.unwrap().id);
    /// assert!(child_anon.unwrap().inherited);
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn fork(&mut self) -> Result<Self, VmaError>
    where
        P: Clone,
    {
        // The child's tree is a copy-on-write clone of the parent's (its nodes are shared
        // until one of the two writes them), with the same slots: only the `DONTCOPY`
        // ranges are taken out of it.
        let mut tree = self.tree.try_clone().map_err(|_| VmaError::OutOfMemory)?;
        let mut vmas: Vec<Option<Vma<D>>> = Vec::new();
        vmas.try_reserve_exact(self.vmas.len()).map_err(|_| VmaError::OutOfMemory)?;
        vmas.resize_with(self.vmas.len(), || None);
        let mut free_slots: Vec<Slot> = Vec::new();
        free_slots.try_reserve_exact(self.vmas.len()).map_err(|_| VmaError::OutOfMemory)?;
        free_slots.extend_from_slice(&self.free_slots);
        let mut next_anon = self.next_anon.get();
        for (_, &slot) in self.tree.iter() {
            let vma = self.vmas[slot as usize].as_ref().expect("every slot in the tree holds a VMA");
            if vma.flags.contains(VmFlags::DONTCOPY) {
                vma_iter::store_one(&mut tree, vma.start, vma.end, None)?;
                free_slots.push(slot);
                continue;
            }
            let mut copy = vma.clone();
            copy.flags.remove(VmFlags::LOCKED_MASK);
            copy.anon = if copy.flags.contains(VmFlags::WIPEONFORK) {
                None
            } else {
                copy.anon.map(|_| {
                    let id = next_anon;
                    next_anon = next_anon.wrapping_add(1); // 2^64 identities do not happen
                    Anon { id: AnonId(id), inherited: true }
                })
            };
            vmas[slot as usize] = Some(copy);
        }
        // Identities stay unique across parent and child (as kernel pointers are).
        self.next_anon.set(next_anon);
        Ok(AddressSpace {
            config: self.config.clone(),
            tree,
            vmas,
            free_slots,
            policy: self.policy.clone(),
            next_anon: core::cell::Cell::new(next_anon),
            next_object: self.next_object,
            start_brk: self.start_brk,
            brk: self.brk,
            start_stack: self.start_stack,
        })
    }
}
