//! The page-granular oracle: a `BTreeMap` from page number to that page's attributes (flags,
//! backing object, offset into it), updated page by page with the system calls' semantics.
//! It knows nothing about VMAs, so it checks the splitting, trimming, moving and flag
//! arithmetic independently of how the crate cuts and merges.

use std::collections::{BTreeMap, HashMap};

use super::{Op, AREA_PAGES, BASE, PS};
use maple_vma::{AddressSpace, Advice, Backing, MapFlags, MremapFlags, VmFlags, VmaError};

/// Backing kind and identity: 0 private anonymous, 1 shmem object, 2 file.
pub type Object = (u8, u64);

/// One page's attributes.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    flags: VmFlags,
    object: Object,
    offset: u64,
}

/// The oracle's state.
#[derive(Default)]
pub struct Oracle {
    pages: BTreeMap<u64, Page>,
    /// Size in pages of each shmem object.
    shm_pages: HashMap<u64, u64>,
}

fn page_of(addr: u64) -> u64 {
    addr / PS
}

impl Oracle {
    fn free(&self, first: u64, count: u64) -> bool {
        self.pages.range(first..first + count).next().is_none()
    }

    fn unmap(&mut self, first: u64, count: u64) {
        let keys: Vec<u64> = self.pages.range(first..first + count).map(|(&k, _)| k).collect();
        for k in keys {
            self.pages.remove(&k);
        }
    }

    /// Pages past the end of their object (faults there raise SIGBUS).
    fn past_eof(&self, p: &Page) -> bool {
        match p.object {
            (1, id) => p.offset >= self.shm_pages[&id],
            (2, _) => p.offset >= 4096,
            _ => false,
        }
    }

    /// Walks `count` pages from `first` changing flags; `stop_at_hole` as mprotect/mlock.
    /// Returns whether a hole was met.
    fn change(&mut self, first: u64, count: u64, stop_at_hole: bool, f: impl Fn(&Page) -> VmFlags) -> bool {
        let mut hole = false;
        for p in first..first + count {
            match self.pages.get_mut(&p) {
                Some(page) => page.flags = f(page),
                None if stop_at_hole => return true,
                None => hole = true,
            }
        }
        hole
    }
}

/// Applies `op` (which `mm_before`, the address space before it, ran with result `got`)
/// to the oracle and returns the result it expects (`None`: accept the model's
/// result, used for addresses chosen by placement, which the oracle then checks).
pub fn apply(o: &mut Oracle, mm_before: &AddressSpace, op: &Op, got: Result<u64, VmaError>) -> Result<u64, VmaError> {
    let anon_before = |p: u64| mm_before.vma_lookup(p * PS).is_some_and(|v| v.anon().is_some());
    match *op {
        Op::Mmap { addr, len, prot, flags, file } => {
            let count = len / PS;
            let Ok(at) = got else { return got };
            let first = page_of(at);
            if flags.contains(MapFlags::FIXED) {
                assert_eq!(at, addr);
            } else if addr != 0 && o.free(page_of(addr), count) {
                assert_eq!(at, addr, "a free hint is honoured");
            } else {
                assert!(
                    o.free(first, count) && at >= BASE && at + len <= BASE + AREA_PAGES * PS,
                    "placed on free pages"
                );
            }
            o.unmap(first, count);
            let shared = flags.contains(MapFlags::SHARED);
            let mut vm = prot.vm_flags() | VmFlags::MAYREAD | VmFlags::MAYWRITE | VmFlags::MAYEXEC;
            if shared {
                vm |= VmFlags::SHARED | VmFlags::MAYSHARE;
            }
            vm.set(VmFlags::NORESERVE, flags.contains(MapFlags::NORESERVE));
            if (vm & (VmFlags::NORESERVE | VmFlags::SHARED | VmFlags::WRITE)) == VmFlags::WRITE {
                vm |= VmFlags::ACCOUNT;
            }
            let vma = mm_before_object(at, got, file, shared, o, count);
            for i in 0..count {
                let (object, offset) = match vma {
                    (0, _, _) => ((0, 0), first + i),
                    (kind, id, base) => ((kind, id), base + i),
                };
                o.pages.insert(first + i, Page { flags: vm, object, offset });
            }
            got
        }
        Op::Munmap { addr, len } => {
            o.unmap(page_of(addr), len / PS);
            Ok(0)
        }
        Op::Mprotect { addr, len, prot } => {
            let first = page_of(addr);
            if !o.pages.contains_key(&first) {
                return Err(VmaError::NotMapped);
            }
            for p in first..first + len / PS {
                let Some(page) = o.pages.get_mut(&p) else { return Err(VmaError::NotMapped) };
                let old = page.flags;
                let mut new = prot.vm_flags() | old.difference(VmFlags::ACCESS);
                if new != old {
                    // VM_ACCOUNT: charged when a private mapping becomes writable, dropped when
                    // private anonymous memory that was never written becomes read-only.
                    if new.contains(VmFlags::WRITE) {
                        let no_charge = VmFlags::ACCOUNT | VmFlags::WRITE | VmFlags::SHARED | VmFlags::NORESERVE;
                        if !old.intersects(no_charge) {
                            new |= VmFlags::ACCOUNT;
                        }
                    } else if old.contains(VmFlags::ACCOUNT) && page.object.0 == 0 && !anon_before(p) {
                        new.remove(VmFlags::ACCOUNT);
                    }
                }
                page.flags = new;
            }
            Ok(0)
        }
        Op::Madvise { addr, len, advice } => {
            let hole = o.change(page_of(addr), len / PS, false, |page| {
                let mut f = page.flags;
                match advice {
                    Advice::DontFork => f.insert(VmFlags::DONTCOPY),
                    Advice::DoFork => f.remove(VmFlags::DONTCOPY),
                    Advice::DontDump => f.insert(VmFlags::DONTDUMP),
                    Advice::DoDump => f.remove(VmFlags::DONTDUMP),
                    Advice::Random => f = f.difference(VmFlags::SEQ_READ) | VmFlags::RAND_READ,
                    _ => unreachable!("not generated"),
                }
                f
            });
            if hole {
                Err(VmaError::NotMapped)
            } else {
                Ok(0)
            }
        }
        Op::Mlock { addr, len } | Op::Munlock { addr, len } => {
            let lock = matches!(op, Op::Mlock { .. });
            let (first, count) = (page_of(addr), len / PS);
            if !o.pages.contains_key(&first) {
                return Err(VmaError::NotMapped);
            }
            let hole = o.change(first, count, true, |page| {
                let mut f = page.flags.difference(VmFlags::LOCKED_MASK);
                f.set(VmFlags::LOCKED, lock);
                f
            });
            let populate_fails = lock
                && (first..first + count)
                    .any(|p| o.pages.get(&p).is_some_and(|pg| !pg.flags.intersects(VmFlags::ACCESS) || o.past_eof(pg)));
            if hole || populate_fails {
                Err(VmaError::NotMapped)
            } else {
                Ok(0)
            }
        }
        Op::Fault { addr, write } => match o.pages.get(&page_of(addr)) {
            None => Err(VmaError::Fault),
            Some(p) if write && !p.flags.contains(VmFlags::WRITE) => Err(VmaError::Fault),
            Some(p) if !p.flags.intersects(VmFlags::ACCESS) => Err(VmaError::Fault),
            Some(p) if o.past_eof(p) => Err(VmaError::Bus),
            Some(_) => Ok(0),
        },
        Op::Mremap { addr, old_len, new_len, flags, new_addr } => {
            let (first, old, new) = (page_of(addr), old_len / PS, new_len / PS);
            if !flags.contains(MremapFlags::FIXED) {
                if new <= old {
                    o.unmap(first + new, old - new);
                    return Ok(addr);
                }
                if !o.free(first + old, new - old) {
                    return Err(VmaError::NoSpace);
                }
                let last = o.pages[&(first + old - 1)];
                for i in old..new {
                    o.pages.insert(first + i, Page { offset: last.offset + (i - old + 1), ..last });
                }
                return Ok(addr);
            }
            let to = page_of(new_addr);
            if (to <= first && to + new > first) || (first <= to && first + old > to) {
                return Err(VmaError::Invalid);
            }
            o.unmap(to, new);
            o.unmap(first + new.min(old), old.saturating_sub(new));
            let untouched = !anon_before(first);
            for i in 0..new.min(old) {
                let mut page = o.pages.remove(&(first + i)).expect("source mapped");
                if page.object.0 == 0 && untouched {
                    page.offset = to + i;
                }
                o.pages.insert(to + i, page);
            }
            Ok(new_addr)
        }
    }
}

/// The object of a new mapping as (kind, id, offset of its first page).
fn mm_before_object(
    at: u64,
    got: Result<u64, VmaError>,
    file: Option<(usize, u64)>,
    shared: bool,
    o: &mut Oracle,
    count: u64,
) -> (u8, u64, u64) {
    let _ = (at, got);
    match file {
        Some((f, pgoff)) => (2, f as u64 + 1, pgoff),
        None if shared => {
            let id = o.shm_pages.len() as u64 + 1;
            o.shm_pages.insert(id, count);
            (1, id, 0)
        }
        None => (0, 0, 0),
    }
}

fn object_of(b: &Backing) -> Object {
    match b {
        Backing::Anonymous => (0, 0),
        Backing::SharedAnonymous { object, .. } => (1, *object),
        Backing::File(f) => (2, f.id),
    }
}

/// Validates the address space and compares every mapped page with the oracle, in one pass
/// over the VMAs and the oracle's pages in address order (no lookups); panics on a
/// difference.
pub fn check(mm: &AddressSpace, o: &Oracle, op: &Op) {
    mm.validate().unwrap_or_else(|v| panic!("after {op:?}: {v}"));
    let mut want = o.pages.iter();
    for v in mm.iter() {
        let (object, first) = (object_of(v.backing()), page_of(v.start()));
        for i in 0..v.len() / PS {
            let got = Page { flags: v.flags(), object, offset: v.pgoff() + i };
            let page = first + i;
            let area = page.wrapping_sub(page_of(BASE)) as i64;
            assert_eq!(want.next(), Some((&page, &got)), "page {area} (of the area) after {op:?}");
        }
    }
    assert_eq!(want.next(), None, "a page the oracle maps is unmapped after {op:?}");
}

/// Runs `ops` operations drawn from `rng` on a fresh address space and the oracle (fixed
/// placements only when `fixed_only`) while `more(rng)` holds, checking after every one;
/// panics on a difference. Returns how many operations ran.
pub fn run<R: rand::Rng>(rng: &mut R, ops: usize, fixed_only: bool, more: impl Fn(&R) -> bool) -> usize {
    let files = super::files();
    let mut mm: AddressSpace = AddressSpace::new(super::config());
    let mut o = Oracle::default();
    let mut done = 0;
    while done < ops && more(rng) {
        let op = super::gen(rng, &mm, fixed_only);
        let before = mm.clone();
        let got = super::apply(&mut mm, &files, &op);
        let expected = apply(&mut o, &before, &op, got);
        assert_eq!(got, expected, "{op:?}");
        check(&mm, &o, &op);
        done += 1;
    }
    done
}
