//! Every real `/proc/pid/maps` file the repository holds (the bundled traces' start and end
//! dumps, the tree example's python3 capture) and the live `/proc/self/maps` parse with
//! `maple_vma::maps` and print back byte for byte.

use std::path::{Path, PathBuf};

use maple_vma::maps::{parse_maps, MapsLine};

/// Parses `text` and checks that printing every line gives the text back.
fn round_trip(text: &str, source: &str) -> Vec<MapsLine> {
    let lines = parse_maps(text).unwrap_or_else(|error| panic!("{source}: {error}"));
    let printed: String = lines.iter().map(|line| format!("{line}\n")).collect();
    for (line, (printed, original)) in printed.lines().zip(text.lines()).enumerate() {
        assert_eq!(printed, original, "{source}:{}", line + 1);
    }
    assert_eq!(printed.lines().count(), text.lines().count(), "{source}");
    lines
}

fn bundled() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("../maple/examples/data/python3.maps")];
    for dir in std::fs::read_dir(root.join("traces")).expect("traces") {
        for file in std::fs::read_dir(dir.unwrap().path()).unwrap() {
            let path = file.unwrap().path();
            if path.to_string_lossy().ends_with(".maps.gz") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

#[test]
fn bundled_maps_files_round_trip_exactly() {
    let files = bundled();
    assert!(files.len() >= 15, "the bundled maps files are missing: {files:?}");
    let mut lines = 0;
    for file in &files {
        let path = file.to_str().unwrap();
        let text = maple_replay::read_text(path).unwrap();
        lines += round_trip(&text, path).len();
    }
    assert!(lines > 1000, "{lines} lines");
}

#[cfg(target_os = "linux")]
#[test]
fn the_live_proc_self_maps_round_trips_exactly() {
    let text = std::fs::read_to_string("/proc/self/maps").expect("read /proc/self/maps");
    let lines = round_trip(&text, "/proc/self/maps");
    assert!(lines.iter().any(|line| line.path == "[stack]"), "{text}");
    assert!(lines.iter().any(|line| line.is_file()), "{text}");
}
