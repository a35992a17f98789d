//! `tail [-n N] [files...]`: print the last N lines (default 10) of each
//! file, or of stdin if none (or `-`); `-n +N` prints from line N on.
//! With several files each is headed by `==> name <==`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::fmt::Write;
use userprogs::input::{Input, LineReader};
use userprogs::opts::{parse_or_usage, usage_error};
use userprogs::out::Out;

rt::entry!(main);

const USAGE: &str = "usage: tail [-n N | -n +N] [files...]";

/// Which lines to print.
#[derive(Clone, Copy)]
enum Which {
    Last(usize),
    /// From this line (1-based) on.
    From(u64),
}

fn parse_which(text: &str) -> Option<Which> {
    match text.strip_prefix('+') {
        Some(n) => n.parse().ok().map(Which::From),
        None => text.parse().ok().map(Which::Last),
    }
}

fn tail(path: &str, which: Which, out: &mut Out) -> Result<(), rt::Error> {
    let mut lines = LineReader::new(Input::open(path)?);
    let mut line = Vec::new();
    match which {
        Which::From(first) => {
            let mut number = 0u64;
            while lines.next_line(&mut line)? {
                number += 1;
                if number >= first {
                    out.write(&line);
                }
            }
        }
        Which::Last(count) => {
            let mut kept: VecDeque<Vec<u8>> = VecDeque::new();
            while lines.next_line(&mut line)? {
                if count == 0 {
                    continue;
                }
                if kept.len() == count {
                    kept.pop_front();
                }
                kept.push_back(line.clone());
            }
            for l in &kept {
                out.write(l);
            }
        }
    }
    Ok(())
}

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "", "n", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let Some(which) = opts.value('n').map_or(Some(Which::Last(10)), parse_which) else {
        return usage_error("tail", "invalid number of lines", USAGE);
    };
    let mut paths = opts.operands.clone();
    if paths.is_empty() {
        paths.push("-");
    }
    let mut out = Out::new("tail");
    let mut status = 0;
    for (i, path) in paths.iter().enumerate() {
        if paths.len() > 1 {
            let gap = if i > 0 { "\n" } else { "" };
            let _ = writeln!(out, "{gap}==> {path} <==");
        }
        if let Err(e) = tail(path, which, &mut out) {
            out.flush();
            userprogs::report("tail", path, e);
            status = 1;
        }
    }
    status
}
