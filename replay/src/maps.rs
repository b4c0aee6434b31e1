//! `/proc/pid/maps`: the parser, the exact kernel output format ([`MapsEntry`]'s `Display`),
//! and the comparison of two layouts page by page and VMA by VMA.
//!
//! Layouts are sorted, non-overlapping `Vec<MapsEntry>`; the parser checks both.

use std::fmt;

use crate::strace::ParseError;

/// Page size of the layouts compared (x86-64).
pub const PAGE: u64 = 4096;

/// One line of `/proc/pid/maps`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapsEntry {
    pub start: u64,
    pub end: u64,
    pub perms: Perms,
    /// File offset in bytes (0 for anonymous memory).
    pub offset: u64,
    pub dev: (u32, u32),
    pub inode: u64,
    /// File path or pseudo-name (`[heap]`, `[stack]`, `[vdso]`), or empty.
    pub path: String,
}

/// The four permission characters, `rwxp` / `r--s`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Perms {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    pub shared: bool,
}

impl fmt::Display for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = |on: bool, c: char| if on { c } else { '-' };
        let sharing = if self.shared { 's' } else { 'p' };
        write!(f, "{}{}{}{}", flag(self.read, 'r'), flag(self.write, 'w'), flag(self.exec, 'x'), sharing)
    }
}

impl fmt::Display for MapsEntry {
    /// Exactly as the kernel prints it: the fields, then, if there is a path, spaces up to
    /// column 73 and the path; without a path the line ends with one space.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = format!(
            "{:08x}-{:08x} {} {:08x} {:02x}:{:02x} {} ",
            self.start, self.end, self.perms, self.offset, self.dev.0, self.dev.1, self.inode
        );
        if self.path.is_empty() {
            f.write_str(&head)
        } else {
            write!(f, "{head:<72} {}", self.path)
        }
    }
}

impl MapsEntry {
    /// The attributes of the page at `addr` (inside this entry), for page comparisons.
    fn page(&self, addr: u64) -> PageAttrs<'_> {
        let offset = if self.inode != 0 { self.offset + (addr - self.start) } else { 0 };
        PageAttrs { perms: self.perms, offset, dev: self.dev, inode: self.inode, path: &self.path }
    }
}

/// Parses a `/proc/pid/maps` file.
pub fn parse_maps(text: &str) -> Result<Vec<MapsEntry>, ParseError> {
    let mut entries: Vec<MapsEntry> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let error = |message: String| ParseError { line: i + 1, message };
        let entry = parse_line(line).ok_or_else(|| error(format!("not a /proc/pid/maps line: `{line}`")))?;
        if entry.start >= entry.end || entry.start % PAGE != 0 || entry.end % PAGE != 0 {
            return Err(error(format!("bad range {:x}-{:x}", entry.start, entry.end)));
        }
        if let Some(previous) = entries.last() {
            if previous.end > entry.start {
                return Err(error(format!("{:x}-{:x} overlaps or precedes the line before", entry.start, entry.end)));
            }
        }
        entries.push(entry);
    }
    Ok(entries)
}

fn parse_line(line: &str) -> Option<MapsEntry> {
    let mut rest = line;
    let mut field = || {
        let trimmed = rest.trim_start_matches(' ');
        let end = trimmed.find(' ').unwrap_or(trimmed.len());
        let (word, after) = trimmed.split_at(end);
        rest = after;
        word
    };
    let (start, end) = field().split_once('-')?;
    let perms = field().as_bytes().to_vec();
    let offset = field();
    let (major, minor) = field().split_once(':')?;
    let inode = field().parse().ok()?;
    if perms.len() != 4 {
        return None;
    }
    let perms =
        Perms { read: perms[0] == b'r', write: perms[1] == b'w', exec: perms[2] == b'x', shared: perms[3] == b's' };
    let hex = |text: &str| u64::from_str_radix(text, 16).ok();
    Some(MapsEntry {
        start: hex(start)?,
        end: hex(end)?,
        perms,
        offset: hex(offset)?,
        dev: (u32::from_str_radix(major, 16).ok()?, u32::from_str_radix(minor, 16).ok()?),
        inode,
        path: rest.trim_start_matches(' ').to_owned(),
    })
}

/// What a page looks like in a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct PageAttrs<'a> {
    perms: Perms,
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
    Pages { start: u64, end: u64, what: String },
    /// The same pages, cut into VMAs differently: `expected` and `replayed` list the VMAs
    /// (`start-end`) of each layout over the range.
    Vmas { expected: Vec<(u64, u64)>, replayed: Vec<(u64, u64)> },
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
pub fn compare(expected: &[MapsEntry], replayed: &[MapsEntry]) -> Vec<Difference> {
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
fn rename_shared_anonymous(expected: &[MapsEntry], replayed: &[MapsEntry]) -> Vec<MapsEntry> {
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
fn find(layout: &[MapsEntry], addr: u64) -> Option<&MapsEntry> {
    let at = layout.partition_point(|entry| entry.end <= addr);
    layout.get(at).filter(|entry| entry.start <= addr)
}

fn compare_pages(expected: &[MapsEntry], replayed: &[MapsEntry]) -> Vec<Difference> {
    let mut cuts: Vec<u64> = expected.iter().chain(replayed).flat_map(|entry| [entry.start, entry.end]).collect();
    cuts.sort_unstable();
    cuts.dedup();
    let mut differences: Vec<Difference> = Vec::new();
    for window in cuts.windows(2) {
        let (start, end) = (window[0], window[1]);
        let (want, got) = (find(expected, start), find(replayed, start));
        let (want_page, got_page) = (want.map(|e| e.page(start)), got.map(|e| e.page(start)));
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

fn compare_vmas(expected: &[MapsEntry], replayed: &[MapsEntry], pages: &[Difference]) -> Vec<Difference> {
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
