//! Shared by the user programs (the shell and the utilities in `/bin`):
//!
//! - [`opts`]: option parsing (`-l -a`, `-la`, `-n 5`, `-n5`, `--`).
//! - [`out::Out`]: buffered standard output (line-buffered on the console).
//! - [`input::Input`], [`input::LineReader`]: reading files or stdin; on the
//!   console, stdin is read a line at a time with echo and Ctrl-D as end
//!   of input.
//! - [`report`], [`write_all`], [`fstat_handle`]: errors and raw I/O.
//! - [`path`], [`format`]: path joining and the text forms of modes,
//!   sizes and dates.
//! - [`COMMANDS`]: every command with a one-line description (`help`).
#![no_std]

extern crate alloc;

use rt::abi::fs::Stat;
use rt::Error;

/// Exit status of a program whose output reader went away (as a shell
/// reports a process ended by SIGPIPE).
pub const EXIT_BROKEN_PIPE: i32 = 141;

/// Exit status for a command-line usage error.
pub const EXIT_USAGE: i32 = 2;

/// Print `<prog>: <what>: <error>` on the console.
pub fn report(prog: &str, what: &str, e: Error) {
    rt::eprintln!("{prog}: {what}: {e}");
}

/// Kill process `pid` given as text (a descendant of the caller: its
/// handle is opened, used and closed).
pub fn kill_pid(pid: &str) -> Result<(), Error> {
    let pid = pid.parse::<u32>().map_err(|_| Error::InvalidArgument)?;
    rt::Child::open(pid)?.kill()
}

/// Write all of `data` to a file or channel handle, in pieces of at most
/// one message. A full channel queue is retried after a short sleep.
pub fn write_all(handle: u32, mut data: &[u8]) -> Result<(), Error> {
    while !data.is_empty() {
        let piece = &data[..data.len().min(rt::abi::ipc::MAX_MSG_BYTES)];
        match rt::sys::io_write(handle, piece) {
            Ok(0) => return Err(Error::NoSpace),
            Ok(n) => data = &data[n..],
            Err(Error::QueueFull) | Err(Error::WouldBlock) => rt::sys::sleep_ms(1),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Write all of `data` to the console.
pub fn write_console(data: &[u8]) {
    for piece in data.chunks(4096) {
        let _ = rt::sys::debug_write(piece);
    }
}

/// `fstat` on a raw handle (stdin, for instance).
pub fn fstat_handle(handle: u32) -> Result<Stat, Error> {
    let mut st = Stat::default();
    let size = core::mem::size_of::<Stat>() as u64;
    rt::syscall::call(
        rt::abi::sys::FSTAT,
        [handle as u64, &mut st as *mut Stat as u64, size, 0, 0, 0],
    )?;
    Ok(st)
}

/// Write [`COMMANDS`] as an aligned two-column list, each line after
/// `indent` (the `help` program and the shell's `help` builtin).
pub fn write_commands(out: &mut impl core::fmt::Write, indent: &str) {
    let width = COMMANDS
        .iter()
        .map(|(usage, _)| usage.len())
        .max()
        .unwrap_or(0);
    for (usage, what) in COMMANDS {
        let _ = writeln!(out, "{indent}{usage:width$}  {what}");
    }
}

/// Every command of the system, with a one-line description.
pub const COMMANDS: &[(&str, &str)] = &[
    ("cat [files...]", "print files (stdin if none)"),
    ("cd [dir]", "change directory (shell builtin; default /)"),
    ("cp [-r] src... dst", "copy files (-r: directories too)"),
    ("df", "file system sizes and free space"),
    ("echo [-n] [args...]", "print the arguments"),
    ("exit [n]", "leave the shell (shell builtin)"),
    ("false", "exit with status 1"),
    ("free", "memory: total, used, free"),
    (
        "grep [-vcin] PATTERN [files...]",
        "lines containing PATTERN",
    ),
    ("head [-n N] [files...]", "first N lines (10)"),
    ("help", "this list"),
    ("hexdump -C [files...]", "hex and ASCII dump"),
    ("history", "recent command lines (shell builtin)"),
    ("kill PID...", "kill processes"),
    ("ln [-s] target link", "hard or symbolic link"),
    ("ls [-l] [-a] [paths...]", "list directories"),
    ("mkdir [-p] dirs...", "make directories (-p: with parents)"),
    ("mount", "list mounted file systems"),
    ("mv src... dst", "move or rename"),
    ("poweroff", "sync and power off"),
    ("ps", "processes and their quotas"),
    ("pwd", "print the working directory (shell builtin)"),
    ("reboot", "sync and reboot"),
    (
        "rm [-r] [-f] paths...",
        "remove files (-r: directories too)",
    ),
    ("rmdir dirs...", "remove empty directories"),
    ("sh [-c CMD | FILE]", "the shell; runs a script FILE or CMD"),
    ("sha256sum [files...]", "SHA-256 checksums"),
    ("sleep SECONDS", "wait"),
    ("stat paths...", "file details"),
    ("sync", "write cached changes to disk"),
    (
        "tail [-n N|+N] [files...]",
        "last N lines (10), or from line N",
    ),
    ("touch files...", "create empty files"),
    ("true", "exit with status 0"),
    ("uptime", "time since boot"),
    ("wc [-l] [-w] [-c] [files...]", "count lines, words, bytes"),
    ("yes [text]", "print text (y) forever"),
];

/// Command-line options: single-letter flags that may be grouped (`-la`),
/// options with a value (`-n 5` or `-n5`), and operands. Options may come
/// anywhere before `--`; a lone `-` is an operand (stdin).
pub mod opts {
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;

    pub struct Opts {
        flags: u128,
        values: Vec<(char, &'static str)>,
        pub operands: Vec<&'static str>,
    }

    fn bit(c: char) -> u128 {
        if c.is_ascii() {
            1u128 << (c as u32)
        } else {
            0
        }
    }

    impl Opts {
        /// Parse `args` (argv[0] skipped): `flags` lists the letters that
        /// stand alone, `valued` those that take a value.
        pub fn parse(args: &rt::Args, flags: &str, valued: &str) -> Result<Opts, String> {
            let mut opts = Opts {
                flags: 0,
                values: Vec::new(),
                operands: Vec::new(),
            };
            let mut words = args.iter().skip(1);
            while let Some(word) = words.next() {
                if word == "--" {
                    opts.operands.extend(words.by_ref());
                    break;
                }
                if word.len() < 2 || !word.starts_with('-') {
                    opts.operands.push(word);
                    continue;
                }
                for (i, c) in word.char_indices().skip(1) {
                    if flags.contains(c) {
                        opts.flags |= bit(c);
                    } else if valued.contains(c) {
                        let rest = &word[i + c.len_utf8()..];
                        let value = if rest.is_empty() {
                            words
                                .next()
                                .ok_or_else(|| format!("option requires an argument -- '{c}'"))?
                        } else {
                            rest
                        };
                        opts.values.push((c, value));
                        break;
                    } else {
                        return Err(format!("invalid option -- '{c}'"));
                    }
                }
            }
            Ok(opts)
        }

        /// Whether flag `c` was given.
        pub fn has(&self, c: char) -> bool {
            self.flags & bit(c) != 0
        }

        /// The last value given for option `c`.
        pub fn value(&self, c: char) -> Option<&'static str> {
            self.values.iter().rev().find(|(k, _)| *k == c).map(|v| v.1)
        }
    }

    /// [`Opts::parse`], printing `<prog>: <problem>` and the usage line on
    /// failure; `Err` carries the exit status to return.
    pub fn parse_or_usage(
        args: &rt::Args,
        flags: &str,
        valued: &str,
        usage: &str,
    ) -> Result<Opts, i32> {
        let prog = args.get(0).unwrap_or("?");
        Opts::parse(args, flags, valued).map_err(|msg| {
            rt::eprintln!("{prog}: {msg}\n{usage}");
            crate::EXIT_USAGE
        })
    }

    /// Print `<prog>: <msg>` and the usage line; returns the usage status.
    pub fn usage_error(prog: &str, msg: &str, usage: &str) -> i32 {
        rt::eprintln!("{prog}: {msg}\n{usage}");
        crate::EXIT_USAGE
    }
}

/// Buffered standard output.
pub mod out {
    use alloc::vec::Vec;
    use core::fmt;
    use rt::Error;

    /// Bytes for stdout, written in pieces of up to 4 KiB (a file or a
    /// pipe) or line by line (the console, so that output and error
    /// messages appear in order). A failed write ends the program: quietly
    /// with [`crate::EXIT_BROKEN_PIPE`] if the reader went away, else with
    /// a message and status 1.
    pub struct Out {
        prog: &'static str,
        handle: Option<u32>,
        buf: Vec<u8>,
    }

    const CAPACITY: usize = 4096;

    impl Out {
        pub fn new(prog: &'static str) -> Out {
            Out {
                prog,
                handle: rt::stdout_handle(),
                buf: Vec::with_capacity(CAPACITY),
            }
        }

        /// Whether stdout is the console.
        pub fn is_console(&self) -> bool {
            self.handle.is_none()
        }

        pub fn write(&mut self, data: &[u8]) {
            if self.buf.len() + data.len() > CAPACITY {
                self.flush();
            }
            if data.len() >= CAPACITY {
                self.emit(data);
            } else {
                self.buf.extend_from_slice(data);
            }
            if self.is_console() && data.contains(&b'\n') {
                self.flush();
            }
        }

        pub fn write_str(&mut self, s: &str) {
            self.write(s.as_bytes());
        }

        pub fn flush(&mut self) {
            if !self.buf.is_empty() {
                let buf = core::mem::take(&mut self.buf);
                self.emit(&buf);
                self.buf = buf;
                self.buf.clear();
            }
        }

        fn emit(&mut self, data: &[u8]) {
            let Some(h) = self.handle else {
                crate::write_console(data);
                return;
            };
            match crate::write_all(h, data) {
                Ok(()) => {}
                Err(Error::PeerClosed) => rt::sys::exit(crate::EXIT_BROKEN_PIPE),
                Err(e) => {
                    rt::eprintln!("{}: write error: {e}", self.prog);
                    rt::sys::exit(1)
                }
            }
        }
    }

    impl fmt::Write for Out {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.write(s.as_bytes());
            Ok(())
        }
    }

    impl Drop for Out {
        fn drop(&mut self) {
            self.flush();
        }
    }
}

/// Reading files and standard input.
pub mod input {
    use alloc::vec::Vec;
    use rt::fs::File;
    use rt::Error;

    /// Size of read buffers: one whole channel message fits.
    pub const CHUNK: usize = rt::abi::ipc::MAX_MSG_BYTES;

    /// A file, a stdin handle (file or pipe), or the console.
    pub enum Input {
        File(File),
        Handle(u32),
        Console(ConsoleLines),
    }

    impl Input {
        /// Open `path` for reading; `-` is stdin.
        pub fn open(path: &str) -> Result<Input, Error> {
            if path == "-" {
                Ok(Input::stdin())
            } else {
                File::open(path).map(Input::File)
            }
        }

        pub fn stdin() -> Input {
            match rt::stdin_handle() {
                Some(h) => Input::Handle(h),
                None => Input::Console(ConsoleLines::default()),
            }
        }

        /// Read some bytes; 0 at the end of input.
        pub fn read(&mut self, buf: &mut [u8]) -> Result<usize, Error> {
            match self {
                Input::File(f) => f.read(buf),
                Input::Handle(h) => match rt::sys::io_read(*h, buf) {
                    Err(Error::PeerClosed) => Ok(0),
                    other => other,
                },
                Input::Console(c) => Ok(c.read(buf)),
            }
        }

        /// Details of the input if it is a file (or a file given as stdin).
        pub fn metadata(&self) -> Option<rt::abi::fs::Stat> {
            match self {
                Input::File(f) => f.metadata().ok(),
                Input::Handle(h) => crate::fstat_handle(*h).ok(),
                Input::Console(_) => None,
            }
        }

        /// Call `f` with each piece of the input until its end.
        pub fn for_each_chunk(&mut self, mut f: impl FnMut(&[u8])) -> Result<(), Error> {
            let mut buf = alloc::vec![0u8; CHUNK];
            loop {
                let n = self.read(&mut buf)?;
                if n == 0 {
                    return Ok(());
                }
                f(&buf[..n]);
            }
        }
    }

    /// The console as stdin: typed characters are echoed and can be erased
    /// until Enter delivers the line; Ctrl-D (on an empty line) or Ctrl-C
    /// ends the input.
    #[derive(Default)]
    pub struct ConsoleLines {
        line: Vec<u8>,
        at: usize,
        ended: bool,
        last_cr: bool,
        in_escape: bool,
    }

    impl ConsoleLines {
        fn read(&mut self, buf: &mut [u8]) -> usize {
            if self.at == self.line.len() && !self.ended {
                self.line.clear();
                self.at = 0;
                self.read_line();
            }
            let n = buf.len().min(self.line.len() - self.at);
            buf[..n].copy_from_slice(&self.line[self.at..self.at + n]);
            self.at += n;
            n
        }

        /// Fill `line` with the next typed line (with its newline), or set
        /// `ended`.
        fn read_line(&mut self) {
            let mut byte = [0u8; 1];
            loop {
                if !matches!(rt::sys::console_read(&mut byte), Ok(1)) {
                    self.ended = true;
                    return;
                }
                let b = byte[0];
                let was_cr = core::mem::replace(&mut self.last_cr, b == b'\r');
                if self.in_escape {
                    // Swallow an escape sequence: ESC [ params final.
                    self.in_escape = !(0x40..=0x7e).contains(&b) || b == b'[' || b == b'O';
                    continue;
                }
                match b {
                    b'\n' if was_cr => {}
                    b'\r' | b'\n' => {
                        self.line.push(b'\n');
                        crate::write_console(b"\n");
                        return;
                    }
                    0x04 => {
                        self.ended = self.line.is_empty();
                        return;
                    }
                    0x03 => {
                        self.ended = true;
                        self.line.clear();
                        return;
                    }
                    0x7f | 0x08 => self.erase(),
                    0x1b => self.in_escape = true,
                    b if b < 0x20 => {}
                    b => {
                        self.line.push(b);
                        crate::write_console(&[b]);
                    }
                }
            }
        }

        /// Remove the last character (all bytes of a UTF-8 sequence).
        fn erase(&mut self) {
            while let Some(b) = self.line.pop() {
                if b & 0xc0 != 0x80 {
                    crate::write_console(b"\x08 \x08");
                    return;
                }
            }
        }
    }

    /// Splits an [`Input`] into lines (each with its `\n`, except perhaps
    /// the last).
    pub struct LineReader {
        input: Input,
        buf: Vec<u8>,
        start: usize,
        end: usize,
        done: bool,
    }

    impl LineReader {
        pub fn new(input: Input) -> LineReader {
            LineReader {
                input,
                buf: alloc::vec![0u8; CHUNK],
                start: 0,
                end: 0,
                done: false,
            }
        }

        /// Replace `line` with the next line; `false` at the end of input.
        pub fn next_line(&mut self, line: &mut Vec<u8>) -> Result<bool, Error> {
            line.clear();
            loop {
                let pending = &self.buf[self.start..self.end];
                if let Some(i) = pending.iter().position(|&b| b == b'\n') {
                    line.extend_from_slice(&pending[..=i]);
                    self.start += i + 1;
                    return Ok(true);
                }
                line.extend_from_slice(pending);
                self.start = 0;
                self.end = 0;
                if self.done {
                    return Ok(!line.is_empty());
                }
                let n = self.input.read(&mut self.buf)?;
                if n == 0 {
                    self.done = true;
                }
                self.end = n;
            }
        }
    }
}

/// Path helpers.
pub mod path {
    use alloc::string::String;

    /// `dir/name`, without doubling a `/`.
    pub fn join(dir: &str, name: &str) -> String {
        let mut s = String::from(dir);
        if !s.ends_with('/') {
            s.push('/');
        }
        s.push_str(name);
        s
    }

    /// The last component of `path` (trailing slashes ignored).
    pub fn basename(path: &str) -> &str {
        let trimmed = path.trim_end_matches('/');
        if trimmed.is_empty() {
            return if path.is_empty() { "" } else { "/" };
        }
        trimmed.rsplit('/').next().unwrap_or(trimmed)
    }
}

/// Text forms of file modes, dates and numbers.
pub mod format {
    use alloc::format;
    use alloc::string::String;
    use rt::fs::kind;

    /// The `ls -l` mode string, e.g. `drwxr-xr-x`.
    pub fn mode_string(file_kind: u8, mode: u32) -> String {
        let mut s = String::with_capacity(10);
        s.push(match file_kind {
            kind::DIRECTORY => 'd',
            kind::SYMLINK => 'l',
            kind::FILE => '-',
            _ => '?',
        });
        let special = [(0o4000, 's', 'S'), (0o2000, 's', 'S'), (0o1000, 't', 'T')];
        for (who, &(bit, on, off)) in special.iter().enumerate() {
            let bits = (mode >> (6 - 3 * who)) & 7;
            s.push(if bits & 4 != 0 { 'r' } else { '-' });
            s.push(if bits & 2 != 0 { 'w' } else { '-' });
            s.push(match (bits & 1 != 0, mode & bit != 0) {
                (true, true) => on,
                (false, true) => off,
                (true, false) => 'x',
                (false, false) => '-',
            });
        }
        s
    }

    /// A file kind in words, as `stat` prints it.
    pub fn kind_name(file_kind: u8, size: u64) -> &'static str {
        match file_kind {
            kind::FILE if size == 0 => "regular empty file",
            kind::FILE => "regular file",
            kind::DIRECTORY => "directory",
            kind::SYMLINK => "symbolic link",
            _ => "other",
        }
    }

    /// Seconds since 1970 as `YYYY-MM-DD HH:MM:SS` (UTC).
    pub fn datetime(secs: u64) -> String {
        let days = secs / 86_400;
        let rem = secs % 86_400;
        let (y, m, d) = civil_from_days(days as i64);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
            rem / 3600,
            rem / 60 % 60,
            rem % 60
        )
    }

    /// Year, month, day of a day count since 1970-01-01 (H. Hinnant's
    /// `civil_from_days`).
    fn civil_from_days(days: i64) -> (i64, u32, u32) {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m, d)
    }

    /// Nanoseconds as `H:MM:SS`.
    pub fn duration(ns: u64) -> String {
        let s = ns / 1_000_000_000;
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }

    /// Lowercase hex of `bytes`.
    pub fn hex(bytes: &[u8]) -> String {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut s = String::with_capacity(bytes.len() * 2);
        for &b in bytes {
            s.push(DIGITS[(b >> 4) as usize] as char);
            s.push(DIGITS[(b & 15) as usize] as char);
        }
        s
    }
}

/// File operations shared by `cp` and `mv`.
pub mod files {
    use rt::abi::fs::{open, Stat};
    use rt::fs::File;
    use rt::Error;

    /// Whether two `stat` results are the same file (no device numbers are
    /// reported, so everything that identifies it must match).
    pub fn same_file(a: &Stat, b: &Stat) -> bool {
        a.ino == b.ino
            && a.kind == b.kind
            && a.size == b.size
            && a.mtime == b.mtime
            && a.ctime == b.ctime
    }

    /// Copy the contents of file `from` to `to` (created or truncated,
    /// with `from`'s permission bits when created).
    pub fn copy_file(from: &str, to: &str) -> Result<(), Error> {
        let mut src = File::open(from)?;
        let mode = src.metadata().map_or(0o644, |st| st.mode & 0o7777);
        let mut dst = File::open_with(to, open::WRITE | open::CREATE | open::TRUNCATE, mode)?;
        let mut buf = alloc::vec![0u8; crate::input::CHUNK];
        loop {
            let n = src.read(&mut buf)?;
            if n == 0 {
                return Ok(());
            }
            dst.write_all(&buf[..n])?;
        }
    }
}
