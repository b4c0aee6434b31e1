//! Attribute changes over a range: mprotect, mlock/munlock and madvise (`mprotect_fixup`,
//! `mlock_fixup`, `madvise_update_vma`, all through `vma_modify`: merge, else split).
//!
//! Like Linux these are not all-or-nothing over a range with holes: mprotect and mlock stop
//! at the first hole (or refused VMA) with the VMAs before it already changed; madvise
//! changes every mapped part and reports `NotMapped` at the end. A split refused by
//! `max_map_count` also keeps what was done before it. Out-of-memory, in contrast, changes
//! nothing.

use crate::commit::Edit;
use crate::config::MergePolicy;
use crate::error::VmaError;
use crate::flags::{Advice, Prot, VmFlags};
use crate::space::AddressSpace;
use crate::vma::Vma;

impl<D: Clone, P: MergePolicy<D>> AddressSpace<D, P> {
    /// `mprotect(start, len, prot)`.
    ///
    /// `VM_ACCOUNT` follows the kernel: making a private, unaccounted, non-shared mapping
    /// writable adds it; making private anonymous memory read-only drops it only while it has
    /// no anonymous identity (was never write-faulted). The flag takes part in merges, so a
    /// written region made read-only stays a separate VMA next to an identical-looking one.
    ///
    /// `prot` may carry [`Prot::SEM`] (no effect) and one of [`Prot::GROWSDOWN`] (the change
    /// starts at the start of the grows-down VMA the range begins in) or [`Prot::GROWSUP`].
    ///
    /// # Errors
    /// In the order of Linux's `do_mprotect_pkey`: `Invalid` (both `GROWSDOWN` and
    /// `GROWSUP`, unaligned start); a zero length then succeeds without effect, whatever
    /// `prot` holds; `NotMapped` (the range wraps); `Invalid` (a bit outside `READ`, `WRITE`,
    /// `EXEC`, `SEM` and the two grows bits); `NotMapped` if `start` is in a hole (nothing
    /// changed) or a hole follows within the range (the VMAs before it **were changed**);
    /// `Invalid` (`GROWSDOWN` on a VMA that does not grow down, or `GROWSUP`); `Access` if the
    /// protection exceeds a VMA's `VM_MAY*` (earlier VMAs changed); `MapCountExceeded` from a
    /// split (earlier changes, including a first split of the same VMA, are kept);
    /// `OutOfMemory` (nothing changed).
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, MapFlags, Prot, VmaError};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x4000, Prot::READ, fixed, None)?;
    /// mm.mmap(0x14000, 0x8000, Prot::READ | Prot::WRITE, fixed, None)?;
    /// // A prefix of the second VMA gets the first one's protection: the boundary moves.
    /// mm.mprotect(0x14000, 0x2000, Prot::READ)?;
    /// let ranges: Vec<_> = mm.iter().map(|v| v.range()).collect();
    /// assert_eq!(ranges, [0x10000..0x16000, 0x16000..0x1c000]);
    /// // Unknown bits are refused, as x86-64 Linux does.
    /// assert_eq!(mm.mprotect(0x10000, 0x1000, Prot::from_bits_retain(0xff)), Err(VmaError::Invalid));
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    #[doc(alias = "do_mprotect_pkey")]
    pub fn mprotect(&mut self, start: u64, len: u64, prot: Prot) -> Result<(), VmaError> {
        let grows = prot & (Prot::GROWSDOWN | Prot::GROWSUP);
        if grows == Prot::GROWSDOWN | Prot::GROWSUP || !self.config.is_aligned(start) {
            return Err(VmaError::Invalid);
        }
        if len == 0 {
            return Ok(());
        }
        let len = self.config.align_up(len).ok_or(VmaError::NotMapped)?;
        let end = start.checked_add(len).ok_or(VmaError::NotMapped)?;
        // arch_validate_prot: READ, WRITE, EXEC and SEM only (the grows bits are taken off
        // before).
        if !(Prot::READ | Prot::WRITE | Prot::EXEC | Prot::SEM).contains(prot.difference(grows)) {
            return Err(VmaError::Invalid);
        }
        // The region's walk finds the first VMA too (`find_vma(start)`: the region holds the
        // VMA containing `start` or else the first one above it).
        let mut edit = self.edit(start, end);
        let first = edit.pieces.get(edit.index_from(start)).map(|p| &p.vma);
        let first = first.filter(|v| v.start < end).ok_or(VmaError::NotMapped)?;
        let (first_start, first_grows) = (first.start, first.flags.contains(VmFlags::GROWSDOWN));
        let start = if grows == Prot::GROWSDOWN {
            if !first_grows {
                return Err(VmaError::Invalid);
            }
            if first_start < start {
                // The change starts lower: so do its region and its merge candidate below.
                edit = self.edit(first_start, end);
            }
            first_start
        } else {
            if first_start > start {
                return Err(VmaError::NotMapped);
            }
            if grows == Prot::GROWSUP {
                return Err(VmaError::Invalid);
            }
            start
        };
        self.change_edit(edit, start, end, true, mprotect_flags(prot))
    }

    /// `mlock(start, len)` (`lock_on_fault` = `mlock2(MLOCK_ONFAULT)`): sets `VM_LOCKED` on
    /// every VMA of the range (`start` rounded down, `len` up, to pages). VM_SPECIAL
    /// mappings are left alone. Stops at a hole like [`mprotect`](Self::mprotect). Without
    /// `lock_on_fault` the pages are then faulted in, which gives private writable VMAs their
    /// anonymous identity (as a write fault would); a `PROT_NONE` VMA in the range makes that
    /// step fail with `NotMapped` after the flags were changed, as in Linux.
    ///
    /// # Errors
    /// `NotMapped` (hole; the part before it stays locked), `MapCountExceeded`,
    /// `OutOfMemory` (nothing changed), `Invalid` if the range wraps.
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, MapFlags, Prot, VmFlags};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x4000, Prot::READ | Prot::WRITE, fixed, None)?;
    /// mm.mlock(0x11000, 0x1000, false)?;
    /// let locked = mm.vma_lookup(0x11000).unwrap();
    /// assert!(locked.flags().contains(VmFlags::LOCKED));
    /// assert!(locked.anon().is_some()); // faulted in for writing
    /// mm.munlock(0x10000, 0x4000)?;
    /// assert_eq!(mm.map_count(), 1); // the pieces share one identity and merge back
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn mlock(&mut self, start: u64, len: u64, lock_on_fault: bool) -> Result<(), VmaError> {
        let mut flags = VmFlags::LOCKED;
        flags.set(VmFlags::LOCKONFAULT, lock_on_fault);
        let (start, end) = self.lock_range(start, len, flags)?;
        if !lock_on_fault {
            self.populate(start, end, false)?;
        }
        Ok(())
    }

    /// `munlock(start, len)`: clears `VM_LOCKED`/`VM_LOCKONFAULT`; see [`mlock`](Self::mlock).
    pub fn munlock(&mut self, start: u64, len: u64) -> Result<(), VmaError> {
        self.lock_range(start, len, VmFlags::EMPTY).map(drop)
    }

    /// Gives every VMA of the pages of `[start, start + len)` the lock flags `lock`; returns
    /// that page range.
    fn lock_range(&mut self, start: u64, len: u64, lock: VmFlags) -> Result<(u64, u64), VmaError> {
        let in_page = start & self.config.offset_mask();
        let len = len.checked_add(in_page).and_then(|l| self.config.align_up(l)).ok_or(VmaError::Invalid)?;
        let start = self.config.align_down(start);
        let end = start.checked_add(len).ok_or(VmaError::Invalid)?;
        if end == start {
            return Ok((start, end));
        }
        let edit = self.edit(start, end);
        if edit.index_at(start).is_none() {
            return Err(VmaError::NotMapped);
        }
        self.change_edit(edit, start, end, true, |vma| {
            let old = vma.flags;
            if old.intersects(VmFlags::SPECIAL | VmFlags::HUGETLB) {
                return Ok(old);
            }
            Ok(old.difference(VmFlags::LOCKED_MASK) | lock)
        })?;
        Ok((start, end))
    }

    /// `madvise(start, len, advice)` for the advices that change VMA flags; advices that
    /// only affect pages ([`Advice::PagesOnly`]) change nothing. Unlike mprotect, madvise
    /// goes on past holes: every mapped part of the range is changed, then `NotMapped` is
    /// reported if there was a hole.
    ///
    /// # Errors
    /// `Invalid` (unaligned start, wrapping range, `WipeOnFork` on a non-anonymous mapping,
    /// `DoFork` on an I/O mapping, `DoDump` on a special mapping — earlier VMAs stay
    /// changed), `NotMapped` (after changing every mapped part), `MapCountExceeded`,
    /// `OutOfMemory` (nothing changed).
    ///
    /// ```
    /// use maple_vma::{Advice, AddressSpace, Config, MapFlags, Prot, VmaError, VmFlags};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x2000, Prot::READ, fixed, None)?;
    /// mm.mmap(0x13000, 0x2000, Prot::READ, fixed, None)?;
    /// assert_eq!(mm.madvise(0x10000, 0x5000, Advice::DontFork), Err(VmaError::NotMapped));
    /// assert!(mm.iter().all(|v| v.flags().contains(VmFlags::DONTCOPY)));
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn madvise(&mut self, start: u64, len: u64, advice: Advice) -> Result<(), VmaError> {
        if !self.config.is_aligned(start) {
            return Err(VmaError::Invalid);
        }
        let alen = self.config.align_up(len).ok_or(VmaError::Invalid)?;
        if len != 0 && alen == 0 {
            return Err(VmaError::Invalid);
        }
        let end = start.checked_add(alen).ok_or(VmaError::Invalid)?;
        if end == start || advice == Advice::PagesOnly {
            return match advice {
                Advice::PagesOnly if end != start => self.check_mapped(start, end),
                _ => Ok(()),
            };
        }
        self.change_walk(start, end, false, |vma| {
            let mut f = vma.flags;
            match advice {
                Advice::Normal => f.remove(VmFlags::RAND_READ | VmFlags::SEQ_READ),
                Advice::Sequential => f = f.difference(VmFlags::RAND_READ) | VmFlags::SEQ_READ,
                Advice::Random => f = f.difference(VmFlags::SEQ_READ) | VmFlags::RAND_READ,
                Advice::DontFork => f.insert(VmFlags::DONTCOPY),
                Advice::DoFork => {
                    if f.contains(VmFlags::IO) {
                        return Err(VmaError::Invalid);
                    }
                    f.remove(VmFlags::DONTCOPY)
                }
                Advice::WipeOnFork => {
                    if !vma.backing.is_anonymous() || f.contains(VmFlags::SHARED) {
                        return Err(VmaError::Invalid);
                    }
                    f.insert(VmFlags::WIPEONFORK)
                }
                Advice::KeepOnFork => f.remove(VmFlags::WIPEONFORK),
                Advice::DontDump => f.insert(VmFlags::DONTDUMP),
                Advice::DoDump => {
                    if !f.contains(VmFlags::HUGETLB) && f.intersects(VmFlags::SPECIAL) {
                        return Err(VmaError::Invalid);
                    }
                    f.remove(VmFlags::DONTDUMP)
                }
                Advice::HugePage => f = f.difference(VmFlags::NOHUGEPAGE) | VmFlags::HUGEPAGE,
                Advice::NoHugePage => f = f.difference(VmFlags::HUGEPAGE) | VmFlags::NOHUGEPAGE,
                Advice::PagesOnly => {}
            }
            Ok(f)
        })
    }

    /// For page-only advice: `NotMapped` if any part of the range is a hole.
    fn check_mapped(&self, start: u64, end: u64) -> Result<(), VmaError> {
        let mut at = start;
        for vma in self.range(start..end) {
            if vma.start > at {
                return Err(VmaError::NotMapped);
            }
            at = vma.end;
        }
        if at < end {
            Err(VmaError::NotMapped)
        } else {
            Ok(())
        }
    }

    /// Walks the VMAs of `[start, end)`, giving each part the flags `new_flags` computes
    /// from its old flags, with `vma_modify`. `stop_at_hole`: mprotect/mlock (stop with
    /// `NotMapped` at the first hole); else madvise (skip holes, report at the end). The
    /// changes made before an error are committed, except on `OutOfMemory`.
    fn change_walk(
        &mut self,
        start: u64,
        end: u64,
        stop_at_hole: bool,
        new_flags: impl FnMut(&Vma<D>) -> Result<VmFlags, VmaError>,
    ) -> Result<(), VmaError> {
        let edit = self.edit(start, end);
        self.change_edit(edit, start, end, stop_at_hole, new_flags)
    }

    /// [`change_walk`](Self::change_walk) on the region already loaded into `edit`.
    fn change_edit(
        &mut self,
        mut edit: Edit<D>,
        start: u64,
        end: u64,
        stop_at_hole: bool,
        mut new_flags: impl FnMut(&Vma<D>) -> Result<VmFlags, VmaError>,
    ) -> Result<(), VmaError> {
        let result = self.change_pieces(&mut edit, start, end, stop_at_hole, &mut new_flags);
        self.commit(edit)?;
        result
    }

    fn change_pieces(
        &self,
        edit: &mut Edit<D>,
        start: u64,
        end: u64,
        stop_at_hole: bool,
        new_flags: &mut impl FnMut(&Vma<D>) -> Result<VmFlags, VmaError>,
    ) -> Result<(), VmaError> {
        let mut at = start;
        let mut unmapped = false;
        while at < end {
            let i = edit.index_from(at);
            let Some(piece) = edit.pieces.get(i) else {
                unmapped = true;
                break;
            };
            if piece.vma.start >= end {
                unmapped = true;
                break;
            }
            if piece.vma.start > at {
                if stop_at_hole {
                    return Err(VmaError::NotMapped);
                }
                unmapped = true;
                at = piece.vma.start;
            }
            let piece_end = piece.vma.end.min(end);
            let old = piece.vma.flags;
            let flags = new_flags(&piece.vma)?;
            if flags != old {
                let mut cand = piece.vma.clone();
                cand.pgoff = cand.pgoff_at(at, self.config.page_shift);
                cand.start = at;
                cand.end = piece_end;
                cand.flags = flags;
                let m = self.modify(edit, i, cand)?;
                // mprotect: a private locked VMA becoming writable is faulted in for writing.
                if (old & (VmFlags::WRITE | VmFlags::SHARED | VmFlags::LOCKED)) == VmFlags::LOCKED
                    && flags.contains(VmFlags::WRITE)
                    && !flags.contains(VmFlags::LOCKONFAULT)
                    && edit.pieces[m].vma.anon.is_none()
                {
                    let (before, rest) = edit.pieces.split_at(m);
                    if let Some((this, after)) = rest.split_first() {
                        let anon = self.anon_for_fault(
                            before.last().map(|p| &p.vma),
                            &this.vma,
                            after.first().map(|p| &p.vma),
                        );
                        edit.pieces[m].vma.anon = Some(anon);
                    }
                }
                at = edit.pieces[m].vma.end.max(piece_end);
            } else {
                at = piece_end;
            }
        }
        if unmapped {
            Err(VmaError::NotMapped)
        } else {
            Ok(())
        }
    }
}

/// The VM_ACCOUNT rules of `mprotect_fixup`, applied when the flags change.
fn account_change<D>(vma: &Vma<D>, old: VmFlags, mut new: VmFlags) -> VmFlags {
    if new.contains(VmFlags::WRITE) {
        let no_charge = VmFlags::ACCOUNT | VmFlags::WRITE | VmFlags::HUGETLB | VmFlags::SHARED | VmFlags::NORESERVE;
        if !old.intersects(no_charge) {
            new.insert(VmFlags::ACCOUNT);
        }
    } else if old.contains(VmFlags::ACCOUNT) && vma.backing.is_anonymous() && vma.anon.is_none() {
        new.remove(VmFlags::ACCOUNT);
    }
    new
}

/// mprotect's new flags for a VMA (`mprotect_fixup`): `prot` in place of the access bits,
/// refused with `Access` beyond the VMA's `VM_MAY*`.
fn mprotect_flags<D>(prot: Prot) -> impl FnMut(&Vma<D>) -> Result<VmFlags, VmaError> {
    let new_prot = prot.vm_flags();
    move |vma| {
        let old = vma.flags;
        let flags = new_prot | old.difference(VmFlags::ACCESS);
        // `newflags >> 4` puts VM_MAY* where VM_* are.
        if !(VmFlags::from_bits_retain(flags.bits() & !(flags.bits() >> 4)) & VmFlags::ACCESS).is_empty() {
            return Err(VmaError::Access);
        }
        Ok(if flags == old { old } else { account_change(vma, old, flags) })
    }
}
