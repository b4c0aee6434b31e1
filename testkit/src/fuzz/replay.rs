//! The `replay` target: an arbitrary log and start layout replayed end to end, on the VMA
//! manager and on the page model, with every option the first byte selects. Each gives a
//! result or a clear error ([`SetupError`](maple_replay::engine::SetupError), or errors
//! naming a line of the log), never a panic; a replayed VMA manager is valid and every
//! layout it prints is sorted and page-aligned. Time and memory are bounded: inputs are cut
//! at 16 KiB and 400 events, and both spaces hold ranges, not pages.
//!
//! The input: one byte of options (bit 0 a start layout, bit 1 `keep_going`, bit 2
//! `validate`, bit 3 `place`), then the start layout (`/proc/pid/maps` lines), a blank
//! line, and the strace log.

use maple_replay::apply::{files_of, Space};
use maple_replay::engine::{replay, Options};
use maple_replay::maps::{parse_layout, PAGE};
use maple_replay::model::PageModel;
use maple_replay::strace::{parse_log, Event};
use maple_replay::vma_space::VmaSpace;

const MAX_LEN: usize = 1 << 14;
const MAX_EVENTS: usize = 400;

/// Runs one input.
pub fn run(data: &[u8]) -> Result<(), String> {
    let Some((&options, rest)) = data.split_first() else { return Ok(()) };
    let text = String::from_utf8_lossy(&rest[..rest.len().min(MAX_LEN)]);
    let (layout, log) = text.split_once("\n\n").unwrap_or(("", &text));
    let start = match options & 1 != 0 {
        true => parse_layout(layout).ok(),
        false => None,
    };
    let mut log = parse_log(log, true, &mut |_| {}).map_err(|error| format!("keep_going failed: {error}"))?;
    log.events.truncate(MAX_EVENTS);
    let options = Options {
        pid: None,
        files: files_of(start.iter().flatten()),
        start,
        place: options & 8 != 0,
        keep_going: options & 2 != 0,
        validate: options & 4 != 0,
    };
    check::<VmaSpace>(&log.events, &options)?;
    check::<PageModel>(&log.events, &options)
}

fn check<S: Space>(events: &[Event], options: &Options) -> Result<(), String> {
    let Ok(outcome) = replay::<S>(events, options, &mut |_| {}) else { return Ok(()) };
    let last = events.last().map_or(0, |event| event.line);
    if let Some(error) = outcome.errors.iter().find(|error| error.line > last || error.message.is_empty()) {
        return Err(format!("{}: an error without a line of the log: {error:?}", S::NAME));
    }
    let Some(space) = outcome.space else { return Ok(()) };
    space.validate().map_err(|violation| format!("{}: {violation}", S::NAME))?;
    let layout = space.layout();
    let bad = layout.windows(2).any(|pair| pair[0].end > pair[1].start)
        || layout.iter().any(|line| line.start >= line.end || line.start % PAGE != 0 || line.end % PAGE != 0);
    match bad {
        true => Err(format!("{}: a layout that is not sorted and page-aligned: {layout:?}", S::NAME)),
        false => Ok(()),
    }
}
