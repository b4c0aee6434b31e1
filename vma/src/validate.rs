//! [`AddressSpace::validate`]: the tree's own checks plus the VMA invariants.

use core::fmt;

use crate::space::AddressSpace;

/// A broken invariant found by [`AddressSpace::validate`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VmaViolation {
    /// The maple tree itself is inconsistent.
    Tree(maple_tree::Violation),
    /// A tree range points at a slot that holds no VMA.
    DeadSlot {
        /// Start of the tree range.
        start: u64,
    },
    /// A tree range differs from the range of the VMA it points at.
    RangeMismatch {
        /// The tree range's start.
        tree_start: u64,
        /// The VMA's start.
        vma_start: u64,
    },
    /// A VMA is empty, unaligned, past the task size, or its `pgoff + pages` wraps.
    BadVma {
        /// The VMA's start.
        start: u64,
    },
    /// A live slot is not in the tree exactly once.
    Unlinked {
        /// The slot number.
        slot: u32,
    },
}

impl fmt::Display for VmaViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmaViolation::Tree(v) => write!(f, "maple tree: {v:?}"),
            VmaViolation::DeadSlot { start } => write!(f, "tree range at {start:#x} points at a dead slot"),
            VmaViolation::RangeMismatch { tree_start, vma_start } => {
                write!(f, "tree range at {tree_start:#x} holds the VMA at {vma_start:#x}")
            }
            VmaViolation::BadVma { start } => {
                write!(f, "VMA at {start:#x} is empty, unaligned, too high or its pgoff wraps")
            }
            VmaViolation::Unlinked { slot } => write!(f, "slot {slot} is not in the tree exactly once"),
        }
    }
}

impl<D, P> AddressSpace<D, P> {
    /// Checks every invariant: the tree is valid; every tree range equals its VMA's range;
    /// VMAs are non-empty, page aligned and below the task size, and their `pgoff + pages`
    /// fits in a `u64`; every live VMA is in the tree
    /// exactly once (so `map_count()` counts the VMAs). Sorting and non-overlap follow from the
    /// tree.
    pub fn validate(&self) -> Result<(), VmaViolation> {
        self.tree.validate().map_err(VmaViolation::Tree)?;
        let mut seen = alloc::vec![0u8; self.vmas.len()];
        for (range, &slot) in self.tree.iter() {
            let Some(Some(vma)) = self.vmas.get(slot as usize) else {
                return Err(VmaViolation::DeadSlot { start: *range.start() });
            };
            if vma.start != *range.start() || vma.end.wrapping_sub(1) != *range.end() {
                return Err(VmaViolation::RangeMismatch { tree_start: *range.start(), vma_start: vma.start });
            }
            if vma.start >= vma.end
                || !self.config.is_aligned(vma.start)
                || !self.config.is_aligned(vma.end)
                || vma.end > self.config.task_size
                || vma.pgoff.checked_add(vma.pages(self.config.page_shift)).is_none()
            {
                return Err(VmaViolation::BadVma { start: vma.start });
            }
            // Saturating: only whether the count is exactly one matters.
            seen[slot as usize] = seen[slot as usize].saturating_add(1);
        }
        for (slot, vma) in self.vmas.iter().enumerate() {
            if (vma.is_some() && seen[slot] != 1) || (vma.is_none() && !self.free_slots.contains(&(slot as u32))) {
                return Err(VmaViolation::Unlinked { slot: slot as u32 });
            }
        }
        Ok(())
    }
}
