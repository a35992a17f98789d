//! `mv src dst` / `mv src... dir`: rename `src` to `dst`, or move each
//! source into directory `dir` (also when `dst` is an existing directory).
//! Between file systems a file is copied and then removed.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use rt::fs::kind;
use rt::Error;
use userprogs::files::{copy_file, same_file};
use userprogs::opts::{parse_or_usage, usage_error};
use userprogs::path::{basename, join};

rt::entry!(main);

const USAGE: &str = "usage: mv src dst | mv src... dir";

fn is_dir(path: &str) -> bool {
    rt::fs::metadata(path).is_ok_and(|st| st.kind == kind::DIRECTORY)
}

/// Whether `a` and `b` both exist and are the same file.
fn is_same(a: &str, b: &str) -> bool {
    match (rt::fs::symlink_metadata(a), rt::fs::symlink_metadata(b)) {
        (Ok(x), Ok(y)) => same_file(&x, &y),
        _ => false,
    }
}

/// Rename, or copy and remove a file that must cross file systems.
fn move_one(from: &str, to: &str) -> Result<(), Error> {
    match rt::fs::rename(from, to) {
        Err(Error::CrossDevice) if rt::fs::symlink_metadata(from)?.kind == kind::FILE => {
            copy_file(from, to)?;
            rt::fs::remove_file(from)
        }
        other => other,
    }
}

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "", "", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let Some((&dst, sources)) = opts.operands.split_last() else {
        return usage_error("mv", "missing operand", USAGE);
    };
    if sources.is_empty() {
        return usage_error("mv", "missing destination", USAGE);
    }
    let into_dir = is_dir(dst);
    if sources.len() > 1 && !into_dir {
        rt::eprintln!("mv: {dst}: not a directory");
        return 1;
    }
    let mut status = 0;
    for &src in sources {
        let target = if into_dir {
            join(dst, basename(src))
        } else {
            String::from(dst)
        };
        if is_same(src, &target) {
            rt::eprintln!("mv: {src} and {target} are the same file");
            status = 1;
        } else if let Err(e) = move_one(src, &target) {
            userprogs::report("mv", src, e);
            status = 1;
        }
    }
    status
}
