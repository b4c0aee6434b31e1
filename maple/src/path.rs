//! A root-to-leaf path: the walk state shared by cursors and the write path.
//!
//! Nodes carry no parent links (see [`crate::node`]); whoever needs to climb keeps the path it
//! came down by. Each [`Level`] records the node, the slot taken in it and the node's implied
//! limits, so climbing back up and stepping to a neighbouring node cost no search.

use crate::node::{slot_of, Arena, NodeId, MAX_HEIGHT, SLOTS};

/// One node on a path.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Level {
    pub(crate) node: NodeId,
    /// The slot taken in `node` (the child followed, or at the leaf the slot found).
    pub(crate) offset: u8,
    /// Used slots in `node`, cached from the node.
    pub(crate) len: u8,
    pub(crate) min: u64,
    pub(crate) max: u64,
}

impl Level {
    #[inline]
    pub(crate) fn offset(&self) -> usize {
        usize::from(self.offset)
    }

    #[inline]
    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }
}

/// The nodes from the root (`levels[0]`) down to a leaf (`levels[height - 1]`).
#[derive(Clone, Debug)]
pub(crate) struct Path {
    pub(crate) levels: [Level; MAX_HEIGHT],
    pub(crate) height: u8,
}

impl Path {
    pub(crate) const EMPTY: Path =
        Path { levels: [Level { node: 0, offset: 0, len: 0, min: 0, max: 0 }; MAX_HEIGHT], height: 0 };

    /// Depth of the leaf level.
    #[inline]
    pub(crate) fn leaf_depth(&self) -> usize {
        usize::from(self.height) - 1
    }

    /// The leaf level.
    #[inline]
    pub(crate) fn leaf(&self) -> &Level {
        &self.levels[self.leaf_depth()]
    }

    /// The leaf level, mutably.
    #[inline]
    pub(crate) fn leaf_mut(&mut self) -> &mut Level {
        let d = self.leaf_depth();
        &mut self.levels[d]
    }

    /// The inclusive range of the slot the leaf level points at.
    pub(crate) fn leaf_slot_range<T>(&self, arena: &Arena<T>) -> (u64, u64) {
        let lv = self.leaf();
        arena.leaf(lv.node).slot_range(lv.offset(), lv.min, lv.max)
    }

    /// Walks from `root` (a tree of `height` levels, at least 1) down to the slot holding
    /// `index`.
    pub(crate) fn walk<T>(arena: &Arena<T>, root: NodeId, height: usize, index: u64) -> Path {
        let mut path = Path::EMPTY;
        path.walk_in_place(arena, root, height, index);
        path
    }

    /// [`Path::walk`] into an existing path (no copy of the whole path).
    pub(crate) fn walk_in_place<T>(&mut self, arena: &Arena<T>, root: NodeId, height: usize, index: u64) {
        self.height = height as u8;
        self.levels[0] = Level { node: root, offset: 0, len: 0, min: 0, max: u64::MAX };
        self.descend_from(arena, 0, index);
    }

    /// Copies `other`'s levels in use (cheaper than a clone of all [`MAX_HEIGHT`] levels).
    pub(crate) fn copy_from(&mut self, other: &Path) {
        let height = usize::from(other.height);
        self.height = other.height;
        self.levels[..height].copy_from_slice(&other.levels[..height]);
    }

    /// Fills the levels from `depth` down: `levels[depth]` must hold a node and its limits.
    /// At each level the slot holding `index` is taken.
    pub(crate) fn descend_from<T>(&mut self, arena: &Arena<T>, depth: usize, index: u64) {
        let leaf_depth = self.leaf_depth();
        let (mut node, mut min, mut max) = {
            let lv = &self.levels[depth];
            (lv.node, lv.min, lv.max)
        };
        let internals = arena.internals();
        for d in depth..leaf_depth {
            let n = &internals[node as usize];
            let off = slot_of(n.pivots(), index);
            self.levels[d] = Level { node, offset: off as u8, len: n.len() as u8, min, max };
            let (lo, hi) = n.slot_range(off, min, max);
            node = n.child(off);
            min = lo;
            max = hi;
        }
        let leaf = arena.leaf(node);
        let off = slot_of(leaf.pivots(), index);
        self.levels[leaf_depth] = Level { node, offset: off as u8, len: leaf.len() as u8, min, max };
    }

    /// Fills the levels below `depth` by always taking the first slot (`last == false`) or
    /// the last used slot (`last == true`). `levels[depth]` must hold a node, its limits and
    /// the slot to follow.
    fn descend_edge<T>(&mut self, arena: &Arena<T>, depth: usize, last: bool) {
        let leaf_depth = self.leaf_depth();
        for d in depth..leaf_depth {
            let lv = self.levels[d];
            let n = arena.internal(lv.node);
            let (lo, hi) = n.slot_range(lv.offset(), lv.min, lv.max);
            let child = n.child(lv.offset());
            let len = if d + 1 == leaf_depth { arena.leaf(child).len() } else { arena.internal(child).len() } as u8;
            let offset = if last { len - 1 } else { 0 };
            self.levels[d + 1] = Level { node: child, offset, len, min: lo, max: hi };
        }
    }

    /// Moves the path to the next node at level `depth` (its right neighbour, possibly under
    /// another parent); the new node is entered at its first slot. Returns the depth of the
    /// lowest level the path kept (the common ancestor), or `None` (path unchanged) when the
    /// node at `depth` is the last one of its level.
    pub(crate) fn move_next<T>(&mut self, arena: &Arena<T>, depth: usize) -> Option<usize> {
        let keep = (0..depth).rev().find(|&d| self.levels[d].offset() + 1 < self.levels[d].len())?;
        self.levels[keep].offset += 1;
        self.descend_edge(arena, keep, false);
        Some(keep)
    }

    /// Mirror of [`Path::move_next`]: the previous node at level `depth`, entered at its last
    /// slot.
    pub(crate) fn move_prev<T>(&mut self, arena: &Arena<T>, depth: usize) -> Option<usize> {
        let keep = (0..depth).rev().find(|&d| self.levels[d].offset() > 0)?;
        self.levels[keep].offset -= 1;
        self.descend_edge(arena, keep, true);
        Some(keep)
    }
}

const _: () = assert!(SLOTS <= u8::MAX as usize);
