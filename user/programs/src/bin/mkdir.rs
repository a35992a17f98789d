//! `mkdir [-p] dirs...`: make directories. With `-p`, missing parents are
//! made too and existing directories are not an error.
#![no_std]
#![no_main]

use rt::fs::kind;
use rt::Error;
use userprogs::opts::{parse_or_usage, usage_error};

rt::entry!(main);

const USAGE: &str = "usage: mkdir [-p] dirs...";

/// Make `path` unless it is already a directory.
fn ensure_dir(path: &str) -> Result<(), Error> {
    match rt::fs::create_dir(path) {
        Err(Error::AlreadyExists) => match rt::fs::metadata(path) {
            Ok(st) if st.kind == kind::DIRECTORY => Ok(()),
            Ok(_) => Err(Error::AlreadyExists),
            Err(e) => Err(e),
        },
        other => other,
    }
}

/// Make `path` and every missing directory above it.
fn make_parents(path: &str) -> Result<(), Error> {
    for (i, c) in path.char_indices().skip(1) {
        if c == '/' && !path[..i].ends_with('/') {
            ensure_dir(&path[..i])?;
        }
    }
    ensure_dir(path)
}

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "p", "", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    if opts.operands.is_empty() {
        return usage_error("mkdir", "missing operand", USAGE);
    }
    let mut status = 0;
    for dir in &opts.operands {
        let result = if opts.has('p') {
            make_parents(dir)
        } else {
            rt::fs::create_dir(dir)
        };
        if let Err(e) = result {
            userprogs::report("mkdir", dir, e);
            status = 1;
        }
    }
    status
}
