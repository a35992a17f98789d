//! `ls [-l] [-a] [paths...]`: list directories (default `.`), sorted by
//! name. Names starting with `.` are shown only with `-a`. On the console
//! names are set in columns, otherwise one per line. `-l` shows one line
//! per entry: kind and permissions (`-rw-r--r--`), links, size, the time
//! of the last change, the name and `-> target` for a symbolic link.
//! File operands are listed first, then each directory operand (with a
//! `dir:` header when there are several operands).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;
use rt::abi::fs::Stat;
use rt::fs::kind;
use userprogs::format::{datetime, mode_string};
use userprogs::opts::parse_or_usage;
use userprogs::out::Out;
use userprogs::path::join;

rt::entry!(main);

const USAGE: &str = "usage: ls [-l] [-a] [paths...]";
/// Console width assumed for columns.
const WIDTH: usize = 80;

/// One name to list and what is known about it.
struct Entry {
    name: String,
    /// `None` if it could not be examined (reported already).
    stat: Option<Stat>,
    /// Where a symbolic link points.
    target: Option<String>,
}

struct Ls {
    long: bool,
    all: bool,
    out: Out,
    status: i32,
}

impl Ls {
    fn fail(&mut self, path: &str, e: rt::Error) {
        self.out.flush();
        userprogs::report("ls", path, e);
        self.status = 1;
    }

    /// Examine `path`; `name` is how it is shown.
    fn entry(&mut self, name: &str, path: &str) -> Entry {
        let stat = match rt::fs::symlink_metadata(path) {
            Ok(st) => Some(st),
            Err(e) => {
                self.fail(path, e);
                None
            }
        };
        let target = match stat {
            Some(st) if self.long && st.kind == kind::SYMLINK => rt::fs::read_link(path).ok(),
            _ => None,
        };
        Entry {
            name: String::from(name),
            stat,
            target,
        }
    }

    /// Whether operand `path` is listed as a directory (a symbolic link
    /// to one counts, except with `-l`).
    fn is_dir(&self, st: &Stat, path: &str) -> bool {
        match st.kind {
            kind::DIRECTORY => true,
            kind::SYMLINK if !self.long => {
                rt::fs::metadata(path).is_ok_and(|t| t.kind == kind::DIRECTORY)
            }
            _ => false,
        }
    }

    fn list_dir(&mut self, path: &str) {
        let names = match rt::fs::read_dir(path) {
            Ok(entries) => entries,
            Err(e) => return self.fail(path, e),
        };
        let mut names: Vec<String> = names
            .into_iter()
            .map(|e| e.name)
            .filter(|n| self.all || !n.starts_with('.'))
            .collect();
        names.sort();
        let entries: Vec<Entry> = if self.long {
            names
                .iter()
                .map(|n| self.entry(n, &join(path, n)))
                .collect()
        } else {
            names
                .into_iter()
                .map(|name| Entry {
                    name,
                    stat: None,
                    target: None,
                })
                .collect()
        };
        if self.long {
            let blocks: u64 = entries
                .iter()
                .filter_map(|e| e.stat)
                .map(|s| s.blocks)
                .sum();
            let _ = writeln!(self.out, "total {}", blocks / 2);
        }
        self.print(&entries);
    }

    fn print(&mut self, entries: &[Entry]) {
        if self.long {
            print_long(&mut self.out, entries);
        } else if self.out.is_console() {
            let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
            print_columns(&mut self.out, &names);
        } else {
            for e in entries {
                let _ = writeln!(self.out, "{}", e.name);
            }
        }
    }
}

fn digits(n: u64) -> usize {
    let mut d = 1;
    let mut n = n;
    while n >= 10 {
        n /= 10;
        d += 1;
    }
    d
}

/// `-l` lines, with the link and size columns right-aligned.
fn print_long(out: &mut Out, entries: &[Entry]) {
    let stats = entries.iter().filter_map(|e| e.stat);
    let links_w = stats
        .clone()
        .map(|s| digits(s.links as u64))
        .max()
        .unwrap_or(1);
    let size_w = stats.map(|s| digits(s.size)).max().unwrap_or(1);
    for e in entries {
        match e.stat {
            Some(st) => {
                let _ = write!(
                    out,
                    "{} {:>links_w$} {:>size_w$} {} {}",
                    mode_string(st.kind, st.mode),
                    st.links,
                    st.size,
                    &datetime(st.mtime)[..16],
                    e.name
                );
            }
            None => {
                let _ = write!(
                    out,
                    "?????????? {:>links_w$} {:>size_w$} {:16} {}",
                    "?", "?", "", e.name
                );
            }
        }
        match &e.target {
            Some(t) => {
                let _ = writeln!(out, " -> {t}");
            }
            None => out.write(b"\n"),
        }
    }
}

/// Names in columns, filled top to bottom, as few rows as fit in
/// [`WIDTH`].
fn print_columns(out: &mut Out, names: &[&str]) {
    let n = names.len();
    if n == 0 {
        return;
    }
    let len = |s: &str| s.chars().count();
    let mut rows = 1;
    let widths = loop {
        let widths: Vec<usize> = names
            .chunks(rows)
            .map(|col| col.iter().map(|s| len(s)).max().unwrap_or(0))
            .collect();
        let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
        if total <= WIDTH || rows >= n {
            break widths;
        }
        rows += 1;
    };
    for r in 0..rows {
        let mut line = String::new();
        for (c, w) in widths.iter().enumerate() {
            let Some(name) = names.get(c * rows + r) else {
                break;
            };
            line.push_str(name);
            if names.get((c + 1) * rows + r).is_some() {
                line.extend(core::iter::repeat_n(' ', w - len(name) + 2));
            }
        }
        let _ = writeln!(out, "{line}");
    }
}

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "la", "", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut ls = Ls {
        long: opts.has('l'),
        all: opts.has('a'),
        out: Out::new("ls"),
        status: 0,
    };
    let mut operands = opts.operands.clone();
    if operands.is_empty() {
        operands.push(".");
    }
    operands.sort();
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for path in &operands {
        let entry = ls.entry(path, path);
        match entry.stat {
            Some(st) if ls.is_dir(&st, path) => dirs.push(*path),
            Some(_) => files.push(entry),
            None => {}
        }
    }
    ls.print(&files);
    let headers = operands.len() > 1;
    for (i, dir) in dirs.iter().enumerate() {
        if headers {
            let gap = if i > 0 || !files.is_empty() { "\n" } else { "" };
            let _ = writeln!(ls.out, "{gap}{dir}:");
        }
        ls.list_dir(dir);
    }
    ls.status
}
