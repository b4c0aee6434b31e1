//! White-box tests of the compact leaf: every edit against a vector of `(last key, entry)`
//! slots, N3 after each, and values that count their drops.

use super::*;
use alloc::rc::Rc;
use alloc::vec::Vec;

/// A leaf covering `[0, max]` with `content` (`(last key, entry)` per slot).
fn leaf_of<T: Clone>(content: &[(u64, Option<T>)]) -> Leaf<T> {
    let mut leaf = Leaf::empty();
    leaf.write(content.iter().cloned());
    leaf
}

/// A leaf's content as `(last key, entry)` per slot, read through the accessors.
fn content_of<T: Clone>(leaf: &Leaf<T>, max: u64) -> Vec<(u64, Option<T>)> {
    (0..leaf.len()).map(|i| (leaf.slot_range(i, 0, max).1, leaf.get(i).cloned())).collect()
}

/// Checks everything a reader sees against the model, and N2/N3.
fn check<T: Clone + PartialEq + core::fmt::Debug>(leaf: &Leaf<T>, model: &[(u64, Option<T>)], max: u64) {
    assert_eq!(leaf.fault(), None);
    assert_eq!(content_of(leaf, max), model);
    for (i, (_, entry)) in model.iter().enumerate() {
        assert_eq!(leaf.has_value(i), entry.is_some(), "slot {i}");
    }
    assert_eq!(leaf.value_count(), model.iter().filter(|(_, v)| v.is_some()).count());
    assert!(leaf.pivots()[model.len() - 1..].iter().all(|&p| p == u64::MAX), "N2");
}

/// `len` slots of ten keys each (the last reaching `max`), a value where `full(i)`.
fn model_with(len: usize, max: u64, full: impl Fn(usize) -> bool) -> Vec<(u64, Option<u32>)> {
    (0..len).map(|i| (if i + 1 == len { max } else { 10 * (i as u64 + 1) - 1 }, full(i).then_some(i as u32))).collect()
}

/// A value in every other slot.
fn model(len: usize, max: u64) -> Vec<(u64, Option<u32>)> {
    model_with(len, max, |i| i % 2 == 0)
}

/// The value layouts every length is tried with: alternating, all NULL, all full, and two
/// mixed patterns.
fn patterns() -> [fn(usize) -> bool; 5] {
    [|i| i % 2 == 0, |_| false, |_| true, |i| i % 3 == 1, |i| i > 4]
}

#[test]
fn positions_match_counting_for_every_bitmap() {
    for present in 0..=u16::MAX {
        let pos = positions(present);
        let mut rank = 0;
        for slot in 0..SLOTS {
            let nibble = (pos >> (4 * slot)) & 0xF;
            if present >> slot & 1 != 0 {
                assert_eq!(nibble, rank, "bitmap {present:#x}, slot {slot}");
                rank += 1;
            } else {
                assert_eq!(nibble, NULL_POS, "bitmap {present:#x}, slot {slot}");
                // A NULL slot's nibble lies past the values unless every slot holds one.
                assert!(present.count_ones() <= NULL_POS as u32);
            }
        }
    }
}

#[test]
fn write_then_read_back_every_length_and_pattern() {
    let max = 1000;
    for full in patterns() {
        for len in 1..=SLOTS {
            let content = model_with(len, max, full);
            let leaf = leaf_of(&content);
            assert_eq!(leaf.len(), len);
            check(&leaf, &content, max);
        }
    }
}

#[test]
fn splice_matches_a_vector_model_for_every_position_and_piece_count() {
    let max = 1000;
    for full in patterns() {
        for len in 1..=SLOTS {
            for lo in 0..len {
                for ro in lo..len {
                    for pieces in 1..=3usize {
                        let new_len = lo + pieces + (len - ro - 1);
                        let mut expected = model_with(len, max, full);
                        let start = if lo == 0 { 0 } else { expected[lo - 1].0 + 1 };
                        let end = expected[ro].0;
                        if new_len > SLOTS || end - start + 1 < pieces as u64 {
                            continue;
                        }
                        // The covered range cut into `pieces` parts, the last one ending at `end`.
                        let new: Vec<(u64, Option<u32>)> = (0..pieces)
                            .map(|k| {
                                let last = if k + 1 == pieces { end } else { start + k as u64 };
                                (last, (k != 1).then_some(100 + k as u32))
                            })
                            .collect();
                        let mut leaf = leaf_of(&expected);
                        leaf.splice(lo, ro, new.clone().into_iter());
                        expected.splice(lo..=ro, new);
                        check(&leaf, &expected, max);
                    }
                }
            }
        }
    }
}

#[test]
fn splice_fills_a_leaf_and_empties_it() {
    let max = 1000;
    // One slot of all keys, cut into 16 valued slots, then back into one NULL slot.
    let mut leaf = leaf_of(&[(max, None::<u32>)]);
    let full = model_with(SLOTS, max, |_| true);
    leaf.splice(0, 0, full.clone().into_iter());
    check(&leaf, &full, max);
    leaf.splice(0, SLOTS - 1, [(max, None)].into_iter());
    check(&leaf, &[(max, None)], max);
}

#[test]
fn take_replace_and_values_mut_keep_ranges() {
    let max = 500;
    let mut leaf = leaf_of(&model(9, max));
    assert_eq!(leaf.take(2), Some(2));
    assert!(!leaf.has_value(2));
    assert_eq!(leaf.take(2), None);
    assert_eq!(leaf.replace(3, Some(33)), None);
    assert_eq!(leaf.replace(0, None), Some(0));
    assert_eq!(leaf.replace(4, Some(44)), Some(4));
    let (_, len, values) = leaf.values_mut();
    assert_eq!(len, 9);
    let seen: Vec<(usize, u32)> = values.map(|(i, v)| (i, *v)).collect();
    assert_eq!(seen, [(3, 33), (4, 44), (6, 6), (8, 8)]);
    let (_, _, values) = leaf.values_mut();
    let back: Vec<usize> = values.rev().map(|(i, _)| i).collect();
    assert_eq!(back, [8, 6, 4, 3]);
    let mut expected = model(9, max);
    for (slot, value) in [(0, None), (2, None), (3, Some(33)), (4, Some(44))] {
        expected[slot].1 = value;
    }
    check(&leaf, &expected, max);
}

#[test]
fn values_mut_meets_in_the_middle_and_edits_in_place() {
    let max = 100;
    let mut leaf = leaf_of(&model_with(SLOTS, max, |i| i % 3 != 0));
    let (_, _, mut values) = leaf.values_mut();
    let (mut front, mut back) = (Vec::new(), Vec::new());
    while let Some((i, v)) = values.next() {
        *v += 1000;
        front.push(i);
        match values.next_back() {
            Some((i, _)) => back.push(i),
            None => break,
        }
    }
    back.reverse();
    front.extend(back);
    assert_eq!(front, (0..SLOTS).filter(|i| i % 3 != 0).collect::<Vec<_>>());
    assert_eq!(leaf.get(1), Some(&1001));
}

#[test]
fn edits_match_a_vector_model_with_counted_drops() {
    // A little generator, so that the sequence is fixed and needs no dependency.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    let token = Rc::new(());
    let max = 1 << 20;
    for _ in 0..200 {
        let mut model: Vec<(u64, Option<Rc<()>>)> = alloc::vec![(max, None)];
        let mut leaf = leaf_of(&model);
        for _ in 0..60 {
            let len = model.len();
            match next(4) {
                // Split a slot into up to three pieces (a store inside it).
                0 | 1 => {
                    let slot = next(len);
                    let start = if slot == 0 { 0 } else { model[slot - 1].0 + 1 };
                    let end = model[slot].0;
                    let room = SLOTS - len;
                    let pieces = (1 + next(3)).min(room + 1).min((end - start + 1) as usize);
                    let mut new: Vec<(u64, Option<Rc<()>>)> =
                        (0..pieces).map(|k| (start + k as u64, (next(2) == 0).then(|| Rc::clone(&token)))).collect();
                    new.last_mut().expect("a piece").0 = end;
                    leaf.splice(slot, slot, new.clone().into_iter());
                    model.splice(slot..=slot, new);
                }
                // Merge a run of slots into one (a store over them).
                2 => {
                    let lo = next(len);
                    let ro = lo + next(len - lo);
                    let entry = (next(2) == 0).then(|| Rc::clone(&token));
                    let end = model[ro].0;
                    leaf.splice(lo, ro, [(end, entry.clone())].into_iter());
                    model.splice(lo..=ro, [(end, entry)]);
                }
                // Take or replace one value.
                _ => {
                    let slot = next(len);
                    let entry = (next(2) == 0).then(|| Rc::clone(&token));
                    let old = leaf.replace(slot, entry.clone());
                    assert_eq!(old.is_some(), core::mem::replace(&mut model[slot].1, entry).is_some());
                }
            }
            assert_eq!(leaf.fault(), None);
            let ours: Vec<(u64, bool)> = content_of(&leaf, max).into_iter().map(|(l, v)| (l, v.is_some())).collect();
            let theirs: Vec<(u64, bool)> = model.iter().map(|(l, v)| (*l, v.is_some())).collect();
            assert_eq!(ours, theirs);
            // Each value is held once by the leaf and once by the model; nothing leaked or
            // dropped twice.
            let held = theirs.iter().filter(|(_, v)| *v).count();
            assert_eq!(Rc::strong_count(&token), 1 + 2 * held);
        }
        // Draining moves every value out once; the leaf keeps its ranges, all NULL.
        let drained: Vec<(u64, u64, Option<Rc<()>>)> = leaf.drain(0, max).collect();
        assert_eq!(drained.len(), model.len());
        for (i, (start, end, entry)) in drained.iter().enumerate() {
            assert_eq!(*start, if i == 0 { 0 } else { model[i - 1].0 + 1 });
            assert_eq!((*end, entry.is_some()), (model[i].0, model[i].1.is_some()));
        }
        assert_eq!(leaf.fault(), None);
        assert_eq!(leaf.value_count(), 0);
        drop(drained);
        drop(model);
        assert_eq!(Rc::strong_count(&token), 1);
        drop(leaf);
    }
}

#[test]
fn write_and_drop_release_every_value() {
    let token = Rc::new(());
    let content: Vec<(u64, Option<Rc<()>>)> =
        (0..SLOTS).map(|i| (i as u64, (i % 4 != 1).then(|| Rc::clone(&token)))).collect();
    let mut leaf = leaf_of(&content);
    drop(content);
    assert_eq!(Rc::strong_count(&token), 1 + 12);
    let copy = leaf.clone();
    assert_eq!(Rc::strong_count(&token), 1 + 24);
    leaf.write([(u64::MAX, None)]);
    assert_eq!(Rc::strong_count(&token), 1 + 12);
    drop(copy);
    assert_eq!(Rc::strong_count(&token), 1);
}

#[test]
fn fault_names_stale_pivots_slots_and_positions() {
    let mut leaf = leaf_of(&model(4, 100));
    leaf.pivots[5] = 77;
    assert_eq!(leaf.fault(), Some(Fault::PivotPastEnd { pivot: 5, value: 77 }));
    leaf.pivots[5] = u64::MAX;
    leaf.present |= 1 << 6;
    assert_eq!(leaf.fault(), Some(Fault::SlotPastEnd { slot: 6 }));
    leaf.present &= !(1 << 6);
    leaf.present |= 1 << 1;
    assert_eq!(leaf.fault(), Some(Fault::ValueCount { values: 2, present: 3 }));
    leaf.values.push(9);
    assert_eq!(leaf.fault(), Some(Fault::Position { slot: 1, stored: 15, expected: 1 }));
    leaf.pos = positions(leaf.present);
    assert_eq!(leaf.fault(), None);
}

#[test]
fn a_u64_leaf_takes_272_bytes() {
    assert_eq!(core::mem::size_of::<Leaf<u64>>(), 272);
}

/// `erase_merging` against the vector model, for every leaf length, every value layout of
/// up to 16 slots (all 2^len of them), every value slot and each widening an erase can make
/// (over the NULL before it, the NULL after it, both, neither).
#[test]
fn erase_merging_matches_a_vector_model_for_every_layout() {
    let max = 1_000;
    for len in 1..=SLOTS {
        for present in 0u32..1 << len {
            let model = model_with(len, max, |i| present >> i & 1 != 0);
            for at in (0..len).filter(|&i| model[i].1.is_some()) {
                let null = |i: usize| model[i].1.is_none();
                let lo = if at > 0 && null(at - 1) { at - 1 } else { at };
                let hi = if at + 1 < len && null(at + 1) { at + 1 } else { at };
                let mut leaf = leaf_of(&model);
                assert_eq!(leaf.erase_merging(lo, at, hi), at as u32);
                let mut expected = model.clone();
                expected.splice(lo..=hi, [(model[hi].0, None)]);
                check(&leaf, &expected, max);
            }
        }
    }
}

/// `insert_into_null` against the vector model, for every leaf length, every value layout
/// (all 2^len), every NULL slot, and each way the new range can lie in it (with or without
/// a NULL left before and after), wherever the leaf has room.
#[test]
fn insert_into_null_matches_a_vector_model_for_every_layout() {
    let max = 1_000;
    for len in 1..=SLOTS {
        for present in 0u32..1 << len {
            let model = model_with(len, max, |i| present >> i & 1 != 0);
            for at in (0..len).filter(|&i| model[i].1.is_none()) {
                let start = if at == 0 { 0 } else { model[at - 1].0 + 1 };
                let end = model[at].0;
                for (head, tail) in [(false, false), (true, false), (false, true), (true, true)] {
                    if len + usize::from(head) + usize::from(tail) > SLOTS || end - start < 2 {
                        continue;
                    }
                    let first = if head { start + 1 } else { start };
                    let last = if tail { end - 1 } else { end };
                    let mut leaf = leaf_of(&model);
                    leaf.insert_into_null(at, head, first, last, tail, 99);
                    let mut pieces = Vec::new();
                    if head {
                        pieces.push((first - 1, None));
                    }
                    pieces.push((last, Some(99)));
                    if tail {
                        pieces.push((end, None));
                    }
                    let mut expected = model.clone();
                    expected.splice(at..=at, pieces);
                    check(&leaf, &expected, max);
                }
            }
        }
    }
}

/// The model of an insert over `first..=last` into NULL slot `at` of `model` (a leaf whose
/// keys start at `min`): the head, the value and the tail in place of the slot.
fn inserted(model: &[(u64, Option<u32>)], min: u64, at: usize, (first, last): (u64, u64)) -> Vec<(u64, Option<u32>)> {
    let start = if at == 0 { min } else { model[at - 1].0 + 1 };
    let mut out = model[..at].to_vec();
    if start < first {
        out.push((first - 1, None));
    }
    out.push((last, Some(99)));
    if last < model[at].0 {
        out.push((model[at].0, None));
    }
    out.extend_from_slice(&model[at + 1..]);
    out
}

/// Checks that `leaf`, covering `[min, max]`, holds `model`'s slots (N2 and N3 included).
fn check_between(leaf: &Leaf<u32>, model: &[(u64, Option<u32>)], min: u64, max: u64) {
    assert_eq!(leaf.fault(), None);
    let got: Vec<_> = (0..leaf.len()).map(|i| (leaf.slot_range(i, min, max).1, leaf.get(i).copied())).collect();
    assert_eq!(got, model);
    assert_eq!(leaf.value_count(), model.iter().filter(|(_, v)| v.is_some()).count());
}

#[test]
fn a_spill_shares_an_insert_and_a_sibling_between_two_leaves() {
    // A full leaf over [1000, 1159], a left sibling below it or a right one above it (or
    // none), every value layout, NULL slot, head/tail choice and cut: the two leaves written
    // from the spill hold the model's slots in order, with N2 and N3.
    let shifted = |m: Vec<(u64, Option<u32>)>, by: u64| -> Vec<(u64, Option<u32>)> {
        m.into_iter().map(|(end, v)| (end + by, v.map(|v| v + 100 * u32::from(by > 1000)))).collect()
    };
    for full in patterns() {
        let base = shifted(model_with(SLOTS, 159, full), 1000);
        for at in (0..SLOTS).filter(|&i| base[i].1.is_none()) {
            let start = if at == 0 { 1000 } else { base[at - 1].0 + 1 };
            for (head, tail) in [(false, false), (true, false), (false, true), (true, true)] {
                let (first, last) = (start + u64::from(head), base[at].0 - u64::from(tail));
                let mine = inserted(&base, 1000, at, (first, last));
                for sibling in [None, Some((true, 3)), Some((false, 5)), Some((true, 12)), Some((false, 13))] {
                    let mut content = mine.clone();
                    let (mut lo, mut hi) = (1000, 1159);
                    let mut other: Leaf<u32> = Leaf::empty();
                    let layout = |other: &Leaf<u32>| {
                        let mut spill = Spill::insert_layout(&leaf_of(&base), 1159, at, (head, tail), (first, last));
                        if let Some((to_right, len)) = sibling {
                            spill.add_sibling(other, if to_right { 1159 + 10 * len as u64 } else { 999 }, to_right);
                        }
                        spill
                    };
                    if let Some((to_right, len)) = sibling {
                        let theirs = if to_right {
                            shifted(model_with(len, 10 * len as u64 - 1, |i| i % 2 == 1), 1160)
                        } else {
                            shifted(model_with(len, 999, |i| i % 2 == 1), 0)
                        };
                        other = leaf_of(&theirs);
                        if to_right {
                            hi = theirs[len - 1].0;
                            content.extend(theirs);
                        } else {
                            lo = 0;
                            content.splice(0..0, theirs);
                        }
                    }
                    let spill = layout(&other);
                    assert_eq!(spill.len(), content.len());
                    for (i, (end, entry)) in content.iter().enumerate() {
                        assert_eq!((spill.end(i), spill.is_null(i)), (*end, entry.is_none()), "slot {i}");
                    }
                    for cut in content.len().saturating_sub(SLOTS).max(1)..=SLOTS.min(content.len() - 1) {
                        let mut spill = layout(&other);
                        let (mut mine_leaf, mut theirs) = (leaf_of(&base), other.clone());
                        let (left, right) = match sibling {
                            Some((false, _)) => {
                                spill.take(&mut theirs);
                                spill.take_inserting(&mut mine_leaf, 99);
                                (theirs, mine_leaf)
                            }
                            Some((true, _)) => {
                                spill.take_inserting(&mut mine_leaf, 99);
                                spill.take(&mut theirs);
                                (mine_leaf, theirs)
                            }
                            None => {
                                spill.take_inserting(&mut mine_leaf, 99);
                                (mine_leaf, theirs)
                            }
                        };
                        let (mut left, mut right) = (left, right);
                        spill.fill(&mut left, cut);
                        spill.fill(&mut right, content.len() - cut);
                        let bound = content[cut - 1].0;
                        check_between(&left, &content[..cut], lo, bound);
                        check_between(&right, &content[cut..], bound + 1, hi);
                    }
                }
            }
        }
    }
}
