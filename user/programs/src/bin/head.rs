//! `head [-n N] [files...]`: print the first N lines (default 10) of each
//! file, or of stdin if none (or `-`). With several files each is headed
//! by `==> name <==`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write;
use userprogs::input::{Input, LineReader};
use userprogs::opts::{parse_or_usage, usage_error};
use userprogs::out::Out;

rt::entry!(main);

const USAGE: &str = "usage: head [-n N] [files...]";

fn head(path: &str, count: u64, out: &mut Out) -> Result<(), rt::Error> {
    let mut lines = LineReader::new(Input::open(path)?);
    let mut line = Vec::new();
    for _ in 0..count {
        if !lines.next_line(&mut line)? {
            break;
        }
        out.write(&line);
    }
    Ok(())
}

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "", "n", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let count = match opts.value('n').map_or(Ok(10), str::parse::<u64>) {
        Ok(n) => n,
        Err(_) => return usage_error("head", "invalid number of lines", USAGE),
    };
    let mut paths = opts.operands.clone();
    if paths.is_empty() {
        paths.push("-");
    }
    let mut out = Out::new("head");
    let mut status = 0;
    for (i, path) in paths.iter().enumerate() {
        if paths.len() > 1 {
            let gap = if i > 0 { "\n" } else { "" };
            let _ = writeln!(out, "{gap}==> {path} <==");
        }
        if let Err(e) = head(path, count, &mut out) {
            out.flush();
            userprogs::report("head", path, e);
            status = 1;
        }
    }
    status
}
