//! serde (feature `serde`): round trips of random trees through JSON, and every kind of bad
//! input rejected with an error instead of a corrupt tree.

use maple_testkit::oracle::RangeMap;
use maple_tree::{CoalescingMap, MapleTree};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

#[test]
fn round_trips_random_trees() {
    for seed in 0..30 {
        let mut rng = SmallRng::seed_from_u64(seed);
        let (mut tree, mut oracle) =
            (if seed % 2 == 0 { MapleTree::new() } else { MapleTree::new_alloc() }, RangeMap::new());
        for step in 0..rng.gen_range(0..800u64) {
            let first = if rng.gen_ratio(1, 30) { u64::MAX - rng.gen_range(0..3) } else { rng.gen_range(0..5_000) };
            let last = first.saturating_add(rng.gen_range(0..40));
            if rng.gen_ratio(1, 4) {
                tree.remove_range(first, last).unwrap();
                oracle.remove(first, last);
            } else {
                tree.store_range(first, last, step).unwrap();
                oracle.store(first, last, step);
            }
        }
        let json = serde_json::to_string(&tree).unwrap();
        let back: MapleTree<u64> = serde_json::from_str(&json).unwrap();
        back.validate().unwrap();
        assert!(back.iter().eq(tree.iter()), "seed {seed}");
        assert!(back.iter().map(|(r, v)| (r, *v)).eq(oracle.iter().map(|(r, v)| (r, *v))));
    }
}

#[test]
fn the_format_is_a_sequence_of_range_value_pairs() {
    let tree = MapleTree::from([(1..=2, 'a'), (5..=5, 'b')]);
    assert_eq!(serde_json::to_string(&tree).unwrap(), r#"[[{"start":1,"end":2},"a"],[{"start":5,"end":5},"b"]]"#);
    let empty: MapleTree<u8> = serde_json::from_str("[]").unwrap();
    assert!(empty.is_empty());
}

#[test]
fn bad_inputs_are_errors() {
    let bad = [
        (r#"[[{"start":5,"end":4},1]]"#, "inverted"),
        (r#"[[{"start":0,"end":9},1],[{"start":9,"end":12},2]]"#, "overlaps"),
        (r#"[[{"start":10,"end":19},1],[{"start":0,"end":5},2]]"#, "precedes"),
        (r#"[[{"start":0,"end":9},1],[{"start":0,"end":9},1]]"#, "overlaps"),
        (r#"[[{"start":0,"end":18446744073709551615},1],[{"start":0,"end":0},2]]"#, "precedes"),
        (r#"[[{"start":0},1]]"#, "end"),
        (r#"{"start":0,"end":1}"#, "sequence"),
        (r#"[[{"start":-1,"end":1},1]]"#, "invalid value"),
    ];
    for (json, why) in bad {
        let err = serde_json::from_str::<MapleTree<u8>>(json).expect_err(json).to_string();
        assert!(err.contains(why), "{json}: {err}");
    }
}

#[test]
fn coalescing_maps_round_trip_and_refuse_touching_equal_values() {
    let map: CoalescingMap<u8> = [(0..10, 1), (10..20, 1), (30..40, 2)].into_iter().collect();
    let json = serde_json::to_string(&map).unwrap();
    let back: CoalescingMap<u8> = serde_json::from_str(&json).unwrap();
    assert_eq!(back, map);
    let touching = r#"[[{"start":0,"end":9},1],[{"start":10,"end":19},1]]"#;
    let err = serde_json::from_str::<CoalescingMap<u8>>(touching).unwrap_err().to_string();
    assert!(err.contains("C1"), "{err}");
    // A plain tree takes the same input: it never merges.
    assert_eq!(serde_json::from_str::<MapleTree<u8>>(touching).unwrap().len(), 2);
}

/// Trees of other key types share the format (keys as their `u64` value); a range past the
/// key type's `MAX` is an error.
#[test]
fn generic_keys_round_trip_and_stay_in_their_key_space() {
    let mut tree = MapleTree::<char, u8>::new_keyed();
    tree.set(0..10, 'a').unwrap();
    tree.set(250.., 'b').unwrap();
    let json = serde_json::to_string(&tree).unwrap();
    assert_eq!(json, r#"[[{"start":0,"end":9},"a"],[{"start":250,"end":255},"b"]]"#);
    let back: MapleTree<char, u8> = serde_json::from_str(&json).unwrap();
    back.validate().unwrap();
    assert_eq!(back, tree);
    let wide: MapleTree<char, u16> = serde_json::from_str(&json).unwrap();
    assert_eq!(wide.get_key_value(255), Some((250..=255, &'b')));
    let err = serde_json::from_str::<MapleTree<char, u8>>(r#"[[{"start":250,"end":256},"b"]]"#).unwrap_err();
    assert!(err.to_string().contains("past the key type's MAX"), "{err}");
    let map: CoalescingMap<char, u8> = serde_json::from_str(&json).unwrap();
    assert_eq!(map.len(), 2);
}
