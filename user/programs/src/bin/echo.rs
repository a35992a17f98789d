//! `echo [-n] [args...]`: print the arguments separated by spaces, and a
//! newline unless `-n` is the first argument.
#![no_std]
#![no_main]

use userprogs::out::Out;

rt::entry!(main);

fn main(args: rt::Args) -> i32 {
    let mut words = args.iter().skip(1).peekable();
    let newline = words.next_if_eq(&"-n").is_none();
    let mut out = Out::new("echo");
    for (i, word) in words.enumerate() {
        if i > 0 {
            out.write(b" ");
        }
        out.write_str(word);
    }
    if newline {
        out.write(b"\n");
    }
    0
}
