//! `kill PID...`: kill processes (this program's descendants: the shell
//! has a builtin `kill` for the programs it started).
#![no_std]
#![no_main]

use userprogs::opts::usage_error;

rt::entry!(main);

const USAGE: &str = "usage: kill PID...";

fn main(args: rt::Args) -> i32 {
    if args.len() < 2 {
        return usage_error("kill", "missing process id", USAGE);
    }
    let mut status = 0;
    for arg in args.iter().skip(1) {
        if let Err(e) = userprogs::kill_pid(arg) {
            userprogs::report("kill", arg, e);
            status = 1;
        }
    }
    status
}
