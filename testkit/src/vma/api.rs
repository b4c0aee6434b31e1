//! Every public call of `maple_vma::AddressSpace` with hostile arguments, for the `vma_api`
//! fuzz target: an arbitrary [`Config`] (valid or not), then calls whose addresses, lengths,
//! flags, advice numbers and `Vma` values are drawn from the edges (0, page boundaries ±1,
//! the task size, `u64::MAX`), from the existing VMAs' boundaries and from anywhere, with
//! every flag bit possible and non-fixed placement included.
//!
//! After every call it checks:
//! 1. nothing panicked (the fuzzer reports a panic as a crash);
//! 2. `validate()` passes;
//! 3. a call that failed left the address space exactly as it was (its `Debug` dump and
//!    `/proc/pid/maps` text), except where the call's documentation says Linux keeps part of
//!    the work ([`may_change_on_error`]); out of memory never changes anything;
//! 4. while the configuration is the oracle's and every change so far was one the oracle
//!    models, the page-granular [`oracle`] agrees with the call's result and
//!    with every page of the area. A call outside what the oracle models that changes the
//!    space ends the comparison for the rest of the input.
//!
//! The configuration is built with [`Config::builder`], whose verdict is checked against an
//! independent statement of the limits in `Config`'s docs; a refused one falls back to the
//! oracle's.

use std::sync::Arc;

use arbitrary::{Arbitrary, Unstructured};
use maple_vma::{
    AddressSpace, Advice, Backing, Config, FileKind, FileRef, MapFlags, MremapFlags, Prot, SplitSide, VmFlags, Vma,
    VmaError,
};

use super::oracle::{self, Oracle};
use super::{Op, AREA_PAGES, BASE, PS};

/// The most calls one input makes.
pub const MAX_CALLS: usize = 200;

/// The configuration: the oracle's, or one from raw values (often invalid).
#[allow(missing_docs)] // the fields are `ConfigBuilder`'s setters
#[derive(Arbitrary, Clone, Debug)]
pub enum ConfigSpec {
    /// [`super::config`], where the oracle applies.
    Oracle,
    /// [`Config::default`].
    Default,
    /// Raw values (`None`: the default's), often invalid.
    Raw {
        page_shift: Shift,
        task_size: Option<Value>,
        mmap_base: Option<Value>,
        mmap_min_addr: Option<Value>,
        legacy_base: Option<Value>,
        top_down: bool,
        max_map_count: u16,
        stack_guard_gap: Option<Value>,
        thp_align: bool,
        pmd_size: Option<Value>,
        overcommit_never: bool,
    },
}

/// A raw configuration value.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Value {
    /// The default's value.
    Default,
    /// `n` pages (aligned by construction).
    Pages(u32),
    /// A power of two.
    Pow2(u8),
    /// Anything.
    Any(u64),
}

impl Value {
    fn get(self, default: u64, page_shift: u32) -> u64 {
        match self {
            Value::Default => default,
            Value::Pages(n) => u64::from(n).checked_shl(page_shift).unwrap_or(0),
            Value::Pow2(n) => 1u64.checked_shl(u32::from(n)).unwrap_or(0),
            Value::Any(x) => x,
        }
    }
}

/// A raw page shift: usually a valid one.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Shift {
    /// 12.
    Default,
    /// `12 + n % 20` (31 is out of range).
    Near(u8),
    /// Anything (64 and more included).
    Any(u8),
}

/// Flag values: usually one of the combinations programs use, sometimes any bits.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Bits {
    /// Entry `n` of the call's table of common values.
    Common(u8),
    /// A common value with extra bits.
    CommonPlus(u8, u32),
    /// Any bits.
    Any(u32),
}

impl Bits {
    fn get(self, table: &[u32]) -> u32 {
        match self {
            Bits::Common(n) => table[usize::from(n) % table.len()],
            Bits::CommonPlus(n, extra) => table[usize::from(n) % table.len()] | extra,
            Bits::Any(x) => x,
        }
    }
}

const PROTS: [u32; 5] = [0x1, 0x3, 0x0, 0x5, 0x7];
const MAP_FLAGS: [u32; 8] = [0x22, 0x32, 0x21, 0x31, 0x02, 0x12, 0x01, 0x11];
const MREMAP_FLAGS: [u32; 4] = [0, 1, 3, 5];
const ADVICE: [u32; 12] = [0, 1, 2, 4, 8, 10, 11, 14, 15, 16, 17, 18];
const VM_FLAGS: [u32; 4] = [0x73, 0x71, 0x7b, 0x70];

/// An address, resolved against the space when the call runs.
#[allow(missing_docs)] // fields are described in the variant docs
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Addr {
    /// Page `n` of the test area (or past it).
    Page(u8),
    /// The start (or end) of an existing VMA, moved by `nudge` pages and `bytes` bytes.
    Boundary { vma: u8, end: bool, nudge: i8, bytes: i8 },
    /// An edge of the address space.
    Edge(AddrEdge),
    /// Anything.
    Any(u64),
}

/// Edges of the address space.
#[derive(Arbitrary, Clone, Copy, Debug)]
#[allow(missing_docs)]
pub enum AddrEdge {
    Zero,
    OnePage,
    MinAddr,
    MmapBase,
    TaskSizeMinusPage,
    TaskSize,
    MaxMinusPage,
    Max,
}

/// A length.
#[derive(Arbitrary, Clone, Copy, Debug)]
pub enum Len {
    /// `n` pages.
    Pages(u8),
    /// `n` bytes (unaligned, or zero).
    Bytes(u16),
    /// `u64::MAX - n`.
    NearMax(u16),
    /// Anything.
    Any(u64),
}

/// One call, with raw arguments.
#[allow(missing_docs)]
#[derive(Arbitrary, Clone, Debug)]
pub enum Call {
    Mmap { addr: Addr, len: Len, prot: Bits, flags: Bits, file: Option<(u8, u64)> },
    Munmap { addr: Addr, len: Len },
    Mprotect { addr: Addr, len: Len, prot: Bits },
    Mremap { addr: Addr, old_len: Len, new_len: Len, flags: Bits, new_addr: Addr },
    Madvise { addr: Addr, len: Len, advice: Bits },
    Mlock { addr: Addr, len: Len, on_fault: bool },
    Munlock { addr: Addr, len: Len },
    Fault { addr: Addr, write: bool },
    Brk { addr: Addr },
    SetBrkBase { addr: Addr },
    SetStartStack { addr: Addr },
    Split { addr: Addr, above: bool },
    Insert { start: Addr, end: Addr, pgoff: u64, flags: Bits, backing: u8 },
    ModifyFlags { start: Addr, end: Addr, flags: Bits },
    Merge { start: Addr, end: Addr, flags: Bits },
    Expand { vma: Addr, start: Addr, end: Addr },
    Shrink { vma: Addr, start: Addr, end: Addr },
    Fork,
    Compact,
    Queries { addr: Addr, end: Addr },
}

/// A call, and whether the `n`-th tree-node allocation during it fails (out of memory must
/// change nothing).
#[derive(Arbitrary, Clone, Debug)]
pub struct Step {
    /// The call.
    pub call: Call,
    /// `Some(n)`: the `n % 8`-th allocation of the call fails.
    pub fail_alloc: Option<u8>,
}

/// The state of one input.
pub struct Api {
    /// The address space under test.
    pub mm: AddressSpace,
    files: Vec<Arc<FileRef>>,
    /// The oracle, while it applies.
    oracle: Option<Oracle>,
}

/// Raw configuration values, as given to the builder.
#[derive(Clone, Copy, Debug)]
struct Raw {
    page_shift: u32,
    task_size: u64,
    mmap_base: u64,
    mmap_min_addr: u64,
    legacy_base: u64,
    stack_guard_gap: u64,
    pmd_size: u64,
}

/// The limits of `Config`'s docs, stated independently of `ConfigBuilder::build`.
fn config_is_valid(c: Raw) -> bool {
    if !(12..=30).contains(&c.page_shift) {
        return false;
    }
    let ps = 1u64 << c.page_shift;
    let aligned = |x: u64| x % ps == 0;
    let below_task = |x: u64| aligned(x) && x <= c.task_size;
    aligned(c.task_size)
        && c.task_size != 0
        && below_task(c.mmap_min_addr)
        && c.mmap_min_addr < c.task_size
        && below_task(c.mmap_base)
        && below_task(c.legacy_base)
        && below_task(c.stack_guard_gap)
        && c.pmd_size.is_power_of_two()
        && c.pmd_size >= ps
}

impl ConfigSpec {
    /// The configuration (the oracle's if the spec is refused) and whether it is the
    /// oracle's. Panics if the builder's verdict disagrees with the limits in `Config`'s docs.
    pub fn build(&self) -> (Config, bool) {
        let ConfigSpec::Raw {
            page_shift,
            task_size,
            mmap_base,
            mmap_min_addr,
            legacy_base,
            top_down,
            max_map_count,
            stack_guard_gap,
            thp_align,
            pmd_size,
            overcommit_never,
        } = *self
        else {
            return match self {
                ConfigSpec::Default => (Config::default(), false),
                _ => (super::config(), true),
            };
        };
        let shift = match page_shift {
            Shift::Default => 12,
            Shift::Near(n) => 12 + u32::from(n % 20),
            Shift::Any(n) => u32::from(n),
        };
        let d = Config::default();
        let raw = Raw {
            page_shift: shift,
            task_size: task_size.unwrap_or(Value::Default).get(d.task_size(), shift),
            mmap_base: mmap_base.unwrap_or(Value::Default).get(d.mmap_base(), shift),
            mmap_min_addr: mmap_min_addr.unwrap_or(Value::Default).get(d.mmap_min_addr(), shift),
            legacy_base: legacy_base.unwrap_or(Value::Default).get(d.legacy_base(), shift),
            stack_guard_gap: stack_guard_gap.unwrap_or(Value::Default).get(d.stack_guard_gap(), shift),
            pmd_size: pmd_size.unwrap_or(Value::Default).get(d.pmd_size(), shift),
        };
        let built = Config::builder()
            .page_shift(raw.page_shift)
            .task_size(raw.task_size)
            .mmap_base(raw.mmap_base)
            .mmap_min_addr(raw.mmap_min_addr)
            .legacy_base(raw.legacy_base)
            .top_down(top_down)
            .max_map_count(usize::from(max_map_count))
            .stack_guard_gap(raw.stack_guard_gap)
            .thp_align(thp_align)
            .pmd_size(raw.pmd_size)
            .overcommit_never(overcommit_never)
            .build();
        assert_eq!(built.is_ok(), config_is_valid(raw), "the builder's verdict on {raw:?}: {built:?}");
        match built {
            Ok(config) => (config, false),
            Err(_) => (super::config(), true),
        }
    }
}

impl Api {
    /// A fresh space on `config`, with the oracle if `oracle`.
    pub fn new(config: Config, oracle: bool) -> Self {
        let mut files = super::files();
        // Files of every kind, one read-only, one with a close hook.
        let kinds = [FileKind::CharDevice, FileKind::UnsignedOffset, FileKind::BlockDevice];
        for (i, kind) in kinds.into_iter().enumerate() {
            let id = 3 + i as u64;
            files.push(Arc::new(FileRef { kind, writable: i != 0, has_close: i == 2, ..FileRef::new(id, "/dev/x") }));
        }
        Api { mm: AddressSpace::new(config), files, oracle: oracle.then(Oracle::default) }
    }

    /// Whether the oracle still applies.
    pub fn oracle_active(&self) -> bool {
        self.oracle.is_some()
    }

    fn page_size(&self) -> u64 {
        self.mm.config().page_size()
    }

    fn addr(&self, a: Addr) -> u64 {
        let ps = self.page_size();
        let c = self.mm.config();
        match a {
            Addr::Page(n) => BASE.wrapping_add(u64::from(n).wrapping_mul(ps)),
            Addr::Boundary { vma, end, nudge, bytes } => {
                let n = self.mm.map_count();
                let at = if n == 0 {
                    BASE
                } else {
                    let v = self.mm.iter().nth(usize::from(vma) % n).expect("n VMAs");
                    if end {
                        v.end()
                    } else {
                        v.start()
                    }
                };
                let pages = i64::from(nudge).wrapping_mul(ps as i64);
                at.wrapping_add(pages as u64).wrapping_add(i64::from(bytes) as u64)
            }
            Addr::Edge(e) => match e {
                AddrEdge::Zero => 0,
                AddrEdge::OnePage => ps,
                AddrEdge::MinAddr => c.mmap_min_addr(),
                AddrEdge::MmapBase => c.mmap_base(),
                AddrEdge::TaskSizeMinusPage => c.task_size() - ps,
                AddrEdge::TaskSize => c.task_size(),
                AddrEdge::MaxMinusPage => u64::MAX - ps + 1,
                AddrEdge::Max => u64::MAX,
            },
            Addr::Any(x) => x,
        }
    }

    fn len(&self, l: Len) -> u64 {
        match l {
            Len::Pages(n) => u64::from(n) * self.page_size(),
            Len::Bytes(n) => u64::from(n),
            Len::NearMax(n) => u64::MAX - u64::from(n),
            Len::Any(x) => x,
        }
    }

    fn file(&self, file: Option<(u8, u64)>) -> Option<(Arc<FileRef>, u64)> {
        file.map(|(i, pgoff)| (self.files[usize::from(i) % self.files.len()].clone(), pgoff))
    }

    /// Runs `step` and checks it (see the module docs); `Err` describes a failed check (the
    /// oracle's own comparison panics, as in the seeded tests).
    pub fn step(&mut self, step: &Step) -> Result<(), String> {
        let call = &step.call;
        let before = self.mm.clone();
        let dump_before = dump(&before);
        let op = if self.oracle.is_some() && step.fail_alloc.is_none() { self.oracle_op(call) } else { None };
        self.mm.fail_nth_alloc(step.fail_alloc.map(|n| u64::from(n % 8)));
        let got = self.run(call);
        self.mm.fail_nth_alloc(None);
        self.mm.validate().map_err(|v| format!("validate: {v}"))?;
        let changed = dump(&self.mm) != dump_before;
        if let Err(e) = got {
            if changed && (e == VmaError::OutOfMemory || !may_change_on_error(call, e)) {
                return Err(format!("failed with {e:?} and changed the space:\n{dump_before}\n->\n{}", dump(&self.mm)));
            }
        }
        match (op, self.oracle.as_mut()) {
            (Some(op), Some(o)) => {
                let expected = oracle::apply(o, &before, &op, got);
                if expected != got {
                    return Err(format!("{op:?}: got {got:?}, the oracle expects {expected:?}"));
                }
                oracle::check(&self.mm, o, &op);
            }
            _ if changed => self.oracle = None,
            _ => {}
        }
        Ok(())
    }

    fn run(&mut self, call: &Call) -> Result<u64, VmaError> {
        let ok = |r: Result<(), VmaError>| r.map(|()| 0);
        match *call {
            Call::Mmap { addr, len, prot, flags, file } => {
                let (addr, len, file) = (self.addr(addr), self.len(len), self.file(file));
                let (prot, flags) =
                    (Prot::from_bits_retain(prot.get(&PROTS)), MapFlags::from_bits_retain(flags.get(&MAP_FLAGS)));
                self.mm.mmap(addr, len, prot, flags, file)
            }
            Call::Munmap { addr, len } => {
                let (addr, len) = (self.addr(addr), self.len(len));
                ok(self.mm.munmap(addr, len))
            }
            Call::Mprotect { addr, len, prot } => {
                let (addr, len) = (self.addr(addr), self.len(len));
                ok(self.mm.mprotect(addr, len, Prot::from_bits_retain(prot.get(&PROTS))))
            }
            Call::Mremap { addr, old_len, new_len, flags, new_addr } => {
                let (addr, old_len, new_len, new_addr) =
                    (self.addr(addr), self.len(old_len), self.len(new_len), self.addr(new_addr));
                self.mm.mremap(
                    addr,
                    old_len,
                    new_len,
                    MremapFlags::from_bits_retain(flags.get(&MREMAP_FLAGS)),
                    new_addr,
                )
            }
            Call::Madvise { addr, len, advice } => {
                let (addr, len) = (self.addr(addr), self.len(len));
                let advice = Advice::try_from(advice.get(&ADVICE) as i32);
                ok(advice.and_then(|advice| self.mm.madvise(addr, len, advice)))
            }
            Call::Mlock { addr, len, on_fault } => {
                let (addr, len) = (self.addr(addr), self.len(len));
                ok(self.mm.mlock(addr, len, on_fault))
            }
            Call::Munlock { addr, len } => {
                let (addr, len) = (self.addr(addr), self.len(len));
                ok(self.mm.munlock(addr, len))
            }
            Call::Fault { addr, write } => {
                let addr = self.addr(addr);
                self.mm.fault(addr, write).map(|_| 0)
            }
            Call::Brk { addr } => {
                let addr = self.addr(addr);
                Ok(self.mm.brk(addr))
            }
            Call::SetBrkBase { addr } => {
                let addr = self.addr(addr);
                self.mm.set_brk_base(addr);
                Ok(0)
            }
            Call::SetStartStack { addr } => {
                let addr = self.addr(addr);
                self.mm.set_start_stack(addr);
                Ok(0)
            }
            Call::Split { addr, above } => {
                let addr = self.addr(addr);
                ok(self.mm.split(addr, if above { SplitSide::NewAbove } else { SplitSide::NewBelow }))
            }
            Call::Insert { start, end, pgoff, flags, backing } => {
                let (start, end) = (self.addr(start), self.addr(end));
                let backing = match backing % 3 {
                    0 => Backing::Anonymous,
                    1 => Backing::SharedAnonymous { object: u64::from(backing), pages: pgoff.rotate_left(7) },
                    _ => Backing::File(self.files[usize::from(backing) % self.files.len()].clone()),
                };
                let flags = VmFlags::from_bits_retain(u64::from(flags.get(&VM_FLAGS)));
                let vma = Vma::new(start, end, pgoff, flags, backing, ());
                self.mm.insert(vma).map(|r| r.start)
            }
            Call::ModifyFlags { start, end, flags } => {
                let (start, end) = (self.addr(start), self.addr(end));
                self.mm
                    .modify_flags(start, end, VmFlags::from_bits_retain(u64::from(flags.get(&VM_FLAGS))))
                    .map(|r| r.start)
            }
            Call::Merge { start, end, flags } => {
                let (start, end) = (self.addr(start), self.addr(end));
                let flags = VmFlags::from_bits_retain(u64::from(flags.get(&VM_FLAGS)));
                self.mm.merge(start, end, flags).map(|r| r.map_or(0, |r| r.start))
            }
            Call::Expand { vma, start, end } => {
                let (vma, start, end) = (self.addr(vma), self.addr(start), self.addr(end));
                ok(self.mm.expand(vma, start, end))
            }
            Call::Shrink { vma, start, end } => {
                let (vma, start, end) = (self.addr(vma), self.addr(start), self.addr(end));
                ok(self.mm.shrink(vma, start, end))
            }
            Call::Fork => {
                let child = self.mm.fork()?;
                if let Err(v) = child.validate() {
                    panic!("the child of fork does not validate: {v}");
                }
                Ok(0)
            }
            Call::Compact => ok(self.mm.compact()),
            Call::Queries { addr, end } => {
                let (addr, end) = (self.addr(addr), self.addr(end));
                let mm = &self.mm;
                let found = mm.find_vma(addr).map(|v| v.start());
                let (vma, prev) = mm.find_vma_prev(addr);
                assert_eq!(vma.map(|v| v.start()), found);
                assert!(prev.map_or(true, |p| p.end() <= addr), "find_vma_prev: prev below addr");
                let hit = mm.find_vma_intersection(addr, end).map(|v| v.start());
                let first = mm.range(addr..end).next().map(|v| v.start());
                assert_eq!(hit, if addr < end { first } else { None }, "intersection = first of range");
                let _ = mm.to_string();
                Ok(0)
            }
        }
    }

    /// The oracle's form of `call`, if the oracle models it with these arguments.
    fn oracle_op(&self, call: &Call) -> Option<Op> {
        let area = BASE..BASE + AREA_PAGES * PS;
        let in_area = |addr: u64, len: u64| {
            addr % PS == 0
                && len % PS == 0
                && len > 0
                && area.contains(&addr)
                && addr.checked_add(len).is_some_and(|end| end <= area.end)
        };
        let rwx = |prot: u32| (prot & !7 == 0).then(|| Prot::from_bits_retain(prot));
        match *call {
            Call::Mmap { addr, len, prot, flags, file } => {
                // Fixed mappings in the area, of the kinds the oracle knows; mmap ignores
                // protection bits it does not know, and so does the oracle.
                let (addr, len) = (self.addr(addr), self.len(len));
                let (prot, flags) = (prot.get(&PROTS), MapFlags::from_bits_retain(flags.get(&MAP_FLAGS)));
                let allowed =
                    MapFlags::SHARED | MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED | MapFlags::NORESERVE;
                let kind = flags & (MapFlags::SHARED | MapFlags::PRIVATE);
                let file = match (flags.contains(MapFlags::ANONYMOUS), file) {
                    (true, _) => None,
                    (false, Some((i, pgoff))) if usize::from(i) % self.files.len() < 2 => {
                        Some((usize::from(i) % self.files.len(), pgoff))
                    }
                    (false, _) => return None,
                };
                let shape = allowed.contains(flags)
                    && flags.contains(MapFlags::FIXED)
                    && (kind == MapFlags::SHARED || kind == MapFlags::PRIVATE);
                (shape && in_area(addr, len)).then_some(Op::Mmap {
                    addr,
                    len,
                    prot: Prot::from_bits_retain(prot),
                    flags,
                    file,
                })
            }
            Call::Munmap { addr, len } => {
                let (addr, len) = (self.addr(addr), self.len(len));
                in_area(addr, len).then_some(Op::Munmap { addr, len })
            }
            Call::Mprotect { addr, len, prot } => {
                let (addr, len) = (self.addr(addr), self.len(len));
                in_area(addr, len).then(|| Some(Op::Mprotect { addr, len, prot: rwx(prot.get(&PROTS))? })).flatten()
            }
            Call::Madvise { addr, len, advice } => {
                let (addr, len) = (self.addr(addr), self.len(len));
                let advice = match advice.get(&ADVICE) {
                    10 => Advice::DontFork,
                    11 => Advice::DoFork,
                    16 => Advice::DontDump,
                    17 => Advice::DoDump,
                    1 => Advice::Random,
                    _ => return None,
                };
                in_area(addr, len).then_some(Op::Madvise { addr, len, advice })
            }
            Call::Mlock { addr, len, on_fault: false } => {
                let (addr, len) = (self.addr(addr), self.len(len));
                in_area(addr, len).then_some(Op::Mlock { addr, len })
            }
            Call::Munlock { addr, len } => {
                let (addr, len) = (self.addr(addr), self.len(len));
                in_area(addr, len).then_some(Op::Munlock { addr, len })
            }
            Call::Fault { addr, write } => {
                let addr = self.addr(addr);
                area.contains(&addr).then_some(Op::Fault { addr, write })
            }
            Call::Mremap { addr, old_len, new_len, flags, new_addr } => {
                // The oracle's shapes: the tail of a VMA, shrunk or grown in place, or moved
                // to a fixed address at the same or a smaller size.
                let (addr, old_len, new_len, new_addr) =
                    (self.addr(addr), self.len(old_len), self.len(new_len), self.addr(new_addr));
                let v = self.mm.vma_lookup(addr)?;
                let flags = MremapFlags::from_bits_retain(flags.get(&MREMAP_FLAGS));
                let tail = v.end() - addr;
                let shape = (flags == MremapFlags::EMPTY && in_area(addr, new_len))
                    || (flags == MremapFlags::MAYMOVE | MremapFlags::FIXED
                        && new_len <= old_len
                        && in_area(new_addr, new_len));
                (old_len == tail && in_area(addr, old_len) && shape).then_some(Op::Mremap {
                    addr,
                    old_len,
                    new_len,
                    flags,
                    new_addr,
                })
            }
            _ => None,
        }
    }
}

/// Whether `call` may fail with `e` after changing the space: the cases where Linux (and so
/// the crate, as its documentation says) keeps part of the work.
pub fn may_change_on_error(call: &Call, e: VmaError) -> bool {
    match call {
        Call::Mprotect { .. } | Call::Mlock { .. } | Call::Munlock { .. } => {
            matches!(e, VmaError::NotMapped | VmaError::Access | VmaError::MapCountExceeded)
        }
        Call::Madvise { .. } => matches!(e, VmaError::NotMapped | VmaError::Invalid | VmaError::MapCountExceeded),
        Call::ModifyFlags { .. } => e == VmaError::MapCountExceeded,
        // A fixed move unmaps its target before later steps can fail; a multi-VMA move keeps
        // the VMAs moved before the one that failed; a move whose unmap of the source is
        // refused keeps both copies (as Linux's `move_vma`).
        Call::Mremap { flags, .. } => {
            MremapFlags::from_bits_retain(flags.get(&MREMAP_FLAGS)).contains(MremapFlags::MAYMOVE)
        }
        // The copy-on-write path assigns the anonymous identity before the SIGBUS.
        Call::Fault { write: true, .. } => e == VmaError::Bus,
        _ => false,
    }
}

fn dump(mm: &AddressSpace) -> String {
    format!("{mm:?}\n{mm}")
}

/// Runs one input: the configuration, then at most [`MAX_CALLS`] calls.
pub fn run(data: &[u8]) -> Result<(), String> {
    let mut u = Unstructured::new(data);
    let Ok(spec) = ConfigSpec::arbitrary(&mut u) else { return Ok(()) };
    let (config, oracle) = spec.build();
    let mut api = Api::new(config, oracle);
    let mut calls = Vec::new();
    while !u.is_empty() && calls.len() < MAX_CALLS {
        let Ok(step) = Step::arbitrary(&mut u) else { break };
        api.step(&step).map_err(|e| {
            let last = &calls[calls.len().saturating_sub(8)..];
            format!("config {spec:?}\ncall {} {step:?}: {e}\nthe calls before it: {last:#?}", calls.len())
        })?;
        calls.push(step);
    }
    Ok(())
}
