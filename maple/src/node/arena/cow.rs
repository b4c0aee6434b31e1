//! [`Cow`]: one chunk of nodes that clones of a tree share until one of them writes it,
//! and [`CopyFn`], how a tree that cannot name `T: Clone` copies a chunk it shares. The
//! second of the crate's two modules with `unsafe` code (the other is `shared::cell`).
//!
//! # Why `unsafe`
//!
//! A chunk is an `Arc<Vec<N>>`. Safe Rust reaches a `&mut` inside an `Arc` only through
//! `Arc::get_mut`, which checks the counts with an atomic compare-exchange at every call:
//! a locked instruction per mutable node access, on trees nobody shares (the earlier
//! prototype, `docs/node-storage.md`, measured such checks at 2.5× an exact-fit overwrite).
//! So each chunk carries an **owned** flag, and while it is set the chunk is written with
//! no atomic operation at all.
//!
//! # The invariant (C1)
//!
//! **While `owned` is set, this handle's `Arc` is the only one: its strong count is 1 and
//! it has no weak pointers.** It holds because
//! * `owned` is set only by [`Cow::new`] (a new `Arc`) and by [`Cow::get_mut`] after
//!   `Arc::get_mut` succeeded (it checks both counts), both with the handle borrowed
//!   mutably or owned;
//! * the `Arc` is cloned only by [`Cow::share`], which clears `owned` first, and weak
//!   pointers are never made;
//! * `share` takes `&self` and the unchecked write access takes `&mut self`, so no share
//!   runs while a `&mut` from it is alive, and each later `&mut self` borrow happens after
//!   every earlier `&self` use (the borrow rules, across threads too: a tree reaches
//!   another thread only through something that synchronises), so it sees the cleared flag.
//!
//! A cleared flag says nothing: the `Arc` may be unique again (the other tree dropped);
//! the next write checks with `Arc::get_mut`, and copies the chunk only if it is not.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::marker::PhantomData;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

/// A chunk of nodes, shared copy-on-write between clones (see the module docs).
pub(crate) struct Cow<N> {
    nodes: Arc<Vec<N>>,
    /// C1: set only while `nodes` is the one `Arc` of its allocation.
    owned: AtomicBool,
}

impl<N> Cow<N> {
    pub(crate) fn new(nodes: Vec<N>) -> Self {
        Cow { nodes: Arc::new(nodes), owned: AtomicBool::new(true) }
    }

    #[inline]
    pub(crate) fn get(&self) -> &Vec<N> {
        &self.nodes
    }

    /// The chunk, to write: copied first (with `copy`) if another tree shares it.
    ///
    /// # Panics
    /// If the chunk is shared and `copy` was never set (a bug: sharing sets it).
    #[inline]
    pub(crate) fn get_mut(&mut self, copy: &CopyFn<N>) -> &mut Vec<N> {
        if !*self.owned.get_mut() {
            self.take_ownership(copy);
        }
        // SAFETY: `owned` is set, so by C1 this `Arc` is the only pointer to its allocation
        // (strong count 1, no weak pointers), and `&mut self` keeps every other use of this
        // handle out for the returned borrow's lifetime: the access is exclusive, as
        // `Arc::get_mut` would have found. `Arc::as_ptr` derives the pointer from the
        // `Arc`'s own allocation pointer, not from a shared reference, so writing through
        // it is allowed.
        unsafe { &mut *Arc::as_ptr(&self.nodes).cast_mut() }
    }

    /// The chunk, to write, if no other tree shares it; never copies.
    pub(crate) fn try_get_mut(&mut self) -> Option<&mut Vec<N>> {
        if !*self.owned.get_mut() {
            Arc::get_mut(&mut self.nodes)?;
            *self.owned.get_mut() = true;
        }
        // SAFETY: as in `get_mut`: `owned` is set (it was, or `Arc::get_mut` just found the
        // `Arc` unique), and `&mut self` is held for the borrow's lifetime.
        Some(unsafe { &mut *Arc::as_ptr(&self.nodes).cast_mut() })
    }

    /// Makes the chunk this handle's alone: takes it back if no other tree holds it any
    /// more, or copies it.
    #[cold]
    #[inline(never)]
    fn take_ownership(&mut self, copy: &CopyFn<N>) {
        if Arc::get_mut(&mut self.nodes).is_none() {
            let copy = copy.get().expect("a shared chunk has its copy function (set by the share)");
            self.nodes = Arc::new(copy(&self.nodes));
        }
        *self.owned.get_mut() = true;
    }

    /// Another handle to the same chunk; both copy it before they write it.
    pub(crate) fn share(&self) -> Self {
        // C1: the flag is cleared before the second `Arc` exists.
        self.owned.store(false, Ordering::Relaxed);
        Cow { nodes: Arc::clone(&self.nodes), owned: AtomicBool::new(false) }
    }

    /// Whether another tree may hold this chunk (it does if its count says so).
    #[cfg(test)]
    pub(crate) fn is_shared(&self) -> bool {
        Arc::strong_count(&self.nodes) > 1
    }
}

/// A function that copies a chunk.
type Copier<N> = fn(&Vec<N>) -> Vec<N>;

/// The function that copies a chunk (`Vec::clone` with the same capacity), kept by a
/// vector of chunks whose node type the write paths do not know to be `Clone`. Set by the
/// first share (which has `N: Clone`); read by a write into a shared chunk.
pub(crate) struct CopyFn<N> {
    /// A `fn(&Vec<N>) -> Vec<N>`, or null.
    f: AtomicPtr<()>,
    _nodes: PhantomData<Copier<N>>,
}

impl<N> CopyFn<N> {
    pub(crate) const fn new() -> Self {
        CopyFn { f: AtomicPtr::new(core::ptr::null_mut()), _nodes: PhantomData }
    }

    /// Records [`copy_chunk`] for `N`.
    pub(crate) fn set(&self)
    where
        N: Clone,
    {
        let f: Copier<N> = copy_chunk::<N>;
        self.f.store(f as *mut (), Ordering::Relaxed);
    }

    fn get(&self) -> Option<Copier<N>> {
        let f = self.f.load(Ordering::Relaxed);
        if f.is_null() {
            return None;
        }
        // SAFETY: the only non-null value ever stored is `copy_chunk::<N>` cast from a
        // `fn(&Vec<N>) -> Vec<N>` (in `set`; `N` is this type's parameter), so this turns
        // the pointer back into the very function pointer it was made from. Function and
        // data pointers have the same size on every target this crate builds for (a
        // different size would fail to compile here).
        Some(unsafe { core::mem::transmute::<*mut (), Copier<N>>(f) })
    }
}

impl<N> Clone for CopyFn<N> {
    fn clone(&self) -> Self {
        CopyFn { f: AtomicPtr::new(self.f.load(Ordering::Relaxed)), _nodes: PhantomData }
    }
}

/// A copy of a chunk with the same capacity (the chunk vector counts on capacities).
fn copy_chunk<N: Clone>(nodes: &Vec<N>) -> Vec<N> {
    let mut copy = Vec::with_capacity(nodes.capacity());
    copy.extend_from_slice(nodes);
    copy
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::rc::Rc;

    #[test]
    fn a_write_to_a_shared_chunk_copies_it_and_leaves_the_other_alone() {
        let copy = CopyFn::new();
        copy.set();
        let mut a = Cow::new(alloc::vec![1u32, 2, 3]);
        let mut b = a.share();
        assert!(a.is_shared() && b.is_shared());
        b.get_mut(&copy)[0] = 10;
        assert!(!a.is_shared() && !b.is_shared());
        assert_eq!(a.get()[..], [1, 2, 3]);
        assert_eq!(b.get()[..], [10, 2, 3]);
        a.get_mut(&copy).push(4);
        assert_eq!(a.get()[..], [1, 2, 3, 4]);
    }

    #[test]
    fn a_chunk_whose_other_holder_dropped_is_taken_back_without_a_copy() {
        let copy: CopyFn<Rc<u8>> = CopyFn::new();
        copy.set();
        let v = Rc::new(0u8);
        let mut a = Cow::new(alloc::vec![Rc::clone(&v); 4]);
        let b = a.share();
        assert_eq!(Rc::strong_count(&v), 5);
        drop(b);
        let before = a.get().as_ptr();
        a.get_mut(&copy)[1] = Rc::new(1);
        assert_eq!(a.get().as_ptr(), before, "written in place");
        assert_eq!(Rc::strong_count(&v), 4);
        assert!(a.try_get_mut().is_some());
    }

    #[test]
    fn try_get_mut_never_copies() {
        let mut a = Cow::new(alloc::vec![1u8]);
        let b = a.share();
        assert!(a.try_get_mut().is_none());
        drop(b);
        a.try_get_mut().unwrap().push(2);
        assert_eq!(a.get()[..], [1, 2]);
    }

    #[test]
    fn the_copy_keeps_the_capacity() {
        let copy = CopyFn::new();
        copy.set();
        let mut v = Vec::with_capacity(64);
        v.push(7u64);
        let a = Cow::new(v);
        let mut b = a.share();
        assert_eq!(b.get_mut(&copy).capacity(), 64);
        assert!(CopyFn::<u64>::new().get().is_none());
    }

    /// Shares and writes on other threads (Miri checks the accesses for races).
    #[cfg(feature = "std")]
    #[test]
    fn shares_written_on_other_threads() {
        let copy = CopyFn::new();
        copy.set();
        let a = Cow::new(alloc::vec![0u64; 8]);
        let handles: Vec<_> = (0..2u64)
            .map(|t| {
                let mut mine = a.share();
                let copy = copy.clone();
                std::thread::spawn(move || {
                    mine.get_mut(&copy)[0] = t + 1;
                    mine.get()[0]
                })
            })
            .collect();
        for (t, h) in handles.into_iter().enumerate() {
            assert_eq!(h.join().unwrap(), t as u64 + 1);
        }
        assert_eq!(a.get()[0], 0);
    }
}
