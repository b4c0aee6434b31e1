//! The page model: the dumb oracle of an address space for the replay. It keeps what each
//! page looks like in `/proc/pid/maps` (permissions, file identity and offset, name) in
//! ranges of identical pages, and applies each system call at the addresses the kernel
//! returned. It knows nothing of VMA merging rules: the VMAs it prints are maximal runs of
//! pages that `/proc/pid/maps` could not tell apart, so its page differences are meaningful
//! and its VMA differences are not. It checks that each call makes sense for the layout (a
//! successful `mprotect` must cover mapped pages, a moved `mremap` source must exist).

use std::collections::BTreeMap;

use crate::flags::{MAP_ANONYMOUS, MAP_SHARED, MAP_SHARED_VALIDATE, MREMAP_FIXED};
use maple_vma::maps::{MapsLine, Perms};

use crate::maps::{PAGE, SHARED_ANONYMOUS};

/// What a run of pages looks like.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Attrs {
    pub(crate) perms: Perms,
    /// File offset of the run's first page (0 for anonymous memory).
    pub(crate) offset: u64,
    pub(crate) dev: (u32, u32),
    pub(crate) inode: u64,
    pub(crate) path: String,
    /// `MADV_DONTFORK`: a child does not get these pages. Not shown in `/proc/pid/maps`.
    pub(crate) dontfork: bool,
}

impl Attrs {
    /// The same attributes `delta` bytes further into the run. Within a run this cannot
    /// overflow: every file run ends at an offset that fits in a `u64` (see [`PageModel`]);
    /// past it (an `mremap` that grows the run) [`Attrs::grown`] checks.
    fn advanced(&self, delta: u64) -> Attrs {
        let offset = if self.is_file() { self.offset.saturating_add(delta) } else { 0 };
        Attrs { offset, ..self.clone() }
    }

    /// The attributes of `len` more bytes `delta` bytes into the run, if the file offsets of
    /// those bytes fit in a `u64`.
    fn grown(&self, delta: u64, len: u64) -> Option<Attrs> {
        if self.is_file() {
            self.offset.checked_add(delta)?.checked_add(len)?;
        }
        Some(self.advanced(delta))
    }

    fn is_file(&self) -> bool {
        self.inode != 0 || self.path.starts_with('/')
    }
}

/// Pages of an address space, as runs: start -> (end, attributes).
///
/// Every file run's last byte has a file offset that fits in a `u64`: the replay checks the
/// start layout and each successful `mmap` before they reach the model
/// ([`crate::apply::Space`]), and an `mremap` that grows a file run checks the grown part.
#[derive(Clone, Debug, Default)]
pub struct PageModel {
    runs: BTreeMap<u64, (u64, Attrs)>,
    /// The program break and where the heap starts, once known.
    pub(crate) brk: Option<(u64, u64)>,
}

pub(crate) fn page_up(addr: u64) -> u64 {
    addr.saturating_add(PAGE - 1) & !(PAGE - 1)
}

impl PageModel {
    /// The model of a `/proc/pid/maps` layout. The heap (`[heap]`) gives the program break.
    ///
    /// ```
    /// use maple_replay::maps::parse_layout;
    /// use maple_replay::model::PageModel;
    ///
    /// let layout = parse_layout("00400000-00402000 r--p 00000000 fe:00 7 /bin/a\n00600000-00601000 rw-p 00000000 00:00 0 [heap]\n")?;
    /// let model = PageModel::from_layout(&layout);
    /// assert_eq!(model.layout(), layout);
    /// # Ok::<(), maple_replay::strace::ParseError>(())
    /// ```
    pub fn from_layout(layout: &[MapsLine]) -> Self {
        let mut model = PageModel::default();
        for entry in layout {
            let attrs = Attrs {
                perms: entry.perms,
                offset: entry.offset,
                dev: entry.dev,
                inode: entry.inode,
                path: entry.path.clone(),
                dontfork: false,
            };
            model.runs.insert(entry.start, (entry.end, attrs));
            if entry.path == "[heap]" {
                model.brk = Some((entry.start, entry.end));
            }
        }
        model
    }

    /// Cuts the run containing `addr` (if any) so that a run starts at `addr`.
    fn cut(&mut self, addr: u64) {
        let found = self.runs.range(..addr).next_back().map(|(&start, (end, attrs))| (start, *end, attrs.clone()));
        if let Some((start, end, attrs)) = found {
            if end > addr {
                self.runs.insert(start, (addr, attrs.clone()));
                self.runs.insert(addr, (end, attrs.advanced(addr - start)));
            }
        }
    }

    /// Removes `[start, end)` and returns the runs that were there.
    pub(crate) fn remove(&mut self, start: u64, end: u64) -> Vec<(u64, u64, Attrs)> {
        if start >= end {
            return Vec::new();
        }
        self.cut(start);
        self.cut(end);
        let keys: Vec<u64> = self.runs.range(start..end).map(|(&key, _)| key).collect();
        keys.into_iter()
            .filter_map(|key| self.runs.remove(&key).map(|(run_end, attrs)| (key, run_end, attrs)))
            .collect()
    }

    /// Maps `[start, end)` with `attrs`, replacing what was there.
    /// An empty or inverted range (a corrupt log) maps nothing.
    pub(crate) fn map(&mut self, start: u64, end: u64, attrs: Attrs) {
        if start >= end {
            return;
        }
        self.remove(start, end);
        self.runs.insert(start, (end, attrs));
    }

    /// The first unmapped address in `[start, end)`, if any.
    pub(crate) fn first_hole(&self, start: u64, end: u64) -> Option<u64> {
        let mut at = start;
        if let Some((_, (run_end, _))) = self.runs.range(..start).next_back() {
            at = at.max(*run_end);
        }
        for (&run_start, (run_end, _)) in self.runs.range(start..end) {
            if run_start > at {
                return Some(at);
            }
            at = at.max(*run_end);
        }
        (at < end).then_some(at)
    }

    /// Sets the permissions of `[start, end)`; fails naming the first hole.
    pub(crate) fn protect(&mut self, start: u64, end: u64, perms: Perms) -> Result<(), String> {
        if let Some(hole) = self.first_hole(start, end) {
            return Err(format!("the kernel changed {start:x}-{end:x}, but {hole:x} is unmapped in the replay"));
        }
        for (run_start, run_end, attrs) in self.remove(start, end) {
            self.runs
                .insert(run_start, (run_end, Attrs { perms: Perms { shared: attrs.perms.shared, ..perms }, ..attrs }));
        }
        Ok(())
    }

    /// `MADV_DONTFORK` (`on`) or `MADV_DOFORK` over `[start, end)`.
    pub(crate) fn set_dontfork(&mut self, start: u64, end: u64, on: bool) {
        for (run_start, run_end, attrs) in self.remove(start, end) {
            self.runs.insert(run_start, (run_end, Attrs { dontfork: on, ..attrs }));
        }
    }

    /// The child's pages after a fork: all but the `MADV_DONTFORK` ones.
    pub fn fork(&self) -> PageModel {
        let runs = self.runs.iter().filter(|(_, (_, attrs))| !attrs.dontfork).map(|(&k, v)| (k, v.clone())).collect();
        PageModel { runs, brk: self.brk }
    }

    /// The layout in `/proc/pid/maps` form: runs that print alike and continue each other
    /// (adjacent, same attributes, contiguous file offsets) are one entry.
    pub fn layout(&self) -> Vec<MapsLine> {
        let mut entries: Vec<MapsLine> = Vec::new();
        for (&start, (end, attrs)) in &self.runs {
            if let Some(last) = entries.last_mut() {
                let continues = last.end == start
                    && last.perms == attrs.perms
                    && (last.dev, last.inode, &last.path) == (attrs.dev, attrs.inode, &attrs.path)
                    && (!attrs.is_file() || last.offset.checked_add(last.end - last.start) == Some(attrs.offset));
                if continues {
                    last.end = *end;
                    continue;
                }
            }
            let offset = if attrs.is_file() { attrs.offset } else { 0 };
            entries.push(MapsLine {
                start,
                end: *end,
                perms: attrs.perms,
                offset,
                dev: attrs.dev,
                inode: attrs.inode,
                path: attrs.path.clone(),
            });
        }
        entries
    }

    /// `mmap` at `addr` (what the kernel returned). `identity` gives a file's device and
    /// inode by path, as far as known.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn mmap(
        &mut self,
        addr: u64,
        len: u64,
        prot: u64,
        flags: u64,
        path: Option<&str>,
        offset: u64,
        identity: (u32, u32, u64),
    ) {
        let shared = flags & MAP_SHARED_VALIDATE == MAP_SHARED || flags & MAP_SHARED_VALIDATE == MAP_SHARED_VALIDATE;
        let perms = perms_of(prot, shared);
        let attrs = match path {
            Some(path) if flags & MAP_ANONYMOUS == 0 => Attrs {
                perms,
                offset,
                dev: (identity.0, identity.1),
                inode: identity.2,
                path: path.to_owned(),
                dontfork: false,
            },
            // Shared anonymous memory is a new shmem object each time, shown as a deleted file
            // named /dev/zero; its inode is unknowable, so its first page number stands in.
            _ if shared => Attrs {
                perms,
                offset: 0,
                dev: (0, 1),
                inode: addr / PAGE,
                path: SHARED_ANONYMOUS.into(),
                dontfork: false,
            },
            _ => Attrs { perms, offset: 0, dev: (0, 0), inode: 0, path: String::new(), dontfork: false },
        };
        self.map(addr, addr + page_up(len), attrs);
    }

    /// `mremap` that returned `ret`.
    pub(crate) fn mremap(&mut self, addr: u64, old_len: u64, new_len: u64, flags: u64, ret: u64) -> Result<(), String> {
        let (old_len, new_len) = (page_up(old_len), page_up(new_len));
        let dontunmap = flags & 0x4 != 0;
        let copy_len = if old_len == 0 { new_len } else { old_len.min(new_len) };
        if let Some(hole) = self.first_hole(addr, addr + copy_len) {
            return Err(format!("mremap source {:x}-{:x} has a hole at {hole:x} in the replay", addr, addr + copy_len));
        }
        let grown = new_len.saturating_sub(copy_len);
        let last = match self.runs.range(..addr + copy_len).next_back() {
            Some((&start, (_, attrs))) => Some(
                attrs
                    .grown(addr + copy_len - start, grown)
                    .ok_or("mremap grows a file mapping past the largest file offset")?,
            ),
            None => None,
        };
        let moved: Vec<(u64, u64, Attrs)> = if old_len == 0 || dontunmap {
            let taken = self.remove(addr, addr + copy_len);
            for (start, end, attrs) in &taken {
                self.runs.insert(*start, (*end, attrs.clone()));
            }
            taken
        } else {
            let taken = self.remove(addr, addr + copy_len);
            self.remove(addr + copy_len, addr + old_len);
            taken
        };
        if ret != addr || flags & MREMAP_FIXED != 0 {
            self.remove(ret, ret + new_len);
        }
        for (start, end, attrs) in moved {
            self.runs.insert(ret + (start - addr), (ret + (end - addr), attrs));
        }
        if new_len > copy_len {
            if let Some(attrs) = last {
                self.map(ret + copy_len, ret + new_len, attrs);
            }
        }
        Ok(())
    }

    /// `brk(addr)` that returned `ret` (the new break, or the old one on failure).
    pub(crate) fn brk(&mut self, addr: u64, ret: u64) {
        let (start_brk, old) = *self.brk.get_or_insert((ret, ret));
        if addr == 0 || ret != addr {
            return;
        }
        let heap = |model: &mut PageModel, from: u64, to: u64| {
            let attrs = Attrs {
                perms: perms_of(3, false),
                offset: 0,
                dev: (0, 0),
                inode: 0,
                path: "[heap]".into(),
                dontfork: false,
            };
            model.map(from, to, attrs);
        };
        let (old_end, new_end) = (page_up(old), page_up(ret));
        if new_end > old_end {
            heap(self, old_end.max(page_up(start_brk)), new_end);
        } else if new_end < old_end {
            self.remove(new_end, old_end);
        }
        self.brk = Some((start_brk, ret));
    }
}

/// `/proc/pid/maps` permissions from `PROT_*` bits.
pub(crate) fn perms_of(prot: u64, shared: bool) -> Perms {
    Perms { read: prot & 1 != 0, write: prot & 2 != 0, exec: prot & 4 != 0, shared }
}
