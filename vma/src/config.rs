//! [`Config`]: the parameters of an address space, and [`MergePolicy`]: how user data takes
//! part in merges.

use crate::vma::Vma;

/// Parameters of an [`AddressSpace`](crate::AddressSpace). [`Config::default`] is an x86-64
/// process with 4 KiB pages and the kernel's defaults.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// log2 of the page size (12 for 4 KiB pages).
    pub page_shift: u32,
    /// One past the highest user address (`TASK_SIZE`).
    pub task_size: u64,
    /// Top of the top-down mmap area (`mm->mmap_base`).
    pub mmap_base: u64,
    /// Lowest address the allocator hands out (`mmap_min_addr`, also the floor of the top-down
    /// search).
    pub mmap_min_addr: u64,
    /// Where the bottom-up search starts (`TASK_UNMAPPED_BASE`), also the fallback when the
    /// top-down search finds nothing.
    pub legacy_base: u64,
    /// Top-down placement (the default layout, `MMF_TOPDOWN`); `false` for the legacy layout.
    pub top_down: bool,
    /// `vm.max_map_count`.
    pub max_map_count: usize,
    /// Bytes kept free below a `VM_GROWSDOWN` VMA (`stack_guard_gap`, 256 pages by default).
    pub stack_guard_gap: u64,
    /// Align kernel-chosen addresses of anonymous private mappings whose length is a multiple
    /// of `pmd_size` to `pmd_size` (transparent huge pages configured).
    pub thp_align: bool,
    /// The PMD size used by `thp_align` (2 MiB on x86-64).
    pub pmd_size: u64,
    /// `vm.overcommit_memory == 2`: `MAP_NORESERVE` is ignored.
    pub overcommit_never: bool,
}

impl Default for Config {
    fn default() -> Self {
        let task_size = 0x7fff_ffff_f000;
        Config {
            page_shift: 12,
            task_size,
            mmap_base: 0x7fff_f000_0000,
            mmap_min_addr: 0x1_0000,
            legacy_base: (task_size / 3) & !0xfff,
            top_down: true,
            max_map_count: 65530,
            stack_guard_gap: 256 << 12,
            thp_align: true,
            pmd_size: 2 << 20,
            overcommit_never: false,
        }
    }
}

impl Config {
    /// The page size in bytes.
    pub fn page_size(&self) -> u64 {
        1 << self.page_shift
    }
}

/// Decides whether user data lets two otherwise mergeable VMAs merge. It is asked only after
/// every Linux rule allowed the merge, so the default, [`LinuxPolicy`], gives Linux's
/// layouts exactly (for data that compares equal). A policy can veto more merges, never
/// allow ones Linux refuses.
pub trait MergePolicy<D> {
    /// Whether `existing` (a neighbour, or the VMA being changed) may merge with `proposed`
    /// (a range being mapped or changed; its range and pgoff are already the merged ones'
    /// neighbours). The surviving VMA keeps its own data.
    fn mergeable(&self, existing: &Vma<D>, proposed: &Vma<D>) -> bool;
}

/// Linux's rule for user data: merge when the data is equal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LinuxPolicy;

impl<D: PartialEq> MergePolicy<D> for LinuxPolicy {
    fn mergeable(&self, existing: &Vma<D>, proposed: &Vma<D>) -> bool {
        existing.data == proposed.data
    }
}
