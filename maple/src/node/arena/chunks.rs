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
//! load per leaf access, from a table (24 bytes a chunk) that stays in the cache.

use alloc::collections::TryReserveError;
use alloc::vec::Vec;
use core::ops::{Index, IndexMut};

/// Elements per chunk: 64 leaves are 17 KiB with `u64` values.
pub(crate) const CHUNK: usize = 64;
const SHIFT: u32 = CHUNK.trailing_zeros();

/// A vector of nodes in chunks of [`CHUNK`] (see the module docs).
pub(crate) struct Chunks<N> {
    chunks: Vec<Vec<N>>,
    len: usize,
    /// The sum of the chunks' capacities.
    cap: usize,
}

impl<N> Chunks<N> {
    pub(crate) const fn new() -> Self {
        Chunks { chunks: Vec::new(), len: 0, cap: 0 }
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    #[inline]
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// Bytes of the chunk table (the chunks' own bytes are the capacity's).
    pub(crate) fn table_bytes(&self) -> usize {
        self.chunks.capacity() * core::mem::size_of::<Vec<N>>()
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&N> {
        self.chunks.get(i >> SHIFT)?.get(i & (CHUNK - 1))
    }

    /// Makes room for one more element (the chunk it goes into), so that the next
    /// [`Chunks::push`] allocates nothing.
    pub(crate) fn try_grow(&mut self) -> Result<(), TryReserveError> {
        let c = self.len >> SHIFT;
        match self.chunks.get_mut(c) {
            Some(chunk) if chunk.len() < chunk.capacity() => Ok(()),
            Some(chunk) => {
                // A chunk short of `CHUNK`: the first, growing by doubling, or the last after
                // a shrink or a copy. Every chunk before the one in use stays full.
                let old = chunk.capacity();
                chunk.try_reserve_exact(chunk.len().max(4).min(CHUNK - chunk.len()))?;
                self.cap += chunk.capacity() - old;
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
        self.chunks.push(chunk);
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
        if let Some(chunk) = self.chunks.get_mut(self.len >> SHIFT) {
            if chunk.capacity() < CHUNK {
                let old = chunk.capacity();
                chunk.try_reserve_exact(CHUNK - chunk.len())?;
                self.cap += chunk.capacity() - old;
            }
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
        match self.chunks.get_mut(self.len >> SHIFT) {
            Some(chunk) if chunk.len() < chunk.capacity() => chunk.push(value),
            _ => self.push_growing(value),
        }
        self.len += 1;
    }

    /// [`Chunks::push`] into a full chunk or past the last one.
    #[cold]
    #[inline(never)]
    fn push_growing(&mut self, value: N) {
        self.try_grow().unwrap_or_else(|_| alloc_failed());
        self.chunks[self.len >> SHIFT].push(value);
    }

    pub(crate) fn pop(&mut self) -> Option<N> {
        let i = self.len.checked_sub(1)?;
        self.len = i;
        self.chunks[i >> SHIFT].pop()
    }

    /// Drops the elements from `len` on; keeps the capacity.
    pub(crate) fn truncate(&mut self, len: usize) {
        if len >= self.len {
            return;
        }
        let c = len >> SHIFT;
        self.chunks[c].truncate(len & (CHUNK - 1));
        for chunk in &mut self.chunks[c + 1..] {
            chunk.clear();
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
        if let Some(last) = self.chunks.last_mut() {
            last.shrink_to(keep.saturating_sub((kept - 1) * CHUNK));
        }
        self.cap = self.chunks.iter().map(Vec::capacity).sum();
    }

    pub(crate) fn shrink_to_fit(&mut self) {
        self.shrink_to(0);
    }

    /// Swaps elements `i` and `j`.
    pub(crate) fn swap(&mut self, i: usize, j: usize) {
        let (ci, cj) = (i >> SHIFT, j >> SHIFT);
        let (oi, oj) = (i & (CHUNK - 1), j & (CHUNK - 1));
        if ci == cj {
            self.chunks[ci].swap(oi, oj);
            return;
        }
        let (lo, hi, olo, ohi) = if ci < cj { (ci, cj, oi, oj) } else { (cj, ci, oj, oi) };
        let (head, tail) = self.chunks.split_at_mut(hi);
        core::mem::swap(&mut head[lo][olo], &mut tail[0][ohi]);
    }

    /// The elements from `from` on, in order.
    #[cfg(test)]
    pub(crate) fn iter_from(&self, from: usize) -> impl Iterator<Item = &N> {
        self.chunks.iter().flatten().skip(from)
    }

    /// The elements from `from` on, in order, mutably.
    pub(crate) fn iter_mut_from(&mut self, from: usize) -> impl Iterator<Item = &mut N> {
        let c = from >> SHIFT;
        let first = (from & (CHUNK - 1)).min(self.chunks.get(c).map_or(0, Vec::len));
        let mut chunks = self.chunks.iter_mut().skip(c);
        let head = chunks.next().map(|chunk| &mut chunk[first..]).into_iter().flatten();
        head.chain(chunks.flatten())
    }

    /// Mutable references to the distinct elements `ids` (sorted ascending), in that order.
    pub(crate) fn get_sorted_mut(&mut self, ids: impl IntoIterator<Item = usize>) -> Vec<&mut N> {
        let mut out = Vec::new();
        let mut chunks = self.chunks.iter_mut().enumerate();
        // The current chunk's elements not yet handed out, the index of the first, and the
        // chunk's number.
        let (mut rest, mut base, mut cur): (&mut [N], usize, Option<usize>) = (&mut [], 0, None);
        for id in ids {
            let c = id >> SHIFT;
            if cur != Some(c) {
                let (_, chunk) = chunks.find(|(k, _)| *k == c).expect("live elements, sorted");
                (rest, base, cur) = (&mut chunk[..], c << SHIFT, Some(c));
            }
            assert!(id >= base, "ids must be sorted and distinct");
            let (node, tail) = core::mem::take(&mut rest)[id - base..].split_first_mut().expect("a live element");
            out.push(node);
            (rest, base) = (tail, id + 1);
        }
        out
    }

    /// A copy of the first `count` elements, or `Err` if the system has no memory for it.
    pub(crate) fn try_clone_prefix(&self, count: usize) -> Result<Self, TryReserveError>
    where
        N: Clone,
    {
        let mut copy = Chunks::new();
        copy.chunks.try_reserve_exact(count.div_ceil(CHUNK))?;
        for chunk in self.chunks.iter().take(count.div_ceil(CHUNK)) {
            let take = chunk.len().min(count - copy.len);
            let mut part = Vec::new();
            part.try_reserve_exact(take)?;
            part.extend_from_slice(&chunk[..take]);
            copy.cap += part.capacity();
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
        &self.chunks[i >> SHIFT][i & (CHUNK - 1)]
    }
}

impl<N> IndexMut<usize> for Chunks<N> {
    #[inline]
    fn index_mut(&mut self, i: usize) -> &mut N {
        &mut self.chunks[i >> SHIFT][i & (CHUNK - 1)]
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
        assert_eq!(c.capacity(), c.chunks.iter().map(Vec::capacity).sum::<usize>());
        assert!(c.chunks.iter().rev().skip_while(|k| k.is_empty()).skip(1).all(|k| k.len() == CHUNK));
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
        assert_eq!(copy.capacity(), copy.chunks.iter().map(Vec::capacity).sum::<usize>());
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
