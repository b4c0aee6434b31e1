//! Free-range search and range allocation: the kernel's `mas_empty_area`,
//! `mas_empty_area_rev`, `mtree_alloc_range`, `mtree_alloc_rrange` and `mtree_alloc_cyclic`.
//!
//! Every search and allocating write takes the window first, then the size (and the
//! alignment): `empty_area(min, max, size)`, `alloc_area(min, max, size, value)`. The
//! kernel-ordered `alloc_range(size, min, max, value)` and `alloc_rrange` are deprecated.
//!
//! # Window semantics
//!
//! A search for `size` keys in the window `[min, max]` looks for a *fit*: `size` consecutive
//! NULL keys, all inside the window. A NULL range that reaches outside the window is cut to
//! it first, so a fit may start exactly at `min` or end exactly at `max`.
//!
//! * [`MapleTree::empty_area`] returns the **lowest** fit's start.
//! * [`MapleTree::empty_area_rev`] returns the start of the **highest** fit: the fit ends at
//!   the end of the highest NULL range that can hold it, or at `max` if that range reaches
//!   past `max`, and starts `size - 1` keys before.
//! * Errors: [`Error::Invalid`] for `min > max`, `size == 0`, or a window smaller than `size`
//!   (nothing could ever fit); [`Error::Busy`] when nothing fits now.
//!
//! # Cost
//!
//! On an allocation tree ([`MapleTree::new_alloc`]) the search descends only into children
//! whose recorded gap can hold `size`. A child entirely inside the window with a large enough
//! gap always holds a fit, so only the (at most two per level) children cut by the window's
//! ends can send the search back: O(height × 16) node visits, whatever the number of
//! ranges. On any other tree the gaps are unknown and the search walks the leaves of the
//! window in order until the first fit: O(ranges in the window) in the worst case.
//!
//! # Alignment
//!
//! The aligned searches ([`MapleTree::empty_area_aligned`],
//! [`MapleTree::empty_area_rev_aligned`], and the `alloc_area*_aligned` writes) are exact:
//! they return the lowest (highest) start that is a multiple of `align` and begins `size`
//! NULL keys inside the window. They descend into every child whose recorded gap holds
//! `size` keys, in search order, and check the aligned fit at the leaf; a child inside the
//! window whose gap holds `size + align - 1` keys always has one. (Linux's
//! `vm_unmapped_area` searches for `size + align - 1` keys instead, which costs no extra
//! descent but misses an aligned run in a shorter hole.)

use crate::error::Error;
use crate::key::{top, Key};
use crate::node::{slot_of, slot_range, NodeId, NO_NODE};
use crate::path::{Level, Path};
use crate::write::NoDup;
use crate::MapleTree;

/// A validated request: a fit of `size` keys inside `[min, max]`, starting at a multiple of
/// `align` (a power of two; 1 for no alignment).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request {
    min: u64,
    max: u64,
    size: u64,
    align: u64,
}

impl Request {
    /// Checks the kernel's argument rules.
    pub(crate) fn new(min: u64, max: u64, size: u64) -> Result<Request, Error> {
        if min > max || size == 0 || max - min < size - 1 {
            return Err(Error::Invalid);
        }
        Ok(Request { min, max, size, align: 1 })
    }

    /// [`Request::new`] with a start aligned to `align`, which must be a power of two.
    fn aligned(min: u64, max: u64, size: u64, align: u64) -> Result<Request, Error> {
        if !align.is_power_of_two() {
            return Err(Error::Invalid);
        }
        Ok(Request { align, ..Request::new(min, max, size)? })
    }

    /// The part of the NULL range `[first, last]` inside the window, if it holds a fit:
    /// `(start, last)` of the lowest aligned fit, or (`rev`) `(first, end)` of the highest.
    /// Without alignment both are the NULL range cut to the window.
    #[inline]
    fn fit(&self, first: u64, last: u64, rev: bool) -> Option<(u64, u64)> {
        let (a, b) = (first.max(self.min), last.min(self.max));
        if a > b || b - a < self.size - 1 {
            return None;
        }
        if self.align == 1 {
            return Some((a, b));
        }
        let mask = self.align - 1;
        if rev {
            let start = (b - (self.size - 1)) & !mask;
            (start >= a).then_some((a, start + (self.size - 1)))
        } else {
            let start = a.checked_add(a.wrapping_neg() & mask)?;
            (start <= b && b - start >= self.size - 1).then_some((start, b))
        }
    }
}

impl<T, K: Key> MapleTree<T, K> {
    /// The NULL range cut to the request's window that holds the lowest (`rev == false`) or
    /// highest fit, as `(first, last)`.
    pub(crate) fn find_fit(&self, req: Request, rev: bool) -> Option<(u64, u64)> {
        if self.root == NO_NODE {
            return req.fit(0, u64::MAX, rev);
        }
        self.fit_below(self.root, 0, 0, u64::MAX, req, rev, None)
    }

    /// [`MapleTree::find_fit`] in a tree that is not empty, leaving `path` (on success) on the
    /// NULL slot that holds the fit, as a walk to the fit's start would: the search's own
    /// descent, so that a cursor needs no second one.
    pub(crate) fn find_fit_path(&self, req: Request, rev: bool, path: &mut Path) -> Option<(u64, u64)> {
        debug_assert!(self.root != NO_NODE);
        path.height = self.height;
        self.fit_below(self.root, 0, 0, u64::MAX, req, rev, Some(path))
    }

    /// Searches the subtree of `id` (at `depth`, covering `[min, max]`); on success records
    /// in `path`, if given, the slot taken at this depth and below.
    #[allow(clippy::too_many_arguments)]
    fn fit_below(
        &self,
        id: NodeId,
        depth: usize,
        min: u64,
        max: u64,
        req: Request,
        rev: bool,
        mut path: Option<&mut Path>,
    ) -> Option<(u64, u64)> {
        let is_leaf = depth + 1 == self.height();
        let (pivots, len) = if is_leaf {
            let leaf = self.arena.leaf(id);
            (leaf.pivots(), leaf.len())
        } else {
            let node = self.arena.internal(id);
            (node.pivots(), node.len())
        };
        // Only the slots that meet the window, in search order; each is first checked for
        // what is cheap (NULL, or a recorded gap that can hold the request).
        // (A node the window covers from its start, or to its end, needs no search there.)
        let lo = if req.min <= min { 0 } else { slot_of(pivots, req.min).min(len - 1) };
        let hi = if req.max >= max { len - 1 } else { slot_of(pivots, req.max).min(len - 1) };
        let mut i = if rev { hi } else { lo };
        loop {
            let candidate = if is_leaf {
                !self.arena.leaf(id).has_value(i)
            } else {
                !self.alloc || self.arena.internal(id).gap(i) >= req.size
            };
            if candidate {
                let (first, last) = slot_range(pivots, len, i, min, max);
                if let Some(fit) = req.fit(first, last, rev) {
                    let found = if is_leaf {
                        Some(fit)
                    } else {
                        let child = self.arena.internal(id).child(i);
                        self.fit_below(child, depth + 1, first, last, req, rev, path.as_deref_mut())
                    };
                    if found.is_some() {
                        if let Some(path) = path {
                            path.levels[depth] = Level { node: id, offset: i as u8, len: len as u8, min, max };
                        }
                        return found;
                    }
                }
            }
            if i == if rev { lo } else { hi } {
                return None;
            }
            i = if rev { i - 1 } else { i + 1 };
        }
    }

    /// The lowest start `s >= min` such that `s..=s + size - 1` holds only NULL keys and ends
    /// at or below `max`.
    ///
    /// O(height) on an allocation tree ([`MapleTree::new_alloc`]); on another tree a walk over
    /// the leaves from `min` to the first fit (see the [module docs](crate::search)).
    ///
    /// # Errors
    /// [`Error::Invalid`] if `min > max`, `size == 0` or the window `min..=max` holds fewer
    /// than `size` keys; [`Error::Busy`] if no fit exists.
    ///
    /// ```
    /// use maple_tree::{Error, MapleTree};
    ///
    /// let mut tree = MapleTree::new_alloc();
    /// tree.store_range(0, 9, 'a')?;
    /// tree.store_range(15, 19, 'b')?; // a hole of 5 keys: 10..=14
    /// assert_eq!(tree.empty_area(0, 100, 5), Ok(10));
    /// assert_eq!(tree.empty_area(0, 100, 6), Ok(20));
    /// assert_eq!(tree.empty_area(12, 100, 3), Ok(12)); // the window cuts the hole
    /// assert_eq!(tree.empty_area(0, 13, 5), Err(Error::Busy));
    /// assert_eq!(tree.empty_area(0, 3, 5), Err(Error::Invalid)); // the window is too small
    /// # Ok::<(), Error>(())
    /// ```
    #[doc(alias = "mas_empty_area")]
    pub fn empty_area(&self, min: K, max: K, size: u64) -> Result<K, Error> {
        let req = Request::new(min.to_u64(), max.to_u64(), size)?;
        self.find_fit(req, false).map(|(first, _)| K::from_u64(first)).ok_or(Error::Busy)
    }

    /// The start of the highest fit: `size` NULL keys ending at the end of the highest NULL
    /// range that holds them, or at `max` if that range reaches past it.
    ///
    /// Costs and errors as [`MapleTree::empty_area`].
    ///
    /// ```
    /// use maple_tree::MapleTree;
    ///
    /// let mut tree = MapleTree::new_alloc();
    /// tree.store_range(0x1000, 0x1fff, "low")?;
    /// tree.store_range(0x8000, 0x8fff, "high")?;
    /// // Top-down, as mmap places mappings: the highest fit below 0x8000.
    /// assert_eq!(tree.empty_area_rev(0, 0x7fff, 0x1000), Ok(0x7000));
    /// // The window's end cuts the hole above "high".
    /// assert_eq!(tree.empty_area_rev(0, 0xa0ff, 0x100), Ok(0xa000));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mas_empty_area_rev")]
    pub fn empty_area_rev(&self, min: K, max: K, size: u64) -> Result<K, Error> {
        let req = Request::new(min.to_u64(), max.to_u64(), size)?;
        self.find_fit(req, true).map(|(_, last)| K::from_u64(last - (size - 1))).ok_or(Error::Busy)
    }

    /// [`MapleTree::empty_area`] with a start that is a multiple of `align` (a power of two):
    /// the lowest aligned start of `size` NULL keys inside `min..=max`. Exact: whenever an
    /// aligned fit exists it is found (there is no "search for `size + align - 1`" blind
    /// spot).
    ///
    /// On an allocation tree the search descends only into children whose largest gap holds
    /// `size` keys; a child inside the window whose gap holds `size + align - 1` always holds
    /// an aligned fit, so the cost is O(height) plus one descent for each subtree before the
    /// answer whose gap holds `size` keys but no aligned run (holes shorter than
    /// `size + align - 1`, misplaced).
    ///
    /// # Errors
    /// [`Error::Invalid`] as [`MapleTree::empty_area`], or if `align` is not a power of two;
    /// [`Error::Busy`] if no aligned fit exists.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new_alloc();
    /// tree.store_range(0, 0x2_0fff, "text")?;
    /// tree.store_range(0x40_0000, 0x40_0fff, "data")?;
    /// // The hole 0x2_1000..=0x3f_ffff holds exactly one 2 MiB-aligned 2 MiB run.
    /// assert_eq!(tree.empty_area_aligned(0, u64::MAX, 2 << 20, 2 << 20), Ok(0x20_0000));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn empty_area_aligned(&self, min: K, max: K, size: u64, align: u64) -> Result<K, Error> {
        let req = Request::aligned(min.to_u64(), max.to_u64(), size, align)?;
        self.find_fit(req, false).map(|(start, _)| K::from_u64(start)).ok_or(Error::Busy)
    }

    /// [`MapleTree::empty_area_rev`] with a start that is a multiple of `align` (a power of
    /// two): the highest aligned start of `size` NULL keys inside `min..=max`. Exact, and
    /// costs as [`MapleTree::empty_area_aligned`].
    ///
    /// # Errors
    /// As [`MapleTree::empty_area_aligned`].
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new_alloc();
    /// tree.store_range(0x7fff_f000, u64::MAX, "stack and above")?;
    /// assert_eq!(tree.empty_area_rev_aligned(0, u64::MAX, 0x1000, 0x10000), Ok(0x7fff_0000));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    pub fn empty_area_rev_aligned(&self, min: K, max: K, size: u64, align: u64) -> Result<K, Error> {
        let req = Request::aligned(min.to_u64(), max.to_u64(), size, align)?;
        self.find_fit(req, true).map(|(_, end)| K::from_u64(end - (size - 1))).ok_or(Error::Busy)
    }
}

/// The `alloc_*` calls store into a free range, which cuts no value: they need no `T: Clone`.
impl<T, K: Key> MapleTree<T, K> {
    /// Stores `value` over the lowest fit of `size` keys in `min..=max` (see
    /// [`MapleTree::empty_area`], whose argument order this shares) and returns its start.
    ///
    /// Unlike the kernel's `mtree_alloc_range`, this also works on a tree that is not an
    /// allocation tree, at the cost of a walk over the leaves of the window. Needs no
    /// `T: Clone` (the range is free).
    ///
    /// # Errors
    /// [`Error::Invalid`] and [`Error::Busy`] as [`MapleTree::empty_area`];
    /// [`Error::NoMemory`]. The tree is unchanged on error.
    ///
    /// ```
    /// let mut ids = maple_tree::MapleTree::new_alloc();
    /// assert_eq!(ids.alloc_area(1, 100, 10, "a")?, 1);
    /// assert_eq!(ids.alloc_area(1, 100, 10, "b")?, 11);
    /// assert_eq!(ids.load_range(15), Some((11..=20, &"b")));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mtree_alloc_range")]
    #[doc(alias = "alloc_range")]
    pub fn alloc_area(&mut self, min: K, max: K, size: u64, value: T) -> Result<K, Error> {
        let start = self.empty_area(min, max, size)?;
        self.fill(start, size, value)
    }

    /// Stores `value` over the highest fit of `size` keys in `min..=max` (see
    /// [`MapleTree::empty_area_rev`]) and returns its start.
    ///
    /// # Errors
    /// As [`MapleTree::alloc_area`]. The tree is unchanged on error.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new_alloc();
    /// assert_eq!(tree.alloc_area_rev(0, 0xffff, 0x1000, "top")?, 0xf000);
    /// assert_eq!(tree.alloc_area_rev(0, 0xffff, 0x1000, "below")?, 0xe000);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mtree_alloc_rrange")]
    #[doc(alias = "alloc_rrange")]
    pub fn alloc_area_rev(&mut self, min: K, max: K, size: u64, value: T) -> Result<K, Error> {
        let start = self.empty_area_rev(min, max, size)?;
        self.fill(start, size, value)
    }

    /// Stores `value` over the lowest aligned fit of `size` keys in `min..=max` (see
    /// [`MapleTree::empty_area_aligned`]: exact, no blind spot) and returns its start.
    ///
    /// # Errors
    /// As [`MapleTree::empty_area_aligned`]; [`Error::NoMemory`]. The tree is unchanged on
    /// error.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new_alloc();
    /// tree.store_range(0, 0x2_0fff, "text")?;
    /// let huge = tree.alloc_area_aligned(0, u64::MAX, 2 << 20, 2 << 20, "2 MiB page")?;
    /// assert_eq!(huge, 0x20_0000);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "alloc_range_aligned")]
    pub fn alloc_area_aligned(&mut self, min: K, max: K, size: u64, align: u64, value: T) -> Result<K, Error> {
        let start = self.empty_area_aligned(min, max, size, align)?;
        self.fill(start, size, value)
    }

    /// Stores `value` over the highest aligned fit of `size` keys in `min..=max` (see
    /// [`MapleTree::empty_area_rev_aligned`]) and returns its start.
    ///
    /// # Errors
    /// As [`MapleTree::alloc_area_aligned`]. The tree is unchanged on error.
    ///
    /// ```
    /// let mut tree = maple_tree::MapleTree::new_alloc();
    /// let at = tree.alloc_area_rev_aligned(0, 0x7fff_ffff, 0x1800, 0x1000, "top")?;
    /// assert_eq!(at, 0x7fff_e000);
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "alloc_rrange_aligned")]
    pub fn alloc_area_rev_aligned(&mut self, min: K, max: K, size: u64, align: u64, value: T) -> Result<K, Error> {
        let start = self.empty_area_rev_aligned(min, max, size, align)?;
        self.fill(start, size, value)
    }

    /// Stores `value` over the free range `start..start + size` that a search found.
    fn fill(&mut self, start: K, size: u64, value: T) -> Result<K, Error> {
        let first = start.to_u64();
        self.write_with::<NoDup>(first, first + (size - 1), Some(value))?;
        Ok(start)
    }

    /// The kernel's argument order for [`MapleTree::alloc_area`] (`size` first).
    ///
    /// # Errors
    /// As [`MapleTree::alloc_area`].
    #[deprecated(note = "use `alloc_area(min, max, size, value)`: the argument order of `empty_area`")]
    pub fn alloc_range(&mut self, size: u64, min: K, max: K, value: T) -> Result<K, Error> {
        self.alloc_area(min, max, size, value)
    }

    /// The kernel's argument order for [`MapleTree::alloc_area_rev`] (`size` first).
    ///
    /// # Errors
    /// As [`MapleTree::alloc_area_rev`].
    #[deprecated(note = "use `alloc_area_rev(min, max, size, value)`: the argument order of `empty_area_rev`")]
    pub fn alloc_rrange(&mut self, size: u64, min: K, max: K, value: T) -> Result<K, Error> {
        self.alloc_area_rev(min, max, size, value)
    }

    /// Cyclic ID allocation (the kernel's `mtree_alloc_cyclic`): stores `value` at the lowest
    /// free key in `max(*next, min)..=max`, or, if there is none, at the lowest free key in
    /// `min..=max`; then sets `*next` to the key after the one allocated (wrapping to 0 after
    /// `K::MAX`). Returns the key and whether the search wrapped: it started again at
    /// `min`, or the previous call handed out `K::MAX`.
    ///
    /// # Errors
    /// [`Error::Invalid`] if `min > max`; [`Error::Busy`] if every key of `min..=max` holds a
    /// value; [`Error::NoMemory`]. The tree and `*next` are unchanged on error.
    ///
    /// ```
    /// let mut ids = maple_tree::MapleTree::new_alloc();
    /// let mut next = 0;
    /// assert_eq!(ids.alloc_cyclic(1, 3, &mut next, 'a')?, (1, false));
    /// assert_eq!(ids.alloc_cyclic(1, 3, &mut next, 'b')?, (2, false));
    /// ids.erase(1)?;
    /// assert_eq!(ids.alloc_cyclic(1, 3, &mut next, 'c')?, (3, false));
    /// assert_eq!(ids.alloc_cyclic(1, 3, &mut next, 'd')?, (1, true)); // wrapped
    /// assert_eq!(ids.alloc_cyclic(1, 3, &mut next, 'e'), Err(maple_tree::Error::Busy));
    /// # Ok::<(), maple_tree::Error>(())
    /// ```
    #[doc(alias = "mtree_alloc_cyclic")]
    #[doc(alias = "mas_alloc_cyclic")]
    pub fn alloc_cyclic(&mut self, min: K, max: K, next: &mut K, value: T) -> Result<(K, bool), Error> {
        let from = min.max(*next);
        let (index, wrapped) = match self.empty_area(from, max, 1) {
            Ok(index) => (index, self.cyclic_wrapped),
            Err(e) if from == min => return Err(e),
            Err(_) => (self.empty_area(min, max, 1)?, true),
        };
        self.fill(index, 1, value)?;
        let raw = index.to_u64();
        self.cyclic_wrapped = raw == top::<K>();
        *next = K::from_u64(if raw == top::<K>() { 0 } else { raw + 1 });
        Ok((index, wrapped))
    }
}
