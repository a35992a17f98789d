//! `hexdump -C [files...]`: the canonical hex and ASCII dump, exactly as
//! util-linux `hexdump -C` prints it: per 16 bytes the offset, the bytes
//! in hex in two groups of 8 and `|printable ASCII|`; a run of identical
//! lines is shown once followed by `*`; the last line is the total length.
//! The files (stdin if none, or `-`) are dumped as one stream. Only the
//! canonical format exists, so `-C` may be left out.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write;
use userprogs::input::Input;
use userprogs::opts::parse_or_usage;
use userprogs::out::Out;

rt::entry!(main);

const USAGE: &str = "usage: hexdump -C [files...]";

/// The dump so far: offset, a partial line, and the last full line (for
/// squeezing repeats).
struct Dump {
    out: Out,
    offset: u64,
    pending: Vec<u8>,
    previous: Option<[u8; 16]>,
    squeezing: bool,
}

impl Dump {
    fn feed(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            let take = (16 - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            if self.pending.len() == 16 {
                self.full_line();
            }
        }
    }

    fn full_line(&mut self) {
        let mut line = [0u8; 16];
        line.copy_from_slice(&self.pending);
        if self.previous == Some(line) {
            if !self.squeezing {
                self.out.write(b"*\n");
                self.squeezing = true;
            }
        } else {
            self.print_line();
            self.squeezing = false;
        }
        self.previous = Some(line);
        self.offset += 16;
        self.pending.clear();
    }

    /// Print `pending` (1 to 16 bytes) at `offset`.
    fn print_line(&mut self) {
        let bytes = &self.pending;
        let _ = write!(self.out, "{:08x}  ", self.offset);
        for i in 0..16 {
            match bytes.get(i) {
                Some(b) => {
                    let _ = write!(self.out, "{b:02x} ");
                }
                None => self.out.write(b"   "),
            }
            if i == 7 {
                self.out.write(b" ");
            }
        }
        self.out.write(b" |");
        for &b in bytes {
            let shown = if (0x20..=0x7e).contains(&b) { b } else { b'.' };
            self.out.write(&[shown]);
        }
        self.out.write(b"|\n");
    }

    fn finish(&mut self) {
        if !self.pending.is_empty() {
            self.print_line();
            self.offset += self.pending.len() as u64;
        }
        if self.offset > 0 {
            let _ = writeln!(self.out, "{:08x}", self.offset);
        }
    }
}

fn main(args: rt::Args) -> i32 {
    let opts = match parse_or_usage(&args, "C", "", USAGE) {
        Ok(o) => o,
        Err(code) => return code,
    };
    let mut paths = opts.operands.clone();
    if paths.is_empty() {
        paths.push("-");
    }
    let mut dump = Dump {
        out: Out::new("hexdump"),
        offset: 0,
        pending: Vec::with_capacity(16),
        previous: None,
        squeezing: false,
    };
    let mut status = 0;
    for path in paths {
        let result = Input::open(path).and_then(|mut input| input.for_each_chunk(|d| dump.feed(d)));
        if let Err(e) = result {
            dump.out.flush();
            userprogs::report("hexdump", path, e);
            status = 1;
        }
    }
    dump.finish();
    status
}
