//! `bootimg shell-test`: a host-driven end-to-end test of the interactive
//! shell. QEMU boots with the serial console on a pipe; a script of steps
//! ([`script`]) types into it and waits for output, as a person at the
//! terminal would, in the manner of `expect`.
//!
//! - [`script`]: the step language and its parser.
//! - [`regex`]: the small pattern matcher behind `expect-re`.
//! - [`transcript`]: console output as matchable text, and prompts.
//! - [`session`]: one QEMU process with its console pipes.
//! - [`host`]: `host` steps' commands.
//! - [`mod@play`]: runs the steps, stops at the first failure, reports it.
//!
//! A test passes iff every step passes. QEMU is always killed (if still
//! running) and reaped at the end, and the whole run is bounded by an
//! overall timeout as well as each step by its own.

pub mod host;
pub mod play;
pub mod regex;
pub mod script;
pub mod session;
pub mod transcript;

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

pub use play::{play, Outcome};
pub use script::{parse, Action, ParseError, Step};

/// How many console lines a failure report shows.
pub const TAIL_LINES: usize = 40;

/// What a run needs besides its steps.
#[derive(Debug, Clone)]
pub struct Config {
    /// The QEMU binary and its arguments (the same for every boot).
    pub program: OsString,
    pub args: Vec<String>,
    /// The script's name, for messages (`basic.script`).
    pub name: String,
    /// Where `host` commands run: the script's directory.
    pub dir: PathBuf,
    /// Environment for `host` commands, besides the script's variables.
    pub env: Vec<(String, String)>,
    /// The limit for the whole run, every boot included.
    pub timeout: Duration,
}
