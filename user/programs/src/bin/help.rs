//! `help`: list the commands with a one-line description each.
#![no_std]
#![no_main]

use core::fmt::Write;
use userprogs::out::Out;

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    let mut out = Out::new("help");
    let width = userprogs::COMMANDS
        .iter()
        .map(|(usage, _)| usage.len())
        .max()
        .unwrap_or(0);
    for (usage, what) in userprogs::COMMANDS {
        let _ = writeln!(out, "{usage:width$}  {what}");
    }
    0
}
