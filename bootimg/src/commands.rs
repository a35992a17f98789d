//! The subcommands: each takes parsed options, does the work, reports to the
//! user and returns the process exit code.

use std::ffi::OsString;
use std::io;
use std::process::{Command as Process, ExitStatus};

use crate::cli::{self, BootOptions, Command, RunOptions};
use crate::objcopy::objcopy_file;
use crate::qemu::{qemu_args, qemu_program, Mode};
use crate::runner::{run_captured, tail};
use crate::shell;
use crate::verdict::judge;

/// Exit code for success.
pub const EXIT_OK: u8 = 0;
/// Exit code for a failed run or operation.
pub const EXIT_FAIL: u8 = 1;
/// Exit code for a usage error.
pub const EXIT_USAGE: u8 = 2;

/// How many console lines to show after a timeout.
const TIMEOUT_TAIL_LINES: usize = 40;

/// Runs `bootimg` with the arguments after the program name and returns the
/// exit code.
pub fn main(args: impl IntoIterator<Item = OsString>) -> u8 {
    let parsed = args
        .into_iter()
        .map(|arg| {
            arg.into_string()
                .map_err(|arg| cli::UsageError(format!("argument {arg:?} is not valid UTF-8")))
        })
        .collect::<Result<Vec<String>, _>>()
        .and_then(|args| cli::parse_args(&args));
    match parsed {
        Ok(Command::Help) => {
            println!("{}", cli::USAGE);
            EXIT_OK
        }
        Ok(Command::Objcopy { input, output }) => objcopy(&input, &output),
        Ok(Command::Run(opts)) => run(&opts),
        Ok(Command::Qemu { boot, extra }) => qemu(&boot, &extra),
        Ok(Command::QemuCmd { boot, test }) => qemu_cmd(&boot, test),
        Err(err) => {
            eprintln!("bootimg: {err}\n\n{}", cli::USAGE);
            EXIT_USAGE
        }
    }
}

/// `bootimg objcopy`.
fn objcopy(input: &std::path::Path, output: &std::path::Path) -> u8 {
    match objcopy_file(input, output) {
        Ok(image) => {
            println!(
                "bootimg: wrote {} ({} bytes, load address {:#x})",
                output.display(),
                image.bytes.len(),
                image.load_addr
            );
            EXIT_OK
        }
        Err(err) => {
            eprintln!("bootimg: objcopy {}: {err}", input.display());
            EXIT_FAIL
        }
    }
}

/// `bootimg run`: a test boot, judged.
fn run(opts: &RunOptions) -> u8 {
    let boot = &opts.boot;
    let board = boot.board;
    if !boot.kernel.is_file() {
        println!(
            "[runner] {board}: kernel image {} not found",
            boot.kernel.display()
        );
        return EXIT_FAIL;
    }
    let program = qemu_program();
    let args = qemu_args(board, &boot.kernel, Mode::Test, boot.append.as_deref());
    let outcome = match run_captured(&program, &args, opts.timeout, &mut io::stdout()) {
        Ok(outcome) => outcome,
        Err(err) => {
            println!(
                "[runner] {board}: cannot run {}: {err}",
                program.to_string_lossy()
            );
            return EXIT_FAIL;
        }
    };

    let mut log_ok = true;
    if let Some(path) = &opts.log {
        if let Err(err) = std::fs::write(path, &outcome.log) {
            println!(
                "[runner] {board}: cannot write log {}: {err}",
                path.display()
            );
            log_ok = false;
        }
    }

    let mut verdict = judge(&outcome.log, outcome.exit);
    if outcome.timed_out {
        let secs = opts.timeout.as_secs();
        println!("[runner] {board}: TIMEOUT after {secs}s; last console lines:");
        for line in tail(&outcome.log, TIMEOUT_TAIL_LINES) {
            println!("  | {line}");
        }
        verdict.reason = format!("timeout after {secs}s");
    }
    println!(
        "[runner] {board}: {} passed, {} failed, {} skipped — {} ({})",
        verdict.passed,
        verdict.failed,
        verdict.skipped,
        if verdict.pass { "PASS" } else { "FAIL" },
        verdict.reason
    );

    let success = if opts.expect_fail {
        let expected = verdict.is_expected_failure();
        if expected {
            println!("[runner] {board}: failure detected as expected");
        } else {
            println!(
                "[runner] {board}: expected the suite to report a failed test and QEMU to exit nonzero"
            );
        }
        expected
    } else {
        verdict.pass
    };
    if success && log_ok {
        EXIT_OK
    } else {
        EXIT_FAIL
    }
}

/// `bootimg qemu`: an interactive boot on the user's terminal.
fn qemu(boot: &BootOptions, extra: &[String]) -> u8 {
    let program = qemu_program();
    let mut args = qemu_args(
        boot.board,
        &boot.kernel,
        Mode::Interactive,
        boot.append.as_deref(),
    );
    args.extend_from_slice(extra);
    match Process::new(&program).args(&args).status() {
        Ok(status) => exit_code(status),
        Err(err) => {
            eprintln!("bootimg: cannot run {}: {err}", program.to_string_lossy());
            EXIT_FAIL
        }
    }
}

/// `bootimg qemu-cmd`: print the command line, shell-quoted.
fn qemu_cmd(boot: &BootOptions, test: bool) -> u8 {
    let mode = if test { Mode::Test } else { Mode::Interactive };
    let program = qemu_program().to_string_lossy().into_owned();
    let args = qemu_args(boot.board, &boot.kernel, mode, boot.append.as_deref());
    println!("{}", shell::join(std::iter::once(program).chain(args)));
    EXIT_OK
}

/// The exit code to pass on for a child's status: its own code, or 128 plus
/// the signal number if a signal ended it (as shells report it).
fn exit_code(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return u8::try_from(code).unwrap_or(EXIT_FAIL);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return u8::try_from(128 + signal).unwrap_or(EXIT_FAIL);
        }
    }
    EXIT_FAIL
}
