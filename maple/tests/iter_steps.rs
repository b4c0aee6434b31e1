//! Double-ended iteration that steps from value to value over the leaves' presence bits:
//! front and back cursors alternating in random patterns over trees with NULL runs of every
//! length, against a sorted list of the stored ranges.

use maple_tree::MapleTree;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

/// `n` ranges; the gap before each is 0 to `max_gap` keys; every `hole`-th range is erased
/// afterwards, so that leaves hold long NULL runs too.
fn build(rng: &mut SmallRng, n: u64, max_gap: u64, hole: u64) -> (MapleTree<u64>, Vec<(u64, u64, u64)>) {
    let mut tree = MapleTree::new();
    let mut model = Vec::new();
    let mut next = rng.gen_range(0..3u64);
    for i in 0..n {
        let first = next + rng.gen_range(0..=max_gap);
        let last = first + rng.gen_range(0..4u64);
        tree.store_range(first, last, i).unwrap();
        model.push((first, last, i));
        next = last + 1;
    }
    if hole > 0 {
        for (k, &(first, _, _)) in model.iter().enumerate() {
            if k as u64 % hole == 0 {
                tree.erase(first).unwrap();
            }
        }
        let mut k = 0;
        model.retain(|_| {
            k += 1;
            (k - 1) % hole != 0
        });
    }
    tree.validate().unwrap();
    (tree, model)
}

#[test]
fn alternating_front_and_back_meet_exactly_once() {
    let mut rng = SmallRng::seed_from_u64(12);
    for round in 0..300 {
        let n = rng.gen_range(0..400u64);
        let (tree, model) = build(&mut rng, n, [0, 1, 5][round % 3], [0, 2, 3, 7][round % 4]);
        // A window, sometimes everything.
        let (lo, hi) = if round % 5 == 0 {
            (0, u64::MAX)
        } else {
            let end = model.last().map_or(10, |r| r.1 + 3);
            let a = rng.gen_range(0..=end);
            (a, rng.gen_range(a..=end + 2))
        };
        let expected: Vec<(u64, u64, u64)> = model.iter().copied().filter(|&(f, l, _)| l >= lo && f <= hi).collect();
        let mut iter = tree.range(lo..=hi);
        let (mut front, mut back) = (Vec::new(), Vec::new());
        let bias = rng.gen_range(0..=4u32);
        loop {
            let from_back = rng.gen_range(0..4u32) < bias;
            let item = if from_back { iter.next_back() } else { iter.next() };
            let Some((r, &v)) = item else { break };
            assert!(front.len() + back.len() < expected.len(), "more items than stored, round {round}");
            let k = expected.iter().position(|e| e.2 == v).expect("a stored value");
            assert_eq!((*r.start(), *r.end()), (expected[k].0, expected[k].1), "round {round}");
            if from_back {
                back.push(k);
            } else {
                front.push(k);
            }
        }
        assert!(iter.next().is_none() && iter.next_back().is_none(), "fused, round {round}");
        back.reverse();
        front.extend(back);
        assert_eq!(front, (0..expected.len()).collect::<Vec<_>>(), "round {round}, window {lo}..={hi}");
        // The forward and the reverse pass alone.
        assert_eq!(tree.iter().map(|(_, &v)| v).collect::<Vec<_>>(), model.iter().map(|m| m.2).collect::<Vec<_>>());
        assert_eq!(
            tree.iter().rev().map(|(_, &v)| v).collect::<Vec<_>>(),
            model.iter().rev().map(|m| m.2).collect::<Vec<_>>()
        );
    }
}
