//! [`Flat`]: the internal-node vector of the arena, one `Vec` shared whole by clones.
//!
//! The internal nodes are few (about one for every ten leaves) and are read at every level
//! of every descent, so they stay in one vector indexed directly, as before clones shared
//! nodes: a read costs one more load than a plain `Vec` (the shared header, which stays in
//! the cache), not a chunk's index math. The price is paid by clones: the first write to
//! the internal nodes after a clone copies all of them (a few percent of the tree's bytes),
//! where the leaves are copied a chunk at a time.

use super::cow::{CopyFn, Cow};
use alloc::collections::TryReserveError;
use alloc::vec::Vec;
use core::ops::{Index, IndexMut};

/// A vector of nodes that clones share copy-on-write, whole (see the module docs).
pub(crate) struct Flat<N> {
    /// `None` until the first node (an empty tree allocates nothing).
    nodes: Option<Cow<N>>,
    copy: CopyFn<N>,
}

impl<N> Flat<N> {
    pub(crate) const fn new() -> Self {
        Flat { nodes: None, copy: CopyFn::new() }
    }

    #[inline]
    pub(crate) fn as_slice(&self) -> &[N] {
        match &self.nodes {
            Some(nodes) => nodes.get(),
            None => &[],
        }
    }

    /// The vector, to write (copied first if a clone shares it).
    #[inline]
    fn vec_mut(&mut self) -> &mut Vec<N> {
        self.nodes.get_or_insert_with(|| Cow::new(Vec::new())).get_mut(&self.copy)
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.as_slice().len()
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.nodes.as_ref().map_or(0, |nodes| nodes.get().capacity())
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&N> {
        self.as_slice().get(i)
    }

    /// Makes room for one more node in a full vector: by a sixteenth of its length (at
    /// least 4 nodes) rather than by doubling, so at most about 6% of the node memory is
    /// unused capacity instead of up to half (an eighth left 9% unused in a random build of
    /// 1e5 ranges, and a sixteenth costs that build 1% more instructions). Growth stays
    /// geometric (amortized O(1) per node), and large blocks are moved by the allocator's
    /// `realloc`, which usually extends them in place.
    pub(crate) fn try_grow(&mut self) -> Result<(), TryReserveError> {
        if self.len() < self.capacity() {
            return Ok(());
        }
        let more = (self.len() / 16).max(4);
        self.vec_mut().try_reserve_exact(more)
    }

    pub(crate) fn try_reserve_exact(&mut self, more: usize) -> Result<(), TryReserveError> {
        if self.capacity() - self.len() >= more {
            return Ok(());
        }
        self.vec_mut().try_reserve_exact(more)
    }

    /// Appends `node`, allocating (infallibly) if [`Flat::try_grow`] did not.
    pub(crate) fn push(&mut self, node: N) {
        self.vec_mut().push(node);
    }

    pub(crate) fn truncate(&mut self, len: usize) {
        if len < self.len() {
            self.vec_mut().truncate(len);
        }
    }

    pub(crate) fn shrink_to(&mut self, min: usize) {
        if self.capacity() > min.max(self.len()) {
            self.vec_mut().shrink_to(min);
        }
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.shrink_to(0);
    }

    pub(crate) fn swap(&mut self, i: usize, j: usize) {
        self.vec_mut().swap(i, j);
    }

    /// A copy of the first `count` nodes, or `Err` if the system has no memory for it: the
    /// same vector, shared, if `count` is all of them; otherwise a copy of the prefix.
    pub(crate) fn try_clone_prefix(&self, count: usize) -> Result<Self, TryReserveError>
    where
        N: Clone,
    {
        self.copy.set();
        let copy = CopyFn::new();
        copy.set();
        if count == self.len() {
            return Ok(Flat { nodes: self.nodes.as_ref().map(Cow::share), copy });
        }
        if count == 0 {
            return Ok(Flat { nodes: None, copy });
        }
        let mut nodes = Vec::new();
        nodes.try_reserve_exact(count)?;
        nodes.extend_from_slice(&self.as_slice()[..count]);
        Ok(Flat { nodes: Some(Cow::new(nodes)), copy })
    }
}

impl<N: Clone> Clone for Flat<N> {
    fn clone(&self) -> Self {
        self.try_clone_prefix(self.len()).unwrap_or_else(|_| panic!("out of memory cloning the node arena"))
    }
}

impl<N> Default for Flat<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N> Index<usize> for Flat<N> {
    type Output = N;

    #[inline]
    fn index(&self, i: usize) -> &N {
        &self.as_slice()[i]
    }
}

impl<N> IndexMut<usize> for Flat<N> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut N {
        &mut self.vec_mut()[i]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_vector_behaves_as_a_vec_and_clones_share_it() {
        let mut f: Flat<u32> = Flat::new();
        let mut v: Vec<u32> = Vec::new();
        for i in 0..100 {
            f.try_grow().unwrap();
            f.push(i);
            v.push(i);
        }
        f.swap(3, 90);
        v.swap(3, 90);
        let snap = f.clone();
        f[5] = 500;
        f.truncate(50);
        f.shrink_to_fit();
        assert_eq!(f.capacity(), 50);
        assert!((0..100).all(|i| snap[i] == v[i]), "the clone kept its nodes");
        v[5] = 500;
        v.truncate(50);
        assert!((0..50).all(|i| f[i] == v[i]));
        assert_eq!(f.get(50), None);
        let prefix = snap.try_clone_prefix(10).unwrap();
        assert_eq!(prefix.len(), 10);
        f.try_reserve_exact(1000).unwrap();
        assert!(f.capacity() >= 1050);
    }
}
