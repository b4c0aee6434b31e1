//! [`Chunks`]: the leaf vector of the arena, stored as fixed-size chunks.
//!
//! Element `i` lives at `chunks[i / CHUNK][i % CHUNK]`. Every chunk but the last in use is
//! full; chunks past the last in use may be allocated ahead (empty, with capacity
//! [`CHUNK`]). The first chunk grows by doubling up to [`CHUNK`], so a small tree holds a
//! small allocation; the others are allocated at [`CHUNK`] at once (a shrink or a copy
//! may leave the last one shorter, and it grows again as the first does).
//!
//! Why chunks and not one `Vec`: a tree of many leaves in one block is a block above the
//! system allocator's threshold for fresh mappings, so it grows by `realloc` copies and
//! every build faults all its pages in anew (more than half of a bulk build of 1e6 ranges
//! was page faults); chunks of a few tens of KiB are reused from the allocator's free
//! memory as small allocations are, and growing never moves a leaf. The price is one more
//! load per leaf access, from a table (16 bytes a chunk) that stays in the cache.
//!
//! # Copy-on-write
//!
//! Each chunk is a [`Cow`]: a clone of the vector ([`Chunks::try_clone_prefix`], `Clone`)
//! shares every whole chunk with the original (one reference count each, so a clone costs
//! O(n / 64)), and whichever of them writes a shared chunk first copies it, all 64 nodes,
//! with the function the clone recorded in [`CopyFn`] (the write paths cannot name
//! `N: Clone`). A vector nobody shares writes its chunks in place with no atomic operation
//! (`cow`'s owned flag). Every mutable access below goes through [`Chunks::chunk_mut`] or
//! [`Cow::get_mut`] and so copies first; [`Chunks::truncate`] lets go of the shared chunks
//! past the new end instead of copying them to empty them.

use super::cow::{CopyFn, Cow};
use alloc::collections::TryReserveError;
use alloc::vec::Vec;
use core::ops::{Index, IndexMut};

/// Elements per chunk: 64 leaves are 17 KiB with `u64` values.
pub(crate) const CHUNK: usize = 64;
const SHIFT: u32 = CHUNK.trailing_zeros();

/// A vector of nodes in chunks of [`CHUNK`] (see the module docs).
pub(crate) struct Chunks<N> {
    chunks: Vec<Cow<N>>,
    len: usize,
    /// The sum of the chunks' capacities.
    cap: usize,
    /// How a write copies a chunk that a clone shares (set by the first clone).
    copy: CopyFn<N>,
}

impl<N> Chunks<N> {
    pub(crate) const fn new() -> Self {
        Chunks { chunks: Vec::new(), len: 0, cap: 0, copy: CopyFn::new() }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// Bytes of the chunk table and of each chunk's shared header (the chunks' own bytes
    /// are the capacity's).
    pub(crate) fn table_bytes(&self) -> usize {
        // An `Arc`'s header: its two counts and the `Vec` it holds.
        const HEADER: usize = 2 * core::mem::size_of::<usize>() + core::mem::size_of::<Vec<u8>>();
        self.chunks.capacity() * core::mem::size_of::<Cow<N>>() + self.chunks.len() * HEADER
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&N> {
        self.chunks.get(i >> SHIFT)?.get().get(i & (CHUNK - 1))
    }

    /// Chunk `c`, to write (copied first if a clone shares it).
    #[inline]
    fn chunk_mut(&mut self, c: usize) -> &mut Vec<N> {
        self.chunks[c].get_mut(&self.copy)
    }

    /// Makes room for one more element (the chunk it goes into), so that the next
    /// [`Chunks::push`] allocates nothing.
    pub(crate) fn try_grow(&mut self) -> Result<(), TryReserveError> {
        let c = self.len >> SHIFT;
        match self.chunks.get(c).map(Cow::get) {
            Some(chunk) if chunk.len() < chunk.capacity() => Ok(()),
            Some(_) => {
                // A chunk short of `CHUNK`: the first, growing by doubling, or the last after
                // a shrink or a copy. Every chunk before the one in use stays full.
                let chunk = self.chunk_mut(c);
                let old = chunk.capacity();
                chunk.try_reserve_exact(chunk.len().max(4).min(CHUNK - chunk.len()))?;
                let new = chunk.capacity();
                self.cap += new - old;
                Ok(())
            }
            None => self.add_chunk(if c == 0 { 4 } else { CHUNK }),
        }
    }

    /// Appends an empty chunk with room for `cap` elements.
    fn add_chunk(&mut self, cap: usize) -> Result<(), TryReserveError> {
        self.chunks.try_reserve(1)?;
        let mut chunk = Vec::new();
        chunk.try_reserve_exact(cap)?;
        self.cap += chunk.capacity();
        self.chunks.push(Cow::new(chunk));
        Ok(())
    }

    /// Makes room for `more` elements past the length, allocating whole chunks.
    pub(crate) fn try_reserve_exact(&mut self, more: usize) -> Result<(), TryReserveError> {
        let want = self.len.saturating_add(more);
        if want <= self.cap {
            return Ok(());
        }
        // A short chunk in use (the first, or the last after a shrink or a copy) is made
        // whole first: the chunks after it count on it being full.
        let c = self.len >> SHIFT;
        if self.chunks.get(c).is_some_and(|chunk| chunk.get().capacity() < CHUNK) {
            let chunk = self.chunk_mut(c);
            let old = chunk.capacity();
            chunk.try_reserve_exact(CHUNK - chunk.len())?;
            let new = chunk.capacity();
            self.cap += new - old;
        }
        self.chunks.try_reserve_exact(want.div_ceil(CHUNK).saturating_sub(self.chunks.len()))?;
        while self.cap < want {
            self.add_chunk(CHUNK)?;
        }
        Ok(())
    }

    /// Appends `value`, allocating (infallibly) if [`Chunks::try_grow`] did not.
    #[inline]
    pub(crate) fn push(&mut self, value: N) {
        let c = self.len >> SHIFT;
        match self.chunks.get(c).map(Cow::get) {
            Some(chunk) if chunk.len() < chunk.capacity() => self.chunk_mut(c).push(value),
            _ => self.push_growing(value),
        }
        self.len += 1;
    }

    /// [`Chunks::push`] into a full chunk or past the last one.
    #[cold]
    #[inline(never)]
    fn push_growing(&mut self, value: N) {
        self.try_grow().unwrap_or_else(|_| alloc_failed());
        self.chunk_mut(self.len >> SHIFT).push(value);
    }

    pub(crate) fn pop(&mut self) -> Option<N> {
        let i = self.len.checked_sub(1)?;
        self.len = i;
        self.chunk_mut(i >> SHIFT).pop()
    }

    /// Drops the elements from `len` on; keeps the capacity, but for chunks past the new
    /// end that a clone still shares, which are let go (emptying them would copy them).
    pub(crate) fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let c = len >> SHIFT;
        self.chunk_mut(c).truncate(len & (CHUNK - 1));
        let mut keep = self.chunks.len();
        for (k, chunk) in self.chunks.iter_mut().enumerate().skip(c + 1) {
            match chunk.try_get_mut() {
                Some(chunk) => chunk.clear(),
                None => {
                    keep = k;
                    break;
                }
            }
        }
        if keep < self.chunks.len() {
            self.chunks.truncate(keep);
            self.cap = self.chunks.iter().map(|chunk| chunk.get().capacity()).sum();
        }
        self.len = len;
    }

    /// Gives back the capacity past `min.max(len)`, in whole chunks and the last chunk's
    /// tail.
    pub(crate) fn shrink_to(&mut self, min: usize) {
        let keep = min.max(self.len);
        let chunks = keep.div_ceil(CHUNK);
        self.chunks.truncate(chunks);
        self.chunks.shrink_to_fit();
        let kept = self.chunks.len();
        if kept > 0 {
            let last = keep.saturating_sub((kept - 1) * CHUNK);
            if self.chunks[kept - 1].get().capacity() > last {
                self.chunk_mut(kept - 1).shrink_to(last);
            }
        }
        self.cap = self.chunks.iter().map(|chunk| chunk.get().capacity()).sum();
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.shrink_to(0);
    }

    /// Swaps elements `i` and `j`.
    pub(crate) fn swap(&mut self, i: usize, j: usize) {
        let (ci, cj) = (i >> SHIFT, j >> SHIFT);
        let (oi, oj) = (i & (CHUNK - 1), j & (CHUNK - 1));
        if ci == cj {
            self.chunk_mut(ci).swap(oi, oj);
            return;
        }
        let (lo, hi, olo, ohi) = if ci < cj { (ci, cj, oi, oj) } else { (cj, ci, oj, oi) };
        let (head, tail) = self.chunks.split_at_mut(hi);
        core::mem::swap(&mut head[lo].get_mut(&self.copy)[olo], &mut tail[0].get_mut(&self.copy)[ohi]);
    }

    /// The elements from `from` on, in order.
    #[cfg(test)]
    pub(crate) fn iter_from(&self, from: usize) -> impl Iterator<Item = &N> {
        self.chunks.iter().flat_map(|chunk| chunk.get().iter()).skip(from)
    }

    /// The elements from `from` on, in order, mutably.
    pub(crate) fn iter_mut_from(&mut self, from: usize) -> impl Iterator<Item = &mut N> {
        let c = from >> SHIFT;
        let first = (from & (CHUNK - 1)).min(self.chunks.get(c).map_or(0, |chunk| chunk.get().len()));
        let copy = &self.copy;
        let mut chunks = self.chunks.iter_mut().skip(c).map(move |chunk| chunk.get_mut(copy));
        let head = chunks.next().map(|chunk| &mut chunk[first..]).into_iter().flatten();
        head.chain(chunks.flatten())
    }

    /// Mutable references to the distinct elements `ids` (sorted ascending), in that order.
    pub(crate) fn get_sorted_mut(&mut self, ids: impl IntoIterator<Item = usize>) -> Vec<&mut N> {
        let mut out = Vec::new();
        let copy = &self.copy;
        let mut chunks = self.chunks.iter_mut().enumerate();
        // The current chunk's elements not yet handed out, the index of the first, and the
        // chunk's number.
        let (mut rest, mut base, mut cur): (&mut [N], usize, Option<usize>) = (&mut [], 0, None);
        for id in ids {
            let c = id >> SHIFT;
            if cur != Some(c) {
                let (_, chunk) = chunks.find(|(k, _)| *k == c).expect("live elements, sorted");
                (rest, base, cur) = (&mut chunk.get_mut(copy)[..], c << SHIFT, Some(c));
            }
            assert!(id >= base, "ids must be sorted and distinct");
            let (node, tail) = core::mem::take(&mut rest)[id - base..].split_first_mut().expect("a live element");
            out.push(node);
            (rest, base) = (tail, id + 1);
        }
        out
    }

    /// A copy of the first `count` elements, or `Err` if the system has no memory for it.
    /// The chunks wholly inside them are shared with `self` (copy-on-write: whichever
    /// writes a shared chunk first copies it); the part of a last, partly taken chunk is
    /// copied, so the cost is the chunk table plus fewer than [`CHUNK`] elements.
    pub(crate) fn try_clone_prefix(&self, count: usize) -> Result<Self, TryReserveError>
    where
        N: Clone,
    {
        let mut copy = Chunks::new();
        copy.chunks.try_reserve_exact(count.div_ceil(CHUNK))?;
        self.copy.set();
        copy.copy.set();
        for chunk in self.chunks.iter().take(count.div_ceil(CHUNK)) {
            let take = chunk.get().len().min(count - copy.len);
            let part = if take == chunk.get().len() {
                chunk.share()
            } else {
                let mut part = Vec::new();
                part.try_reserve_exact(take)?;
                part.extend_from_slice(&chunk.get()[..take]);
                Cow::new(part)
            };
            copy.cap += part.get().capacity();
            copy.len += take;
            copy.chunks.push(part);
        }
        Ok(copy)
    }
}

impl<N: Clone> Clone for Chunks<N> {
    fn clone(&self) -> Self {
        self.try_clone_prefix(self.len).unwrap_or_else(|_| alloc_failed())
    }
}

impl<N> Default for Chunks<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<N> Index<usize> for Chunks<N> {
    type Output = N;

    #[inline]
    fn index(&self, i: usize) -> &N {
        &self.chunks[i >> SHIFT].get()[i & (CHUNK - 1)]
    }
}

impl<N> IndexMut<usize> for Chunks<N> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut N {
        &mut self.chunk_mut(i >> SHIFT)[i & (CHUNK - 1)]
    }
}

/// An infallible allocation failed, as `Vec::push` would report it.
#[cold]
fn alloc_failed() -> ! {
    panic!("out of memory growing the node arena")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every operation against a plain `Vec` over lengths across several chunks.
    #[test]
    fn chunks_behave_as_a_vec() {
        let mut c: Chunks<u32> = Chunks::new();
        let mut v: Vec<u32> = Vec::new();
        for i in 0..(3 * CHUNK as u32 + 5) {
            if i % 3 == 0 {
                c.try_grow().unwrap();
            }
            c.push(i);
            v.push(i);
            assert_eq!(c.len(), v.len());
            assert!(c.capacity() >= c.len());
        }
        c.swap(1, 2 * CHUNK + 3);
        v.swap(1, 2 * CHUNK + 3);
        c.swap(5, 7);
        v.swap(5, 7);
        assert!(c.iter_from(0).eq(v.iter()));
        assert!(c.iter_from(CHUNK + 9).eq(v[CHUNK + 9..].iter()));
        for x in c.iter_mut_from(CHUNK - 1) {
            *x += 1000;
        }
        for x in &mut v[CHUNK - 1..] {
            *x += 1000;
        }
        assert!(c.iter_from(0).eq(v.iter()));
        let ids = [0, 3, CHUNK, CHUNK + 1, 3 * CHUNK + 2];
        let got: Vec<u32> = c.get_sorted_mut(ids).into_iter().map(|x| *x).collect();
        assert_eq!(got, ids.iter().map(|&i| v[i]).collect::<Vec<_>>());
        assert_eq!(c.get(3 * CHUNK + 5), None);
        assert_eq!(c.get(3 * CHUNK + 4), Some(&v[3 * CHUNK + 4]));
        let copy = c.try_clone_prefix(CHUNK + 3).unwrap();
        assert!(copy.iter_from(0).eq(v[..CHUNK + 3].iter()));
        c.truncate(CHUNK + 1);
        v.truncate(CHUNK + 1);
        assert!(c.iter_from(0).eq(v.iter()));
        assert_eq!(c.pop(), v.pop());
        c.try_reserve_exact(5 * CHUNK).unwrap();
        assert!(c.capacity() >= c.len() + 5 * CHUNK);
        c.shrink_to_fit();
        assert_eq!(c.capacity(), c.len());
        c.shrink_to(2 * CHUNK);
        for i in 0..100 {
            c.push(i);
            v.push(i);
        }
        assert!(c.iter_from(0).eq(v.iter()));
        assert_eq!(c.capacity(), c.chunks.iter().map(|k| k.get().capacity()).sum::<usize>());
        assert!(c.chunks.iter().rev().skip_while(|k| k.get().is_empty()).skip(1).all(|k| k.get().len() == CHUNK));
    }

    /// A reservation made on a copy (whose last chunk is short) is room enough: the pushes
    /// it covers allocate nothing more.
    #[test]
    fn a_reservation_on_a_short_last_chunk_covers_its_pushes() {
        let mut c: Chunks<u32> = Chunks::new();
        for i in 0..(CHUNK as u32 + 3) {
            c.push(i);
        }
        let mut copy = c.try_clone_prefix(c.len()).unwrap();
        copy.try_reserve_exact(2 * CHUNK).unwrap();
        let reserved = copy.capacity();
        for i in 0..2 * CHUNK as u32 {
            copy.push(i);
        }
        assert_eq!(copy.capacity(), reserved);
        assert_eq!(copy.capacity(), copy.chunks.iter().map(|k| k.get().capacity()).sum::<usize>());
    }

    #[test]
    fn a_small_vector_holds_a_small_chunk() {
        let mut c: Chunks<u64> = Chunks::new();
        for i in 0..5 {
            c.try_grow().unwrap();
            c.push(i);
        }
        assert!(c.capacity() <= 8, "{}", c.capacity());
    }
}
