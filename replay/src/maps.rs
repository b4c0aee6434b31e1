//! Layouts (`/proc/pid/maps` files) as the replay uses them: reading one
//! ([`parse_layout`]), and comparing two page by page and VMA by VMA ([`compare`]).
//!
//! A layout is a sorted, non-overlapping, page-aligned `Vec<MapsLine>`; the line itself, its
//! exact format and its parser are [`maple_vma::maps`]'s.

use std::fmt;

use maple_vma::maps::MapsLine;

use crate::strace::ParseError;

/// Page size of the layouts compared (x86-64).
pub const PAGE: u64 = 4096;

/// Reads a layout: every non-blank line a [`MapsLine`], page-aligned, sorted and not
/// overlapping the line before. The error names the line.
///
/// ```
/// let layout = maple_replay::maps::parse_layout("00400000-00401000 r--p 00000000 fe:00 7 /bin/a\n")?;
/// assert_eq!((layout[0].start, layout[0].path.as_str()), (0x400000, "/bin/a"));
/// let error = maple_replay::maps::parse_layout("00400000-00401000 rwzp 00000000 00:00 0\n").unwrap_err();
/// assert_eq!(error.line, 1);
/// # Ok::<(), maple_replay::strace::ParseError>(())
/// ```
pub fn parse_layout(text: &str) -> Result<Vec<MapsLine>, ParseError> {
    let mut layout: Vec<MapsLine> = Vec::new();
    for (index, text) in text.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let error = |message: String| ParseError { line: index + 1, message };
        let line: MapsLine = text.parse().map_err(|bad| error(format!("{bad}: `{text}`")))?;
        if line.start % PAGE != 0 || line.end % PAGE != 0 {
            return Err(error(format!("{:x}-{:x} is not page-aligned", line.start, line.end)));
        }
        if layout.last().is_some_and(|previous| previous.end > line.start) {
            return Err(error(format!("{:x}-{:x} overlaps or precedes the line before", line.start, line.end)));
        }
        layout.push(line);
    }
    Ok(layout)
}

/// The attributes of the page at `addr` (inside `line`), for page comparisons.
fn page_of(line: &MapsLine, addr: u64) -> PageAttrs<'_> {
    let offset = if line.inode != 0 { line.offset + (addr - line.start) } else { 0 };
    PageAttrs { perms: line.perms, offset, dev: line.dev, inode: line.inode, path: &line.path }
}

/// What a page looks like in a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PageAttrs<'a> {
    perms: maple_vma::maps::Perms,
    offset: u64,
    dev: (u32, u32),
    inode: u64,
    path: &'a str,
}

/// One difference between an expected layout (`/proc/pid/maps` of the real process) and the
/// replayed one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Difference {
    /// Pages `[start, end)` differ: mapped in only one layout, or mapped differently.
    Pages {
        /// First address of the range.
        start: u64,
        /// One past its last.
        end: u64,
        /// What each layout has there.
        what: String,
    },
    /// The same pages, cut into VMAs differently: `expected` and `replayed` list the VMAs
    /// (`start-end`) of each layout over the range.
    Vmas {
        /// The VMAs of the expected layout over the range.
        expected: Vec<(u64, u64)>,
        /// Those of the replayed layout.
        replayed: Vec<(u64, u64)>,
    },
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |vmas: &[(u64, u64)]| vmas.iter().map(|(s, e)| format!("{s:x}-{e:x}")).collect::<Vec<_>>().join(" ");
        match self {
            Difference::Pages { start, end, what } => {
                write!(f, "pages {start:x}-{end:x} ({} pages): {what}", (end - start) / PAGE)
            }
            Difference::Vmas { expected, replayed } => {
                let verb = if expected.len() < replayed.len() { "split" } else { "merged" };
                write!(f, "VMAs {verb} differently: expected {}, replayed {}", list(expected), list(replayed))
            }
        }
    }
}

fn describe(page: Option<PageAttrs<'_>>) -> String {
    match page {
        None => "unmapped".to_owned(),
        Some(page) => format!(
            "{} {:x} {:02x}:{:02x} {} {}",
            page.perms, page.offset, page.dev.0, page.dev.1, page.inode, page.path
        ),
    }
}

/// Compares `expected` with `replayed`: every range of pages that differs (contiguous pages
/// with the same difference reported once), then, over pages that agree, every group of
/// VMAs whose boundaries differ.
///
/// Shared anonymous memory is a kernel-internal shmem object whose inode number no log
/// shows, so its identity is compared up to renaming: each replayed object is given the
/// inode of the expected object found at its first address, and then must match it
/// everywhere.
pub fn compare(expected: &[MapsLine], replayed: &[MapsLine]) -> Vec<Difference> {
    let replayed = &rename_shared_anonymous(expected, replayed);
    let mut differences = compare_pages(expected, replayed);
    let vmas = compare_vmas(expected, replayed, &differences);
    differences.extend(vmas);
    differences
}

/// The path `/proc/pid/maps` shows for shared anonymous memory.
pub const SHARED_ANONYMOUS: &str = "/dev/zero (deleted)";

/// `replayed` with the inode of each shared anonymous object replaced by the inode of the
/// expected one at the same address (see [`compare`]).
fn rename_shared_anonymous(expected: &[MapsLine], replayed: &[MapsLine]) -> Vec<MapsLine> {
    let mut names: Vec<(u64, u64)> = Vec::new();
    for entry in replayed.iter().filter(|entry| entry.path == SHARED_ANONYMOUS) {
        let found = find(expected, entry.start).filter(|other| other.path == SHARED_ANONYMOUS);
        if let Some(other) = found {
            if !names.iter().any(|&(ours, _)| ours == entry.inode) {
                names.push((entry.inode, other.inode));
            }
        }
    }
    let mut renamed = replayed.to_vec();
    for entry in renamed.iter_mut().filter(|entry| entry.path == SHARED_ANONYMOUS) {
        if let Some(&(_, theirs)) = names.iter().find(|&&(ours, _)| ours == entry.inode) {
            entry.inode = theirs;
        }
    }
    renamed
}

/// The entry of `layout` holding `addr`.
fn find(layout: &[MapsLine], addr: u64) -> Option<&MapsLine> {
    let at = layout.partition_point(|entry| entry.end <= addr);
    layout.get(at).filter(|entry| entry.start <= addr)
}

fn compare_pages(expected: &[MapsLine], replayed: &[MapsLine]) -> Vec<Difference> {
    let mut cuts: Vec<u64> = expected.iter().chain(replayed).flat_map(|entry| [entry.start, entry.end]).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut differences: Vec<Difference> = Vec::new();
    for window in cuts.windows(2) {
        let (start, end) = (window[0], window[1]);
        let (want, got) = (find(expected, start), find(replayed, start));
        let (want_page, got_page) = (want.map(|e| page_of(e, start)), got.map(|e| page_of(e, start)));
        if want_page == got_page {
            continue;
        }
        let what = format!("expected {}, replayed {}", describe(want_page), describe(got_page));
        // Extend the previous difference when this segment continues it (same entries).
        if let Some(Difference::Pages { end: previous_end, .. }) = differences.last_mut() {
            let continues = *previous_end == start && {
                let prev_want = find(expected, start - 1).map(|e| (e.perms, e.inode, &e.path));
                let prev_got = find(replayed, start - 1).map(|e| (e.perms, e.inode, &e.path));
                prev_want == want.map(|e| (e.perms, e.inode, &e.path))
                    && prev_got == got.map(|e| (e.perms, e.inode, &e.path))
            };
            if continues {
                *previous_end = end;
                continue;
            }
        }
        differences.push(Difference::Pages { start, end, what });
    }
    differences
}

fn compare_vmas(expected: &[MapsLine], replayed: &[MapsLine], pages: &[Difference]) -> Vec<Difference> {
    // Group VMAs of both layouts into clusters of transitively overlapping ones; a cluster
    // whose two sides are not the same list of ranges is a difference, unless some of its
    // pages differ (that is reported already).
    let page_differs = |start: u64, end: u64| {
        pages.iter().any(|d| matches!(d, Difference::Pages { start: s, end: e, .. } if *s < end && start < *e))
    };
    let mut all: Vec<(u64, u64, bool)> = expected.iter().map(|e| (e.start, e.end, true)).collect();
    all.extend(replayed.iter().map(|e| (e.start, e.end, false)));
    all.sort_unstable();
    let mut differences = Vec::new();
    let mut cluster: Vec<(u64, u64, bool)> = Vec::new();
    let mut cluster_end = 0;
    let mut flush = |cluster: &mut Vec<(u64, u64, bool)>| {
        let side = |want: bool| cluster.iter().filter(|v| v.2 == want).map(|v| (v.0, v.1)).collect::<Vec<_>>();
        let (want, got) = (side(true), side(false));
        let span = (cluster.iter().map(|v| v.0).min().unwrap_or(0), cluster.iter().map(|v| v.1).max().unwrap_or(0));
        if want != got && !page_differs(span.0, span.1) {
            differences.push(Difference::Vmas { expected: want, replayed: got });
        }
        cluster.clear();
    };
    for vma in all {
        if !cluster.is_empty() && vma.0 >= cluster_end {
            flush(&mut cluster);
        }
        cluster_end = if cluster.is_empty() { vma.1 } else { cluster_end.max(vma.1) };
        cluster.push(vma);
    }
    flush(&mut cluster);
    differences
}

#[cfg(test)]
#[path = "maps_tests.rs"]
mod tests;
