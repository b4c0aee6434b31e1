//! Shared by the model-only tests: the test kit's generator of address-space operations over
//! a small area and their interpreter (`maple_testkit::vma`), and scenario helpers.
#![allow(dead_code, unused_imports)]

use maple_vma::{AddressSpace, MapFlags, Prot, VmaError};

pub(crate) use maple_testkit::vma::{apply, config, files, gen, Op, AREA_PAGES, BASE, PS};

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
        let perms = mm.maps_line(v).perms;
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
