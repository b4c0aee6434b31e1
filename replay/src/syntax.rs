//! The lexical layer of strace output: the line prefix (pid, timestamps), a system call's
//! name, its top-level arguments and its return value.
//!
//! Arguments are split at the commas that are outside any bracket, string, comment or `-y`
//! file descriptor path, so `execve("/bin/a,b", ["x", "y"], 0x7ffd /* 3 vars */)` has three
//! arguments and `3</tmp/a, b>` is one.

/// What a line starts with: the pid, if strace printed one (`-f`), and the rest of the line
/// after any timestamp (`-t`, `-tt`, `-ttt`, `-r`).
pub(crate) fn split_prefix(line: &str) -> (Option<u32>, &str) {
    let mut rest = line.trim_start();
    let mut pid = None;
    if let Some(after) = rest.strip_prefix("[pid") {
        // `[pid  1234] ` (strace -f writing to a terminal or a single file without -o)
        if let Some(close) = after.find(']') {
            if let Ok(value) = after[..close].trim().parse() {
                pid = Some(value);
                rest = after[close + 1..].trim_start();
            }
        }
    } else {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let after = &rest[digits..];
        if digits > 0 && after.starts_with([' ', '\t']) {
            pid = rest[..digits].parse().ok();
            rest = after.trim_start();
        }
    }
    // Timestamps: one token of digits with `:` or `.` (`12:29:56.477086`, `1795437024.756641`,
    // `0.000123`).
    loop {
        let token = rest.split([' ', '\t']).next().unwrap_or("");
        let is_time = !token.is_empty()
            && token.bytes().all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
            && token.bytes().any(|b| b == b':' || b == b'.');
        if !is_time {
            break;
        }
        rest = rest[token.len()..].trim_start();
    }
    (pid, rest)
}

/// The text of a complete call after its name's `(`: the top-level arguments and what
/// follows the matching `)`. `None` if the closing parenthesis is missing.
pub(crate) fn split_args(text: &str) -> Option<(Vec<&str>, &str)> {
    let bytes = text.as_bytes();
    let mut args = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => i = skip_string(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map_or(bytes.len(), |at| i + 2 + at + 2);
                continue;
            }
            b'<' if i > 0 && bytes[i - 1].is_ascii_digit() => i = skip_fd_path(bytes, i),
            b'(' | b'[' | b'{' => depth += 1,
            b')' if depth == 0 => {
                let last = text[start..i].trim();
                if !last.is_empty() || !args.is_empty() {
                    args.push(last);
                }
                return Some((args, &text[i + 1..]));
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                args.push(text[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Index of the closing quote of the string starting at `open` (or the end).
fn skip_string(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// Index of the `>` closing a `-y` path that starts at `open` (`3</usr/lib/libc.so.6>`): the
/// first `>` followed by what may follow an argument.
fn skip_fd_path(bytes: &[u8], open: usize) -> usize {
    let mut i = open + 1;
    while i < bytes.len() {
        if bytes[i] == b'>' && matches!(bytes.get(i + 1), None | Some(b',' | b')' | b']' | b'}' | b' ')) {
            return i;
        }
        i += 1;
    }
    bytes.len()
}

/// A system call's result as strace prints it after `=`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ret {
    /// A value: an address, a length, a pid, zero.
    Value(u64),
    /// A failure: `-1 ENOMEM (Cannot allocate memory)` gives `"ENOMEM"`.
    Error(String),
    /// `?`: the call did not return (`exit_group`, a successful `execve` seen from a thread
    /// that was replaced).
    Unknown,
}

/// Parses what follows a call's closing parenthesis: `   = 0x7f0000`, ` = -1 ENOMEM (...)`,
/// ` = ?`, with an optional `-T` duration (`<0.000012>`) after it.
pub(crate) fn parse_ret(after: &str) -> Option<Ret> {
    let rest = after.trim_start().strip_prefix('=')?.trim_start();
    let mut words = rest.split_whitespace();
    let first = words.next()?;
    if first == "?" {
        return Some(Ret::Unknown);
    }
    if first.starts_with('-') {
        if let Some(errno) = words.next().filter(|word| word.starts_with('E')) {
            return Some(Ret::Error(errno.to_owned()));
        }
    }
    crate::flags::parse_int(first).map(Ret::Value)
}

/// Splits a file descriptor argument printed with `-y`: `3</usr/lib/libc.so.6>` gives
/// `(3, Some("/usr/lib/libc.so.6"))`, `-1` gives `(-1, None)`.
pub(crate) fn parse_fd(text: &str) -> Option<(i64, Option<&str>)> {
    let text = text.trim();
    let (number, path) = match text.find('<') {
        Some(at) if text.ends_with('>') => (&text[..at], Some(&text[at + 1..text.len() - 1])),
        Some(_) => return None,
        None => (text, None),
    };
    let number = number.split("/*").next().unwrap_or("").trim();
    Some((number.parse().ok()?, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes() {
        assert_eq!(split_prefix("1021  brk(NULL) = 0x1"), (Some(1021), "brk(NULL) = 0x1"));
        assert_eq!(split_prefix("brk(NULL) = 0x1"), (None, "brk(NULL) = 0x1"));
        assert_eq!(
            split_prefix("3588  12:29:56.480868 vfork( <unfinished ...>"),
            (Some(3588), "vfork( <unfinished ...>")
        );
        assert_eq!(split_prefix("4909  1795437024.756641 brk(NULL) = 0"), (Some(4909), "brk(NULL) = 0"));
        assert_eq!(split_prefix("12:29:56 brk(NULL) = 0"), (None, "brk(NULL) = 0"));
        assert_eq!(split_prefix("[pid  5007] munmap(0x1000, 4096) = 0"), (Some(5007), "munmap(0x1000, 4096) = 0"));
        assert_eq!(split_prefix("     0.000031 brk(NULL) = 0"), (None, "brk(NULL) = 0"));
        assert_eq!(split_prefix("77 +++ exited with 0 +++"), (Some(77), "+++ exited with 0 +++"));
    }

    #[test]
    fn arguments() {
        let (args, rest) = split_args(r#""/bin/a,b", ["x", "y)"], 0x7ffd /* 3, vars */) = 0"#).unwrap();
        assert_eq!(args, [r#""/bin/a,b""#, r#"["x", "y)"]"#, "0x7ffd /* 3, vars */"]);
        assert_eq!(rest, " = 0");
        let (args, _) = split_args("NULL, 4096, PROT_READ, MAP_PRIVATE, 3</tmp/a, b (deleted)>, 0) = 0x1").unwrap();
        assert_eq!(args[4], "3</tmp/a, b (deleted)>");
        assert_eq!(args.len(), 6);
        assert_eq!(split_args(") = 0").unwrap().0, Vec::<&str>::new());
        assert_eq!(split_args(r#""a\"b)", 1"#), None);
        let (args, _) =
            split_args("{flags=CLONE_VM|CLONE_VFORK, exit_signal=SIGCHLD} => {parent_tid=[5]}, 88) = 5").unwrap();
        assert_eq!(args.len(), 2);
    }

    #[test]
    fn returns() {
        assert_eq!(parse_ret("   = 0x7f8f3b759000"), Some(Ret::Value(0x7f8f_3b75_9000)));
        assert_eq!(parse_ret(" = -1 ENOMEM (Cannot allocate memory)"), Some(Ret::Error("ENOMEM".into())));
        assert_eq!(parse_ret(" = ?"), Some(Ret::Unknown));
        assert_eq!(parse_ret(" = 0 <0.000012>"), Some(Ret::Value(0)));
        assert_eq!(parse_ret(" = 3589"), Some(Ret::Value(3589)));
        assert_eq!(parse_ret(" 0"), None);
        assert_eq!(parse_ret(""), None);
    }

    #[test]
    fn fds() {
        assert_eq!(parse_fd("-1"), Some((-1, None)));
        assert_eq!(
            parse_fd("3</usr/lib/x86_64-linux-gnu/libc.so.6>"),
            Some((3, Some("/usr/lib/x86_64-linux-gnu/libc.so.6")))
        );
        assert_eq!(parse_fd("4</memfd:x (deleted)>"), Some((4, Some("/memfd:x (deleted)"))));
        assert_eq!(parse_fd("3<oops"), None);
        assert_eq!(parse_fd("x"), None);
    }
}
