//! Reading the kernel's view: `/proc/self/smaps` entries, parsed.

use std::io::Read;

use maple_vma::VmFlags;

/// One VMA as `/proc/self/smaps` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KernelVma {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) perms: String,
    pub(crate) offset: u64,
    pub(crate) dev: String,
    pub(crate) inode: u64,
    pub(crate) path: String,
    /// The maps line, as printed (without the newline).
    pub(crate) line: String,
    /// The `VmFlags:` mnemonics this crate models.
    pub(crate) flags: VmFlags,
}

/// Parses a maps line into its fields (`path` empty when there is none).
pub(crate) fn parse_line(line: &str) -> (u64, u64, String, u64, String, u64, String) {
    let mut fields = line.splitn(6, ' ');
    let mut next = || fields.next().unwrap_or("");
    let range = next();
    let (a, b) = range.split_once('-').expect("range");
    let perms = next().to_string();
    let offset = u64::from_str_radix(next(), 16).expect("offset");
    let dev = next().to_string();
    let inode = next().parse().expect("inode");
    let path = next().trim_start().to_string();
    (u64::from_str_radix(a, 16).unwrap(), u64::from_str_radix(b, 16).unwrap(), perms, offset, dev, inode, path)
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
            let (start, end, perms, offset, dev, inode, path) = parse_line(line);
            if end > lo && start < hi {
                current = Some(KernelVma {
                    start,
                    end,
                    perms,
                    offset,
                    dev,
                    inode,
                    path,
                    line: line.into(),
                    flags: VmFlags::EMPTY,
                });
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
