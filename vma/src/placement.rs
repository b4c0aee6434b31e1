//! Finding free space: `get_unmapped_area` and the searches under it, as x86-64 Linux does
//! them (`arch_get_unmapped_area(_topdown)`, `vm_unmapped_area`, `unmapped_area(_topdown)`,
//! `__thp_get_unmapped_area`).
//!
//! The searches ask the allocation tree (`MapleTree::empty_area` / `empty_area_rev`, which
//! use the tree's gap tracking: O(height)) for the lowest or highest free range of a padded
//! length (`length + align_mask + start_gap`), then align the start inside it and re-check the
//! stack guard gap of the VMA above, retrying below (top-down) or above (bottom-up) it when
//! the guard gap is violated.

use crate::error::VmaError;
use crate::flags::{MapFlags, VmFlags};
use crate::space::AddressSpace;
use crate::vma_iter::{self, Fit};

/// Where a mapping goes (`__get_unmapped_area`'s result), and, when a gap search placed it,
/// the VMAs around the hole it lies in: the region of the mmap that follows, found by the same
/// walk.
#[derive(Clone, Debug)]
pub(crate) struct Placed {
    pub(crate) addr: u64,
    pub(crate) fit: Option<Fit>,
}

/// The kernel's `struct vm_unmapped_area_info`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct AreaRequest {
    pub(crate) length: u64,
    pub(crate) low_limit: u64,
    pub(crate) high_limit: u64,
    pub(crate) align_mask: u64,
    pub(crate) align_offset: u64,
    pub(crate) start_gap: u64,
}

impl<D, P> AddressSpace<D, P> {
    /// `vm_start_gap`: the start of a VMA including the guard gap below a grows-down one.
    pub(crate) fn vm_start_gap(&self, start: u64, flags: VmFlags) -> u64 {
        if flags.contains(VmFlags::GROWSDOWN) {
            start.saturating_sub(self.config.stack_guard_gap)
        } else {
            start
        }
    }

    /// The first VMA at or above `addr`, as (start including guard gap, growsdown).
    fn next_gap_start(&self, addr: u64) -> Option<(u64, bool)> {
        self.find_vma(addr).map(|v| (self.vm_start_gap(v.start, v.flags), v.flags.contains(VmFlags::GROWSDOWN)))
    }

    /// `unmapped_area_topdown`. The free range's start, and the VMAs around its hole.
    pub(crate) fn unmapped_area_topdown(&self, info: AreaRequest) -> Result<Fit, VmaError> {
        let length = padded(info)?;
        let low_limit = info.low_limit.max(self.config.mmap_min_addr);
        let mut high_limit = info.high_limit;
        loop {
            let fit = vma_iter::fit(&self.tree, low_limit, high_limit, length, true).map_err(|_| VmaError::NoSpace)?;
            // The free range `[start, start + length)` lies below `high_limit`, and `length`
            // covers the request and its alignment, so nothing below wraps.
            let gap_end = fit.start.saturating_add(length);
            let mut gap = gap_end.saturating_sub(info.length);
            gap = gap.saturating_sub(gap.wrapping_sub(info.align_offset) & info.align_mask);
            // The VMA above the hole is the first one at or above `gap_end`.
            let next = fit.above.as_ref().map(|&(_, s)| self.vma_at(s));
            match next {
                Some(v) if v.flags.contains(VmFlags::GROWSDOWN) && self.vm_start_gap(v.start, v.flags) < gap_end => {
                    high_limit = self.vm_start_gap(v.start, v.flags);
                }
                // x86-64 has no grows-up VMAs: the end gap of the VMA below is its end,
                // which never reaches into the free range found.
                _ => return Ok(Fit { start: gap, ..fit }),
            }
        }
    }

    /// `unmapped_area` (bottom-up). The free range's start, and the VMAs around its hole.
    pub(crate) fn unmapped_area(&self, info: AreaRequest) -> Result<Fit, VmaError> {
        let length = padded(info)?;
        let mut low_limit = info.low_limit.max(self.config.mmap_min_addr);
        let high_limit = info.high_limit;
        loop {
            let fit = vma_iter::fit(&self.tree, low_limit, high_limit, length, false).map_err(|_| VmaError::NoSpace)?;
            // As in the top-down search: `[start, start + length)` is free and below
            // `high_limit`, and the aligned request fits in it.
            let mut gap = fit.start.saturating_add(info.start_gap);
            gap = gap.saturating_add(info.align_offset.wrapping_sub(gap) & info.align_mask);
            // The VMA above the hole is the first one at or above `start + length`.
            match fit.above.as_ref().map(|&(_, s)| self.vma_at(s)) {
                Some(next) if next.flags.contains(VmFlags::GROWSDOWN) => {
                    if self.vm_start_gap(next.start, next.flags) < gap.saturating_add(length).saturating_sub(1) {
                        low_limit = next.end;
                        continue;
                    }
                    return Ok(Fit { start: gap, ..fit });
                }
                _ => return Ok(Fit { start: gap, ..fit }),
            }
        }
    }

    /// `arch_get_unmapped_area(_topdown)` of x86-64 for a request without `MAP_FIXED`:
    /// honours a free hint, else searches top-down below `mmap_base` (falling back to
    /// bottom-up) or bottom-up from `legacy_base`.
    fn arch_get_unmapped_area(&self, hint: u64, len: u64, align_offset: u64) -> Result<Placed, VmaError> {
        let task_size = self.config.task_size;
        if len > task_size {
            return Err(VmaError::NoSpace);
        }
        let hint_free = |addr: u64| {
            let end = addr.checked_add(len).filter(|&end| addr != 0 && end <= task_size);
            end.is_some_and(|end| self.next_gap_start(addr).map_or(true, |(gap_start, _)| end <= gap_start))
        };
        if self.config.top_down {
            let addr = self.config.align_down(hint);
            if hint_free(addr) {
                return Ok(Placed { addr, fit: None });
            }
            let info = AreaRequest {
                length: len,
                low_limit: self.page_size(),
                high_limit: self.config.mmap_base,
                align_mask: 0,
                align_offset,
                start_gap: 0,
            };
            if let Ok(fit) = self.unmapped_area_topdown(info) {
                return Ok(Placed { addr: fit.start, fit: Some(fit) });
            }
        } else {
            let addr = self.config.align_up(hint).unwrap_or(0);
            if hint_free(addr) {
                return Ok(Placed { addr, fit: None });
            }
        }
        let info = AreaRequest {
            length: len,
            low_limit: self.config.legacy_base,
            high_limit: task_size,
            align_mask: 0,
            align_offset,
            start_gap: 0,
        };
        let fit = self.unmapped_area(info)?;
        Ok(Placed { addr: fit.start, fit: Some(fit) })
    }

    /// `__get_unmapped_area`: where a mapping of `len` bytes (page aligned, non-zero) goes.
    /// `anonymous_private` enables the THP alignment of large anonymous mappings; `pgoff`
    /// is the file offset in pages (zero for anonymous memory). When a gap search placed the
    /// mapping, the result also holds the VMAs around the hole it lies in.
    ///
    /// # Errors
    /// `NoSpace` when nothing fits or a fixed address runs past the task size; `Invalid` for
    /// an unaligned fixed address; `Permission` for an address below `mmap_min_addr`.
    pub(crate) fn get_unmapped_area(
        &self,
        addr: u64,
        len: u64,
        pgoff: u64,
        flags: MapFlags,
        anonymous_private: bool,
    ) -> Result<Placed, VmaError> {
        let task_size = self.config.task_size;
        if len > task_size {
            return Err(VmaError::NoSpace);
        }
        let align_offset = pgoff << self.config.page_shift;
        let placed = if flags.contains(MapFlags::FIXED) {
            Placed { addr, fit: None }
        } else if anonymous_private
            && self.config.thp_align
            && addr == 0
            && len.checked_rem(self.config.pmd_size) == Some(0)
        {
            self.thp_get_unmapped_area(len)?
        } else {
            self.arch_get_unmapped_area(addr, len, align_offset)?
        };
        let addr = placed.addr;
        if task_size.checked_sub(len).map_or(true, |top| addr > top) {
            return Err(VmaError::NoSpace);
        }
        if !self.config.is_aligned(addr) {
            return Err(VmaError::Invalid);
        }
        // security_mmap_addr: below mmap_min_addr only with CAP_SYS_RAWIO (not modelled).
        if addr < self.config.mmap_min_addr {
            return Err(VmaError::Permission);
        }
        Ok(placed)
    }

    /// `thp_get_unmapped_area_vmflags` for anonymous memory (file offset zero): search for
    /// `len + PMD` bytes, then place the mapping on a PMD boundary inside them.
    fn thp_get_unmapped_area(&self, len: u64) -> Result<Placed, VmaError> {
        let size = self.config.pmd_size;
        if len < size {
            return self.arch_get_unmapped_area(0, len, 0);
        }
        let padded = match len.checked_add(size) {
            Some(p) => p,
            None => return self.arch_get_unmapped_area(0, len, 0),
        };
        match self.arch_get_unmapped_area(0, padded, 0) {
            // The aligned mapping lies inside the padded free range: in the same hole.
            Ok(Placed { addr: ret, fit }) => {
                // `pmd_size` is a power of two (`Config`), and `[ret, ret + len + size)` was
                // free below the task size.
                let off_sub = 0u64.wrapping_sub(ret) & size.saturating_sub(1);
                let addr = if self.config.top_down && off_sub == 0 {
                    ret.saturating_add(size)
                } else {
                    ret.saturating_add(off_sub)
                };
                Ok(Placed { addr, fit })
            }
            Err(_) => self.arch_get_unmapped_area(0, len, 0),
        }
    }
}

/// The search length: the request plus the worst-case alignment and start gap.
fn padded(info: AreaRequest) -> Result<u64, VmaError> {
    info.length.checked_add(info.align_mask).and_then(|l| l.checked_add(info.start_gap)).ok_or(VmaError::NoSpace)
}
