//! `rm [-r] [-f] paths...`: remove files and symbolic links; with `-r`
//! also directories and everything in them. `-f` ignores paths that do
//! not exist. `.` and `..` are refused.
#![no_std]
#![no_main]

use rt::fs::kind;
use rt::Error;
use userprogs::opts::{parse_or_usage, usage_error};
use userprogs::path::{basename, join};

rt::entry!(main);

const USAGE: &str = "usage: rm [-r] [-f] paths...";

struct Rm {
    recursive: bool,
    force: bool,
    status: i32,
}

impl Rm {
    fn fail(&mut self, path: &str, e: Error) {
        if !(self.force && e == Error::NotFound) {
            userprogs::report("rm", path, e);
            self.status = 1;
        }
    }

    fn remove(&mut self, path: &str) {
        let st = match rt::fs::symlink_metadata(path) {
            Ok(st) => st,
            Err(e) => return self.fail(path, e),
        };
        if st.kind != kind::DIRECTORY {
            if let Err(e) = rt::fs::remove_file(path) {
                self.fail(path, e);
            }
        } else if self.recursive {
            self.remove_tree(path);
        } else {
            self.fail(path, Error::IsADirectory);
        }
    }

    /// Remove directory `path` and its contents.
    fn remove_tree(&mut self, path: &str) {
        let entries = match rt::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => return self.fail(path, e),
        };
        for entry in entries {
            if entry.name != "." && entry.name != ".." {
                self.remove(&join(path, &entry.name));
            }
        }
        if let Err(e) = rt::fs::remove_dir(path) {
            self.fail(path, e);
        }
    }
}

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "rRf", "", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    if opts.operands.is_empty() && !opts.has('f') {
        return usage_error("rm", "missing operand", USAGE);
    }
    let mut rm = Rm {
        recursive: opts.has('r') || opts.has('R'),
        force: opts.has('f'),
        status: 0,
    };
    for path in &opts.operands {
        if matches!(basename(path), "." | ".." | "/") {
            rt::eprintln!("rm: refusing to remove '{path}'");
            rm.status = 1;
            continue;
        }
        rm.remove(path);
    }
    rm.status
}
