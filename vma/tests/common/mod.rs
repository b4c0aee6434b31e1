//! Shared by the model-only tests: a seeded generator of address-space operations over a
//! small area (so that operations collide often) and their interpreter.
#![allow(dead_code)]

use std::sync::Arc;

use maple_vma::{AddressSpace, Advice, Config, FileRef, MapFlags, MremapFlags, Prot, VmaError};
use rand::rngs::SmallRng;
use rand::Rng;

pub(crate) const PS: u64 = 4096;
/// The area the operations work in: `AREA_PAGES` pages from `BASE`.
pub(crate) const BASE: u64 = 0x1000_0000;
pub(crate) const AREA_PAGES: u64 = 256;

/// One operation.
#[derive(Clone, Debug)]
pub(crate) enum Op {
    Mmap { addr: u64, len: u64, prot: Prot, flags: MapFlags, file: Option<(usize, u64)> },
    Munmap { addr: u64, len: u64 },
    Mprotect { addr: u64, len: u64, prot: Prot },
    Mremap { addr: u64, old_len: u64, new_len: u64, flags: MremapFlags, new_addr: u64 },
    Madvise { addr: u64, len: u64, advice: Advice },
    Mlock { addr: u64, len: u64 },
    Munlock { addr: u64, len: u64 },
    Fault { addr: u64, write: bool },
}

/// A config whose top-down area is the test area.
pub(crate) fn config() -> Config {
    Config {
        mmap_base: BASE + AREA_PAGES * PS,
        mmap_min_addr: BASE,
        legacy_base: BASE + AREA_PAGES * PS,
        ..Config::default()
    }
}

/// Two files for file mappings.
pub(crate) fn files() -> Vec<Arc<FileRef>> {
    (1..=2).map(|i| Arc::new(FileRef { size_pages: 4096, ..FileRef::new(i, format!("/file{i}")) })).collect()
}

fn page(rng: &mut SmallRng) -> u64 {
    BASE + rng.gen_range(0..AREA_PAGES) * PS
}

/// An address near an existing boundary half of the time.
fn addr(rng: &mut SmallRng, mm: &AddressSpace) -> u64 {
    let bounds: Vec<u64> = mm.iter().flat_map(|v| [v.start(), v.end()]).collect();
    if bounds.is_empty() || rng.gen_bool(0.5) {
        return page(rng);
    }
    let b = bounds[rng.gen_range(0..bounds.len())] as i64 + rng.gen_range(-2i64..=2) * PS as i64;
    (b as u64).clamp(BASE, BASE + (AREA_PAGES - 1) * PS)
}

fn len(rng: &mut SmallRng, at: u64) -> u64 {
    (rng.gen_range(1..=16u64) * PS).min(BASE + AREA_PAGES * PS - at)
}

fn prot(rng: &mut SmallRng) -> Prot {
    [Prot::READ, Prot::READ | Prot::WRITE, Prot::NONE, Prot::READ | Prot::EXEC][rng.gen_range(0..4)]
}

/// A random operation; `fixed_only` keeps every mmap `MAP_FIXED` and every mremap a move to a
/// fixed address, a shrink or a growth in place.
pub(crate) fn gen(rng: &mut SmallRng, mm: &AddressSpace, fixed_only: bool) -> Op {
    let at = addr(rng, mm);
    let len = len(rng, at);
    match rng.gen_range(0..100) {
        0..=34 => {
            let mut flags = match rng.gen_range(0..10) {
                0..=5 => MapFlags::PRIVATE | MapFlags::ANONYMOUS,
                6 => MapFlags::SHARED | MapFlags::ANONYMOUS,
                7 | 8 => MapFlags::PRIVATE,
                _ => MapFlags::SHARED,
            };
            let file = (!flags.contains(MapFlags::ANONYMOUS)).then(|| {
                let linear = (at - BASE) / PS;
                (rng.gen_range(0..2), if rng.gen_bool(0.7) { linear } else { rng.gen_range(0..512) })
            });
            let addr = if fixed_only || rng.gen_bool(0.6) {
                flags |= MapFlags::FIXED;
                at
            } else if rng.gen_bool(0.5) {
                at
            } else {
                0
            };
            if rng.gen_bool(0.1) {
                flags |= MapFlags::NORESERVE;
            }
            Op::Mmap { addr, len, prot: prot(rng), flags, file }
        }
        35..=49 => Op::Munmap { addr: at, len },
        50..=69 => Op::Mprotect { addr: at, len, prot: prot(rng) },
        70..=81 => {
            let Some(v) = mm.vma_lookup(at) else { return Op::Munmap { addr: at, len } };
            let tail = v.end() - at;
            let (flags, new_len, new_addr) = match rng.gen_range(0..4) {
                0 => (MremapFlags::EMPTY, rng.gen_range(1..=tail / PS) * PS, 0),
                1 => (MremapFlags::EMPTY, tail + rng.gen_range(1..=4) * PS, 0),
                2 if !fixed_only => (MremapFlags::MAYMOVE, tail + rng.gen_range(1..=4) * PS, 0),
                _ => {
                    let to = page(rng);
                    (MremapFlags::MAYMOVE | MremapFlags::FIXED, tail.min(BASE + AREA_PAGES * PS - to), to)
                }
            };
            Op::Mremap { addr: at, old_len: tail, new_len, flags, new_addr }
        }
        82..=89 => {
            let advice = [Advice::DontFork, Advice::DoFork, Advice::DontDump, Advice::DoDump, Advice::Random]
                [rng.gen_range(0..5)];
            Op::Madvise { addr: at, len, advice }
        }
        90..=92 => Op::Mlock { addr: at, len },
        93..=94 => Op::Munlock { addr: at, len },
        _ => Op::Fault { addr: at, write: rng.gen_bool(0.7) },
    }
}

/// Applies `op`; the address of mmap/mremap, else 0.
pub(crate) fn apply(mm: &mut AddressSpace, files: &[Arc<FileRef>], op: &Op) -> Result<u64, VmaError> {
    match *op {
        Op::Mmap { addr, len, prot, flags, file } => {
            mm.mmap(addr, len, prot, flags, file.map(|(f, pgoff)| (files[f].clone(), pgoff)))
        }
        Op::Munmap { addr, len } => mm.munmap(addr, len).map(|()| 0),
        Op::Mprotect { addr, len, prot } => mm.mprotect(addr, len, prot).map(|()| 0),
        Op::Mremap { addr, old_len, new_len, flags, new_addr } => mm.mremap(addr, old_len, new_len, flags, new_addr),
        Op::Madvise { addr, len, advice } => mm.madvise(addr, len, advice).map(|()| 0),
        Op::Mlock { addr, len } => mm.mlock(addr, len, false).map(|()| 0),
        Op::Munlock { addr, len } => mm.munlock(addr, len).map(|()| 0),
        Op::Fault { addr, write } => mm.fault(addr, write).map(|_| 0),
    }
}

/// Everything observable about an address space, for equality checks.
pub(crate) fn dump(mm: &AddressSpace) -> String {
    format!("{mm:?}\n{mm}")
}

/// Scenario helpers: addresses are page numbers from `BASE`.
pub(crate) fn at(page: u64) -> u64 {
    BASE + page * PS
}

/// `mmap(MAP_FIXED)` of private anonymous memory at page `page`.
pub(crate) fn map(mm: &mut AddressSpace, page: u64, pages: u64, prot: Prot) -> Result<u64, VmaError> {
    mm.mmap(at(page), pages * PS, prot, MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED, None)
        .map(|a| (a - BASE) / PS)
}

/// The layout as `[start,end) perms` in pages from `BASE`, with ` f<file>@<pgoff>` for file
/// and shared memory, ` +` for VMAs that have anonymous memory.
pub(crate) fn layout(mm: &AddressSpace) -> String {
    layout_of(mm, mm.iter())
}

/// [`layout`] of the test area only.
pub(crate) fn area_layout(mm: &AddressSpace) -> String {
    layout_of(mm, mm.range(BASE..BASE + AREA_PAGES * PS))
}

fn layout_of<'a>(mm: &AddressSpace, vmas: impl Iterator<Item = &'a maple_vma::Vma>) -> String {
    let mut out = Vec::new();
    for v in vmas {
        let line = mm.maps_line(v);
        let perms = line.split(' ').nth(1).unwrap_or("");
        let mut s = format!("[{},{}) {perms}", (v.start() as i64 - BASE as i64) / PS as i64, (v.end() - BASE) / PS);
        match v.backing() {
            maple_vma::Backing::Anonymous => {}
            maple_vma::Backing::SharedAnonymous { object, .. } => s += &format!(" shm{object}@{}", v.pgoff()),
            maple_vma::Backing::File(f) => s += &format!(" f{}@{}", f.id, v.pgoff()),
        }
        if v.anon().is_some() {
            s += " +";
        }
        out.push(s);
    }
    out.join(" ")
}

/// A fresh space whose top-down area is the test area.
pub(crate) fn space() -> AddressSpace {
    AddressSpace::new(config())
}
