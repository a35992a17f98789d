//! `stat paths...`: show what the file system records about each path
//! (a symbolic link itself, not its target): size, blocks, kind, inode,
//! links, permissions, owner and the access, modify and change times.
#![no_std]
#![no_main]

use core::fmt::Write;
use rt::abi::fs::Stat;
use rt::fs::kind;
use userprogs::format::{datetime, kind_name, mode_string};
use userprogs::opts::usage_error;
use userprogs::out::Out;

rt::entry!(main);

const USAGE: &str = "usage: stat paths...";

fn show(out: &mut Out, path: &str, st: &Stat) {
    let _ = write!(out, "  File: {path}");
    if st.kind == kind::SYMLINK {
        if let Ok(target) = rt::fs::read_link(path) {
            let _ = write!(out, " -> {target}");
        }
    }
    let _ = writeln!(
        out,
        "\n  Size: {:<15} Blocks: {:<10} {}",
        st.size,
        st.blocks,
        kind_name(st.kind, st.size)
    );
    let _ = writeln!(out, " Inode: {:<15} Links: {}", st.ino, st.links);
    let _ = writeln!(
        out,
        "Access: ({:04o}/{})  Uid: {}  Gid: {}",
        st.mode & 0o7777,
        mode_string(st.kind, st.mode),
        st.uid,
        st.gid
    );
    let _ = writeln!(out, "Access: {}", datetime(st.atime));
    let _ = writeln!(out, "Modify: {}", datetime(st.mtime));
    let _ = writeln!(out, "Change: {}", datetime(st.ctime));
}

fn main(args: rt::Args) -> i32 {
    if args.len() < 2 {
        return usage_error("stat", "missing operand", USAGE);
    }
    let mut out = Out::new("stat");
    let mut status = 0;
    for path in args.iter().skip(1) {
        match rt::fs::symlink_metadata(path) {
            Ok(st) => show(&mut out, path, &st),
            Err(e) => {
                out.flush();
                userprogs::report("stat", path, e);
                status = 1;
            }
        }
    }
    status
}
