//! [`Config`]: the parameters of an address space, validated by [`ConfigBuilder::build`], and
//! [`MergePolicy`]: how user data takes part in merges.

use core::fmt;
use core::ops::RangeInclusive;

use crate::vma::Vma;

/// Parameters of an [`AddressSpace`](crate::AddressSpace). [`Config::default`] is an x86-64
/// process with 4 KiB pages and the kernel's defaults; [`Config::builder`] changes any of
/// them and checks the result.
///
/// # Limits
///
/// A `Config` can only be obtained from [`Config::default`] or [`ConfigBuilder::build`], which
/// checks every limit below, so every [`AddressSpace`](crate::AddressSpace) works on a
/// consistent configuration and no address computation of the crate can overflow:
///
/// | field | limit |
/// |-------|-------|
/// | `page_shift` | [`Config::PAGE_SHIFT_RANGE`] (4 KiB to 1 GiB pages) |
/// | `task_size` | a non-zero multiple of the page size |
/// | `mmap_min_addr` | a multiple of the page size, below `task_size` |
/// | `mmap_base` | a multiple of the page size, at most `task_size` |
/// | `legacy_base` | a multiple of the page size, at most `task_size` |
/// | `stack_guard_gap` | a multiple of the page size (Linux sets it in pages), at most `task_size` |
/// | `pmd_size` | a power of two, at least the page size |
/// | `max_map_count`, `top_down`, `thp_align`, `overcommit_never` | any value |
///
/// ```
/// use maple_vma::{Config, ConfigError};
/// let config = Config::builder().mmap_base(0x4000_0000).mmap_min_addr(0).build()?;
/// assert_eq!(config.mmap_base(), 0x4000_0000);
/// assert_eq!(config.page_size(), 4096);
/// // mmap_base above task_size is refused, with the field named.
/// let err = Config::builder().task_size(0x1000_0000).build().unwrap_err();
/// assert_eq!(err, ConfigError::MmapBase);
/// # Ok::<(), ConfigError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    pub(crate) page_shift: u32,
    pub(crate) task_size: u64,
    pub(crate) mmap_base: u64,
    pub(crate) mmap_min_addr: u64,
    pub(crate) legacy_base: u64,
    pub(crate) top_down: bool,
    pub(crate) max_map_count: usize,
    pub(crate) stack_guard_gap: u64,
    pub(crate) thp_align: bool,
    pub(crate) pmd_size: u64,
    pub(crate) overcommit_never: bool,
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
    /// The page shifts a configuration may have: 4 KiB (12) to 1 GiB (30) pages.
    pub const PAGE_SHIFT_RANGE: RangeInclusive<u32> = 12..=30;

    /// A builder starting from [`Config::default`].
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder(Config::default())
    }

    /// A builder starting from this configuration.
    pub fn to_builder(&self) -> ConfigBuilder {
        ConfigBuilder(self.clone())
    }

    /// The page size in bytes (`1 << page_shift`).
    pub fn page_size(&self) -> u64 {
        1 << self.page_shift
    }
    /// log2 of the page size (12 for 4 KiB pages).
    pub fn page_shift(&self) -> u32 {
        self.page_shift
    }
    /// One past the highest user address (`TASK_SIZE`).
    pub fn task_size(&self) -> u64 {
        self.task_size
    }
    /// Top of the top-down mmap area (`mm->mmap_base`).
    pub fn mmap_base(&self) -> u64 {
        self.mmap_base
    }
    /// Lowest address the allocator hands out (`mmap_min_addr`, also the floor of the
    /// top-down search); a fixed mapping below it fails with `Permission`.
    pub fn mmap_min_addr(&self) -> u64 {
        self.mmap_min_addr
    }
    /// Where the bottom-up search starts (`TASK_UNMAPPED_BASE`), also the fallback when the
    /// top-down search finds nothing.
    pub fn legacy_base(&self) -> u64 {
        self.legacy_base
    }
    /// Top-down placement (the default layout, `MMF_TOPDOWN`); `false` for the legacy layout.
    pub fn top_down(&self) -> bool {
        self.top_down
    }
    /// `vm.max_map_count`.
    pub fn max_map_count(&self) -> usize {
        self.max_map_count
    }
    /// Bytes kept free below a `VM_GROWSDOWN` VMA (`stack_guard_gap`, 256 pages by default).
    pub fn stack_guard_gap(&self) -> u64 {
        self.stack_guard_gap
    }
    /// Whether kernel-chosen addresses of anonymous private mappings whose length is a
    /// multiple of [`pmd_size`](Self::pmd_size) are aligned to it (transparent huge pages).
    pub fn thp_align(&self) -> bool {
        self.thp_align
    }
    /// The PMD size used by [`thp_align`](Self::thp_align) (2 MiB on x86-64).
    pub fn pmd_size(&self) -> u64 {
        self.pmd_size
    }
    /// `vm.overcommit_memory == 2`: `MAP_NORESERVE` is ignored.
    pub fn overcommit_never(&self) -> bool {
        self.overcommit_never
    }

    /// `page_size - 1`: the bits of an offset inside a page.
    pub(crate) fn offset_mask(&self) -> u64 {
        !(u64::MAX << self.page_shift)
    }
    /// Whether `x` is a multiple of the page size.
    pub(crate) fn is_aligned(&self, x: u64) -> bool {
        x & self.offset_mask() == 0
    }
    /// `x` rounded down to a multiple of the page size.
    pub(crate) fn align_down(&self, x: u64) -> u64 {
        x & !self.offset_mask()
    }
    /// `x` rounded up to a multiple of the page size (`PAGE_ALIGN`), or `None` past
    /// `u64::MAX`.
    pub(crate) fn align_up(&self, x: u64) -> Option<u64> {
        x.checked_add(self.offset_mask()).map(|v| self.align_down(v))
    }
    /// The number of whole pages in `bytes`.
    pub(crate) fn pages(&self, bytes: u64) -> u64 {
        bytes >> self.page_shift
    }

    /// Checks every limit of [`Config`]'s table.
    fn check(&self) -> Result<(), ConfigError> {
        if !Self::PAGE_SHIFT_RANGE.contains(&self.page_shift) {
            return Err(ConfigError::PageShift);
        }
        let aligned = |x: u64| self.is_aligned(x);
        if self.task_size == 0 || !aligned(self.task_size) {
            return Err(ConfigError::TaskSize);
        }
        if !aligned(self.mmap_min_addr) || self.mmap_min_addr >= self.task_size {
            return Err(ConfigError::MmapMinAddr);
        }
        if !aligned(self.mmap_base) || self.mmap_base > self.task_size {
            return Err(ConfigError::MmapBase);
        }
        if !aligned(self.legacy_base) || self.legacy_base > self.task_size {
            return Err(ConfigError::LegacyBase);
        }
        if !aligned(self.stack_guard_gap) || self.stack_guard_gap > self.task_size {
            return Err(ConfigError::StackGuardGap);
        }
        if !self.pmd_size.is_power_of_two() || self.pmd_size < self.page_size() {
            return Err(ConfigError::PmdSize);
        }
        Ok(())
    }
}

/// Builds a [`Config`]: every setter takes the value as given, [`build`](Self::build) checks
/// them together. From [`Config::builder`] (the defaults) or [`Config::to_builder`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub struct ConfigBuilder(Config);

macro_rules! setters {
    ($($(#[$meta:meta])* $field:ident: $ty:ty;)*) => {
        impl ConfigBuilder {
            $($(#[$meta])* pub fn $field(mut self, $field: $ty) -> Self {
                self.0.$field = $field;
                self
            })*
        }
    };
}

setters! {
    /// Sets [`Config::page_shift`].
    page_shift: u32;
    /// Sets [`Config::task_size`].
    task_size: u64;
    /// Sets [`Config::mmap_base`].
    mmap_base: u64;
    /// Sets [`Config::mmap_min_addr`].
    mmap_min_addr: u64;
    /// Sets [`Config::legacy_base`].
    legacy_base: u64;
    /// Sets [`Config::top_down`].
    top_down: bool;
    /// Sets [`Config::max_map_count`].
    max_map_count: usize;
    /// Sets [`Config::stack_guard_gap`].
    stack_guard_gap: u64;
    /// Sets [`Config::thp_align`].
    thp_align: bool;
    /// Sets [`Config::pmd_size`].
    pmd_size: u64;
    /// Sets [`Config::overcommit_never`].
    overcommit_never: bool;
}

impl ConfigBuilder {
    /// The configuration, if every limit holds.
    ///
    /// # Errors
    /// The first field (in the order of [`Config`]'s table) that breaks its
    /// limit.
    pub fn build(self) -> Result<Config, ConfigError> {
        self.0.check()?;
        Ok(self.0)
    }
}

impl Default for ConfigBuilder {
    fn default() -> Self {
        Config::builder()
    }
}

/// Which limit a [`ConfigBuilder`] broke (see [`Config`] for each limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigError {
    /// `page_shift` outside [`Config::PAGE_SHIFT_RANGE`].
    PageShift,
    /// `task_size` zero or not page aligned.
    TaskSize,
    /// `mmap_min_addr` not page aligned, or not below `task_size`.
    MmapMinAddr,
    /// `mmap_base` not page aligned, or above `task_size`.
    MmapBase,
    /// `legacy_base` not page aligned, or above `task_size`.
    LegacyBase,
    /// `stack_guard_gap` not a multiple of the page size, or above `task_size`.
    StackGuardGap,
    /// `pmd_size` not a power of two, or smaller than the page size.
    PmdSize,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigError::PageShift => "page_shift outside 12..=30",
            ConfigError::TaskSize => "task_size is zero or not a multiple of the page size",
            ConfigError::MmapMinAddr => "mmap_min_addr is not page aligned or not below task_size",
            ConfigError::MmapBase => "mmap_base is not page aligned or above task_size",
            ConfigError::LegacyBase => "legacy_base is not page aligned or above task_size",
            ConfigError::StackGuardGap => "stack_guard_gap is not a multiple of the page size or above task_size",
            ConfigError::PmdSize => "pmd_size is not a power of two at least the page size",
        })
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ConfigError {}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_limit_is_checked() {
        let b = Config::builder;
        assert_eq!(b().build(), Ok(Config::default()));
        assert_eq!(b().page_shift(64).build(), Err(ConfigError::PageShift));
        assert_eq!(b().page_shift(11).build(), Err(ConfigError::PageShift));
        assert_eq!(b().page_shift(31).build(), Err(ConfigError::PageShift));
        assert_eq!(b().task_size(0).build(), Err(ConfigError::TaskSize));
        assert_eq!(b().task_size(u64::MAX).build(), Err(ConfigError::TaskSize));
        assert_eq!(b().mmap_min_addr(0x1001).build(), Err(ConfigError::MmapMinAddr));
        assert_eq!(b().mmap_base(!0xfff_u64).build(), Err(ConfigError::MmapBase));
        assert_eq!(b().mmap_base(0x1_0800).build(), Err(ConfigError::MmapBase));
        assert_eq!(b().legacy_base(1 << 60).build(), Err(ConfigError::LegacyBase));
        assert_eq!(b().stack_guard_gap(0x800).build(), Err(ConfigError::StackGuardGap));
        assert_eq!(b().pmd_size(0).build(), Err(ConfigError::PmdSize));
        assert_eq!(b().pmd_size(3 << 20).build(), Err(ConfigError::PmdSize));
        assert_eq!(b().pmd_size(2048).build(), Err(ConfigError::PmdSize));
        // The largest space there is: every user address but the last page.
        let top = !0xfff_u64;
        let max = b().task_size(top).mmap_base(top).legacy_base(top).stack_guard_gap(top).pmd_size(1 << 63);
        assert!(max.build().is_ok());
        let big_pages = b().page_shift(30).mmap_base(0).mmap_min_addr(0).legacy_base(0).stack_guard_gap(0);
        assert_eq!(big_pages.clone().build(), Err(ConfigError::TaskSize));
        assert!(big_pages.task_size(1 << 46).pmd_size(1 << 30).build().is_ok());
    }
}
