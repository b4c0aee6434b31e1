//! A process's address space in a maple tree: each line of a `/proc/<pid>/maps` file is stored
//! with `insert_range`, then the tree does what a VMA manager asks of it: lookups, a cursor walk
//! into a hole, iteration over a region, the largest holes, an `munmap` that splits a mapping,
//! validation, and random lookups against the clock.
//!
//! `cargo run --release -p maple-tree --example maps [FILE]`, where FILE is any maps file
//! (`/proc/self/maps`, `/proc/$(pgrep -n firefox)/maps`, ...). The default, bundled
//! `examples/data/python3.maps`, is the address space of a real CPython 3.11.7 process on Linux
//! x86-64 (285 mappings), captured by a script that imports json, sqlite3, ssl, decimal, asyncio,
//! email, xml.dom.minidom, csv, ctypes, hashlib, zlib, bz2, lzma, socket, select, mmap, array,
//! unicodedata, multiprocessing and concurrent.futures, starts 12 threads blocked on an Event
//! (stacks, guard pages, malloc arenas), maps four anonymous shared regions of 1 to 4 MiB with
//! `mmap.mmap(-1, size)`, then prints `open("/proc/self/maps").read()`.
//!
//! Ranges print inclusive (`first..=last`), as the tree keys them; a maps line's end is exclusive.

use maple_tree::{MapleTree, Status};
use maple_vma::maps::{parse_maps, MapsLine};
use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Instant;
use std::{env, fmt, fs, process};

/// The bundled capture, used when no file is given.
const BUNDLED: &str = include_str!("data/python3.maps");
const PAGE: u64 = 0x1000;
const LOOKUPS: usize = 1_000_000;

/// A mapping's attributes without its range (the tree's key), for printing.
struct Attrs<'a>(&'a MapsLine);

impl fmt::Display for Attrs<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.0;
        let path = if m.path.is_empty() { "[anon]" } else { &m.path };
        write!(f, "{} {:08x} {:02x}:{:02x} {} {path}", m.perms, m.offset, m.dev.0, m.dev.1, m.inode)
    }
}

/// Stores every line of a maps file (parsed by `maple_vma::maps`, which also checks that
/// the lines are sorted and do not overlap) under its inclusive range.
fn load(text: &str, source: &str) -> Result<MapleTree<MapsLine>, String> {
    let lines = parse_maps(text).map_err(|e| format!("{source}: {e}"))?;
    let mut tree = MapleTree::new();
    for line in lines {
        let range = format!("{:x}-{:x}", line.start, line.end);
        tree.insert_range(line.start, line.end - 1, line).map_err(|e| format!("{source}: {range}: {e}"))?;
    }
    if tree.is_empty() {
        return Err(format!("{source}: no mappings"));
    }
    Ok(tree)
}

fn span(first: u64, last: u64) -> String {
    format!("{first:#014x}..={last:#014x}")
}

fn size(bytes: u64) -> String {
    let unit = bytes.checked_ilog2().unwrap_or(0) / 10;
    let name = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"][unit as usize];
    format!("{:.1} {name}", bytes as f64 / (1u64 << (10 * unit)) as f64)
}

/// SplitMix64: a tiny deterministic generator, so the example needs no dependency.
fn random(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let z = (*state ^ (*state >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn run() -> Result<(), String> {
    let args: Vec<String> = env::args().skip(1).collect();
    let (text, source) = match args.as_slice() {
        [] => (BUNDLED.to_owned(), "examples/data/python3.maps (bundled)".to_owned()),
        [path] => (fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?, path.clone()),
        _ => return Err("usage: maps [FILE]".into()),
    };
    let start = Instant::now();
    let mut tree = load(&text, &source)?;
    println!("{source}: {} mappings inserted in {:?}", tree.len(), start.elapsed());
    println!("tree height {}, {} KiB of nodes", tree.height(), tree.memory_bytes() / 1024);

    // Each path's span (first..=last key) and number of mappings.
    let mut regions: BTreeMap<String, (u64, u64, usize)> = BTreeMap::new();
    for (range, m) in &tree {
        let region = regions.entry(m.path.clone()).or_insert((*range.start(), *range.end(), 0));
        (region.1, region.2) = (*range.end(), region.2 + 1);
    }

    println!("\nload_range of a few addresses:");
    let mut probes = vec![("0 (NULL page)".to_owned(), 0)];
    for (name, &(first, last, _)) in regions.iter().filter(|(name, _)| name.starts_with('[')) {
        probes.push((format!("middle of {name}"), first + (last - first) / 2));
    }
    probes.sort_by_key(|&(_, addr)| addr);
    for (what, addr) in probes {
        match tree.load_range(addr) {
            Some((range, m)) => {
                println!("  {addr:#014x} {what:<26} {} {}", span(*range.start(), *range.end()), Attrs(m))
            }
            None => println!("  {addr:#014x} {what:<26} unmapped"),
        }
    }

    // A walk into a hole returns NULL and reports where the hole begins and ends.
    let addr = regions.get("[heap]").map_or(0, |&(_, last, _)| last + 1);
    let mut cursor = tree.cursor(addr);
    match cursor.walk() {
        None => println!("\ncursor walk to {addr:#x}: hole {}", span(cursor.index(), cursor.last())),
        Some(m) => println!("\ncursor walk to {addr:#x}: mapped {}", Attrs(m)),
    }
    if let Some(m) = cursor.next(u64::MAX) {
        println!("  next: {} {}", span(cursor.index(), cursor.last()), Attrs(m));
    }

    // The file with the most mappings (the largest on a tie), and whatever lies between them.
    let (name, &(first, last, count)) =
        regions.iter().max_by_key(|(name, r)| (name.starts_with('/'), r.2, r.1 - r.0)).ok_or("no regions")?;
    println!("\nrange({}): {count} mappings of {name}", span(first, last));
    for (range, m) in tree.range(first..=last) {
        println!("  {} {}", span(*range.start(), *range.end()), Attrs(m));
    }

    // Every slot in order, NULL ones included; the NULL ones are the holes.
    let mut holes = Vec::new();
    let mut cursor = tree.cursor(0);
    let mut mapped = cursor.walk().is_some();
    while cursor.status() == Status::Active {
        if !mapped {
            holes.push((cursor.index(), cursor.last()));
        }
        mapped = cursor.next_range(u64::MAX).is_some();
    }
    holes.sort_by_key(|&(first, last)| std::cmp::Reverse(last - first));
    println!("\n{} holes, the largest:", holes.len());
    for &(first, last) in holes.iter().take(5) {
        println!("  {} {:>10}", span(first, last), size(last - first + 1));
    }

    // munmap of one page in the middle of the largest mapping splits it in two. (The right
    // part keeps a clone of the value; a VMA manager would also advance a file offset.)
    let (range, m) = tree.iter().max_by_key(|(range, _)| range.end() - range.start()).ok_or("empty tree")?;
    let (first, last, m) = (*range.start(), *range.end(), m.clone());
    let hole = first + (last - first) / 2 / PAGE * PAGE;
    if hole > first && hole + PAGE <= last {
        let before = tree.len();
        tree.remove_range(hole, hole + PAGE - 1).map_err(|e| format!("remove_range: {e}"))?;
        println!("\nmunmap {} out of {} {}:", span(hole, hole + PAGE - 1), span(first, last), Attrs(&m));
        for (range, m) in tree.range(first..=last) {
            println!("  {} {}", span(*range.start(), *range.end()), Attrs(m));
        }
        println!("  {before} -> {} mappings", tree.len());
    }

    tree.validate().map_err(|v| format!("validate: {v}"))?;
    println!("\nvalidate: ok ({} mappings, height {})", tree.len(), tree.height());

    // Random addresses inside random mappings, drawn before the clock starts.
    let ranges: Vec<(u64, u64)> = tree.iter().map(|(range, _)| (*range.start(), *range.end())).collect();
    let mut state = 42;
    let queries: Vec<u64> = (0..LOOKUPS)
        .map(|_| {
            let (first, last) = ranges[random(&mut state) as usize % ranges.len()];
            first + random(&mut state) % (last - first + 1)
        })
        .collect();
    let start = Instant::now();
    let hits = queries.iter().filter(|&&addr| black_box(tree.load_range(black_box(addr))).is_some()).count();
    let secs = start.elapsed().as_secs_f64();
    let per_sec = LOOKUPS as f64 / secs;
    println!("{LOOKUPS} random load_range: {hits} hits, {:.1} M/s ({:.0} ns each)", per_sec / 1e6, 1e9 / per_sec);
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("maps: {e}");
        process::exit(1);
    }
}
