//! `wc [-l] [-w] [-c] [files...]`: count lines, words and bytes of each
//! file (stdin if none, or `-`), in that order; all three unless some are
//! chosen. Words are counted as coreutils counts them in the C locale:
//! runs of printable characters between white space (other bytes neither
//! make nor end a word). Columns are aligned as coreutils aligns them: as wide as the
//! digits of the files' total size (at least 7 when stdin is not a
//! file), no padding for a single count of a single input. With several
//! inputs a `total` line follows.
#![no_std]
#![no_main]

extern crate alloc;

use core::fmt::Write;
use rt::fs::kind;
use userprogs::input::Input;
use userprogs::opts::parse_or_usage;
use userprogs::out::Out;

rt::entry!(main);

const USAGE: &str = "usage: wc [-l] [-w] [-c] [files...]";

#[derive(Clone, Copy, Default)]
struct Counts {
    lines: u64,
    words: u64,
    bytes: u64,
}

impl Counts {
    fn add(&mut self, other: &Counts) {
        self.lines += other.lines;
        self.words += other.words;
        self.bytes += other.bytes;
    }
}

fn count(path: &str) -> Result<Counts, rt::Error> {
    let mut c = Counts::default();
    let mut in_word = false;
    Input::open(path)?.for_each_chunk(|piece| {
        c.bytes += piece.len() as u64;
        for &b in piece {
            if b == b'\n' {
                c.lines += 1;
            }
            if b.is_ascii_graphic() {
                c.words += u64::from(!in_word);
                in_word = true;
            } else if matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
                in_word = false;
            }
        }
    })?;
    Ok(c)
}

/// What the column width depends on: a regular file's size, another kind
/// of input, or one that cannot be examined.
enum Size {
    Regular(u64),
    Other,
    Unknown,
}

fn size_of(path: &str) -> Size {
    let st = if path == "-" {
        Input::stdin().metadata().ok_or(rt::Error::Unsupported)
    } else {
        rt::fs::metadata(path)
    };
    match st {
        Ok(st) if st.kind == kind::FILE => Size::Regular(st.size),
        Ok(_) => Size::Other,
        Err(_) if path == "-" => Size::Other,
        Err(_) => Size::Unknown,
    }
}

fn column_width(paths: &[&str], selected: usize) -> usize {
    if selected == 1 && paths.len() == 1 {
        return 1;
    }
    let mut total = 0u64;
    let mut minimum = 1;
    for path in paths {
        match size_of(path) {
            Size::Regular(n) => total += n,
            Size::Other => minimum = 7,
            Size::Unknown => {}
        }
    }
    let mut width = 1;
    while total >= 10 {
        total /= 10;
        width += 1;
    }
    width.max(minimum)
}

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "lwc", "", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut show = [opts.has('l'), opts.has('w'), opts.has('c')];
    if show == [false; 3] {
        show = [true; 3];
    }
    let named = !opts.operands.is_empty();
    let mut paths = opts.operands.clone();
    if !named {
        paths.push("-");
    }
    let width = column_width(&paths, show.iter().filter(|&&s| s).count());
    let mut out = Out::new("wc");
    let print = |out: &mut Out, c: &Counts, name: Option<&str>| {
        let values = [c.lines, c.words, c.bytes];
        let mut first = true;
        for (value, _) in values.iter().zip(show).filter(|(_, s)| *s) {
            let sep = if first { "" } else { " " };
            let _ = write!(out, "{sep}{value:>width$}");
            first = false;
        }
        match name {
            Some(n) => {
                let _ = writeln!(out, " {n}");
            }
            None => out.write(b"\n"),
        }
    };
    let mut total = Counts::default();
    let mut status = 0;
    for path in &paths {
        match count(path) {
            Ok(c) => {
                print(&mut out, &c, named.then_some(*path));
                total.add(&c);
            }
            Err(e) => {
                out.flush();
                userprogs::report("wc", path, e);
                status = 1;
            }
        }
    }
    if paths.len() > 1 {
        print(&mut out, &total, Some("total"));
    }
    status
}
