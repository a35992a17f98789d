//! The subcommands: each takes parsed options, does the work, reports to the
//! user and returns the process exit code.

use std::ffi::OsString;
use std::io;
use std::path::Path;
use std::process::{Command as Process, ExitStatus};

use crate::backtrace::{annotate_stream, code_addresses, symbolize_addresses};
use crate::cli::{self, BootOptions, Command, RunOptions, ShellTestOptions};
use crate::objcopy::objcopy_file;
use crate::qemu::{disk_args, qemu_args, qemu_program, Mode};
use crate::runner::{run_captured, tail, RunOutcome};
use crate::sdimage::{self, SdImageOptions};
use crate::shell;
use crate::shelltest;
use crate::symbols::{SymbolTable, SymbolsError};
use crate::verdict::{check_required, judge, judge_crash};

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
        Ok(Command::Symbolize { elf }) => symbolize(&elf),
        Ok(Command::Run(opts)) => run(&opts),
        Ok(Command::Qemu { boot, extra }) => qemu(&boot, &extra),
        Ok(Command::QemuCmd { boot, test }) => qemu_cmd(&boot, test),
        Ok(Command::SdImage(opts)) => sd_image(&opts),
        Ok(Command::ShellTest(opts)) => shell_test(&opts),
        Err(err) => {
            eprintln!("bootimg: {err}\n\n{}", cli::USAGE);
            EXIT_USAGE
        }
    }
}

/// `bootimg objcopy`.
fn objcopy(input: &Path, output: &Path) -> u8 {
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
    let mut args = qemu_args(board, &boot.kernel, Mode::Test, boot.append.as_deref());
    args.extend(disk_args(board, &boot.disks));
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

    if outcome.timed_out {
        let secs = opts.timeout.as_secs();
        println!("[runner] {board}: TIMEOUT after {secs}s; last console lines:");
        for line in tail(&outcome.log, TIMEOUT_TAIL_LINES) {
            println!("  | {line}");
        }
    }
    print_symbolized_backtrace(opts, &outcome.log);

    let success = if opts.expect_crash {
        crash_verdict(opts, &outcome)
    } else {
        suite_verdict(opts, &outcome)
    };
    if success && log_ok {
        EXIT_OK
    } else {
        EXIT_FAIL
    }
}

/// Judges a normal or `--expect-fail` run and reports; true if it succeeded.
fn suite_verdict(opts: &RunOptions, outcome: &RunOutcome) -> bool {
    let board = opts.boot.board;
    let mut verdict = judge(&outcome.log, outcome.exit);
    if outcome.timed_out {
        verdict.reason = format!("timeout after {}s", opts.timeout.as_secs());
    }
    let required = check_required(&outcome.log, &opts.require);
    if !opts.expect_fail && verdict.pass {
        if let Err(missing) = &required {
            verdict.pass = false;
            verdict.reason = format!("all tests passed, but {missing}");
        }
    }
    println!(
        "[runner] {board}: {} passed, {} failed, {} skipped — {} ({})",
        verdict.passed,
        verdict.failed,
        verdict.skipped,
        if verdict.pass { "PASS" } else { "FAIL" },
        verdict.reason
    );
    if !opts.expect_fail {
        return verdict.pass;
    }
    let expected = verdict.is_expected_failure();
    match (expected, &required) {
        (false, _) => println!(
            "[runner] {board}: expected the suite to report a failed test and QEMU to exit nonzero"
        ),
        (true, Err(missing)) => println!("[runner] {board}: failed as expected, but {missing}"),
        (true, Ok(())) => println!("[runner] {board}: failure detected as expected"),
    }
    expected && required.is_ok()
}

/// Judges an `--expect-crash` run and reports; true if the kernel crashed
/// as it should.
fn crash_verdict(opts: &RunOptions, outcome: &RunOutcome) -> bool {
    let board = opts.boot.board;
    match judge_crash(&outcome.log, outcome.exit, &opts.require) {
        Ok(()) => {
            println!("[runner] {board}: crash detected as expected");
            true
        }
        Err(reason) => {
            println!("[runner] {board}: FAIL (expected a crash: {reason})");
            false
        }
    }
}

/// Prints the backtrace frames and `ELR` address in `log`, if any, as
/// `function+0xoffset`, with the symbols of `--symbols` or else of the kernel
/// (skipped quietly when the kernel is not an ELF file with symbols).
fn print_symbolized_backtrace(opts: &RunOptions, log: &str) {
    let addresses = code_addresses(log);
    if addresses.is_empty() {
        return;
    }
    let board = opts.boot.board;
    let (path, explicit) = match &opts.symbols {
        Some(path) => (path, true),
        None => (&opts.boot.kernel, false),
    };
    let symbols = match SymbolTable::read(path) {
        Ok(symbols) => symbols,
        Err(SymbolsError::NotElf | SymbolsError::NoSymbols) if !explicit => return,
        Err(err) => {
            println!(
                "[runner] {board}: cannot symbolize the backtrace with {}: {err}",
                path.display()
            );
            return;
        }
    };
    println!("[runner] symbolized backtrace:");
    for line in symbolize_addresses(&addresses, &symbols) {
        println!("{line}");
    }
}

/// `bootimg symbolize`: annotate the addresses on stdin.
fn symbolize(elf: &Path) -> u8 {
    let symbols = match SymbolTable::read(elf) {
        Ok(symbols) => symbols,
        Err(err) => {
            eprintln!("bootimg: symbolize {}: {err}", elf.display());
            return EXIT_FAIL;
        }
    };
    match annotate_stream(&symbols, io::stdin().lock(), io::stdout().lock()) {
        Ok(()) => EXIT_OK,
        // The reader went away (say, `| head`): not our failure.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(err) => {
            eprintln!("bootimg: symbolize: {err}");
            EXIT_FAIL
        }
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
    args.extend(disk_args(boot.board, &boot.disks));
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
    let mut args = qemu_args(boot.board, &boot.kernel, mode, boot.append.as_deref());
    args.extend(disk_args(boot.board, &boot.disks));
    println!("{}", shell::join(std::iter::once(program).chain(args)));
    EXIT_OK
}

/// `bootimg shell-test`: play a script on the console of a fresh boot.
fn shell_test(opts: &ShellTestOptions) -> u8 {
    let boot = &opts.boot;
    let script = opts.script.display();
    let text = match std::fs::read_to_string(&opts.script) {
        Ok(text) => text,
        Err(err) => {
            eprintln!("bootimg: shell-test: cannot read {script}: {err}");
            return EXIT_FAIL;
        }
    };
    let steps = match shelltest::parse(&text) {
        Ok(steps) => steps,
        Err(err) => {
            eprintln!(
                "bootimg: shell-test: {script}:{}: {}",
                err.line, err.message
            );
            return EXIT_FAIL;
        }
    };
    if !boot.kernel.is_file() {
        println!(
            "[shell-test] kernel image {} not found",
            boot.kernel.display()
        );
        return EXIT_FAIL;
    }
    let mut args = qemu_args(boot.board, &boot.kernel, Mode::Test, boot.append.as_deref());
    args.extend(disk_args(boot.board, &boot.disks));
    let name = opts
        .script
        .file_name()
        .map_or_else(|| script.to_string(), |n| n.to_string_lossy().into_owned());
    let dir = match opts.script.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let config = shelltest::Config {
        program: qemu_program(),
        args,
        name,
        dir,
        env: shell_test_env(boot),
        timeout: opts.timeout,
    };
    let outcome = shelltest::play(&steps, &config, &mut io::stdout());
    let mut log_ok = true;
    if let Some(path) = &opts.log {
        if let Err(err) = std::fs::write(path, &outcome.transcript) {
            println!("[shell-test] cannot write log {}: {err}", path.display());
            log_ok = false;
        }
    }
    if outcome.pass && log_ok {
        EXIT_OK
    } else {
        EXIT_FAIL
    }
}

/// What `host` steps find in their environment about the run:
/// `SHELLTEST_BOARD` (`virt`, `rpi3`, `rpi4`), `SHELLTEST_KERNEL`, and
/// `SHELLTEST_DISK` (the root disk) and
/// `SHELLTEST_DISK<n>` for each disk (n from 1), as absolute paths.
fn shell_test_env(boot: &BootOptions) -> Vec<(String, String)> {
    let absolute = |path: &Path| {
        std::path::absolute(path)
            .unwrap_or_else(|_| path.to_path_buf())
            .to_string_lossy()
            .into_owned()
    };
    let mut env = vec![
        ("SHELLTEST_BOARD".to_string(), boot.board.name().to_string()),
        ("SHELLTEST_KERNEL".to_string(), absolute(&boot.kernel)),
    ];
    for (i, disk) in boot.disks.iter().enumerate() {
        if i == 0 {
            env.push(("SHELLTEST_DISK".to_string(), absolute(disk)));
        }
        env.push((format!("SHELLTEST_DISK{}", i + 1), absolute(disk)));
    }
    env
}

/// `bootimg sdimage`: build the image; on success, describe it on stderr
/// and print its path (alone) on stdout.
fn sd_image(opts: &SdImageOptions) -> u8 {
    match sdimage::build(opts) {
        Ok(report) => {
            eprintln!("bootimg: {}: {}", opts.board, sdimage::describe(&report));
            println!("{}", opts.out.display());
            EXIT_OK
        }
        Err(err) => {
            eprintln!("bootimg: sdimage: {err}");
            EXIT_FAIL
        }
    }
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
