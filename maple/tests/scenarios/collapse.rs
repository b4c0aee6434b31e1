//! check_collapsing_rebalance (class D).

use super::*;

/// Erases every range in `order`, one at a time, checking after each: the validator, the
/// oracle, the height never grows, and the height is one the remaining entries can fill
/// (`assert_height_fits`).
fn erase_in_order(ranges: &[(u64, u64)], order: &[usize], what: &str) {
    let (mut tree, mut oracle) = sequential(ranges);
    assert!(tree.height() >= 4, "{what}: height {}", tree.height());
    let mut height = tree.height();
    for (step, &k) in order.iter().enumerate() {
        let (first, last) = ranges[k];
        let probe = first + (last - first) / 2;
        assert_eq!(tree.erase(probe), Ok(Some(k as u64)), "{what}: step {step}");
        tree.validate().unwrap_or_else(|e| panic!("{what}: erase #{step} (range {k}): {e}"));
        oracle.erase(probe);
        expect_same(&tree, &oracle, &format!("{what}: erase #{step} (range {k})"));
        assert!(tree.height() <= height, "{what}: height grew at step {step}");
        height = tree.height();
    }
    assert!(tree.is_empty());
    assert_eq!(tree.height(), 0, "{what}: an empty tree has no node");
}

/// `check_collapsing_rebalance`: a tree of height 4 erased right to left.
#[test]
fn collapse_right_to_left() {
    let ranges = spaced_ranges(3_000);
    let order: Vec<usize> = (0..ranges.len()).rev().collect();
    erase_in_order(&ranges, &order, "right to left");
}

/// The mirror image: erased left to right.
#[test]
fn collapse_left_to_right() {
    let ranges = spaced_ranges(3_000);
    let order: Vec<usize> = (0..ranges.len()).collect();
    erase_in_order(&ranges, &order, "left to right");
}

/// Middle-out: erase the middle range, then alternately its left and right neighbours, so
/// the hole grows in both directions across leaves and parents.
#[test]
fn collapse_middle_out() {
    let ranges = spaced_ranges(3_000);
    let mid = ranges.len() / 2;
    let mut order = vec![mid];
    for d in 1..=mid {
        if mid + d < ranges.len() {
            order.push(mid + d);
        }
        order.push(mid - d);
    }
    assert_eq!(order.len(), ranges.len());
    erase_in_order(&ranges, &order, "middle out");
}
