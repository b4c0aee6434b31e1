//! Address-space operations for the VMA manager's tests and its fuzz target: a generator
//! over a small area (so that operations collide often), their interpreter, and the
//! page-granular oracle ([`oracle`]) they are checked against.
//!
//! The generator draws from any [`Rng`]: a seeded one in the tests, [`BytesRng`] (the fuzz
//! input's bytes) in the `vma_ops` fuzz target, so that the fuzzer steers every choice.

pub mod api;
pub mod oracle;

use std::sync::Arc;

use maple_vma::{AddressSpace, Advice, Config, FileRef, MapFlags, MremapFlags, Prot, VmaError};
use rand::{Rng, RngCore};

/// The page size.
pub const PS: u64 = 4096;
/// The area the operations work in: `AREA_PAGES` pages from `BASE`.
pub const BASE: u64 = 0x1000_0000;
/// Pages in the area.
pub const AREA_PAGES: u64 = 256;

/// One operation (fields named as the system call's arguments; `file` is an index into
/// [`files`] and a page offset).
#[allow(missing_docs)]
#[derive(Clone, Debug)]
pub enum Op {
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
pub fn config() -> Config {
    Config::builder()
        .mmap_base(BASE + AREA_PAGES * PS)
        .mmap_min_addr(BASE)
        .legacy_base(BASE + AREA_PAGES * PS)
        .build()
        .expect("the test area is a valid configuration")
}

/// Two files for file mappings.
pub fn files() -> Vec<Arc<FileRef>> {
    (1..=2).map(|i| Arc::new(FileRef { size_pages: 4096, ..FileRef::new(i, format!("/file{i}")) })).collect()
}

fn page(rng: &mut impl Rng) -> u64 {
    BASE + rng.gen_range(0..AREA_PAGES) * PS
}

/// An address near an existing boundary half of the time.
fn addr(rng: &mut impl Rng, mm: &AddressSpace) -> u64 {
    let bounds: Vec<u64> = mm.iter().flat_map(|v| [v.start(), v.end()]).collect();
    if bounds.is_empty() || rng.gen_bool(0.5) {
        return page(rng);
    }
    let b = bounds[rng.gen_range(0..bounds.len())] as i64 + rng.gen_range(-2i64..=2) * PS as i64;
    (b as u64).clamp(BASE, BASE + (AREA_PAGES - 1) * PS)
}

fn len(rng: &mut impl Rng, at: u64) -> u64 {
    (rng.gen_range(1..=16u64) * PS).min(BASE + AREA_PAGES * PS - at)
}

fn prot(rng: &mut impl Rng) -> Prot {
    [Prot::READ, Prot::READ | Prot::WRITE, Prot::NONE, Prot::READ | Prot::EXEC][rng.gen_range(0..4)]
}

/// A random operation; `fixed_only` keeps every mmap `MAP_FIXED` and every mremap a move to a
/// fixed address, a shrink or a growth in place.
pub fn gen(rng: &mut impl Rng, mm: &AddressSpace, fixed_only: bool) -> Op {
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
pub fn apply(mm: &mut AddressSpace, files: &[Arc<FileRef>], op: &Op) -> Result<u64, VmaError> {
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

/// A random source that reads the fuzz input: each draw takes the next bytes, and an
/// exhausted input reads as zeros (so a short input still decodes to operations).
pub struct BytesRng<'a> {
    data: &'a [u8],
}

impl<'a> BytesRng<'a> {
    /// Draws from `data`.
    pub fn new(data: &'a [u8]) -> Self {
        BytesRng { data }
    }

    /// Whether every byte has been used.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

impl RngCore for BytesRng<'_> {
    fn next_u32(&mut self) -> u32 {
        let mut bytes = [0; 4];
        self.fill_bytes(&mut bytes);
        u32::from_le_bytes(bytes)
    }

    fn next_u64(&mut self) -> u64 {
        let mut bytes = [0; 8];
        self.fill_bytes(&mut bytes);
        u64::from_le_bytes(bytes)
    }

    fn fill_bytes(&mut self, dest: &mut [u8]) {
        let n = dest.len().min(self.data.len());
        dest[..n].copy_from_slice(&self.data[..n]);
        dest[n..].fill(0);
        self.data = &self.data[n..];
    }

    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
        self.fill_bytes(dest);
        Ok(())
    }
}
