//! `maple-replay replay` on imperfect logs: cut in the middle of a call, not UTF-8, empty, a
//! `--pid` that is not in the log, a refused first call without a start layout.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Writes `content` to a fresh file in the test's temporary directory.
fn file(name: &str, content: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("maple-replay-imperfect-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn maple_replay(args: &[&str], log: &PathBuf) -> (i32, String, String) {
    let output: Output =
        Command::new(env!("CARGO_BIN_EXE_maple-replay")).args(args).arg(log).output().expect("run maple-replay");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.code().unwrap_or(-1), text(output.stdout), text(output.stderr))
}

const START: &str = "7f0000000000-7f0000004000 rw-p 00000000 00:00 0 \n";

#[test]
fn a_call_that_never_resumed_is_reported_and_left_out() {
    let log = file(
        "cut.log",
        b"10 mprotect(0x7f0000001000, 4096, PROT_READ) = 0
11 munmap(0x7f0000003000, 4096 <unfinished ...>
10 munmap(0x7f0000000000, 4096) = 0
",
    );
    let maps = file("cut.maps", START.as_bytes());
    let (code, out, err) = maple_replay(&["replay", "--maps", maps.to_str().unwrap()], &log);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("line 2: thread 11's call never resumed") && err.contains("left out"), "{err}");
    assert!(err.contains("calls that never resumed (the log was cut short): 1, left out (lines 2)"), "{err}");
    assert_eq!(
        out,
        "7f0000001000-7f0000002000 r--p 00000000 00:00 0 \n7f0000002000-7f0000004000 rw-p 00000000 00:00 0 \n"
    );
    let (code, json, _) = maple_replay(&["replay", "--json", "--maps", maps.to_str().unwrap()], &log);
    assert_eq!(code, 0);
    assert!(json.contains("\"unfinished\":[{\"line\":2,"), "{json}");
}

#[test]
fn text_that_is_not_utf8_names_its_line() {
    let log = file("binary.log", b"10 munmap(0x7f0000003000, 4096) = 0\n10 mmap(\xc3\x28) = 0\n");
    let (code, _, err) = maple_replay(&["replay"], &log);
    assert_eq!(code, 2);
    assert!(err.contains("binary.log: line 2: not UTF-8 text"), "{err}");
}

#[test]
fn an_empty_log_says_so() {
    for (name, content) in [("empty.log", ""), ("nothing.log", "10 getpid() = 10\n")] {
        let (code, _, err) = maple_replay(&["replay"], &file(name, content.as_bytes()));
        assert_eq!(code, 2, "{name}");
        assert!(err.contains("the log holds no memory or process system calls"), "{name}: {err}");
        assert!(!err.contains("process 0"), "{err}");
    }
}

#[test]
fn a_pid_that_is_not_in_the_log_is_an_error() {
    let log = file("pids.log", b"10 munmap(0x7f0000003000, 4096) = 0\n");
    let (code, _, err) = maple_replay(&["replay", "--pid", "99"], &log);
    assert_eq!(code, 2);
    assert!(err.contains("process 99 is not in the log (its processes: 10...)"), "{err}");
    let unprefixed = file("unprefixed.log", b"munmap(0x7f0000003000, 4096) = 0\n");
    let (code, _, err) = maple_replay(&["replay", "--pid", "99"], &unprefixed);
    assert_eq!(code, 2);
    assert!(err.contains("no pid prefixes"), "{err}");
}

#[test]
fn a_refused_first_call_without_a_start_layout_says_how_to_capture_one() {
    let log = file("nostart.log", b"10 mprotect(0x7f0000001000, 4096, PROT_READ) = 0\n");
    let (code, _, err) = maple_replay(&["replay"], &log);
    assert_eq!(code, 1);
    assert!(err.contains("line 1: mprotect:") && err.contains("--maps FILE"), "{err}");
    assert!(err.contains("replay/capture/README.md"), "{err}");
}
