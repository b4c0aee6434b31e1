//! The `strace_parse` target: arbitrary bytes as an strace log. Decoding and parsing never
//! panic; every error, skipped line, unfinished call and event carries a line of the input;
//! parsing with `keep_going` never fails and, when the strict parse succeeds, gives the same
//! log.

use maple_replay::strace::{decode, parse_log};

/// Longer inputs are cut, so that every input finishes quickly.
const MAX_LEN: usize = 1 << 16;

/// Runs one input.
pub fn run(data: &[u8]) -> Result<(), String> {
    let data = &data[..data.len().min(MAX_LEN)];
    let lines = data.split(|&b| b == b'\n').count();
    let in_range = |line: usize, what: &str| match (1..=lines).contains(&line) {
        true => Ok(()),
        false => Err(format!("{what} at line {line} of a {lines}-line input")),
    };
    let text = match decode(data) {
        Ok(text) => text,
        Err(error) => return in_range(error.line, "the UTF-8 error"),
    };
    let lenient = parse_log(text, true, &mut |_| {}).map_err(|error| format!("keep_going failed: {error}"))?;
    for error in lenient.errors.iter().chain(&lenient.unfinished) {
        in_range(error.line, "an error")?;
    }
    let mut previous = 0;
    for event in &lenient.events {
        in_range(event.line, "an event")?;
        if event.line <= previous {
            return Err(format!("event of line {} after one of line {previous}", event.line));
        }
        previous = event.line;
    }
    match parse_log(text, false, &mut |_| {}) {
        Err(error) => in_range(error.line, "the parse error"),
        Ok(strict) if strict != lenient => Err("keep_going changed a log that has no bad line".into()),
        Ok(_) if !lenient.errors.is_empty() => Err("the strict parse accepted a bad line".into()),
        Ok(_) => Ok(()),
    }
}
