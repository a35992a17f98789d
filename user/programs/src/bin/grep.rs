//! `grep [-v] [-c] [-i] [-n] PATTERN [files...]`: print the lines that
//! contain PATTERN (a fixed string) from each file, or stdin if none (or
//! `-`). `-v`: the lines that do not; `-c`: only how many lines; `-i`:
//! ignore ASCII case; `-n`: prefix line numbers. With several files each
//! line is prefixed by the file name. Exit status 0 if a line was
//! selected, 1 if none, 2 on an error.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write;
use userprogs::input::{Input, LineReader};
use userprogs::opts::{parse_or_usage, usage_error};
use userprogs::out::Out;

rt::entry!(main);

const USAGE: &str = "usage: grep [-v] [-c] [-i] [-n] PATTERN [files...]";

struct Grep {
    pattern: Vec<u8>,
    invert: bool,
    count_only: bool,
    ignore_case: bool,
    numbers: bool,
    /// Prefix lines with the file name.
    names: bool,
}

impl Grep {
    fn matches(&self, line: &[u8]) -> bool {
        let n = self.pattern.len();
        let found = n == 0
            || line.windows(n).any(|w| {
                if self.ignore_case {
                    w.eq_ignore_ascii_case(&self.pattern)
                } else {
                    w == self.pattern.as_slice()
                }
            });
        found != self.invert
    }

    /// Search one input; the number of selected lines.
    fn search(&self, path: &str, out: &mut Out) -> Result<u64, rt::Error> {
        let mut lines = LineReader::new(Input::open(path)?);
        let mut line = Vec::new();
        let (mut number, mut selected) = (0u64, 0u64);
        while lines.next_line(&mut line)? {
            number += 1;
            let text = line.strip_suffix(b"\n").unwrap_or(&line);
            if !self.matches(text) {
                continue;
            }
            selected += 1;
            if self.count_only {
                continue;
            }
            if self.names {
                let _ = write!(out, "{path}:");
            }
            if self.numbers {
                let _ = write!(out, "{number}:");
            }
            out.write(text);
            out.write(b"\n");
        }
        if self.count_only {
            if self.names {
                let _ = write!(out, "{path}:");
            }
            let _ = writeln!(out, "{selected}");
        }
        Ok(selected)
    }
}

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "vcin", "", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let Some((pattern, files)) = opts.operands.split_first() else {
        return usage_error("grep", "missing pattern", USAGE);
    };
    let mut paths: Vec<&str> = files.to_vec();
    if paths.is_empty() {
        paths.push("-");
    }
    let grep = Grep {
        pattern: pattern.as_bytes().to_vec(),
        invert: opts.has('v'),
        count_only: opts.has('c'),
        ignore_case: opts.has('i'),
        numbers: opts.has('n'),
        names: paths.len() > 1,
    };
    let mut out = Out::new("grep");
    let (mut any, mut failed) = (false, false);
    for path in paths {
        match grep.search(path, &mut out) {
            Ok(n) => any |= n > 0,
            Err(e) => {
                out.flush();
                userprogs::report("grep", path, e);
                failed = true;
            }
        }
    }
    match (failed, any) {
        (true, _) => 2,
        (false, true) => 0,
        (false, false) => 1,
    }
}
