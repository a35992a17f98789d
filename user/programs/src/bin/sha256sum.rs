//! `sha256sum [files...]`: print the SHA-256 of each file as coreutils
//! does, `<64 hex digits>  <path>`; stdin (shown as `-`) if no file is
//! given, or for `-`.
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;
use core::fmt::Write;
use sha2::{Digest, Sha256};
use userprogs::format::hex;
use userprogs::input::Input;
use userprogs::out::Out;

rt::entry!(main);

/// The hex digest of one input.
fn digest(path: &str) -> Result<alloc::string::String, rt::Error> {
    let mut hasher = Sha256::new();
    Input::open(path)?.for_each_chunk(|piece| hasher.update(piece))?;
    Ok(hex(&hasher.finalize()))
}

fn main(args: rt::Args) -> i32 {
    let mut paths: Vec<&str> = args.iter().skip(1).collect();
    if paths.is_empty() {
        paths.push("-");
    }
    let mut out = Out::new("sha256sum");
    let mut status = 0;
    for path in paths {
        match digest(path) {
            Ok(sum) => {
                let _ = writeln!(out, "{sum}  {path}");
            }
            Err(e) => {
                out.flush();
                userprogs::report("sha256sum", path, e);
                status = 1;
            }
        }
    }
    status
}
