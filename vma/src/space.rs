//! [`AddressSpace`]: the VMAs of one process, indexed by a maple tree.
//!
//! # Representation
//!
//! The tree is an allocation tree (it tracks the largest gap under every node, for
//! placement) and maps each VMA's inclusive byte range `[start, end - 1]` to a slot number
//! (every conversion between the two forms is in the `vma_iter` module); the
//! slots (`vmas`) hold the [`Vma`] values. Gaps are NULL ranges of the tree. As in the
//! kernel, where the tree holds pointers, changing a VMA's attributes writes no tree node,
//! and one store of a grown range trims or swallows the neighbours it covers.
//!
//! Invariants ([`AddressSpace::validate`] checks them): the tree is valid; every tree range
//! equals the range of the VMA in its slot; every live slot is in the tree exactly once;
//! VMAs are page aligned, non-empty and below `task_size`; `map_count()` is the number of
//! VMAs.

use alloc::vec::Vec;
use core::fmt;

use maple_tree::MapleTree;

use crate::config::{Config, LinuxPolicy};
use crate::error::VmaError;
use crate::maps::{MapsLine, Perms};
use crate::vma::{Backing, Vma};
use crate::vma_iter;

/// Slot number of a VMA in [`AddressSpace::vmas`].
pub(crate) type Slot = u32;

/// A process address space: VMAs in a maple tree, with Linux's mmap, munmap, mprotect,
/// mremap, brk, madvise, mlock, fault and fork semantics, and `/proc/pid/maps` output through
/// `Display`.
///
/// `D` is per-VMA user data (cloned on split, compared by the [`MergePolicy`](crate::MergePolicy)
/// `P` for merges). `Clone` makes an independent snapshot (O(number of VMAs)); unlike
/// [`fork`](Self::fork) it copies everything unchanged.
///
/// ```
/// use maple_vma::{AddressSpace, Config, MapFlags, Prot};
///
/// let mut mm: AddressSpace = AddressSpace::new(Config::default());
/// let flags = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
/// mm.mmap(0x10000, 0x3000, Prot::READ | Prot::WRITE, flags, None)?;
/// mm.mprotect(0x11000, 0x1000, Prot::READ)?; // splits into three
/// assert_eq!(mm.map_count(), 3);
/// assert_eq!(
///     mm.to_string(),
///     "00010000-00011000 rw-p 00000000 00:00 0 \n\
///      00011000-00012000 r--p 00000000 00:00 0 \n\
///      00012000-00013000 rw-p 00000000 00:00 0 \n"
/// );
/// mm.mprotect(0x11000, 0x1000, Prot::READ | Prot::WRITE)?; // merges back
/// assert_eq!(mm.map_count(), 1);
/// # Ok::<(), maple_vma::VmaError>(())
/// ```
#[derive(Clone)]
pub struct AddressSpace<D = (), P = LinuxPolicy> {
    pub(crate) config: Config,
    pub(crate) tree: MapleTree<Slot>,
    pub(crate) vmas: Vec<Option<Vma<D>>>,
    pub(crate) free_slots: Vec<Slot>,
    pub(crate) policy: P,
    /// The next anonymous identity (a `Cell` so that planning, which borrows the space
    /// immutably, can hand identities out).
    pub(crate) next_anon: core::cell::Cell<u64>,
    pub(crate) next_object: u64,
    pub(crate) start_brk: u64,
    pub(crate) brk: u64,
    pub(crate) start_stack: Option<u64>,
}

impl<D> AddressSpace<D, LinuxPolicy> {
    /// An empty address space with Linux's merge policy for the user data.
    pub fn new(config: Config) -> Self {
        Self::with_policy(config, LinuxPolicy)
    }
}

impl<D, P> AddressSpace<D, P> {
    /// An empty address space whose user data merges by `policy`.
    pub fn with_policy(config: Config, policy: P) -> Self {
        AddressSpace {
            config,
            tree: MapleTree::new_alloc(),
            vmas: Vec::new(),
            free_slots: Vec::new(),
            policy,
            next_anon: core::cell::Cell::new(1),
            next_object: 1,
            start_brk: 0,
            brk: 0,
            start_stack: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Sets where the heap starts (`mm->start_brk` = `mm->brk`), for [`AddressSpace::brk`]
    /// and the `[heap]` label. Does not map anything.
    pub fn set_brk_base(&mut self, start_brk: u64) {
        self.start_brk = start_brk;
        self.brk = start_brk;
    }

    /// Sets the initial stack pointer (`mm->start_stack`): the VMA containing it is shown as
    /// `[stack]`.
    pub fn set_start_stack(&mut self, addr: u64) {
        self.start_stack = Some(addr);
    }

    /// Number of VMAs (`mm->map_count`).
    pub fn map_count(&self) -> usize {
        self.tree.len()
    }

    pub(crate) fn page_size(&self) -> u64 {
        self.config.page_size()
    }

    pub(crate) fn vma_at(&self, slot: Slot) -> &Vma<D> {
        self.vmas[slot as usize].as_ref().expect("tree points at a live slot")
    }

    /// The VMA containing `addr` (`vma_lookup`).
    pub fn vma_lookup(&self, addr: u64) -> Option<&Vma<D>> {
        self.tree.load(addr).map(|&s| self.vma_at(s))
    }

    /// The VMA containing `addr`, or else the first VMA above it (`find_vma`).
    pub fn find_vma(&self, addr: u64) -> Option<&Vma<D>> {
        self.tree.find(addr, u64::MAX).map(|(_, &s)| self.vma_at(s))
    }

    /// [`find_vma`](Self::find_vma) and the VMA before it: the last VMA lying entirely below
    /// `addr` (`find_vma_prev`).
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, MapFlags, Prot};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x1000, Prot::READ, fixed, None)?;
    /// mm.mmap(0x20000, 0x1000, Prot::NONE, fixed, None)?;
    /// assert!(mm.vma_lookup(0x18000).is_none()); // in the hole
    /// assert_eq!(mm.find_vma(0x18000).map(|v| v.start()), Some(0x20000)); // the next VMA
    /// let (vma, prev) = mm.find_vma_prev(0x20800);
    /// assert_eq!((vma.map(|v| v.start()), prev.map(|v| v.start())), (Some(0x20000), Some(0x10000)));
    /// assert!(mm.find_vma_intersection(0x11000, 0x20000).is_none());
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn find_vma_prev(&self, addr: u64) -> (Option<&Vma<D>>, Option<&Vma<D>>) {
        let vma = self.find_vma(addr);
        let below = match vma {
            Some(v) if v.start <= addr => v.start,
            _ => addr.saturating_add(1),
        };
        let prev = vma_iter::find_rev(&self.tree, 0, below).map(|(_, s)| self.vma_at(s));
        (vma, prev)
    }

    /// The first VMA intersecting `[start, end)` (`find_vma_intersection`).
    pub fn find_vma_intersection(&self, start: u64, end: u64) -> Option<&Vma<D>> {
        vma_iter::find(&self.tree, start, end).map(|(_, s)| self.vma_at(s))
    }

    /// Every VMA in address order; double-ended (`for_each_vma`).
    pub fn iter(&self) -> Vmas<'_, D> {
        self.range(0..u64::MAX)
    }

    /// The VMAs intersecting `[range.start, range.end)`, in address order; double-ended
    /// (`for_each_vma_range`).
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, MapFlags, Prot};
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let fixed = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x1000, Prot::READ, fixed, None)?;
    /// mm.mmap(0x20000, 0x1000, Prot::READ, fixed, None)?;
    /// mm.mmap(0x30000, 0x1000, Prot::READ, fixed, None)?;
    /// let starts: Vec<u64> = mm.range(0x10800..0x30000).map(|v| v.start()).collect();
    /// assert_eq!(starts, [0x10000, 0x20000]);
    /// assert_eq!(mm.iter().next_back().map(|v| v.start()), Some(0x30000));
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn range(&self, range: core::ops::Range<u64>) -> Vmas<'_, D> {
        let inner = self.tree.range(range);
        Vmas { inner, vmas: &self.vmas }
    }

    /// The slot and range of the VMA containing `addr`.
    pub(crate) fn slot_at(&self, addr: u64) -> Option<(core::ops::Range<u64>, Slot)> {
        vma_iter::load(&self.tree, addr)
    }

    /// The slot of the first VMA at or above `addr`.
    pub(crate) fn slot_from(&self, addr: u64) -> Option<Slot> {
        self.tree.find(addr, u64::MAX).map(|(_, &s)| s)
    }

    /// The slot of the last VMA that starts below `addr` (may contain `addr`).
    pub(crate) fn slot_below(&self, addr: u64) -> Option<Slot> {
        vma_iter::find_rev(&self.tree, 0, addr).map(|(_, s)| s)
    }

    /// Rebuilds the tree from its ranges with full nodes and no pooled free nodes (the
    /// tree keeps the nodes that stores free for later stores), and drops unused slots at the
    /// end of the VMA table. Changes no VMA.
    ///
    /// # Errors
    /// `OutOfMemory`; nothing changes then.
    pub fn compact(&mut self) -> Result<(), VmaError> {
        let tree = MapleTree::from_sorted_alloc(self.tree.iter().map(|(r, &s)| (r, s)))?;
        self.tree = tree;
        while self.vmas.last().is_some_and(Option::is_none) {
            self.vmas.pop();
            let last = self.vmas.len() as Slot; // the slot just dropped
            self.free_slots.retain(|&s| s != last);
        }
        Ok(())
    }

    /// Testing only: makes the `n`-th next tree-node allocation fail (`Some(0)` is the next
    /// one), to prove that every operation is atomic under out-of-memory; `None` disables it.
    #[cfg(feature = "failure-injection")]
    #[doc(hidden)]
    pub fn fail_nth_alloc(&mut self, n: Option<u64>) {
        self.tree.fail_nth_alloc(n);
    }

    /// The tree of VMA slots, for inspection (height, node counts, validation).
    pub fn tree(&self) -> &MapleTree<u32> {
        &self.tree
    }
}

/// Iterator over VMAs, from [`AddressSpace::iter`] and [`AddressSpace::range`].
pub struct Vmas<'a, D> {
    inner: maple_tree::Range<'a, Slot>,
    vmas: &'a [Option<Vma<D>>],
}

impl<'a, D> Iterator for Vmas<'a, D> {
    type Item = &'a Vma<D>;
    fn next(&mut self) -> Option<&'a Vma<D>> {
        let (_, &s) = self.inner.next()?;
        self.vmas[s as usize].as_ref()
    }
}

impl<D> DoubleEndedIterator for Vmas<'_, D> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let (_, &s) = self.inner.next_back()?;
        self.vmas[s as usize].as_ref()
    }
}

impl<D> core::iter::FusedIterator for Vmas<'_, D> {}

impl<'a, D, P> IntoIterator for &'a AddressSpace<D, P> {
    type Item = &'a Vma<D>;
    type IntoIter = Vmas<'a, D>;
    fn into_iter(self) -> Vmas<'a, D> {
        self.iter()
    }
}

/// Writes the address space as `/proc/pid/maps` does, one line per VMA (see
/// [`AddressSpace::maps_lines`]), each with its newline.
impl<D, P> fmt::Display for AddressSpace<D, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.maps_lines().try_for_each(|line| writeln!(f, "{line}"))
    }
}

impl<D, P> AddressSpace<D, P> {
    /// The `/proc/pid/maps` line of `vma`: its range, permissions, file offset, device and
    /// inode, and its name (`[heap]`, `[stack]`, `[anon:name]`, `[anon_shmem:name]`, a file
    /// path, `/dev/zero (deleted)` for shared anonymous memory, or none).
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, MapFlags, Prot};
    ///
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let flags = MapFlags::SHARED | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x1000, Prot::READ, flags, None)?;
    /// let line = mm.maps_line(mm.vma_lookup(0x10000).unwrap());
    /// assert_eq!((line.perms.to_string().as_str(), line.path.as_str()), ("r--s", "/dev/zero (deleted)"));
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn maps_line(&self, vma: &Vma<D>) -> MapsLine {
        let (offset, dev, inode) = match &vma.backing {
            Backing::Anonymous => (0, (0, 0), 0),
            Backing::SharedAnonymous { object, .. } => (vma.pgoff << self.config.page_shift, (0, 1), *object),
            Backing::File(file) => (vma.pgoff << self.config.page_shift, file.dev, file.inode),
        };
        let path = match (&vma.backing, &vma.name) {
            (Backing::File(file), _) => file.path.clone(),
            (Backing::SharedAnonymous { .. }, Some(n)) => alloc::format!("[anon_shmem:{n}]"),
            (Backing::SharedAnonymous { .. }, None) => "/dev/zero (deleted)".into(),
            (Backing::Anonymous, name) => {
                if self.brk > self.start_brk && vma.start <= self.brk && vma.end >= self.start_brk {
                    "[heap]".into()
                } else if self.start_stack.is_some_and(|s| vma.start <= s && vma.end >= s) {
                    "[stack]".into()
                } else {
                    name.as_ref().map(|n| alloc::format!("[anon:{n}]")).unwrap_or_default()
                }
            }
        };
        MapsLine { start: vma.start, end: vma.end, perms: Perms::of_flags(vma.flags), offset, dev, inode, path }
    }

    /// The `/proc/pid/maps` lines of every VMA, in address order ([`maps_line`](Self::maps_line)
    /// of each); `Display` prints them.
    ///
    /// ```
    /// use maple_vma::{AddressSpace, Config, MapFlags, Prot};
    ///
    /// let mut mm: AddressSpace = AddressSpace::new(Config::default());
    /// let flags = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED;
    /// mm.mmap(0x10000, 0x2000, Prot::READ, flags, None)?;
    /// let lines: Vec<_> = mm.maps_lines().collect();
    /// assert_eq!((lines.len(), lines[0].start, lines[0].end), (1, 0x10000, 0x12000));
    /// assert_eq!(lines[0].to_string(), "00010000-00012000 r--p 00000000 00:00 0 ");
    /// # Ok::<(), maple_vma::VmaError>(())
    /// ```
    pub fn maps_lines(&self) -> impl DoubleEndedIterator<Item = MapsLine> + '_ {
        self.iter().map(|vma| self.maps_line(vma))
    }
}

impl<D: fmt::Debug, P> fmt::Debug for AddressSpace<D, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
