//! Reading the kernel's view: `/proc/self/smaps` entries, parsed with `maple_vma::maps`.

use std::io::Read;

use maple_vma::maps::MapsLine;
use maple_vma::VmFlags;

/// One VMA as `/proc/self/smaps` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KernelVma {
    /// Its maps line, parsed.
    pub(crate) maps: MapsLine,
    /// The maps line, as printed (without the newline).
    pub(crate) line: String,
    /// The `VmFlags:` mnemonics this crate models.
    pub(crate) flags: VmFlags,
}

/// Parses a maps line the kernel printed, and checks that printing it gives it back.
fn parse_line(line: &str) -> MapsLine {
    let maps: MapsLine = line.parse().unwrap_or_else(|error| panic!("the kernel's maps line `{line}`: {error}"));
    assert_eq!(maps.to_string(), line, "the kernel's maps line, printed back");
    maps
}

/// Reads `/proc/self/smaps` into `buf` (whose capacity is reused, so that reading does not
/// allocate new memory mappings) and returns the entries that intersect `[lo, hi)`.
pub(crate) fn read_smaps(buf: &mut String, lo: u64, hi: u64) -> Vec<KernelVma> {
    buf.clear();
    let mut file = std::fs::File::open("/proc/self/smaps").expect("open smaps");
    file.read_to_string(buf).expect("read smaps");
    let mut out = Vec::new();
    let mut current: Option<KernelVma> = None;
    for line in buf.lines() {
        let first = line.split(' ').next().unwrap_or("");
        if first.contains('-') && !first.ends_with(':') {
            if let Some(v) = current.take() {
                out.push(v);
            }
            let maps = parse_line(line);
            if maps.end > lo && maps.start < hi {
                current = Some(KernelVma { maps, line: line.into(), flags: VmFlags::EMPTY });
            }
        } else if let (Some(v), Some(rest)) = (current.as_mut(), line.strip_prefix("VmFlags:")) {
            for m in rest.split_whitespace() {
                if let Some(f) = VmFlags::from_mnemonic(m) {
                    v.flags |= f;
                }
            }
        }
    }
    out.extend(current);
    out
}
