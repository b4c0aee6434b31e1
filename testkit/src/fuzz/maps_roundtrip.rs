//! The `maps_roundtrip` target: arbitrary text as `/proc/pid/maps` lines. Parsing never
//! panics; a line that parses prints in the kernel's format (checked against the column rule
//! written out independently here: the head with its trailing space, padded with spaces to
//! 72 characters, one space, the name) and parses back to the same value; a whole-file parse
//! that succeeds is sorted and agrees with the lines parsed one by one.

use maple_vma::maps::{parse_maps, MapsLine};

/// Longer inputs are cut.
const MAX_LEN: usize = 1 << 14;

/// The kernel's format of `line`, spelled out field by field.
fn expected(line: &MapsLine) -> String {
    let p = line.perms;
    let flag = |on: bool, c: char| if on { c } else { '-' };
    let head = format!(
        "{:08x}-{:08x} {}{}{}{} {:08x} {:02x}:{:02x} {} ",
        line.start,
        line.end,
        flag(p.read, 'r'),
        flag(p.write, 'w'),
        flag(p.exec, 'x'),
        if p.shared { 's' } else { 'p' },
        line.offset,
        line.dev.0,
        line.dev.1,
        line.inode
    );
    match line.path.is_empty() {
        true => head,
        false => format!("{head:<72} {}", line.path),
    }
}

/// Runs one input.
pub fn run(data: &[u8]) -> Result<(), String> {
    let text = String::from_utf8_lossy(&data[..data.len().min(MAX_LEN)]);
    let mut parsed = Vec::new();
    for text in text.lines() {
        let Ok(line) = text.parse::<MapsLine>() else { continue };
        let printed = line.to_string();
        if printed != expected(&line) {
            return Err(format!("`{text}` printed as `{printed}`, the kernel prints `{}`", expected(&line)));
        }
        match printed.parse::<MapsLine>() {
            Ok(again) if again == line => {}
            again => return Err(format!("`{text}` -> {line:?} -> `{printed}` -> {again:?}")),
        }
        if !text.trim().is_empty() {
            parsed.push(line);
        }
    }
    if let Ok(lines) = parse_maps(&text) {
        if lines != parsed {
            return Err(format!("parse_maps gave {} lines, line by line {}", lines.len(), parsed.len()));
        }
        if lines.windows(2).any(|pair| pair[0].end > pair[1].start) {
            return Err("parse_maps accepted overlapping lines".into());
        }
    }
    Ok(())
}
