//! `help`: list the commands with a one-line description each.
#![no_std]
#![no_main]

use userprogs::out::Out;

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    let mut out = Out::new("help");
    userprogs::write_commands(&mut out, "");
    0
}
