//! `/proc/pid/maps`: one line of it as a value ([`MapsLine`]), printed exactly as the kernel
//! prints it and parsed back with a typed error ([`ParseMapsError`]).
//!
//! # The format
//!
//! ```text
//! 7f94379e7000-7f94379eb000 r--p 00000000 fe:00 247706                     /usr/lib/libc.so.6
//! ^start       ^end         ^perms ^offset ^dev ^inode                     ^path (column 74)
//! ```
//!
//! The kernel prints `start-end` and the offset as at least eight lower-case hex digits, the
//! permissions as `r`/`w`/`x` or `-` and `s` (shared, `VM_MAYSHARE`) or `p`, the device as
//! `major:minor` in at least two hex digits each, the inode in decimal, then one space. When
//! the mapping has a name it pads that head with spaces to 72 characters, prints one more
//! space and the name, so that names start in column 74; a head of 72 characters or more is
//! not padded, and its name follows two spaces. Without a name the line ends with the space
//! after the inode. This rule lives in [`MapsLine`]'s `Display` and nowhere else.
//!
//! The name is a file's path (a newline in it is printed as `\012`; a file that was
//! deleted has ` (deleted)` appended), a pseudo-file's name that has a device and inode but
//! no leading `/` (`anon_inode:[perf_event]`, `anon_inode:[io_uring]`, DRM buffers), or a
//! name the kernel gives anonymous memory (`[heap]`, `[stack]`, `[vdso]`, `[anon:name]`,
//! `/dev/zero (deleted)` for shared anonymous memory). [`MapsLine::path`] holds it exactly as
//! printed, so that printing what was parsed gives the same line back.
//!
//! # Parsing
//!
//! [`MapsLine::from_str`](core::str::FromStr) reads one line (without its newline). It is a
//! little more lenient than the kernel is strict: numbers may have fewer digits than the
//! kernel prints, fields may be separated by more than one space, the space after the inode
//! may be missing on a line without a name, and the name may follow a single space instead
//! of the padding. It consumes at most the padding the kernel would print, so a name that
//! begins with spaces survives. [`parse_maps`] reads a whole file and also checks that the
//! mappings are sorted and do not overlap, as every `/proc/pid/maps` file is.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write as _};
use core::str::FromStr;

use crate::flags::VmFlags;

/// Width the kernel pads a named line's head to (before the space and the name).
const NAME_COLUMN: usize = 72;

/// One line of `/proc/pid/maps`.
///
/// ```
/// use maple_vma::maps::{MapsLine, Perms};
///
/// let text = "7f0000001000-7f0000003000 r-xp 00001000 fe:01 1234                       /usr/lib/libc.so.6";
/// let line: MapsLine = text.parse()?;
/// assert_eq!((line.start, line.end, line.offset, line.dev, line.inode), (0x7f0000001000, 0x7f0000003000, 0x1000, (0xfe, 1), 1234));
/// assert_eq!(line.perms, Perms { read: true, write: false, exec: true, shared: false });
/// assert_eq!(line.path, "/usr/lib/libc.so.6");
/// assert_eq!(line.to_string(), text); // the kernel's exact padding
/// # Ok::<(), maple_vma::maps::ParseMapsError>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MapsLine {
    /// First byte of the mapping.
    pub start: u64,
    /// One past its last byte.
    pub end: u64,
    /// The four permission characters.
    pub perms: Perms,
    /// File offset of `start` in bytes (0 for private anonymous memory).
    pub offset: u64,
    /// Device of the file as `(major, minor)`; `(0, 0)` for anonymous memory.
    pub dev: (u32, u32),
    /// Inode of the file; 0 for anonymous memory.
    pub inode: u64,
    /// The name column exactly as the kernel prints it (see the [module docs](self)), or
    /// empty.
    #[doc(alias = "name")]
    pub path: String,
}

impl MapsLine {
    /// Whether the line shows a file (or pseudo-file) mapping: a nonzero inode, or a path.
    /// `anon_inode:[perf_event]` is one, `[heap]` and `[anon:name]` are not.
    pub fn is_file(&self) -> bool {
        self.inode != 0 || self.path.starts_with('/')
    }

    /// The length in bytes (`end - start`; 0 if the line is inverted).
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// Whether the line maps nothing (`start >= end`; never true of a parsed line).
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    /// Writes the head, `start-end perms offset dev inode ` with its trailing space, and
    /// returns how many characters it took.
    fn write_head<W: fmt::Write>(&self, out: &mut W) -> Result<usize, fmt::Error> {
        let mut counted = Counted { inner: out, written: 0 };
        let (major, minor) = self.dev;
        write!(
            counted,
            "{:08x}-{:08x} {} {:08x} {major:02x}:{minor:02x} {} ",
            self.start, self.end, self.perms, self.offset, self.inode
        )?;
        Ok(counted.written)
    }

    /// How many spaces follow the head (`head` characters long, its own trailing space
    /// included) before the name.
    fn name_gap(head: usize) -> usize {
        NAME_COLUMN.saturating_sub(head).saturating_add(1)
    }
}

/// A writer that counts what passes through it.
struct Counted<'a, W> {
    inner: &'a mut W,
    written: usize,
}

impl<W: fmt::Write> fmt::Write for Counted<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.written = self.written.saturating_add(s.len());
        self.inner.write_str(s)
    }
}

/// A writer that drops what it is given (to measure a head).
struct Discard;

impl fmt::Write for Discard {
    fn write_str(&mut self, _: &str) -> fmt::Result {
        Ok(())
    }
}

/// The line exactly as the kernel prints it, without the newline.
impl fmt::Display for MapsLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = self.write_head(f)?;
        if self.path.is_empty() {
            return Ok(());
        }
        for _ in 1..Self::name_gap(head) {
            f.write_char(' ')?;
        }
        f.write_char(' ')?;
        f.write_str(&self.path)
    }
}

/// The permission column: `r`, `w`, `x` or `-`, then `s` (shared) or `p` (private).
///
/// ```
/// use maple_vma::maps::Perms;
///
/// let perms: Perms = "rw-s".parse()?;
/// assert!(perms.read && perms.write && !perms.exec && perms.shared);
/// assert_eq!(perms.to_string(), "rw-s");
/// assert!("rwzp".parse::<Perms>().is_err());
/// # Ok::<(), maple_vma::maps::ParseMapsError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Perms {
    /// `r`: `VM_READ`.
    pub read: bool,
    /// `w`: `VM_WRITE`.
    pub write: bool,
    /// `x`: `VM_EXEC`.
    pub exec: bool,
    /// `s` rather than `p`: `VM_MAYSHARE`.
    pub shared: bool,
}

impl Perms {
    /// The permissions `/proc/pid/maps` shows for a VMA with `flags`.
    pub fn of_flags(flags: VmFlags) -> Self {
        Perms {
            read: flags.contains(VmFlags::READ),
            write: flags.contains(VmFlags::WRITE),
            exec: flags.contains(VmFlags::EXEC),
            shared: flags.contains(VmFlags::MAYSHARE),
        }
    }
}

impl fmt::Display for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flag = |on: bool, c: char| if on { c } else { '-' };
        for c in
            [flag(self.read, 'r'), flag(self.write, 'w'), flag(self.exec, 'x'), if self.shared { 's' } else { 'p' }]
        {
            f.write_char(c)?;
        }
        Ok(())
    }
}

impl FromStr for Perms {
    type Err = ParseMapsError;

    fn from_str(text: &str) -> Result<Self, ParseMapsError> {
        let invalid = || ParseMapsError::new(MapsField::Perms, MapsErrorKind::Invalid, text);
        let &[r, w, x, s] = text.as_bytes() else { return Err(invalid()) };
        let flag = |c: u8, on: u8| match c {
            b'-' => Ok(false),
            c if c == on => Ok(true),
            _ => Err(invalid()),
        };
        let shared = match s {
            b's' => true,
            b'p' => false,
            _ => return Err(invalid()),
        };
        Ok(Perms { read: flag(r, b'r')?, write: flag(w, b'w')?, exec: flag(x, b'x')?, shared })
    }
}

impl FromStr for MapsLine {
    type Err = ParseMapsError;

    /// Parses one line without its newline (see the [module docs](self) for what is
    /// accepted).
    fn from_str(line: &str) -> Result<Self, ParseMapsError> {
        let mut rest = line;
        let range = next_field(&mut rest, MapsField::Range)?;
        let bad_range = |kind| ParseMapsError::new(MapsField::Range, kind, range);
        let (start, end) = range.split_once('-').ok_or_else(|| bad_range(MapsErrorKind::Invalid))?;
        let (start, end) = (hex(start, MapsField::Range)?, hex(end, MapsField::Range)?);
        if start >= end {
            return Err(bad_range(MapsErrorKind::EmptyRange));
        }
        let perms = next_field(&mut rest, MapsField::Perms)?.parse()?;
        let offset = hex(next_field(&mut rest, MapsField::Offset)?, MapsField::Offset)?;
        let dev = next_field(&mut rest, MapsField::Device)?;
        let (major, minor) =
            dev.split_once(':').ok_or_else(|| ParseMapsError::new(MapsField::Device, MapsErrorKind::Invalid, dev))?;
        let number = |text: &str| {
            let value = hex(text, MapsField::Device)?;
            u32::try_from(value).map_err(|_| ParseMapsError::new(MapsField::Device, MapsErrorKind::Invalid, dev))
        };
        let dev = (number(major)?, number(minor)?);
        let inode = decimal(next_field(&mut rest, MapsField::Inode)?)?;
        let mut parsed = MapsLine { start, end, perms, offset, dev, inode, path: String::new() };
        // The name: after at most the head's trailing space and the padding the kernel would
        // print (see `Display`).
        let head = parsed.write_head(&mut Discard).unwrap_or_default();
        let gap = rest.bytes().take(MapsLine::name_gap(head).saturating_add(1)).take_while(|&b| b == b' ').count();
        let path = &rest[gap..];
        if path.contains('\n') {
            return Err(ParseMapsError::new(MapsField::Path, MapsErrorKind::Invalid, path));
        }
        parsed.path = path.into();
        Ok(parsed)
    }
}

/// Takes the next space-separated field off the front of `rest`.
fn next_field<'a>(rest: &mut &'a str, field: MapsField) -> Result<&'a str, ParseMapsError> {
    let trimmed = match field {
        MapsField::Range => *rest,
        _ => rest.trim_start_matches(' '),
    };
    let end = trimmed.find(' ').unwrap_or(trimmed.len());
    let (word, after) = trimmed.split_at(end);
    *rest = after;
    if word.is_empty() {
        return Err(ParseMapsError::new(field, MapsErrorKind::Missing, ""));
    }
    Ok(word)
}

fn hex(text: &str, field: MapsField) -> Result<u64, ParseMapsError> {
    let invalid = || ParseMapsError::new(field, MapsErrorKind::Invalid, text);
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    u64::from_str_radix(text, 16).map_err(|_| invalid())
}

fn decimal(text: &str) -> Result<u64, ParseMapsError> {
    let invalid = || ParseMapsError::new(MapsField::Inode, MapsErrorKind::Invalid, text);
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    text.parse().map_err(|_| invalid())
}

/// Parses a whole `/proc/pid/maps` file: one [`MapsLine`] per non-blank line, which must be
/// sorted and must not overlap. The error names the line (1-based).
///
/// ```
/// use maple_vma::maps::{parse_maps, MapsErrorKind, MapsField};
///
/// let lines = parse_maps("00400000-00401000 r--p 00000000 fe:00 7 /bin/a\n00401000-00402000 rw-p 00000000 00:00 0 \n")?;
/// assert_eq!(lines.len(), 2);
/// let error = parse_maps("00400000-00401000 r--p 00000000 fe:00 7 /bin/a\n00401000-00402000 rwzp 0 00:00 0\n").unwrap_err();
/// assert_eq!((error.line(), error.field(), error.kind()), (2, MapsField::Perms, MapsErrorKind::Invalid));
/// # Ok::<(), maple_vma::maps::ParseMapsError>(())
/// ```
pub fn parse_maps(text: &str) -> Result<Vec<MapsLine>, ParseMapsError> {
    let mut lines: Vec<MapsLine> = Vec::new();
    for (index, text) in text.lines().enumerate() {
        if text.trim().is_empty() {
            continue;
        }
        let at_line = |error: ParseMapsError| ParseMapsError { line: index.saturating_add(1), ..error };
        let line: MapsLine = text.parse().map_err(at_line)?;
        if lines.last().is_some_and(|previous| previous.end > line.start) {
            let range = text.split(' ').next().unwrap_or_default();
            return Err(at_line(ParseMapsError::new(MapsField::Range, MapsErrorKind::Unordered, range)));
        }
        lines.push(line);
    }
    Ok(lines)
}

/// Which field of a maps line is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MapsField {
    /// `start-end`.
    Range,
    /// `rwxp`.
    Perms,
    /// The file offset.
    Offset,
    /// `major:minor`.
    Device,
    /// The inode.
    Inode,
    /// The name.
    Path,
}

/// What is wrong with the field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MapsErrorKind {
    /// The line ends before the field.
    Missing,
    /// The field is not what the kernel prints there (not hex, not decimal, too large,
    /// permissions other than `[r-][w-][x-][ps]`, a newline in the name).
    Invalid,
    /// `start >= end`.
    EmptyRange,
    /// The mapping starts before the previous line's end ([`parse_maps`] only).
    Unordered,
}

/// Why a maps line could not be parsed: the field, what is wrong with it, the offending
/// text, and the line number when a whole file was parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseMapsError {
    line: usize,
    field: MapsField,
    kind: MapsErrorKind,
    text: String,
}

impl ParseMapsError {
    fn new(field: MapsField, kind: MapsErrorKind, text: &str) -> Self {
        // Long garbage is cut in the message (at a character boundary).
        let cut = (0..=text.len().min(40)).rev().find(|&at| text.is_char_boundary(at)).unwrap_or(0);
        ParseMapsError { line: 0, field, kind, text: text[..cut].into() }
    }

    /// The 1-based line number ([`parse_maps`]), or 0 for a single line parsed on its own.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The field that is wrong.
    pub fn field(&self) -> MapsField {
        self.field
    }

    /// What is wrong with it.
    pub fn kind(&self) -> MapsErrorKind {
        self.kind
    }

    /// The offending text (at most 40 bytes of it).
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for ParseMapsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line != 0 {
            write!(f, "line {}: ", self.line)?;
        }
        let (field, expected) = match self.field {
            MapsField::Range => ("address range", "start-end in hex"),
            MapsField::Perms => ("permissions", "[r-][w-][x-][ps], e.g. r-xp"),
            MapsField::Offset => ("offset", "hex"),
            MapsField::Device => ("device", "major:minor in hex"),
            MapsField::Inode => ("inode", "decimal"),
            MapsField::Path => ("name", "one line, a newline printed as \\012"),
        };
        match self.kind {
            MapsErrorKind::Missing => write!(f, "missing {field}"),
            MapsErrorKind::Invalid => write!(f, "bad {field} {:?} (expected {expected})", self.text),
            MapsErrorKind::EmptyRange => write!(f, "empty {field} {}", self.text),
            MapsErrorKind::Unordered => {
                write!(f, "{field} {} overlaps or precedes the line before", self.text)
            }
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for ParseMapsError {}

#[cfg(test)]
#[path = "maps_tests.rs"]
mod tests;
