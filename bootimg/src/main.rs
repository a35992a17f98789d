//! Entry point of the `bootimg` host tool; all the work is in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(bootimg::commands::main(std::env::args_os().skip(1)))
}
