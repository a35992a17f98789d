//! `cp [-r] src dst` / `cp [-r] src... dir`: copy files. If `dst` is an
//! existing directory (or there are several sources) each source is copied
//! into it under its own name. Directories need `-r`, which copies them
//! with everything in them; symbolic links inside are copied as links.
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

const USAGE: &str = "usage: cp [-r] src dst | cp [-r] src... dir";

/// Deepest directory nesting copied (a guard against runaway recursion).
const MAX_DEPTH: usize = 64;

struct Cp {
    recursive: bool,
    status: i32,
    /// The inode of the directory made for the operand being copied: if it
    /// is inside the source, it is skipped rather than copied into itself.
    copy_root: Option<u64>,
}

impl Cp {
    fn fail(&mut self, path: &str, e: Error) {
        userprogs::report("cp", path, e);
        self.status = 1;
    }

    /// Copy operand `from` to `to`.
    fn copy(&mut self, from: &str, to: &str) {
        let st = if self.recursive {
            rt::fs::symlink_metadata(from)
        } else {
            rt::fs::metadata(from)
        };
        let st = match st {
            Ok(st) => st,
            Err(e) => return self.fail(from, e),
        };
        if let Ok(dst) = rt::fs::metadata(to) {
            if same_file(&st, &dst) {
                rt::eprintln!("cp: {from} and {to} are the same file");
                self.status = 1;
                return;
            }
        }
        match st.kind {
            kind::DIRECTORY if !self.recursive => {
                rt::eprintln!("cp: -r not specified; omitting directory {from}");
                self.status = 1;
            }
            kind::DIRECTORY => {
                self.copy_root = None;
                self.copy_tree(from, to, 0);
            }
            _ => self.copy_entry(from, to, st.kind),
        }
    }

    /// Copy a file, or a symbolic link as a link.
    fn copy_entry(&mut self, from: &str, to: &str, file_kind: u8) {
        let result = if file_kind == kind::SYMLINK {
            rt::fs::read_link(from).and_then(|target| rt::fs::soft_link(&target, to))
        } else {
            copy_file(from, to)
        };
        if let Err(e) = result {
            self.fail(to, e);
        }
    }

    /// Copy directory `from` and its contents to `to`, `depth` levels
    /// below the operand.
    fn copy_tree(&mut self, from: &str, to: &str, depth: usize) {
        if depth > MAX_DEPTH {
            return self.fail(from, Error::Loop);
        }
        match rt::fs::create_dir(to) {
            Ok(()) | Err(Error::AlreadyExists) => {}
            Err(e) => return self.fail(to, e),
        }
        match rt::fs::metadata(to) {
            Ok(st) if st.kind == kind::DIRECTORY => {
                self.copy_root.get_or_insert(st.ino);
            }
            Ok(_) => return self.fail(to, Error::NotADirectory),
            Err(e) => return self.fail(to, e),
        }
        let entries = match rt::fs::read_dir(from) {
            Ok(entries) => entries,
            Err(e) => return self.fail(from, e),
        };
        for entry in entries {
            // The copy may be inside the source: never copy it into itself.
            let skip = entry.name == "."
                || entry.name == ".."
                || (Some(entry.ino) == self.copy_root && entry.kind == kind::DIRECTORY);
            if !skip {
                let (src, dst) = (join(from, &entry.name), join(to, &entry.name));
                match entry.kind {
                    kind::DIRECTORY => self.copy_tree(&src, &dst, depth + 1),
                    k => self.copy_entry(&src, &dst, k),
                }
            }
        }
    }
}

fn is_dir(path: &str) -> bool {
    rt::fs::metadata(path).is_ok_and(|st| st.kind == kind::DIRECTORY)
}

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "rR", "", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let Some((&dst, sources)) = opts.operands.split_last() else {
        return usage_error("cp", "missing operand", USAGE);
    };
    if sources.is_empty() {
        return usage_error("cp", "missing destination", USAGE);
    }
    let into_dir = is_dir(dst);
    if sources.len() > 1 && !into_dir {
        rt::eprintln!("cp: {dst}: not a directory");
        return 1;
    }
    let mut cp = Cp {
        recursive: opts.has('r') || opts.has('R'),
        status: 0,
        copy_root: None,
    };
    for &src in sources {
        let target = if into_dir {
            join(dst, basename(src))
        } else {
            String::from(dst)
        };
        cp.copy(src, &target);
    }
    cp.status
}
