//! Unit tests of the `/proc/pid/maps` parser, printer and comparison.

use super::*;

const SAMPLE: &str = "\
00400000-0041f000 r--p 00000000 fe:00 247706                             /usr/bin/python3.11
0041f000-006d2000 r-xp 0001f000 fe:00 247706                             /usr/bin/python3.11
00a85000-00aca000 rw-p 00000000 00:00 0 
7f94379e7000-7f94379eb000 r--p 00000000 00:00 0                          [vvar]
7f94379ed000-7f94379ef000 r-xp 00000000 00:00 0                          [vdso]
7f94379ef000-7f94379f1000 rw-s 00000000 00:01 2058                       /memfd:x (deleted)
7ffe9ddd4000-7ffe9ddf5000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
";

#[test]
fn layouts_are_checked_and_errors_name_the_line() {
    let entries = parse_layout(SAMPLE).unwrap();
    assert_eq!(entries.len(), 8);
    let printed: String = entries.iter().map(|entry| format!("{entry}\n")).collect();
    assert_eq!(printed, SAMPLE);
    assert_eq!(parse_layout("00400000-0041f000 r--p 0 fe:00 1 /a\nnonsense\n").unwrap_err().line, 2);
    assert!(parse_layout("00401000-00400000 r--p 0 00:00 0\n").unwrap_err().message.contains("empty address range"));
    assert!(parse_layout("00400000-00402000 r--p 0 00:00 0\n00401000-00403000 r--p 0 00:00 0\n")
        .unwrap_err()
        .message
        .contains("overlaps"));
    assert!(parse_layout("00400000-00402000 r--pp 0 00:00 0\n").is_err());
    let rwzp = parse_layout("00400000-00402000 rwzp 0 00:00 0\n").unwrap_err();
    assert_eq!(
        rwzp.to_string(),
        "line 1: bad permissions \"rwzp\" (expected [r-][w-][x-][ps], e.g. r-xp): `00400000-00402000 rwzp 0 00:00 0`"
    );
    assert!(parse_layout("00400800-00402000 r--p 0 00:00 0\n").unwrap_err().message.contains("page-aligned"));
}

fn layout(text: &str) -> Vec<MapsLine> {
    parse_layout(text).unwrap()
}

#[test]
fn identical_layouts_have_no_difference() {
    assert_eq!(compare(&layout(SAMPLE), &layout(SAMPLE)), []);
}

#[test]
fn page_differences_are_named_and_coalesced() {
    let expected = layout("1000-5000 rw-p 00000000 00:00 0\n");
    let replayed =
        layout("1000-3000 rw-p 00000000 00:00 0\n3000-5000 r--p 00000000 00:00 0\n6000-7000 rw-p 00000000 00:00 0\n");
    let differences = compare(&expected, &replayed);
    assert_eq!(differences.len(), 2, "{differences:?}");
    assert_eq!(
        differences[0].to_string(),
        "pages 3000-5000 (2 pages): expected rw-p 0 00:00 0 , replayed r--p 0 00:00 0 "
    );
    assert!(
        matches!(&differences[1], Difference::Pages { start: 0x6000, end: 0x7000, what } if what.starts_with("expected unmapped"))
    );
}

#[test]
fn file_offsets_are_compared_per_page() {
    let expected = layout("1000-3000 r--p 00002000 fe:00 7 /lib/a\n");
    let same = layout("1000-2000 r--p 00002000 fe:00 7 /lib/a\n2000-3000 r--p 00003000 fe:00 7 /lib/a\n");
    let shifted = layout("1000-3000 r--p 00003000 fe:00 7 /lib/a\n");
    assert!(compare(&expected, &same).iter().all(|d| matches!(d, Difference::Vmas { .. })));
    assert_eq!(compare(&expected, &shifted).len(), 1);
}

#[test]
fn vma_boundary_differences_over_equal_pages() {
    let expected =
        layout("1000-3000 rw-p 00000000 00:00 0\n3000-5000 rw-p 00000000 00:00 0\n8000-9000 r--p 0 00:00 0\n");
    let replayed = layout("1000-5000 rw-p 00000000 00:00 0\n8000-9000 r--p 0 00:00 0\n");
    let differences = compare(&expected, &replayed);
    assert_eq!(
        differences,
        [Difference::Vmas { expected: vec![(0x1000, 0x3000), (0x3000, 0x5000)], replayed: vec![(0x1000, 0x5000)] }]
    );
    assert_eq!(differences[0].to_string(), "VMAs merged differently: expected 1000-3000 3000-5000, replayed 1000-5000");
}

#[test]
fn shared_anonymous_objects_are_compared_up_to_renaming() {
    let expected = layout(
        "1000-3000 rw-s 00000000 00:01 5277                       /dev/zero (deleted)\n\
         5000-6000 rw-s 00001000 00:01 5277                       /dev/zero (deleted)\n\
         8000-9000 rw-s 00000000 00:01 6000                       /dev/zero (deleted)\n",
    );
    let same = layout(
        "1000-3000 rw-s 00000000 00:01 1                          /dev/zero (deleted)\n\
         5000-6000 rw-s 00001000 00:01 1                          /dev/zero (deleted)\n\
         8000-9000 rw-s 00000000 00:01 2                          /dev/zero (deleted)\n",
    );
    assert_eq!(compare(&expected, &same), []);
    // One replayed object where the kernel had two is a difference.
    let merged = layout(
        "1000-3000 rw-s 00000000 00:01 1                          /dev/zero (deleted)\n\
         5000-6000 rw-s 00001000 00:01 1                          /dev/zero (deleted)\n\
         8000-9000 rw-s 00000000 00:01 1                          /dev/zero (deleted)\n",
    );
    let differences = compare(&expected, &merged);
    assert_eq!(differences.len(), 1, "{differences:?}");
    assert!(matches!(differences[0], Difference::Pages { start: 0x8000, end: 0x9000, .. }));
}

#[test]
fn every_cut_of_a_maps_file_parses_or_fails_cleanly() {
    for (cut, _) in SAMPLE.char_indices() {
        if let Ok(entries) = parse_layout(&SAMPLE[..cut]) {
            assert!(entries.len() <= 8);
        }
    }
}
