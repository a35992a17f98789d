//! `yes [text...]`: print the text (default `y`) on a line, forever (until
//! the reader of a pipe goes away, or Ctrl-C).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::string::String;
use userprogs::out::Out;

rt::entry!(main);

fn main(args: rt::Args) -> i32 {
    let mut line = String::new();
    for (i, word) in args.iter().skip(1).enumerate() {
        if i > 0 {
            line.push(' ');
        }
        line.push_str(word);
    }
    if line.is_empty() {
        line.push('y');
    }
    line.push('\n');
    let mut out = Out::new("yes");
    loop {
        out.write_str(&line);
    }
}
