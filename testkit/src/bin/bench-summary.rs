//! `cargo run --release -p maple-testkit --bin bench-summary -- [--record] [--out FILE] [--svg FILE]`
//!
//! Reads criterion's saved results (`target/criterion/**/new/estimates.json`, the median of
//! each bench) and the memory bench's `target/criterion/memory/results.json`, prints a table
//! of our time against each baseline's per workload and N, and writes it into
//! `BENCHMARKS.md` (between the `summary:begin`/`summary:end` markers, so text around them is
//! kept) with a plot of lookup latency against N (`docs/lookup-latency.svg`).
//!
//! `--record` first saves the current results as one run under `target/bench-runs/`. When
//! runs are saved, every figure is the median over them, ratios are taken within each run
//! (ours and the baseline from the same run) and then the median is taken, and the spread of
//! the ratio across runs is shown.

use plotters::prelude::*;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// (workload, structure, N) → median ns of one run.
type Run = BTreeMap<(String, String, u64), f64>;

const BEGIN: &str = "<!-- summary:begin (written by `cargo run --release -p maple-testkit --bin bench-summary`) -->";
const END: &str = "<!-- summary:end -->";

/// The bars of the speed issue (12), and issue 6's cursor bar, which must stay met:
/// workload, the most ours / BTreeMap may be, what it measures.
const BARS: &[(&str, f64, &str)] = &[
    ("lookup-random", 0.6, "random point lookup"),
    ("cursor-next", 0.5, "ascending lookup through a cursor (issue 6)"),
    ("overwrite", 1.0, "exact-fit overwrite"),
    ("insert-gap", 1.0, "insert into a gap"),
    ("append", 1.0, "append"),
    ("erase", 1.0, "erase"),
    ("span-store", 0.5, "spanning overwrite (~17 ranges)"),
    ("overlap-1mib", 0.8, "overlap query, 1 MiB window"),
    ("iter", 1.0, "full iteration (`fold`)"),
    ("iter-next", 1.0, "full iteration (`for` loop)"),
    ("iter-rev", 1.0, "reverse iteration"),
    ("clone", 1.0, "clone"),
    ("build-random", 1.5, "build by random inserts"),
    ("build-ascending", 1.0, "build by inserts in address order"),
    ("from-sorted", 1.0, "bulk build from sorted ranges (BTreeMap: `FromIterator` of sorted pairs)"),
];

/// Order of the workloads in the full table.
const WORKLOADS: &[&str] = &[
    "lookup-random",
    "lookup-ascending",
    "lookup-dependent",
    "lookup-random-ascbuilt",
    "cursor-next",
    "cursor-walk",
    "overlap-1mib",
    "iter",
    "iter-ascbuilt",
    "iter-next",
    "iter-rev",
    "clone",
    "overwrite",
    "insert-gap",
    "append",
    "erase",
    "span-store",
    "build-random",
    "build-ascending",
    "from-sorted",
    "gap-lowest",
    "gap-highest",
    "gap-nofit",
];

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")).to_path_buf())
}

fn read_json(path: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()
}

/// Every `new/` result under `dir`.
fn read_criterion(dir: &Path, run: &mut Run) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if path.file_name().is_some_and(|n| n == "new") {
            let (Some(bench), Some(est)) =
                (read_json(&path.join("benchmark.json")), read_json(&path.join("estimates.json")))
            else {
                continue;
            };
            let group = bench["group_id"].as_str().unwrap_or_default().to_string();
            let function = bench["function_id"].as_str().unwrap_or_default().to_string();
            let n = bench["value_str"].as_str().and_then(|s| s.parse().ok());
            let ns = est["median"]["point_estimate"].as_f64();
            if let (Some(n), Some(ns)) = (n, ns) {
                run.insert((group, function, n), ns);
            }
        } else {
            read_criterion(&path, run);
        }
    }
}

fn run_to_json(run: &Run, memory: &Value) -> Value {
    let timings: Vec<Value> = run.iter().map(|((g, f, n), ns)| json!([g, f, n, ns])).collect();
    json!({ "timings": timings, "memory": memory })
}

fn run_from_json(value: &Value) -> Run {
    let mut run = Run::new();
    for t in value["timings"].as_array().into_iter().flatten() {
        if let (Some(g), Some(f), Some(n), Some(ns)) = (t[0].as_str(), t[1].as_str(), t[2].as_u64(), t[3].as_f64()) {
            run.insert((g.to_string(), f.to_string(), n), ns);
        }
    }
    run
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    let m = xs.len() / 2;
    Some(if xs.len() % 2 == 1 { xs[m] } else { (xs[m - 1] + xs[m]) / 2.0 })
}

/// All runs' results.
struct Runs(Vec<Run>);

impl Runs {
    fn time(&self, w: &str, s: &str, n: u64) -> Option<f64> {
        median(self.0.iter().filter_map(|r| r.get(&(w.into(), s.into(), n)).copied()).collect())
    }

    /// Median over runs of ours / `base` within each run, and the spread (max - min) / median
    /// (NaN when a single run has both).
    fn ratio(&self, w: &str, ours: &str, base: &str, n: u64) -> Option<(f64, f64)> {
        let key = |s: &str| (w.to_string(), s.to_string(), n);
        let ratios: Vec<f64> = self.0.iter().filter_map(|r| Some(r.get(&key(ours))? / r.get(&key(base))?)).collect();
        let lo = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = ratios.iter().copied().fold(0.0, f64::max);
        let single = ratios.len() == 1;
        let m = median(ratios)?;
        Some((m, if single { f64::NAN } else { (hi - lo) / m }))
    }

    fn sizes(&self) -> BTreeSet<u64> {
        self.0.iter().flat_map(|r| r.keys().map(|k| k.2)).collect()
    }
}

fn fmt_ns(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.1} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

fn fmt_n(n: u64) -> String {
    match n {
        1_000 => "1e3".into(),
        10_000 => "1e4".into(),
        100_000 => "1e5".into(),
        1_000_000 => "1e6".into(),
        _ => n.to_string(),
    }
}

fn fmt_ratio(r: Option<(f64, f64)>, runs: usize) -> String {
    match r {
        None => "–".into(),
        Some((m, spread)) if runs > 1 && !spread.is_nan() => format!("{m:.2}× (±{:.0}%)", spread * 50.0),
        Some((m, _)) => format!("{m:.2}×"),
    }
}

/// Bytes per range of one memory row.
fn memory_per_range(memory: &Value, structure: &str, build: &str, value: &str, n: u64) -> Option<f64> {
    memory.as_array()?.iter().find_map(|r| {
        (r["structure"] == structure && r["build"] == build && r["value"] == value && r["n"] == n)
            .then(|| r["bytes"].as_f64().unwrap_or(0.0) / n as f64)
    })
}

fn bars_table(runs: &Runs, memory: &Value, out: &mut String) {
    let k = runs.0.len();
    let _ = writeln!(out, "| bar (ours / BTreeMap) | must be | N=1e5 | N=1e6 | met |\n|---|---:|---:|---:|:---:|");
    for &(w, bar, what) in BARS {
        let r5 = runs.ratio(w, "maple", "btree", 100_000);
        let r6 = runs.ratio(w, "maple", "btree", 1_000_000);
        let met = match (r5, r6) {
            (Some((a, _)), Some((b, _))) => verdict(a <= bar && b <= bar),
            (Some((a, _)), None) => format!("{} (1e5 only)", verdict(a <= bar)),
            _ => "not measured".into(),
        };
        let _ = writeln!(out, "| {what} (`{w}`) | ≤ {bar}× | {} | {} | {met} |", fmt_ratio(r5, k), fmt_ratio(r6, k));
    }
    // Memory per range: both built by random inserts, then both bulk-built (ours by
    // `from_sorted`, BTreeMap by `FromIterator` of sorted pairs).
    let mem = |build, vb, n| {
        Some(memory_per_range(memory, "maple", build, vb, n)? / memory_per_range(memory, "btree", build, vb, n)?)
    };
    let rows = [
        ("random", "8", Some(1.25)),
        ("random", "24", None),
        ("random", "8 (niche)", None),
        ("bulk", "8", Some(1.5)),
        ("bulk", "24", None),
    ];
    for (build, vb, bar) in rows {
        let (m5, m6) = (mem(build, vb, 100_000), mem(build, vb, 1_000_000));
        let show = |m: Option<f64>| m.map_or("–".into(), |m| format!("{m:.2}×"));
        let met = match (bar, m5, m6) {
            (Some(b), Some(a), Some(c)) => verdict(a <= b && c <= b),
            (Some(b), Some(a), None) => format!("{} (1e5 only)", verdict(a <= b)),
            (Some(_), _, _) => "not measured".into(),
            (None, _, _) => "(reported)".into(),
        };
        let must = bar.map_or("–".into(), |b| format!("≤ {b}×"));
        let _ = writeln!(
            out,
            "| memory per range, {}, {} | {must} | {} | {} | {met} |",
            match vb {
                "8" => "8-byte values (`u64`)",
                "24" => "24-byte values (`[u64; 3]`)",
                _ => "8-byte values with a niche (`NonZeroU64`, like the kernel's pointers)",
            },
            match build {
                "random" => "both built by random inserts",
                _ => "both bulk-built from sorted ranges",
            },
            show(m5),
            show(m6)
        );
    }
    // Issue 3's bar for the free-range search.
    let scan = runs.ratio("gap-nofit", "btree", "maple", 100_000);
    let own = runs.ratio("gap-nofit", "maple", "maple-lookup", 100_000);
    let own6 = runs.ratio("gap-nofit", "maple", "maple-lookup", 1_000_000);
    if let (Some((s, _)), Some((o, _))) = (scan, own) {
        let _ = writeln!(
            out,
            "| free-range search that fails (scan to the end): BTreeMap scan / ours (issue 3) | ≥ 500× | {s:.0}× | {} | {} |",
            runs.ratio("gap-nofit", "btree", "maple", 1_000_000).map_or("–".into(), |(r, _)| format!("{r:.0}×")),
            verdict(s >= 500.0)
        );
        let _ = writeln!(
            out,
            "| same search / our own point lookup (issue 3) | ≤ 2× | {o:.2}× | {} | {} |",
            own6.map_or("–".into(), |(r, _)| format!("{r:.2}×")),
            verdict(o <= 2.0 && own6.map_or(true, |(r, _)| r <= 2.0))
        );
    }
}

fn verdict(ok: bool) -> String {
    if ok { "yes" } else { "**no**" }.into()
}

fn full_table(runs: &Runs, out: &mut String) {
    let k = runs.0.len();
    let _ = writeln!(
        out,
        "| workload | N | ours | BTreeMap | rangemap | ours / BTreeMap | ours / rangemap |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    let present: BTreeSet<String> = runs.0.iter().flat_map(|r| r.keys().map(|k| k.0.clone())).collect();
    let mut order: Vec<String> = WORKLOADS.iter().map(|s| s.to_string()).filter(|w| present.contains(w)).collect();
    order.extend(present.iter().filter(|w| !WORKLOADS.contains(&w.as_str())).cloned());
    for w in &order {
        for n in runs.sizes() {
            let Some(ours) = runs.time(w, "maple", n) else { continue };
            let cell = |s: &str| runs.time(w, s, n).map_or("–".into(), fmt_ns);
            let _ = writeln!(
                out,
                "| {w} | {} | {} | {} | {} | {} | {} |",
                fmt_n(n),
                fmt_ns(ours),
                cell("btree"),
                cell("rangemap"),
                fmt_ratio(runs.ratio(w, "maple", "btree", n), k),
                fmt_ratio(runs.ratio(w, "maple", "rangemap", n), k)
            );
        }
    }
}

/// maple-vma against the live kernel (`cargo bench -p maple-vma --bench kernel`): the groups
/// named `vma-*`, functions `ours` and `kernel`, with the bar ours / kernel ≤ 0.2× at 40k VMAs.
fn kernel_table(runs: &Runs, out: &mut String) -> bool {
    let k = runs.0.len();
    let groups: BTreeSet<String> =
        runs.0.iter().flat_map(|r| r.keys().filter(|key| key.0.starts_with("vma-")).map(|key| key.0.clone())).collect();
    if groups.is_empty() {
        return false;
    }
    let _ = writeln!(
        out,
        "| operation (two calls, layout restored) | VMAs | ours | kernel | ours / kernel | bar ≤ 0.2× (40k) |\n|---|---:|---:|---:|---:|:---:|"
    );
    for g in &groups {
        for n in runs.sizes() {
            let (Some(ours), Some(kernel)) = (runs.time(g, "ours", n), runs.time(g, "kernel", n)) else { continue };
            let ratio = runs.ratio(g, "ours", "kernel", n);
            let met = match (n, ratio) {
                (40_000, Some((r, _))) => verdict(r <= 0.2),
                _ => "".into(),
            };
            let op = g.trim_start_matches("vma-");
            let _ = writeln!(
                out,
                "| {op} | {n} | {} | {} | {} | {met} |",
                fmt_ns(ours),
                fmt_ns(kernel),
                fmt_ratio(ratio, k)
            );
        }
    }
    true
}

fn memory_table(memory: &Value, out: &mut String) {
    let Some(rows) = memory.as_array() else {
        let _ = writeln!(out, "(no memory results: run `cargo bench --bench memory`)");
        return;
    };
    let sizes: BTreeSet<u64> = rows.iter().filter_map(|r| r["n"].as_u64()).collect();
    let mut kinds: Vec<(String, String, String)> = Vec::new();
    for r in rows {
        let kind = (
            r["structure"].as_str().unwrap_or_default().to_string(),
            r["build"].as_str().unwrap_or_default().to_string(),
            r["value"].as_str().unwrap_or_default().to_string(),
        );
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds.sort_by(|a, b| (&a.2, &a.0, &a.1).cmp(&(&b.2, &b.0, &b.1)));
    let head: Vec<String> = sizes.iter().map(|&n| format!("N={}", fmt_n(n))).collect();
    let _ = writeln!(out, "| structure | build | value | {} |", head.join(" | "));
    let _ = writeln!(out, "|---|---|---:|{}", "---:|".repeat(sizes.len()));
    for (s, b, vb) in &kinds {
        let cells: Vec<String> = sizes
            .iter()
            .map(|&n| memory_per_range(memory, s, b, vb, n).map_or("–".into(), |x| format!("{x:.1} B")))
            .collect();
        let _ = writeln!(out, "| {s} | {b} | {vb} B | {} |", cells.join(" | "));
    }
}

/// One line of the plot: label, points, colour, and whether it is the solid (throughput) one.
type Series = (String, Vec<(f64, f64)>, RGBColor, bool);

fn plot(runs: &Runs, path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let series: Vec<Series> =
        [("maple", RGBColor(200, 60, 20)), ("btree", RGBColor(30, 90, 200)), ("rangemap", RGBColor(40, 150, 60))]
            .iter()
            .flat_map(|&(s, color)| {
                [("lookup-random", "random, throughput", true), ("lookup-dependent", "dependent chain, latency", false)]
                    .into_iter()
                    .map(move |(w, what, solid)| {
                        let pts =
                            runs.sizes().into_iter().filter_map(|n| Some((n as f64, runs.time(w, s, n)?))).collect();
                        (format!("{s}: {what}"), pts, color, solid)
                    })
            })
            .filter(|s: &Series| !s.1.is_empty())
            .collect();
    if series.is_empty() {
        return Ok(());
    }
    let all: Vec<(f64, f64)> = series.iter().flat_map(|s| s.1.iter().copied()).collect();
    let (ymin, ymax) = all.iter().fold((f64::INFINITY, 0f64), |(lo, hi), p| (lo.min(p.1), hi.max(p.1)));
    let (xmin, xmax) = all.iter().fold((f64::INFINITY, 0f64), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let root = SVGBackend::new(path, (860, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Point lookup time against N (median ns per lookup)", ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(42)
        .y_label_area_size(64)
        .build_cartesian_2d((xmin * 0.7..xmax * 1.4).log_scale(), (ymin * 0.7..ymax * 1.4).log_scale())?;
    chart
        .configure_mesh()
        .light_line_style(RGBColor(242, 242, 242))
        .y_labels(12)
        .x_desc("N (ranges stored)")
        .y_desc("ns per lookup")
        .x_label_formatter(&|x| format!("{x:.0e}"))
        .y_label_formatter(&|y| format!("{y:.0}"))
        .draw()?;
    for (label, pts, color, solid) in series {
        let style = if solid { color.stroke_width(2) } else { color.mix(0.55).stroke_width(1) };
        chart
            .draw_series(LineSeries::new(pts.clone(), style))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 22, y)], style));
        if solid {
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        } else {
            chart.draw_series(pts.iter().map(|&p| TriangleMarker::new(p, 4, color.mix(0.55).filled())))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let mut args = std::env::args().skip(1);
    let (mut record, mut out, mut svg) =
        (false, root.join("BENCHMARKS.md"), root.join("docs").join("lookup-latency.svg"));
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--record" => record = true,
            "--out" => out = args.next().ok_or("--out needs a file")?.into(),
            "--svg" => svg = args.next().ok_or("--svg needs a file")?.into(),
            other => return Err(format!("unknown argument {other:?} (use --record, --out FILE, --svg FILE)").into()),
        }
    }
    let criterion = target_dir().join("criterion");
    let runs_dir = target_dir().join("bench-runs");
    let mut current = Run::new();
    read_criterion(&criterion, &mut current);
    let memory = read_json(&criterion.join("memory").join("results.json")).unwrap_or(Value::Null);
    if record {
        std::fs::create_dir_all(&runs_dir)?;
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_secs();
        let file = runs_dir.join(format!("run-{stamp}.json"));
        std::fs::write(&file, serde_json::to_string(&run_to_json(&current, &memory))?)?;
        println!("recorded {}", file.display());
    }
    let mut saved: Vec<PathBuf> = std::fs::read_dir(&runs_dir)
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect())
        .unwrap_or_default();
    saved.sort();
    let runs = if saved.is_empty() {
        Runs(vec![current])
    } else {
        Runs(saved.iter().filter_map(|p| read_json(p)).map(|v| run_from_json(&v)).collect())
    };
    if runs.0.iter().all(Run::is_empty) {
        return Err("no results: run `cargo bench --bench ops` (and `--bench memory`) first".into());
    }

    let mut body = String::new();
    let k = runs.0.len();
    let _ = writeln!(
        body,
        "Figures are medians over {k} run{} (criterion's median per run); each ratio is taken within one run, \
         then the median over runs is shown with ± half its spread across runs.\n",
        if k == 1 { "" } else { "s" }
    );
    let _ = writeln!(body, "### Bars (issue 12)\n");
    bars_table(&runs, &memory, &mut body);
    let _ = writeln!(body, "\n### Lookup time against N\n\n![lookup time against N](docs/lookup-latency.svg)\n");
    let _ = writeln!(body, "### All workloads (time per operation; iteration and clone: per full pass)\n");
    full_table(&runs, &mut body);
    let _ = writeln!(body, "\n### Memory per stored range (counting allocator)\n");
    memory_table(&memory, &mut body);
    let mut kernel = String::new();
    if kernel_table(&runs, &mut kernel) {
        let _ = writeln!(body, "\n### maple-vma against the live kernel (same operations, same layout, same run)\n");
        body.push_str(&kernel);
    }
    print!("{body}");

    let section = format!("{BEGIN}\n{body}{END}");
    let text = match std::fs::read_to_string(&out) {
        Ok(old) => match (old.find(BEGIN), old.find(END)) {
            (Some(a), Some(b)) if a < b => format!("{}{section}{}", &old[..a], &old[b + END.len()..]),
            _ => format!("{old}\n{section}\n"),
        },
        Err(_) => format!("# Benchmarks\n\n{section}\n"),
    };
    std::fs::write(&out, text)?;
    plot(&runs, &svg)?;
    println!("\nwrote {} and {}", out.display(), svg.display());
    Ok(())
}
