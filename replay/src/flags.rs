//! The symbolic constants strace prints for the memory and process system calls (x86-64
//! values), and the parser of flag expressions such as `PROT_READ|PROT_WRITE`,
//! `MAP_PRIVATE|0x40000`, `0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */` (`-X verbose`) or `0x3`
//! (`-X raw`).

/// `mmap`/`mprotect` protection bits.
pub(crate) const PROT: &[(&str, u64)] = &[
    ("PROT_NONE", 0),
    ("PROT_READ", 0x1),
    ("PROT_WRITE", 0x2),
    ("PROT_EXEC", 0x4),
    ("PROT_SEM", 0x8),
    ("PROT_GROWSDOWN", 0x0100_0000),
    ("PROT_GROWSUP", 0x0200_0000),
];

/// `mmap` flags.
pub(crate) const MAP: &[(&str, u64)] = &[
    ("MAP_SHARED", 0x1),
    ("MAP_PRIVATE", 0x2),
    ("MAP_SHARED_VALIDATE", 0x3),
    ("MAP_DROPPABLE", 0x8),
    ("MAP_FIXED", 0x10),
    ("MAP_ANONYMOUS", 0x20),
    ("MAP_ANON", 0x20),
    ("MAP_32BIT", 0x40),
    ("MAP_GROWSDOWN", 0x100),
    ("MAP_DENYWRITE", 0x800),
    ("MAP_EXECUTABLE", 0x1000),
    ("MAP_LOCKED", 0x2000),
    ("MAP_NORESERVE", 0x4000),
    ("MAP_POPULATE", 0x8000),
    ("MAP_NONBLOCK", 0x1_0000),
    ("MAP_STACK", 0x2_0000),
    ("MAP_HUGETLB", 0x4_0000),
    ("MAP_SYNC", 0x8_0000),
    ("MAP_FIXED_NOREPLACE", 0x10_0000),
    ("MAP_UNINITIALIZED", 0x400_0000),
    ("MAP_HUGE_64KB", 16 << 26),
    ("MAP_HUGE_2MB", 21 << 26),
    ("MAP_HUGE_1GB", 30 << 26),
];

pub(crate) const PROT_WRITE: u64 = 0x2;

pub(crate) const MAP_SHARED: u64 = 0x1;
pub(crate) const MAP_SHARED_VALIDATE: u64 = 0x3;
pub(crate) const MAP_FIXED: u64 = 0x10;
pub(crate) const MAP_ANONYMOUS: u64 = 0x20;
pub(crate) const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;

/// `mremap` flags.
pub(crate) const MREMAP: &[(&str, u64)] = &[("MREMAP_MAYMOVE", 0x1), ("MREMAP_FIXED", 0x2), ("MREMAP_DONTUNMAP", 0x4)];

pub(crate) const MREMAP_FIXED: u64 = 0x2;

/// `madvise` advice values (not bits: an expression names exactly one).
pub(crate) const MADV: &[(&str, u64)] = &[
    ("MADV_NORMAL", 0),
    ("MADV_RANDOM", 1),
    ("MADV_SEQUENTIAL", 2),
    ("MADV_WILLNEED", 3),
    ("MADV_DONTNEED", 4),
    ("MADV_FREE", 8),
    ("MADV_REMOVE", 9),
    ("MADV_DONTFORK", 10),
    ("MADV_DOFORK", 11),
    ("MADV_MERGEABLE", 12),
    ("MADV_UNMERGEABLE", 13),
    ("MADV_HUGEPAGE", 14),
    ("MADV_NOHUGEPAGE", 15),
    ("MADV_DONTDUMP", 16),
    ("MADV_DODUMP", 17),
    ("MADV_WIPEONFORK", 18),
    ("MADV_KEEPONFORK", 19),
    ("MADV_COLD", 20),
    ("MADV_PAGEOUT", 21),
    ("MADV_POPULATE_READ", 22),
    ("MADV_POPULATE_WRITE", 23),
    ("MADV_DONTNEED_LOCKED", 24),
    ("MADV_COLLAPSE", 25),
    ("MADV_HWPOISON", 100),
    ("MADV_SOFT_OFFLINE", 101),
    ("MADV_GUARD_INSTALL", 102),
    ("MADV_GUARD_REMOVE", 103),
];

/// `mlock2` flags.
pub(crate) const MLOCK: &[(&str, u64)] = &[("MLOCK_ONFAULT", 0x1)];

/// `mlockall` flags.
pub(crate) const MCL: &[(&str, u64)] = &[("MCL_CURRENT", 0x1), ("MCL_FUTURE", 0x2), ("MCL_ONFAULT", 0x4)];

/// `clone`/`clone3` flags. The low byte of `clone`'s flags is the exit signal, which strace
/// prints as a signal name (`SIGCHLD`); [`SIGNALS`] gives those.
pub(crate) const CLONE: &[(&str, u64)] = &[
    ("CLONE_NEWTIME", 0x80),
    ("CLONE_VM", 0x100),
    ("CLONE_FS", 0x200),
    ("CLONE_FILES", 0x400),
    ("CLONE_SIGHAND", 0x800),
    ("CLONE_PIDFD", 0x1000),
    ("CLONE_PTRACE", 0x2000),
    ("CLONE_VFORK", 0x4000),
    ("CLONE_PARENT", 0x8000),
    ("CLONE_THREAD", 0x1_0000),
    ("CLONE_NEWNS", 0x2_0000),
    ("CLONE_SYSVSEM", 0x4_0000),
    ("CLONE_SETTLS", 0x8_0000),
    ("CLONE_PARENT_SETTID", 0x10_0000),
    ("CLONE_CHILD_CLEARTID", 0x20_0000),
    ("CLONE_DETACHED", 0x40_0000),
    ("CLONE_UNTRACED", 0x80_0000),
    ("CLONE_CHILD_SETTID", 0x100_0000),
    ("CLONE_NEWCGROUP", 0x200_0000),
    ("CLONE_NEWUTS", 0x400_0000),
    ("CLONE_NEWIPC", 0x800_0000),
    ("CLONE_NEWUSER", 0x1000_0000),
    ("CLONE_NEWPID", 0x2000_0000),
    ("CLONE_NEWNET", 0x4000_0000),
    ("CLONE_IO", 0x8000_0000),
    ("CLONE_CLEAR_SIGHAND", 0x1_0000_0000),
    ("CLONE_INTO_CGROUP", 0x2_0000_0000),
];

pub(crate) const CLONE_VM: u64 = 0x100;
pub(crate) const CLONE_VFORK: u64 = 0x4000;

/// Signal numbers, for the exit signal in `clone`'s flags.
pub(crate) const SIGNALS: &[(&str, u64)] = &[
    ("SIGHUP", 1),
    ("SIGINT", 2),
    ("SIGQUIT", 3),
    ("SIGILL", 4),
    ("SIGTRAP", 5),
    ("SIGABRT", 6),
    ("SIGBUS", 7),
    ("SIGFPE", 8),
    ("SIGKILL", 9),
    ("SIGUSR1", 10),
    ("SIGSEGV", 11),
    ("SIGUSR2", 12),
    ("SIGPIPE", 13),
    ("SIGALRM", 14),
    ("SIGTERM", 15),
    ("SIGSTKFLT", 16),
    ("SIGCHLD", 17),
    ("SIGCONT", 18),
    ("SIGSTOP", 19),
    ("SIGTSTP", 20),
    ("SIGTTIN", 21),
    ("SIGTTOU", 22),
    ("SIGURG", 23),
    ("SIGXCPU", 24),
    ("SIGXFSZ", 25),
    ("SIGVTALRM", 26),
    ("SIGPROF", 27),
    ("SIGWINCH", 28),
    ("SIGIO", 29),
    ("SIGPWR", 30),
    ("SIGSYS", 31),
];

/// Parses an integer as strace prints it: `0x1f` hexadecimal, `0755` octal, `42` or `-1`
/// decimal, `NULL` for a null pointer. Negative numbers are returned as their two's
/// complement (`-1` is `u64::MAX`), as the kernel sees an `unsigned long` argument.
pub(crate) fn parse_int(text: &str) -> Option<u64> {
    let text = strip_comment(text).trim();
    if text == "NULL" {
        return Some(0);
    }
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let value = if let Some(hex) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        digits.parse::<u64>().ok()?
    };
    Some(if negative { value.wrapping_neg() } else { value })
}

/// Removes a trailing `/* ... */` comment (what `-X verbose` adds after a number).
fn strip_comment(text: &str) -> &str {
    match text.find("/*") {
        Some(at) => text[..at].trim_end(),
        None => text,
    }
}

/// Parses a flag expression against `table`: names and numbers joined by `|`. `extra` is a
/// second table whose names are also accepted (signals in `clone` flags). Returns the name
/// that is not in the table on failure.
pub(crate) fn parse_flags(text: &str, table: &[(&str, u64)], extra: &[(&str, u64)]) -> Result<u64, String> {
    let text = strip_comment(text).trim();
    if text.is_empty() {
        return Err(String::new());
    }
    let mut value = 0;
    for part in text.split('|') {
        let part = part.trim();
        let bits = match parse_int(part) {
            Some(bits) => bits,
            None => {
                let found = table.iter().chain(extra).find(|(name, _)| *name == part);
                match found {
                    Some(&(_, bits)) => bits,
                    None => return Err(part.to_owned()),
                }
            }
        };
        value |= bits;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_int("NULL"), Some(0));
        assert_eq!(parse_int("0x7f8f3b759000"), Some(0x7f8f_3b75_9000));
        assert_eq!(parse_int("8192"), Some(8192));
        assert_eq!(parse_int("0"), Some(0));
        assert_eq!(parse_int("0644"), Some(0o644));
        assert_eq!(parse_int("-1"), Some(u64::MAX));
        assert_eq!(parse_int("0x3 /* PROT_READ|PROT_WRITE */"), Some(3));
        assert_eq!(parse_int("PROT_READ"), None);
        assert_eq!(parse_int("0xg"), None);
    }

    #[test]
    fn flag_expressions() {
        assert_eq!(parse_flags("PROT_READ|PROT_WRITE", PROT, &[]), Ok(3));
        assert_eq!(parse_flags("PROT_NONE", PROT, &[]), Ok(0));
        assert_eq!(parse_flags("MAP_PRIVATE|MAP_ANONYMOUS|MAP_STACK", MAP, &[]), Ok(0x2_0022));
        assert_eq!(parse_flags("MAP_PRIVATE|0x40000000", MAP, &[]), Ok(0x4000_0002));
        assert_eq!(parse_flags("0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */", MAP, &[]), Ok(0x22));
        assert_eq!(parse_flags("CLONE_VM|CLONE_VFORK|SIGCHLD", CLONE, SIGNALS), Ok(0x4111));
        assert_eq!(parse_flags("MAP_PRIVATE|MAP_BOGUS", MAP, &[]), Err("MAP_BOGUS".to_owned()));
        assert_eq!(parse_flags("", MAP, &[]), Err(String::new()));
    }
}
