//! Unit tests of the `/proc/pid/maps` line: the kernel's exact output, real names, errors.

use alloc::format;
use alloc::string::{String, ToString};

use super::*;

/// Lines as the kernel printed them, one of each kind of name.
const SAMPLE: &str = "\
00400000-0041f000 r--p 00000000 fe:00 247706                             /usr/bin/python3.11
0041f000-006d2000 r-xp 0001f000 fe:00 247706                             /usr/bin/python3.11
00a85000-00aca000 rw-p 00000000 00:00 0                                  [heap]
00aca000-00acb000 rw-p 00000000 00:00 0 
7f9430000000-7f9430021000 rw-p 00000000 00:00 0                          [anon:glibc.malloc]
7f9437000000-7f9437001000 r--s 00000000 00:0f 1057                       anon_inode:[perf_event]
7f9437001000-7f9437002000 rw-s 00000000 00:0f 1058                       anon_inode:[io_uring]
7f9437002000-7f9437003000 rw-s 10d7a4000 00:06 633                       /dev/dri/renderD128
7f9437003000-7f9437004000 rw-s 00000000 00:0f 9                          anon_inode:i915.gem
7f94379e7000-7f94379eb000 r--p 00000000 00:00 0                          [vvar]
7f94379ed000-7f94379ef000 r-xp 00000000 00:00 0                          [vdso]
7f94379ef000-7f94379f1000 rw-s 00000000 00:01 2058                       /memfd:x (deleted)
7f94379f1000-7f94379f2000 r--p 00000000 fe:00 13                         /home/a b/with  spaces.txt
7f94379f2000-7f94379f3000 r--p 00000000 fe:00 14                         /tmp/new\\012line (deleted)
7f94379f3000-7f94379f4000 rw-s 00000000 00:01 15                         /dev/zero (deleted)
7ffe9ddd4000-7ffe9ddf5000 rw-p 00000000 00:00 0                          [stack]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
";

#[test]
fn kernel_lines_round_trip_exactly() {
    let lines = parse_maps(SAMPLE).unwrap();
    assert_eq!(lines.len(), SAMPLE.lines().count());
    let printed: String = lines.iter().map(|line| format!("{line}\n")).collect();
    assert_eq!(printed, SAMPLE);
    for (line, text) in lines.iter().zip(SAMPLE.lines()) {
        assert_eq!(text.parse::<MapsLine>().as_ref(), Ok(line));
    }
    assert_eq!(lines[1].offset, 0x1f000);
    assert_eq!(lines[1].perms, Perms { read: true, write: false, exec: true, shared: false });
    assert_eq!(lines[1].dev, (0xfe, 0));
    assert_eq!(lines[3].path, "");
    assert!(!lines[2].is_file() && !lines[3].is_file() && !lines[4].is_file());
}

#[test]
fn pseudo_files_keep_their_device_and_inode() {
    let lines = parse_maps(SAMPLE).unwrap();
    let perf = &lines[5];
    assert_eq!((perf.dev, perf.inode, perf.path.as_str()), ((0, 0xf), 1057, "anon_inode:[perf_event]"));
    assert!(perf.is_file() && perf.perms.shared);
    assert_eq!((lines[6].inode, lines[6].path.as_str()), (1058, "anon_inode:[io_uring]"));
    assert_eq!((lines[7].offset, lines[7].path.as_str()), (0x10d7a4000, "/dev/dri/renderD128"));
    assert!(lines[8].is_file());
    assert_eq!(lines[11].path, "/memfd:x (deleted)");
    assert_eq!(lines[12].path, "/home/a b/with  spaces.txt");
    assert_eq!(lines[13].path, "/tmp/new\\012line (deleted)");
}

#[test]
fn the_column_rule() {
    // A head as long as the padding is not padded: its trailing space and one more.
    let long = MapsLine {
        start: 0xffff_ffff_ff60_0000,
        end: 0xffff_ffff_ff60_1000,
        inode: u64::MAX,
        dev: (0xfff, 0xfffff),
        path: "/x".into(),
        ..MapsLine::default()
    };
    let text = long.to_string();
    assert_eq!(text, "ffffffffff600000-ffffffffff601000 ---p 00000000 fff:fffff 18446744073709551615  /x");
    assert_eq!(text.parse(), Ok(long));
    // Names start at column 74 (1-based) otherwise, and a name's leading spaces survive.
    let spaced = MapsLine { start: 0x1000, end: 0x2000, path: "  /odd".into(), ..MapsLine::default() };
    let text = spaced.to_string();
    assert_eq!(text.find('/'), Some(75));
    assert_eq!(text.parse(), Ok(spaced));
}

#[test]
fn lenient_where_the_kernel_is_not_ambiguous() {
    let line: MapsLine = "1000-3000 r--p 2000 fe:00 7 /lib/a".parse().unwrap();
    assert_eq!((line.start, line.end, line.offset, line.path.as_str()), (0x1000, 0x3000, 0x2000, "/lib/a"));
    assert_eq!(line.to_string(), "00001000-00003000 r--p 00002000 fe:00 7                                  /lib/a");
    let bare: MapsLine = "1000-3000 rw-p 00000000 00:00 0".parse().unwrap();
    assert_eq!(bare.path, "");
}

fn error(text: &str) -> (MapsField, MapsErrorKind) {
    let error = text.parse::<MapsLine>().unwrap_err();
    assert!(!error.to_string().is_empty());
    (error.field(), error.kind())
}

#[test]
fn bad_lines_name_the_field() {
    use MapsErrorKind::*;
    assert_eq!(error(""), (MapsField::Range, Missing));
    assert_eq!(error(" 1000-2000 r--p 0 00:00 0"), (MapsField::Range, Missing));
    assert_eq!(error("1000 r--p 0 00:00 0"), (MapsField::Range, Invalid));
    assert_eq!(error("+1000-2000 r--p 0 00:00 0"), (MapsField::Range, Invalid));
    assert_eq!(error("2000-1000 r--p 0 00:00 0"), (MapsField::Range, EmptyRange));
    assert_eq!(error("1000-1000 r--p 0 00:00 0"), (MapsField::Range, EmptyRange));
    assert_eq!(error("1000-2000"), (MapsField::Perms, Missing));
    assert_eq!(error("1000-2000 rwzp 0 00:00 0"), (MapsField::Perms, Invalid));
    assert_eq!(error("1000-2000 r--pp 0 00:00 0"), (MapsField::Perms, Invalid));
    assert_eq!(error("1000-2000 wr-p 0 00:00 0"), (MapsField::Perms, Invalid));
    assert_eq!(error("1000-2000 r--p x 00:00 0"), (MapsField::Offset, Invalid));
    assert_eq!(error("1000-2000 r--p 0 0000 0"), (MapsField::Device, Invalid));
    assert_eq!(error("1000-2000 r--p 0 100000000:00 0"), (MapsField::Device, Invalid));
    assert_eq!(error("1000-2000 r--p 0 00:00"), (MapsField::Inode, Missing));
    assert_eq!(error("1000-2000 r--p 0 00:00 -1"), (MapsField::Inode, Invalid));
    assert_eq!(error("1000-2000 r--p 0 00:00 99999999999999999999"), (MapsField::Inode, Invalid));
    assert_eq!(error("1000-2000 r--p 0 00:00 0 a\nb"), (MapsField::Path, Invalid));
    let rwzp = error_text("1000-2000 rwzp 0 00:00 0");
    assert_eq!(rwzp, "bad permissions \"rwzp\" (expected [r-][w-][x-][ps], e.g. r-xp)");
}

fn error_text(text: &str) -> String {
    text.parse::<MapsLine>().unwrap_err().to_string()
}

#[test]
fn files_are_sorted_and_errors_carry_the_line() {
    let error = parse_maps("00400000-0041f000 r--p 0 fe:00 1 /a\n\nnonsense\n").unwrap_err();
    assert_eq!((error.line(), error.field()), (3, MapsField::Range));
    assert!(error.to_string().starts_with("line 3: "), "{error}");
    let overlap = parse_maps("400000-402000 r--p 0 00:00 0\n401000-403000 r--p 0 00:00 0\n").unwrap_err();
    assert_eq!((overlap.line(), overlap.kind()), (2, MapsErrorKind::Unordered));
    assert_eq!(parse_maps("\n  \n"), Ok(alloc::vec::Vec::new()));
    // Non-ASCII garbage is cut at a character boundary in the message.
    let long = "é".repeat(100);
    assert!(error_text(&long).len() < 100);
}
