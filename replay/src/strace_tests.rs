//! Unit tests of the strace parser over snippets of real logs.

use super::*;

/// Parses a whole log, returning its events, or the first error.
fn parse(log: &str) -> Result<(Vec<Event>, ParseStats), ParseError> {
    let mut parser = Parser::new();
    let mut events = Vec::new();
    for (i, line) in log.lines().enumerate() {
        events.extend(parser.line(i + 1, line)?);
    }
    if let Some(error) = parser.finish().into_iter().next() {
        return Err(error);
    }
    Ok((events, parser.stats().clone()))
}

fn one(line: &str) -> Event {
    let (mut events, _) = parse(line).unwrap();
    assert_eq!(events.len(), 1, "{line}");
    events.pop().unwrap()
}

#[test]
fn mmap_with_fd_path_and_pid() {
    let event = one("2804  mmap(0x7fa870ad8000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3</usr/lib/x86_64-linux-gnu/libc.so.6>, 0x26000) = 0x7fa870ad8000");
    assert_eq!(event.pid, 2804);
    assert_eq!(event.line, 1);
    assert_eq!(event.ret, Ret::Value(0x7fa8_70ad_8000));
    assert_eq!(
        event.call,
        Call::Mmap {
            addr: 0x7fa8_70ad_8000,
            len: 1_400_832,
            prot: 5,
            flags: 0x812,
            fd: 3,
            path: Some("/usr/lib/x86_64-linux-gnu/libc.so.6".into()),
            offset: 0x26000
        }
    );
}

#[test]
fn anonymous_mmap_without_pid_or_fd_path() {
    let event = one("mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f8f3b759000");
    assert_eq!(event.pid, 0);
    assert_eq!(event.call, Call::Mmap { addr: 0, len: 8192, prot: 3, flags: 0x22, fd: -1, path: None, offset: 0 });
}

#[test]
fn verbose_constants_and_timestamps() {
    let event = one("4909  1795437024.757211 mmap(NULL, 8192, 0x3 /* PROT_READ|PROT_WRITE */, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0) = 0x7f7a32631000");
    assert!(matches!(event.call, Call::Mmap { prot: 3, flags: 0x22, .. }));
    let event = one("3588  12:29:56.477086 mprotect(0x945000, 4096, PROT_READ) = 0 <0.000011>");
    assert_eq!(event.call, Call::Mprotect { addr: 0x94_5000, len: 4096, prot: 1 });
    let event = one("12:29:56 madvise(0x7f0000000000, 8192, 4 /* MADV_DONTNEED */) = 0");
    assert_eq!(event.call, Call::Madvise { addr: 0x7f00_0000_0000, len: 8192, advice: 4 });
    let event = one("[pid  5007] munmap(0x7f5bd8000000, 67108864) = 0");
    assert_eq!((event.pid, event.call), (5007, Call::Munmap { addr: 0x7f5b_d800_0000, len: 67_108_864 }));
}

#[test]
fn failed_calls_keep_their_errno() {
    let event = one("77 mmap(NULL, 1099511627776, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = -1 ENOMEM (Cannot allocate memory)");
    assert_eq!(event.ret, Ret::Error("ENOMEM".into()));
    let event = one(
        r#"4805  execve("/root/.cargo/bin/as", ["as", "--64"], 0x3c136d30 /* 41 vars */) = -1 ENOENT (No such file or directory)"#,
    );
    assert_eq!(event.call, Call::Execve { path: Some("/root/.cargo/bin/as".into()) });
    assert_eq!(event.ret, Ret::Error("ENOENT".into()));
}

#[test]
fn unfinished_and_resumed_calls_join_at_the_resumption() {
    let log = "\
5006  mprotect(0x7f5bdc000000, 135168, PROT_READ|PROT_WRITE <unfinished ...>
5004  mprotect(0x7f5be1b12000, 8388608, PROT_READ|PROT_WRITE <unfinished ...>
5006  <... mprotect resumed>)           = 0
5004  <... mprotect resumed>)           = 0
3588  12:29:56.480868 vfork( <unfinished ...>
3588  12:29:56.481522 <... vfork resumed>) = 3589
5004  clone3({flags=CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID, child_tid=0x7f5be3b14990, parent_tid=0x7f5be3b14990, exit_signal=0, stack=0x7f5be3314000, stack_size=0x7fff00, tls=0x7f5be3b146c0} <unfinished ...>
5004  <... clone3 resumed> => {parent_tid=[5007]}, 88) = 5007
";
    let (events, _) = parse(log).unwrap();
    assert_eq!(events.len(), 4);
    assert_eq!((events[0].line, events[0].pid), (3, 5006));
    assert_eq!(events[0].call, Call::Mprotect { addr: 0x7f5b_dc00_0000, len: 135_168, prot: 3 });
    assert_eq!((events[1].line, events[1].pid), (4, 5004));
    assert_eq!((events[2].call.clone(), events[2].ret.clone()), (Call::Vfork, Ret::Value(3589)));
    assert_eq!(events[3].call, Call::Clone { flags: 0x3d_0f00 });
    assert_eq!(events[3].ret, Ret::Value(5007));
}

#[test]
fn legacy_clone_with_exit_signal() {
    let event = one(
        "100 clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, child_tidptr=0x7f1) = 101",
    );
    assert_eq!(event.call, Call::Clone { flags: 0x0120_0011 });
    let event = one("100 clone(child_stack=0x7f00, flags=0x3d0f00 /* CLONE_VM|... */) = 102");
    assert_eq!(event.call, Call::Clone { flags: 0x3d_0f00 });
}

#[test]
fn signals_exits_markers_and_skipped_calls() {
    let log = "\
2804  madvise(0x6d61706c0000, 0, MADV_NORMAL) = 0
2804  wait4(3589, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], 0, NULL) = 3589
2804  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=3589, si_uid=0, si_status=0} ---
2804  madvise(0x6d61706c1000, 0, 0 /* MADV_NORMAL */) = 0
2804  exit_group(0)                     = ?
2804  +++ exited with 0 +++
9 +++ killed by SIGKILL (core dumped) +++
";
    let (events, stats) = parse(log).unwrap();
    let calls: Vec<Call> = events.into_iter().map(|event| event.call).collect();
    assert_eq!(
        calls,
        [
            Call::Marker(Marker::Start),
            Call::Marker(Marker::End),
            Call::Exit { status: "0".into() },
            Call::Exit { status: "SIGKILL (core dumped)".into() }
        ]
    );
    assert_eq!(stats.signals, 1);
    assert_eq!(stats.skipped.get("wait4"), Some(&1));
    assert_eq!(stats.skipped.get("exit_group"), Some(&1));
}

#[test]
fn brk_mremap_mlock_and_unsupported() {
    assert_eq!(one("1 brk(NULL) = 0x55ee19b4c000").call, Call::Brk { addr: 0 });
    assert_eq!(one("1 brk(0x36e5b000) = 0x36e5b000").ret, Ret::Value(0x36e5_b000));
    assert_eq!(
        one("1 mremap(0x7f0000001000, 4096, 8192, MREMAP_MAYMOVE) = 0x7f0000100000").call,
        Call::Mremap { addr: 0x7f00_0000_1000, old_len: 4096, new_len: 8192, flags: 1, new_addr: 0 }
    );
    assert_eq!(
        one("1 mremap(0x1000, 4096, 4096, MREMAP_MAYMOVE|MREMAP_FIXED, 0x9000) = 0x9000").call,
        Call::Mremap { addr: 0x1000, old_len: 4096, new_len: 4096, flags: 3, new_addr: 0x9000 }
    );
    assert_eq!(
        one("1 mlock2(0x1000, 4096, MLOCK_ONFAULT) = 0").call,
        Call::Mlock { addr: 0x1000, len: 4096, flags: 1 }
    );
    assert_eq!(one("1 mlockall(MCL_CURRENT|MCL_FUTURE) = 0").call, Call::Mlockall { flags: 3 });
    assert_eq!(one("1 munlockall() = 0").call, Call::Munlockall);
    assert_eq!(one("1 shmat(3, NULL, 0) = 0x7f0000000000").call, Call::Unsupported { name: "shmat".into() });
}

#[test]
fn thread_execve_resumed_in_the_leader() {
    let log = "\
11 execve(\"/bin/true\", [\"true\"], 0x7ffd /* 3 vars */ <unfinished ...>
10 +++ superseded by execve in pid 11 +++
10 <... execve resumed>) = 0
";
    // The resumption comes from the leader (10), whose own pending call is gone; the
    // thread's (11) unfinished execve never resumes under its own id, so strace's
    // `superseded` line is what ends it in real logs; here we check that the leader's
    // resumption becomes an execve event.
    let mut parser = Parser::new();
    assert_eq!(parser.line(1, log.lines().next().unwrap()), Ok(None));
    assert_eq!(parser.line(2, "11 +++ superseded by execve in pid 11 +++"), Ok(None));
    let event = parser.line(3, "10 <... execve resumed>) = 0").unwrap().unwrap();
    assert_eq!(event.call, Call::Execve { path: None });
    assert!(parser.finish().is_empty());
}

#[test]
fn errors_name_the_line() {
    let log = "1 brk(NULL) = 0x1000\n1 mmap(NULL, 4096, PROT_READ|PROT_BOGUS, MAP_PRIVATE, -1, 0) = 0x1\n";
    assert_eq!(
        parse(log).unwrap_err(),
        ParseError { line: 2, message: "`mmap`: unknown constant `PROT_BOGUS` in `PROT_READ|PROT_BOGUS`".into() }
    );
    let truncated = "1 brk(NULL) = 0x1000\n1 mmap(NULL, 40";
    assert_eq!(parse(truncated).unwrap_err().line, 2);
    assert!(parse(truncated).unwrap_err().message.contains("truncated"));
    let unresumed = "1 brk(NULL) = 0x1000\n1 mmap(NULL, 4096 <unfinished ...>\n";
    assert_eq!(parse(unresumed).unwrap_err().line, 2);
    assert!(parse("1 <... mmap resumed>) = 0").unwrap_err().message.contains("without an unfinished call"));
    assert!(parse("1 munmap(0x1000) = 0").unwrap_err().message.contains("expected 2"));
    assert!(parse("1 what is this").is_err());
    assert!(parse("1 mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, -1, 0)")
        .unwrap_err()
        .message
        .contains("no return value"));
}

#[test]
fn an_exit_ends_an_unfinished_call() {
    let log = "5 futex(0x1, FUTEX_WAIT, 0 <unfinished ...>\n5 +++ exited with 0 +++\n";
    let (events, stats) = parse(log).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(stats.interrupted, 1);
}

#[test]
fn every_cut_of_real_lines_is_an_error_or_an_event_never_a_panic() {
    let lines = [
        "2804  mmap(0x7fa870ad8000, 1400832, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED|MAP_DENYWRITE, 3</usr/lib/libc.so.6>, 0x26000) = 0x7fa870ad8000",
        "5004  clone3({flags=CLONE_VM|CLONE_THREAD, child_tid=0x7f5be3b14990, exit_signal=0, stack=0x7f5be3314000} <unfinished ...>",
        "5004  <... clone3 resumed> => {parent_tid=[5007]}, 88) = 5007",
        "4805  12:30:23.188220 execve(\"/root/.cargo/bin/as\", [\"as\", \"--64\"], 0x3c136d30 /* 41 vars */) = -1 ENOENT (No such file or directory)",
        "3588  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=3589} ---",
        "4909  1795437024.757211 mmap(NULL, 8192, 0x3 /* PROT_READ|PROT_WRITE */, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, -1, 0) = 0x7f7a32631000",
        "[pid  5007] mremap(0x7f0000001000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x7f0000100000) = 0x7f0000100000",
        "9 +++ killed by SIGKILL (core dumped) +++",
        "1 mmap(NULL, 4096, PROT_READ, MAP_SHARED, 4</tmp/é, ü>, 0) = 0x1000",
    ];
    for line in lines {
        for (cut, _) in line.char_indices() {
            let mut parser = Parser::new();
            let _ = parser.line(1, &line[..cut]);
            let _ = parser.line(2, "5004  <... clone3 resumed> => {parent_tid=[5007]}, 88) = 5007");
            let _ = parser.finish();
        }
    }
}

#[test]
fn a_log_cut_in_the_middle_of_a_call_keeps_everything_known() {
    let log = "\
10 munmap(0x7f0000003000, 4096) = 0
11 mmap(NULL, 8192, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0 <unfinished ...>
10 munmap(0x7f0000005000, 4096) = 0
10 mprotect(0x7f0000001000, 4096, PROT_READ <unfinished ...>
";
    let parsed = parse_log(log, false, &mut |_| {}).unwrap();
    assert_eq!(parsed.events.len(), 2);
    let lines: Vec<usize> = parsed.unfinished.iter().map(|error| error.line).collect();
    assert_eq!(lines, [2, 4]);
    assert!(parsed.unfinished[0].message.contains("never resumed"), "{}", parsed.unfinished[0]);
    assert!(parsed.errors.is_empty());
}

#[test]
fn text_that_is_not_utf8_is_reported_with_its_line() {
    let error = decode(b"10 munmap(0x1000, 4096) = 0\n10 mmap(\xff\xfe) = 0\n").unwrap_err();
    assert_eq!(error.line, 2);
    assert_eq!(error.to_string(), "line 2: not UTF-8 text (byte 9 of the line)");
    assert_eq!(decode(b"fine\n"), Ok("fine\n"));
}
