//! `touch files...`: create each file that does not exist (empty). An
//! existing file is left as it is (there is no call to set its times).
#![no_std]
#![no_main]

use rt::abi::fs::open;
use rt::Error;
use userprogs::opts::usage_error;

rt::entry!(main);

const USAGE: &str = "usage: touch files...";

fn touch(path: &str) -> Result<(), Error> {
    match rt::fs::metadata(path) {
        Ok(_) => Ok(()),
        Err(Error::NotFound) => {
            rt::fs::File::open_with(path, open::WRITE | open::CREATE, 0o644).map(|_| ())
        }
        Err(e) => Err(e),
    }
}

fn main(args: rt::Args) -> i32 {
    if args.len() < 2 {
        return usage_error("touch", "missing file operand", USAGE);
    }
    let mut status = 0;
    for path in args.iter().skip(1) {
        if let Err(e) = touch(path) {
            userprogs::report("touch", path, e);
            status = 1;
        }
    }
    status
}
