//! Unit tests of the VMA manager adapter: seeding from a layout, the calls, the counters.

use super::*;
use crate::maps::parse_layout;
use crate::strace::Parser;

const START: &str = "\
00400000-00403000 r--p 00000000 fe:00 247932                             /usr/bin/gcc
00403000-0049c000 r-xp 00003000 fe:00 247932                             /usr/bin/gcc
0049c000-00539000 r--p 0009c000 fe:00 247932                             /usr/bin/gcc
00539000-0053c000 r--p 00139000 fe:00 247932                             /usr/bin/gcc
0053c000-0053e000 rw-p 0013c000 fe:00 247932                             /usr/bin/gcc
0053e000-00541000 rw-p 00000000 00:00 0 
3c10b000-3c14e000 rw-p 00000000 00:00 0                                  [heap]
7efebee3f000-7efebee43000 r--p 00000000 00:00 0                          [vvar]
7efebee43000-7efebee45000 r-xp 00000000 00:00 0                          [vdso]
7efebee45000-7efebee47000 r--p 00000000 fe:00 316530                     /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ffd1e6b4000-7ffd1e6d5000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
";

fn space() -> VmaSpace {
    VmaSpace::from_layout(&parse_layout(START).unwrap()).unwrap()
}

fn print(layout: &[MapsLine]) -> String {
    layout.iter().map(|entry| format!("{entry}\n")).collect()
}

/// Applies one strace line.
fn apply(space: &mut VmaSpace, line: &str, place: bool) -> Result<Option<u64>, String> {
    let event = Parser::new().line(1, line).unwrap().unwrap();
    let result = space.apply(&event.call, &event.ret, place, &Files::new());
    space.validate().unwrap();
    result
}

#[test]
fn a_start_layout_round_trips_with_its_hidden_boundaries() {
    let mut space = space();
    // The RELRO region (0x539000) stays apart from the read-only data before it, the heap
    // comes from brk, the names of special mappings and the gate area are kept.
    assert_eq!(print(&space.layout()), START);
    assert_eq!(space.map_count(), 11);
    assert_eq!(space.mm.brk(0), 0x3c14_e000);
}

#[test]
fn mmap_file_offsets_are_bytes_in_the_log_and_pages_in_the_vma() {
    let mut space = space();
    let line = "1 mmap(0x7efe00000000, 8192, PROT_READ, MAP_PRIVATE|MAP_FIXED, 3</lib/x.so>, 0x3000) = 0x7efe00000000";
    apply(&mut space, line, false).unwrap();
    let entry = space.layout().into_iter().find(|entry| entry.path == "/lib/x.so").unwrap();
    assert_eq!((entry.start, entry.end, entry.offset), (0x7efe_0000_0000, 0x7efe_0000_2000, 0x3000));
}

#[test]
fn splits_and_merges_are_counted() {
    let mut space = space();
    apply(&mut space, "1 mprotect(0x49d000, 4096, PROT_NONE) = 0", false).unwrap();
    assert_eq!(space.counters(), Some(Counters { splits: 2, merges: 0 }));
    apply(&mut space, "1 mprotect(0x49d000, 4096, PROT_READ) = 0", false).unwrap();
    assert_eq!(space.counters(), Some(Counters { splits: 2, merges: 2 }));
    assert_eq!(print(&space.layout()), START);
    // brk growth extends the heap in place: its old end vanishes into it.
    apply(&mut space, "1 brk(0x3c170000) = 0x3c170000", false).unwrap();
    assert_eq!(space.counters(), Some(Counters { splits: 2, merges: 3 }));
}

#[test]
fn placement_is_compared_then_the_kernels_address_is_used() {
    let mut space = space();
    // The first mapping lands right below the loader, the top of the mmap area.
    let line = "1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7efebee3e000";
    assert_eq!(apply(&mut space, line, true), Ok(Some(0x7efe_bee3_e000)));
    // A kernel choice we would not make is still replayed where the kernel put it.
    let line = "1 mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7e0000000000";
    assert_eq!(apply(&mut space, line, true), Ok(Some(0x7efe_bee3_d000)));
    assert!(space.layout().iter().any(|entry| entry.start == 0x7e00_0000_0000));
    assert!(!space.layout().iter().any(|entry| entry.start == 0x7efe_bee3_d000));
}

#[test]
fn refusals_and_failed_calls() {
    let mut space = space();
    let error = apply(&mut space, "1 munmap(0x1001, 4096) = 0", false).unwrap_err();
    assert!(error.starts_with("the VMA manager refused what the kernel did: "), "{error}");
    // A call that failed in the kernel fails the same way here, and changes nothing.
    let line = "1 mprotect(0x10000, 4096, PROT_READ) = -1 ENOMEM (Cannot allocate memory)";
    assert_eq!(apply(&mut space, line, false), Ok(None));
    assert_eq!(print(&space.layout()), START);
    // A failure the VMA manager does not reproduce is reported, and changes nothing either.
    let line = "1 munmap(0x400000, 4096) = -1 EINVAL (Invalid argument)";
    let error = apply(&mut space, line, false).unwrap_err();
    assert_eq!(error, "the kernel failed with EINVAL, the VMA manager succeeded");
    assert_eq!(print(&space.layout()), START);
    let line = "1 munmap(0x400001, 4096) = -1 ENOMEM (Cannot allocate memory)";
    assert!(apply(&mut space, line, false)
        .unwrap_err()
        .starts_with("the kernel failed with ENOMEM, the VMA manager with "));
    // Failures that depend on more than the layout are not compared.
    let line = "1 mmap(NULL, 4096, PROT_READ, MAP_SHARED, 9</f>, 0) = -1 EACCES (Permission denied)";
    assert_eq!(apply(&mut space, line, false), Ok(None));
    assert_eq!(print(&space.layout()), START);
    let error = apply(&mut space, "1 brk(0x3c100000) = 0x3c200000", false).unwrap_err();
    assert!(error.contains("the break is"), "{error}");
}

#[test]
fn a_moved_writable_mapping_counts_as_written() {
    let mut space = space();
    let map = "1 mmap(0x7e0000000000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x7e0000000000";
    apply(&mut space, map, false).unwrap();
    let next = "1 mmap(0x7e0000010000, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x7e0000010000";
    apply(&mut space, next, false).unwrap();
    // Moved next to a compatible VMA, a written VMA keeps its pgoff and does not merge.
    let moved = "1 mremap(0x7e0000000000, 8192, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7e000000e000) = 0x7e000000e000";
    apply(&mut space, moved, false).unwrap();
    let starts: Vec<u64> = space
        .layout()
        .iter()
        .map(|entry| entry.start)
        .filter(|s| (0x7e00_0000_0000..0x7e00_0100_0000).contains(s))
        .collect();
    assert_eq!(starts, [0x7e00_0000_e000, 0x7e00_0001_0000]);
}

#[test]
fn dropping_write_permission_counts_as_written() {
    // Anonymous memory made read-only: the kernel drops VM_ACCOUNT (and the VMA merges with
    // a read-only neighbour) only if it was never written. Programs write what they make
    // read-only, so the adapter takes it as written: the two VMAs stay apart.
    let mut space = space();
    let rw = "1 mmap(0x7e0000010000, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x7e0000010000";
    apply(&mut space, rw, false).unwrap();
    let ro = "1 mmap(0x7e0000011000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, -1, 0) = 0x7e0000011000";
    apply(&mut space, ro, false).unwrap();
    apply(&mut space, "1 mprotect(0x7e0000010000, 4096, PROT_READ) = 0", false).unwrap();
    let pieces: Vec<(u64, u64)> = space
        .layout()
        .iter()
        .filter(|entry| (0x7e00_0000_0000..0x7e00_0100_0000).contains(&entry.start))
        .map(|entry| (entry.start, entry.end))
        .collect();
    assert_eq!(pieces, [(0x7e00_0001_0000, 0x7e00_0001_1000), (0x7e00_0001_1000, 0x7e00_0001_2000)]);
}

#[test]
fn a_failure_keeps_what_linux_applied_before_it() {
    // mprotect across a hole: ENOMEM, but the VMA before the hole has been changed.
    let mut space = space();
    let line = "1 mprotect(0x53e000, 0x3c000000, PROT_READ) = -1 ENOMEM (Cannot allocate memory)";
    assert_eq!(apply(&mut space, line, false), Ok(None));
    let bss = space.layout().into_iter().find(|entry| entry.start == 0x53_e000).unwrap();
    assert_eq!(bss.perms.to_string(), "r--p");
    // MAP_FIXED_NOREPLACE over a mapping: EEXIST in both.
    let line = "1 mmap(0x400000, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE, -1, 0) = -1 EEXIST (File exists)";
    assert_eq!(apply(&mut space, line, false), Ok(None));
}

#[test]
fn pseudo_files_without_a_leading_slash_are_file_mappings() {
    // Regression: `anon_inode:[...]` and DRM buffers were seeded as anonymous memory, so
    // their device and inode were lost (printed as 00:00 0).
    let layout = "\
7f0000000000-7f0000001000 r--s 00000000 00:0f 1057                       anon_inode:[perf_event]
7f0000001000-7f0000002000 rw-s 00000000 00:0f 1058                       anon_inode:[io_uring]
7f0000002000-7f0000004000 rw-s 10d7a4000 00:06 633                       anon_inode:i915.gem
";
    let space = VmaSpace::from_layout(&parse_layout(layout).unwrap()).unwrap();
    assert_eq!(print(&space.layout()), layout);
    assert!(space.mm.iter().all(|vma| matches!(vma.backing(), Backing::File(_))));
}

/// Found by CI's fuzz smoke run: a start-layout entry that begins below the task size and
/// ends above it was kept aside as gate area, so the VMA manager never saw its low part and
/// mapped over it, and the printed layout overlapped. It is an error of the layout now.
#[test]
fn a_start_layout_entry_across_the_task_size_is_refused() {
    let straddle = "\
00400000-00403000 r--p 00000000 fe:00 247932                             /usr/bin/gcc
0049c000-ffffffffff601000 --xp 00000000 00:00 0                          [vsyscall]
";
    let error = VmaSpace::from_layout(&parse_layout(straddle).unwrap()).err().expect("a layout error");
    assert!(error.contains("task size"), "{error}");
}
