//! Operation generation, the two interpreters (kernel and model) and the comparison.

use std::collections::HashMap;
use std::fmt::Write;
use std::os::fd::{AsFd, OwnedFd};
use std::sync::Arc;

use maple_vma::maps::MapsLine;
use maple_vma::{
    AddressSpace, Advice, Backing, Config, FileKind, FileRef, MapFlags, MremapFlags, Prot, VmFlags, VmaError,
};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use maple_testkit::sys::Window;

use crate::maps;

const PS: u64 = 4096;
const WINDOW_PAGES: u64 = 1024;
const FILE_PAGES: u64 = 4096;
/// Flags compared: everything modelled except soft-dirty and KSM's mergeable bit.
const COMPARED: VmFlags = VmFlags::ALL.difference(VmFlags::SOFTDIRTY).difference(VmFlags::MERGEABLE);

/// One operation, in system-call terms (raw flag bits).
#[derive(Clone, Debug)]
pub(crate) enum Op {
    Mmap { addr: u64, len: u64, prot: u32, flags: u32, file: Option<(usize, u64)> },
    Munmap { addr: u64, len: u64 },
    Mprotect { addr: u64, len: u64, prot: u32 },
    Mremap { addr: u64, old_len: u64, new_len: u64, flags: u32, new_addr: u64 },
    Madvise { addr: u64, len: u64, advice: Advice },
    Mlock { addr: u64, len: u64, on_fault: bool },
    Munlock { addr: u64, len: u64 },
    Touch { addr: u64, write: bool },
}

#[derive(Default)]
pub(crate) struct Stats {
    pub(crate) ops: usize,
    pub(crate) compared: usize,
    pub(crate) skipped: usize,
}

pub(crate) struct Live {
    window: Window,
    guard_lo: u64,
    win: u64,
    win_end: u64,
    memfds: Vec<(OwnedFd, Arc<FileRef>)>,
    buf: String,
    pub(crate) stats: Stats,
}

struct Run {
    model: AddressSpace,
    rng: SmallRng,
    /// Model shmem object -> kernel inode, learned on first sight.
    shm: HashMap<u64, u64>,
    log: Vec<String>,
}

fn dev_string(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

impl Live {
    /// Reserves the window and its guards, fills the gaps above it, creates the memfds.
    pub(crate) fn setup() -> Option<Live> {
        let mut buf = String::with_capacity(32 << 20);
        maps::read_smaps(&mut buf, 0, 1).len();
        // SAFETY: the test creates no mapping by other means while it runs: its one large
        // buffer (`buf`, for reading smaps) is allocated above, before the window, and the
        // test runs on the test harness's thread alone.
        #[allow(unsafe_code)]
        let window = unsafe { Window::reserve(WINDOW_PAGES)? };
        let (guard_lo, win, win_end) = (window.guard_lo(), window.start(), window.end());
        let mut memfds = Vec::new();
        for i in 0..2 {
            let name = format!("maple-vma-{i}");
            let fd = rustix::fs::memfd_create(name.as_str(), rustix::fs::MemfdFlags::CLOEXEC).ok()?;
            rustix::fs::ftruncate(&fd, FILE_PAGES * PS).ok()?;
            let st = rustix::fs::fstat(&fd).ok()?;
            let file = FileRef {
                id: i as u64 + 1,
                dev: dev_string(st.st_dev),
                inode: st.st_ino,
                path: format!("/memfd:{name} (deleted)"),
                writable: true,
                has_close: false,
                size_pages: FILE_PAGES,
                kind: FileKind::Regular,
            };
            memfds.push((fd, Arc::new(file)));
        }
        Some(Live { window, guard_lo, win, win_end, memfds, buf, stats: Stats::default() })
    }

    /// One seed: an empty window, `ops` random operations, a comparison after each.
    pub(crate) fn run_seed(&mut self, seed: u64, ops: usize) {
        self.window.clear();
        // The top-down search covers exactly the window; the bottom-up fallback starts above it,
        // so that a request the window cannot hold lands outside it and is skipped.
        let config = Config::builder()
            .mmap_base(self.win_end)
            .mmap_min_addr(self.guard_lo)
            .legacy_base(self.win_end + PS)
            .build()
            .expect("the window is a valid configuration");
        let mut model: AddressSpace = AddressSpace::new(config);
        let guard = MapFlags::SHARED | MapFlags::ANONYMOUS | MapFlags::FIXED;
        model.mmap(self.guard_lo, PS, Prot::NONE, guard, None).unwrap();
        model.mmap(self.win_end, PS, Prot::NONE, guard, None).unwrap();
        let mut run = Run { model, rng: SmallRng::seed_from_u64(seed), shm: HashMap::new(), log: Vec::new() };
        self.compare(&mut run, seed);
        for _ in 0..ops {
            let op = self.gen(&mut run);
            let line = self.apply(&mut run, &op);
            run.log.push(line);
            self.compare(&mut run, seed);
        }
    }

    fn page(&self, rng: &mut SmallRng) -> u64 {
        self.win + rng.gen_range(0..WINDOW_PAGES) * PS
    }

    /// An address near existing boundaries half of the time.
    fn addr(&self, run: &mut Run) -> u64 {
        let bounds: Vec<u64> = run.model.range(self.win..self.win_end).flat_map(|v| [v.start(), v.end()]).collect();
        if bounds.is_empty() || run.rng.gen_bool(0.4) {
            return self.page(&mut run.rng);
        }
        let b = bounds[run.rng.gen_range(0..bounds.len())] as i64 + run.rng.gen_range(-2i64..=2) * PS as i64;
        (b as u64).clamp(self.win, self.win_end - PS)
    }

    fn len(&self, rng: &mut SmallRng, addr: u64) -> u64 {
        let pages = if rng.gen_bool(0.85) { rng.gen_range(1..=12) } else { rng.gen_range(1..=64) };
        (pages * PS).min(self.win_end - addr)
    }

    fn prot(rng: &mut SmallRng) -> u32 {
        match rng.gen_range(0..100) {
            0..=34 => 1,
            35..=74 => 3,
            75..=84 => 0,
            85..=94 => 5,
            _ => 7,
        }
    }

    /// A random VMA of the window, as (start, end).
    fn some_vma(&self, run: &mut Run) -> Option<(u64, u64)> {
        let vmas: Vec<(u64, u64)> = run.model.range(self.win..self.win_end).map(|v| (v.start(), v.end())).collect();
        (!vmas.is_empty()).then(|| vmas[run.rng.gen_range(0..vmas.len())])
    }

    fn gen(&self, run: &mut Run) -> Op {
        let kind = run.rng.gen_range(0..100);
        let addr = self.addr(run);
        let len = self.len(&mut run.rng, addr);
        match kind {
            0..=29 => self.gen_mmap(run, addr, len),
            30..=41 => Op::Munmap { addr, len },
            42..=59 => Op::Mprotect { addr, len, prot: Self::prot(&mut run.rng) },
            60..=74 => self.gen_mremap(run).unwrap_or(Op::Munmap { addr, len }),
            75..=82 => {
                let advice = [
                    Advice::DontFork,
                    Advice::DoFork,
                    Advice::DontDump,
                    Advice::DoDump,
                    Advice::Random,
                    Advice::Sequential,
                    Advice::Normal,
                    Advice::WipeOnFork,
                    Advice::KeepOnFork,
                    Advice::HugePage,
                    Advice::NoHugePage,
                ][run.rng.gen_range(0..11)];
                Op::Madvise { addr, len, advice }
            }
            83..=86 => Op::Mlock { addr, len, on_fault: run.rng.gen_bool(0.3) },
            87..=89 => Op::Munlock { addr, len },
            _ => match self.some_vma(run) {
                Some((s, e)) => {
                    let page = s + run.rng.gen_range(0..(e - s) / PS) * PS;
                    Op::Touch { addr: page, write: run.rng.gen_bool(0.7) }
                }
                None => self.gen_mmap(run, addr, len),
            },
        }
    }

    fn gen_mmap(&self, run: &mut Run, addr: u64, len: u64) -> Op {
        let rng = &mut run.rng;
        let prot = Self::prot(rng);
        let (mut flags, file) = match rng.gen_range(0..100) {
            0..=59 => (MapFlags::PRIVATE | MapFlags::ANONYMOUS, None),
            60..=69 => (MapFlags::SHARED | MapFlags::ANONYMOUS, None),
            70..=84 => (MapFlags::SHARED, Some(rng.gen_range(0..2))),
            _ => (MapFlags::PRIVATE, Some(rng.gen_range(0..2))),
        };
        let addr = match rng.gen_range(0..100) {
            0..=54 => {
                flags |= MapFlags::FIXED;
                addr
            }
            55..=64 => {
                flags |= MapFlags::FIXED_NOREPLACE;
                addr
            }
            65..=79 => addr,
            _ => 0,
        };
        if rng.gen_bool(0.1) {
            flags |= MapFlags::NORESERVE;
        }
        if file.is_none() && !flags.contains(MapFlags::SHARED) && rng.gen_bool(0.05) {
            flags |= MapFlags::GROWSDOWN;
        }
        if rng.gen_bool(0.04) {
            flags |= MapFlags::LOCKED;
        }
        let file = file.map(|f| {
            let linear = if addr != 0 { (addr - self.win) / PS } else { rng.gen_range(0..1024) };
            (f, if rng.gen_bool(0.6) { linear } else { rng.gen_range(0..1024) })
        });
        Op::Mmap { addr, len, prot, flags: flags.bits(), file }
    }

    fn gen_mremap(&self, run: &mut Run) -> Option<Op> {
        let (s, e) = self.some_vma(run)?;
        let rng = &mut run.rng;
        let at = s + rng.gen_range(0..(e - s) / PS) * PS;
        let tail = e - at;
        let maymove = MremapFlags::MAYMOVE.bits();
        let fixed = maymove | MremapFlags::FIXED.bits();
        let grow = rng.gen_range(1..=8) * PS;
        let op = match rng.gen_range(0..100) {
            0..=14 => Op::Mremap {
                addr: at,
                old_len: tail,
                new_len: rng.gen_range(1..=tail / PS) * PS,
                flags: 0,
                new_addr: 0,
            },
            15..=34 => Op::Mremap { addr: at, old_len: tail, new_len: tail + grow, flags: 0, new_addr: 0 },
            35..=54 => Op::Mremap { addr: at, old_len: tail, new_len: tail + grow, flags: maymove, new_addr: 0 },
            55..=84 => {
                let old_len = if rng.gen_bool(0.3) { tail + rng.gen_range(0..=16) * PS } else { tail };
                let new_len = if rng.gen_bool(0.7) { old_len } else { rng.gen_range(1..=16) * PS };
                let new_addr = self.win + rng.gen_range(0..WINDOW_PAGES) * PS;
                let new_len = new_len.min(self.win_end - new_addr);
                let old_len = old_len.min(self.win_end - at);
                Op::Mremap { addr: at, old_len, new_len, flags: fixed, new_addr }
            }
            _ => Op::Mremap {
                addr: at,
                old_len: tail,
                new_len: tail,
                flags: maymove | MremapFlags::DONTUNMAP.bits(),
                new_addr: 0,
            },
        };
        Some(op)
    }

    /// Runs `op` on the model, then (unless the model placed nothing for lack of room) on the
    /// kernel, and checks that both gave the same result. Returns the log line.
    fn apply(&mut self, run: &mut Run, op: &Op) -> String {
        let model = &mut run.model;
        let (lo, len) = match *op {
            Op::Mmap { addr, len, .. } | Op::Munmap { addr, len } | Op::Mprotect { addr, len, .. } => (addr, len),
            Op::Madvise { addr, len, .. } | Op::Mlock { addr, len, .. } | Op::Munlock { addr, len } => (addr, len),
            Op::Mremap { addr, old_len, .. } => (addr, old_len),
            Op::Touch { addr, .. } => (addr, PS),
        };
        let target: Vec<String> =
            model.range(lo..lo.saturating_add(len)).map(|v| model.maps_line(v).to_string()).collect();
        let placed_by_model = match *op {
            Op::Mmap { flags, .. } => flags & (MapFlags::FIXED | MapFlags::FIXED_NOREPLACE).bits() == 0,
            Op::Mremap { flags, .. } => {
                flags & MremapFlags::MAYMOVE.bits() != 0 && flags & MremapFlags::FIXED.bits() == 0
            }
            _ => false,
        };
        let snapshot = placed_by_model.then(|| model.clone());
        let m: Result<u64, VmaError> = match *op {
            Op::Mmap { addr, len, prot, flags, file } => {
                let file = file.map(|(f, pgoff)| (self.memfds[f].1.clone(), pgoff));
                model.mmap(addr, len, Prot::from_bits_retain(prot), MapFlags::from_bits_retain(flags), file)
            }
            Op::Munmap { addr, len } => model.munmap(addr, len).map(|()| 0),
            Op::Mprotect { addr, len, prot } => model.mprotect(addr, len, Prot::from_bits_retain(prot)).map(|()| 0),
            Op::Mremap { addr, old_len, new_len, flags, new_addr } => {
                model.mremap(addr, old_len, new_len, MremapFlags::from_bits_retain(flags), new_addr)
            }
            Op::Madvise { addr, len, advice } => model.madvise(addr, len, advice).map(|()| 0),
            Op::Mlock { addr, len, on_fault } => model.mlock(addr, len, on_fault).map(|()| 0),
            Op::Munlock { addr, len } => model.munlock(addr, len).map(|()| 0),
            Op::Touch { addr, write } => {
                let vma = model.vma_lookup(addr).expect("touch picks a mapped page");
                let allowed =
                    if write { vma.flags().contains(VmFlags::WRITE) } else { vma.flags().contains(VmFlags::READ) };
                let page = vma.pgoff() + (addr - vma.start()) / PS;
                let past_eof = match vma.backing() {
                    Backing::File(_) => page >= FILE_PAGES,
                    Backing::SharedAnonymous { pages, .. } => page >= *pages,
                    Backing::Anonymous => false,
                };
                if !allowed || past_eof {
                    return format!("{} -> not touched", self.show(op));
                }
                model.fault(addr, write).map(|_| 0)
            }
        };
        model.validate().expect("model invariants");
        let outside = matches!(m, Ok(a) if a < self.win || a >= self.win_end);
        if placed_by_model && (m == Err(VmaError::NoSpace) || outside) {
            run.model = snapshot.expect("taken for placed requests");
            self.stats.skipped += 1;
            return format!("{} -> model: no room, skipped", self.show(op));
        }
        let k: Result<u64, i32> = match *op {
            Op::Mmap { addr, len, prot, flags, file } => {
                let fd = file.map(|(f, _)| self.memfds[f].0.as_fd());
                self.window.mmap(addr, len, prot, flags & !MapFlags::ANONYMOUS.bits(), fd, file.map_or(0, |f| f.1))
            }
            Op::Munmap { addr, len } => self.window.munmap(addr, len).map(|()| 0),
            Op::Mprotect { addr, len, prot } => self.window.mprotect(addr, len, prot).map(|()| 0),
            Op::Mremap { addr, old_len, new_len, flags, new_addr } => {
                self.window.mremap(addr, old_len, new_len, flags, new_addr)
            }
            Op::Madvise { addr, len, advice } => self.window.madvise(addr, len, rustix_advice(advice)).map(|()| 0),
            Op::Mlock { addr, len, on_fault } => self.window.mlock(addr, len, on_fault).map(|()| 0),
            Op::Munlock { addr, len } => self.window.munlock(addr, len).map(|()| 0),
            Op::Touch { addr, write } => {
                self.window.touch(addr, write);
                Ok(0)
            }
        };
        self.stats.ops += 1;
        let line = format!(
            "{} -> model {}, kernel {}",
            self.show(op),
            self.show_result(m.map_err(|e| e.errno())),
            self.show_result(k)
        );
        let same = match (m, k) {
            (Ok(a), Ok(b)) => a == b || matches!(op, Op::Munmap { .. } | Op::Mprotect { .. }),
            (Err(e), Err(errno)) => e.errno() == errno,
            _ => false,
        };
        if !same {
            let kernel = maps::read_smaps(&mut self.buf, self.guard_lo, self.win_end + PS);
            let all = self.dump(run, &kernel);
            panic!(
                "result differs: {line}\nmodel VMAs in the range before: {target:#?}\nafter:\n{all}\n{}",
                run.log.join("\n")
            );
        }
        line
    }

    /// An address as a page number of the window (negative below it).
    fn pg(&self, addr: u64) -> String {
        if addr == 0 {
            "0".into()
        } else {
            format!("p{}", (addr as i64 - self.win as i64) / PS as i64)
        }
    }

    fn show_result(&self, r: Result<u64, i32>) -> String {
        match r {
            Ok(0) => "ok".into(),
            Ok(a) => self.pg(a),
            Err(e) => format!("errno {e}"),
        }
    }

    fn show(&self, op: &Op) -> String {
        let n = |len: u64| len / PS;
        match *op {
            Op::Mmap { addr, len, prot, flags, file } => {
                format!("mmap {} {} prot {prot} flags {flags:#x} file {file:?}", self.pg(addr), n(len))
            }
            Op::Munmap { addr, len } => format!("munmap {} {}", self.pg(addr), n(len)),
            Op::Mprotect { addr, len, prot } => format!("mprotect {} {} prot {prot}", self.pg(addr), n(len)),
            Op::Mremap { addr, old_len, new_len, flags, new_addr } => format!(
                "mremap {} {} -> {} flags {flags} to {}",
                self.pg(addr),
                n(old_len),
                n(new_len),
                self.pg(new_addr)
            ),
            Op::Madvise { addr, len, advice } => format!("madvise {} {} {advice:?}", self.pg(addr), n(len)),
            Op::Mlock { addr, len, on_fault } => format!("mlock {} {} onfault {on_fault}", self.pg(addr), n(len)),
            Op::Munlock { addr, len } => format!("munlock {} {}", self.pg(addr), n(len)),
            Op::Touch { addr, write } => format!("touch {} write {write}", self.pg(addr)),
        }
    }

    /// Compares the window's layout on both sides; panics with both layouts and the
    /// operation log on any difference.
    fn compare(&mut self, run: &mut Run, seed: u64) {
        let kernel = maps::read_smaps(&mut self.buf, self.guard_lo, self.win_end + PS);
        let model: Vec<_> = run.model.range(self.guard_lo..self.win_end + PS).collect();
        let mut diff = String::new();
        if kernel.len() != model.len() {
            let _ = writeln!(diff, "{} kernel VMAs, {} model VMAs", kernel.len(), model.len());
        }
        for (k, v) in kernel.iter().zip(&model) {
            let line = run.model.maps_line(v);
            // Shared anonymous memory: the kernel chooses the inode; match them one-to-one.
            let inode_ok = match v.backing() {
                Backing::SharedAnonymous { object, .. } => {
                    *run.shm.entry(*object).or_insert(k.maps.inode) == k.maps.inode
                }
                _ => line.inode == k.maps.inode && line.to_string() == k.line,
            };
            let flags_ok = k.flags & COMPARED == v.flags() & COMPARED;
            let fields_ok = MapsLine { inode: k.maps.inode, dev: k.maps.dev, ..line.clone() } == k.maps;
            if !fields_ok || !inode_ok || !flags_ok {
                let _ = writeln!(
                    diff,
                    "kernel {}  [{}]\nmodel  {}  [{}]",
                    k.line,
                    (k.flags & COMPARED).mnemonics(),
                    line,
                    (v.flags() & COMPARED).mnemonics()
                );
            }
        }
        self.stats.compared += 1;
        if !diff.is_empty() {
            let all = self.dump(run, &kernel);
            panic!(
                "seed {seed}: layouts differ after {} ops (window {:#x}):\n{diff}\n{all}\nops:\n{}",
                run.log.len(),
                self.win,
                run.log.join("\n")
            );
        }
    }

    /// Both layouts, for a failure message.
    fn dump(&self, run: &Run, kernel: &[maps::KernelVma]) -> String {
        let model: Vec<_> = run.model.range(self.guard_lo..self.win_end + PS).collect();
        {
            let mut all = String::new();
            for k in kernel {
                let _ = writeln!(all, "K {}  [{}]", k.line, (k.flags & COMPARED).mnemonics());
            }
            for v in &model {
                let _ = writeln!(
                    all,
                    "M {}  [{}] anon {:?} (p{}..p{})",
                    run.model.maps_line(v),
                    (v.flags() & COMPARED).mnemonics(),
                    v.anon(),
                    (v.start() as i64 - self.win as i64) / PS as i64,
                    (v.end() as i64 - self.win as i64) / PS as i64
                );
            }
            all
        }
    }
}

fn rustix_advice(a: Advice) -> rustix::mm::Advice {
    use rustix::mm::Advice as R;
    match a {
        Advice::Normal => R::Normal,
        Advice::Random => R::Random,
        Advice::Sequential => R::Sequential,
        Advice::DontFork => R::LinuxDontFork,
        Advice::DoFork => R::LinuxDoFork,
        Advice::DontDump => R::LinuxDontDump,
        Advice::DoDump => R::LinuxDoDump,
        Advice::WipeOnFork => R::LinuxWipeOnFork,
        Advice::KeepOnFork => R::LinuxKeepOnFork,
        Advice::HugePage => R::LinuxHugepage,
        Advice::NoHugePage => R::LinuxNoHugepage,
        _ => R::Normal,
    }
}
