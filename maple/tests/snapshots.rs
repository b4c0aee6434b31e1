//! Copy-on-write clones (snapshots): a clone shares the tree's nodes, and whichever tree
//! writes a shared chunk of nodes first copies it. These tests keep many clones alive at
//! once, write through every kind of write (stores, erases, `get_mut`, `iter_mut`,
//! `retain`, cursor writes, a compaction, a clear) on the original and on the clones, and
//! check after each step that every tree still holds exactly what its own oracle says.

use maple_testkit::ops::{apply, check, Generator, Phase};
use maple_testkit::oracle::RangeMap;
use maple_tree::MapleTree;
use std::rc::Rc;

/// A tree and the oracle of what it must hold.
struct Pair {
    tree: MapleTree<u64>,
    oracle: RangeMap<u64>,
}

impl Pair {
    fn snapshot(&self) -> Pair {
        Pair { tree: self.tree.clone(), oracle: self.oracle.clone() }
    }

    fn check(&self, what: &str) {
        check(&self.tree, &self.oracle).unwrap_or_else(|e| panic!("{what}: {e}"));
    }

    /// One write of kind `kind` (0..8), mirrored on the oracle.
    fn write(&mut self, gen: &mut Generator, kind: u64) {
        match kind {
            0..=2 => {
                let phase = [Phase::Grow, Phase::Span, Phase::EraseRandom][kind as usize];
                let op = gen.op(&self.oracle, phase);
                apply(&mut self.tree, &mut self.oracle, op).unwrap();
            }
            3 => {
                let key = gen.key(&self.oracle);
                if let Some(v) = self.tree.get_mut(key) {
                    *v += 1;
                    let (range, &old) = self.oracle.get(key).expect("the oracle has it too");
                    self.oracle.store(*range.start(), *range.end(), old + 1);
                }
            }
            4 => {
                for (_, v) in self.tree.iter_mut() {
                    *v = v.wrapping_mul(3);
                }
                let all: Vec<_> = self.oracle.iter().map(|(r, &v)| (r, v)).collect();
                for (r, v) in all {
                    self.oracle.store(*r.start(), *r.end(), v.wrapping_mul(3));
                }
            }
            5 => {
                self.tree.retain(|r, v| (*r.start() ^ *v) % 5 != 0);
                let gone: Vec<_> =
                    self.oracle.iter().filter(|(r, &v)| (*r.start() ^ v) % 5 == 0).map(|(r, _)| r).collect();
                for r in gone {
                    self.oracle.remove(*r.start(), *r.end());
                }
            }
            6 => self.tree.shrink_to_fit(),
            _ => {
                // A cursor write: the range after a key, erased through the cursor.
                let key = gen.key(&self.oracle);
                let mut cursor = self.tree.cursor_mut(key);
                if cursor.find(u64::MAX).is_some() {
                    let (first, last) = (cursor.index(), cursor.last());
                    cursor.erase().unwrap();
                    self.oracle.remove(first, last);
                }
            }
        }
    }
}

/// Snapshots taken all along a random write stream, the original and the snapshots written
/// in turn: no write to one tree shows in any other.
#[test]
fn snapshots_are_isolated_under_every_kind_of_write() {
    for seed in 1..=6u64 {
        let mut gen = Generator::new(seed, 20_000);
        let mut trees = vec![Pair { tree: MapleTree::new(), oracle: RangeMap::new() }];
        for _ in 0..600 {
            let op = gen.op(&trees[0].oracle, Phase::Grow);
            let p = &mut trees[0];
            apply(&mut p.tree, &mut p.oracle, op).unwrap();
        }
        for step in 0..1_500u64 {
            let rng = gen.rng();
            let pick: u64 = rand::Rng::gen_range(rng, 0..trees.len() as u64);
            let kind: u64 = rand::Rng::gen_range(rng, 0..8);
            let p = &mut trees[pick as usize];
            p.write(&mut gen, kind);
            if step % 100 == 0 {
                let s = trees[pick as usize].snapshot();
                trees.push(s);
            }
            if step % 250 == 0 && trees.len() > 3 {
                // Drop one: the chunks it shared go back to the others.
                trees.remove(1);
            }
            if step % 50 == 0 {
                for (i, p) in trees.iter().enumerate() {
                    p.check(&format!("seed {seed}, step {step}, tree {i}"));
                }
            }
        }
        for (i, p) in trees.iter().enumerate() {
            p.check(&format!("seed {seed}, end, tree {i}"));
        }
    }
}

/// A clear, and a bulk build replacing a tree, leave its snapshots whole.
#[test]
fn a_cleared_or_replaced_tree_leaves_its_snapshots_whole() {
    let mut tree = MapleTree::from_sorted((0..5_000u64).map(|i| (i * 4..=i * 4 + 2, i))).unwrap();
    let snap = tree.clone();
    tree.clear();
    tree.validate().unwrap();
    assert!(tree.is_empty());
    snap.validate().unwrap();
    assert_eq!(snap.len(), 5_000);
    assert!(snap.iter().map(|(r, &v)| (*r.start(), v)).eq((0..5_000u64).map(|i| (i * 4, i))));
    let again = snap.clone();
    tree = again;
    tree.store_range(3, 3, 7).unwrap();
    assert_eq!(snap.get(3), None);
    assert_eq!(tree.get(3), Some(&7));
}

/// A clone copies no value; the first write to the nodes it shares copies theirs (each
/// value of the chunks written, once); a write after the other tree is gone copies nothing.
#[test]
fn values_are_copied_only_by_the_first_write_to_shared_nodes() {
    let v = Rc::new(0u8);
    let mut tree = MapleTree::new();
    for i in 0..100u64 {
        tree.store_range(i * 3, i * 3 + 1, Rc::clone(&v)).unwrap();
    }
    assert_eq!(Rc::strong_count(&v), 101);
    let mut copy = tree.clone();
    assert_eq!(Rc::strong_count(&v), 101, "a clone shares the values");
    copy.store_range(1_000, 1_000, Rc::new(1)).unwrap();
    assert_eq!(Rc::strong_count(&v), 201, "the first write copied the shared leaves' values");
    copy.store_range(2_000, 2_000, Rc::new(1)).unwrap();
    assert_eq!(Rc::strong_count(&v), 201, "the copy is the clone's own now");
    drop(tree);
    assert_eq!(Rc::strong_count(&v), 101);
    let mut again = copy.clone();
    drop(copy);
    again.store_range(3_000, 3_000, Rc::new(1)).unwrap();
    assert_eq!(Rc::strong_count(&v), 101, "the other holder is gone: written in place");
    again.validate().unwrap();
}

/// Values the tree never clones (no `Clone` bound on the writes) still work in a tree that
/// was never cloned.
#[test]
fn a_tree_of_non_clone_values_writes_as_before() {
    struct NoClone(u64);
    let mut tree = MapleTree::new();
    for i in 0..2_000u64 {
        tree.insert_range(i * 2, i * 2, NoClone(i)).unwrap();
    }
    for i in 0..1_000u64 {
        tree.erase(i * 4).unwrap();
    }
    tree.validate().unwrap();
    assert_eq!(tree.len(), 1_000);
    assert!(tree.iter().all(|(r, v)| *r.start() == v.0 * 2));
}
