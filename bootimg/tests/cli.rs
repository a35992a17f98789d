//! End-to-end tests of the `bootimg` binary, with fake QEMU scripts (named by
//! `BOOTIMG_QEMU`) standing in for the real one.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Held while writing a script and while spawning: a process forked by
/// another test thread while a script is open for writing would keep it
/// open, and running the script would then fail with "text file busy".
static SPAWN_LOCK: Mutex<()> = Mutex::new(());

/// A fresh scratch directory holding a dummy kernel image.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bootimg-test-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("kernel.elf"), b"not really a kernel").unwrap();
        Scratch { dir }
    }

    fn kernel(&self) -> PathBuf {
        self.dir.join("kernel.elf")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes an executable shell script standing in for QEMU. It records
    /// its arguments, one per line, in `args.txt`.
    fn fake_qemu(&self, body: &str) -> PathBuf {
        let path = self.dir.join("fake-qemu");
        let args = self.path("args.txt");
        let script = format!(
            "#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\"; done > '{}'\n{body}\n",
            args.display()
        );
        let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        fs::write(&path, script).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn recorded_args(&self) -> Vec<String> {
        fs::read_to_string(self.path("args.txt"))
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// Runs `bootimg` with `args` and `BOOTIMG_QEMU=qemu`. Its stdin is a pipe
/// held open until it exits, so a QEMU that wrongly inherited stdin and read
/// it would hang.
fn bootimg(qemu: &Path, args: &[&str]) -> (Output, Duration) {
    let start = Instant::now();
    let mut child = {
        let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        Command::new(env!("CARGO_BIN_EXE_bootimg"))
            .args(args)
            .env("BOOTIMG_QEMU", qemu)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let stdin = child.stdin.take();
    let output = child.wait_with_output().unwrap();
    drop(stdin);
    (output, start.elapsed())
}

/// `run --board virt --kernel <kernel>` followed by `extra`.
fn run_args<'a>(kernel: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "run",
        "--board",
        "virt",
        "--kernel",
        kernel.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    args
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const PASSING_SUITE: &str = r#"
cat >/dev/null
printf 'kernel 0.1.0 booting\r\n'
printf 'test mm::alloc ... ok\r\n'
printf 'test sched::yield ... ok\r\n'
printf 'test fs::ext2 ... skipped\r\n'
printf '2 passed, 0 failed, 1 skipped\r\n'
exit 0"#;

const FAILING_SUITE: &str = r#"
echo 'test mm::alloc ... ok'
echo 'test sched::yield ... FAILED'
echo '1 passed, 1 failed'
exit 1"#;

/// A kernel that takes an unexpected data abort in the middle of its suite,
/// reports it, panics with a backtrace and exits QEMU with status 101.
const CRASHING_SUITE: &str = r#"
printf 'test mm::alloc ... ok\r\n'
printf '\r\n*** unexpected Sync exception from EL1\r\n'
printf 'ESR 0x96000004: data abort from the same EL (EC 0x25), translation fault at level 0, read\r\n'
printf 'ELR 0xffff00004020397c  FAR 0xffff7e00dead0000  SPSR 0x60000245\r\n'
printf 'SP_EL0 0x0000000000000000\r\n\r\n'
printf '*** kernel panic at kernel/src/arch/aarch64/trap.rs:81:5: unexpected Sync exception from EL1\r\n'
printf 'backtrace:\r\n'
printf '  #0  0xffff000040209a54\r\n'
printf '  #1  0xffff000040205844\r\n'
exit 101"#;

/// `run` with `--expect-crash --append ktest.crash` and `extra`.
fn crash_args<'a>(kernel: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = run_args(kernel, &["--expect-crash", "--append", "ktest.crash"]);
    args.extend_from_slice(extra);
    args
}

#[test]
fn passing_suite_passes() {
    let scratch = Scratch::new("pass");
    let qemu = scratch.fake_qemu(PASSING_SUITE);
    let kernel = scratch.kernel();
    let (output, _) = bootimg(&qemu, &run_args(&kernel, &[]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("kernel 0.1.0 booting\n"),
        "console not echoed: {out}"
    );
    assert!(out.contains("test sched::yield ... ok\n"), "{out}");
    assert!(
        out.contains("[runner] virt: 2 passed, 0 failed, 1 skipped — PASS ("),
        "{out}"
    );

    let args = scratch.recorded_args();
    let expected: Vec<String> =
        bootimg::qemu_args(bootimg::Board::Virt, &kernel, bootimg::Mode::Test, None);
    assert_eq!(args, expected);
}

#[test]
fn failing_suite_fails() {
    let scratch = Scratch::new("fail");
    let qemu = scratch.fake_qemu(FAILING_SUITE);
    let kernel = scratch.kernel();
    let (output, _) = bootimg(&qemu, &run_args(&kernel, &[]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("[runner] virt: 1 passed, 1 failed, 0 skipped — FAIL ("),
        "{out}"
    );
}

#[test]
fn failing_suite_is_what_expect_fail_wants() {
    let scratch = Scratch::new("expect-fail");
    let qemu = scratch.fake_qemu(FAILING_SUITE);
    let kernel = scratch.kernel();
    let (output, _) = bootimg(&qemu, &run_args(&kernel, &["--expect-fail"]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("[runner] virt: failure detected as expected"),
        "{out}"
    );
}

#[test]
fn passing_suite_fails_expect_fail() {
    let scratch = Scratch::new("expect-fail-pass");
    let qemu = scratch.fake_qemu(PASSING_SUITE);
    let kernel = scratch.kernel();
    let (output, _) = bootimg(&qemu, &run_args(&kernel, &["--expect-fail"]));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
}

#[test]
fn hung_kernel_times_out() {
    let scratch = Scratch::new("timeout");
    let qemu = scratch.fake_qemu(
        r#"
echo 'test mm::alloc ... ok'
echo 'test sched::yield ... ok'
exec sleep 600"#,
    );
    let kernel = scratch.kernel();
    let (output, elapsed) = bootimg(&qemu, &run_args(&kernel, &["--timeout", "2"]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(out.contains("[runner] virt: TIMEOUT after 2s"), "{out}");
    assert!(
        out.contains("  | test sched::yield ... ok"),
        "tail not shown: {out}"
    );
    assert!(out.contains("FAIL (timeout after 2s)"), "{out}");
}

#[test]
fn timeout_does_not_wait_for_a_process_left_holding_the_console() {
    let scratch = Scratch::new("timeout-orphan");
    // The shell is killed at the timeout; its `sleep` child lives on with
    // the console pipe open (but not our stderr, or this test would wait).
    let qemu = scratch.fake_qemu(
        r#"
echo 'test mm::alloc ... ok'
sleep 8 2>/dev/null"#,
    );
    let kernel = scratch.kernel();
    let (output, elapsed) = bootimg(&qemu, &run_args(&kernel, &["--timeout", "1"]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(elapsed < Duration::from_secs(6), "took {elapsed:?}");
    assert!(out.contains("TIMEOUT after 1s"), "{out}");
}

#[test]
fn clean_summary_with_nonzero_exit_fails() {
    let scratch = Scratch::new("exit-disagrees");
    let qemu = scratch.fake_qemu(
        r#"
echo 'test mm::alloc ... ok'
echo '1 passed, 0 failed'
exit 1"#,
    );
    let kernel = scratch.kernel();
    let (output, _) = bootimg(&qemu, &run_args(&kernel, &[]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("FAIL (clean summary, but QEMU exit status was 1)"),
        "{out}"
    );

    let (output, _) = bootimg(&qemu, &run_args(&kernel, &["--expect-fail"]));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
}

#[test]
fn crash_is_what_expect_crash_wants() {
    let scratch = Scratch::new("crash");
    let qemu = scratch.fake_qemu(CRASHING_SUITE);
    let kernel = scratch.kernel();
    let (output, _) = bootimg(
        &qemu,
        &crash_args(
            &kernel,
            &[
                "--require",
                "unexpected Sync exception from EL1",
                "--require=FAR 0xffff7e00dead0000",
            ],
        ),
    );
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.ends_with("[runner] virt: crash detected as expected\n"),
        "{out}"
    );
    // The kernel is not an ELF file: nothing to symbolize with, quietly.
    assert!(!out.contains("symbolized"), "{out}");
    let args = scratch.recorded_args();
    assert_eq!(args[args.len() - 2..], ["-append", "ktest.crash"]);
}

#[test]
fn crash_without_a_backtrace_fails_expect_crash() {
    let scratch = Scratch::new("crash-no-backtrace");
    let script = CRASHING_SUITE
        .lines()
        .filter(|line| !line.contains("backtrace:") && !line.contains("  #"))
        .collect::<Vec<_>>()
        .join("\n");
    let qemu = scratch.fake_qemu(&script);
    let kernel = scratch.kernel();
    let (output, _) = bootimg(&qemu, &crash_args(&kernel, &[]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("[runner] virt: FAIL (expected a crash: no `backtrace:` line)"),
        "{out}"
    );
}

#[test]
fn hung_kernel_fails_expect_crash() {
    let scratch = Scratch::new("crash-timeout");
    let script = CRASHING_SUITE.replace("exit 101", "exec sleep 600");
    let qemu = scratch.fake_qemu(&script);
    let kernel = scratch.kernel();
    let (output, elapsed) = bootimg(&qemu, &crash_args(&kernel, &["--timeout", "1"]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert!(out.contains("[runner] virt: TIMEOUT after 1s"), "{out}");
    assert!(
        out.contains("FAIL (expected a crash: QEMU did not exit by itself"),
        "{out}"
    );
}

#[test]
fn passing_suite_fails_expect_crash() {
    let scratch = Scratch::new("crash-pass");
    let qemu = scratch.fake_qemu(PASSING_SUITE);
    let kernel = scratch.kernel();
    let (output, _) = bootimg(&qemu, &crash_args(&kernel, &[]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            "FAIL (expected a crash: QEMU exit status was 0; no `*** kernel panic` line; \
             no `backtrace:` line; the suite ran to its summary (2 passed, 0 failed))"
        ),
        "{out}"
    );
}

#[test]
fn missing_required_text_fails_expect_crash() {
    let scratch = Scratch::new("crash-require");
    let qemu = scratch.fake_qemu(CRASHING_SUITE);
    let kernel = scratch.kernel();
    let (output, _) = bootimg(
        &qemu,
        &crash_args(
            &kernel,
            &[
                "--require",
                "FAR 0xffff7e00dead0000",
                "--require",
                "FAR 0x1234",
            ],
        ),
    );
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains(r#"FAIL (expected a crash: required text not in the log: "FAR 0x1234")"#),
        "{out}"
    );
}

#[test]
fn required_text_on_a_normal_run() {
    let scratch = Scratch::new("require");
    let qemu = scratch.fake_qemu(PASSING_SUITE);
    let kernel = scratch.kernel();
    let (output, _) = bootimg(&qemu, &run_args(&kernel, &["--require", "sched::yield"]));
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));

    let (output, _) = bootimg(&qemu, &run_args(&kernel, &["--require", "sched::sleep"]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains(
            r#"2 passed, 0 failed, 1 skipped — FAIL (all tests passed, but required text not in the log: "sched::sleep")"#
        ),
        "{out}"
    );

    let qemu = scratch.fake_qemu(FAILING_SUITE);
    let (output, _) = bootimg(
        &qemu,
        &run_args(&kernel, &["--expect-fail", "--require", "nowhere"]),
    );
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("failed as expected, but required text not in the log"),
        "{out}"
    );
}

/// A function of the `bootimg` binary itself (an ELF with symbols) and an
/// address inside it, formatted as the kernel prints addresses.
fn some_function_of_bootimg() -> (String, String) {
    let symbols = bootimg::SymbolTable::read(Path::new(env!("CARGO_BIN_EXE_bootimg"))).unwrap();
    let function = symbols
        .symbols()
        .iter()
        .find(|symbol| symbol.name.starts_with("bootimg::") && symbol.size > 8)
        .expect("no bootimg function in the binary's symbol table");
    let addr = function.start + 4;
    let location = symbols.lookup(addr).unwrap().to_string();
    (format!("{addr:#018x}"), location)
}

#[test]
fn crash_backtrace_is_symbolized() {
    let scratch = Scratch::new("crash-symbols");
    let (addr, location) = some_function_of_bootimg();
    let script = CRASHING_SUITE.replace("0xffff000040205844", &addr);
    let qemu = scratch.fake_qemu(&script);
    let kernel = scratch.kernel();
    let symbols = env!("CARGO_BIN_EXE_bootimg");
    let (output, _) = bootimg(&qemu, &crash_args(&kernel, &["--symbols", symbols]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains(&format!(
            "[runner] symbolized backtrace:\n\
             \x20 ELR 0xffff00004020397c  ??\n\
             \x20 #0  0xffff000040209a54  ??\n\
             \x20 #1  {addr}  {location}\n\
             [runner] virt: crash detected as expected\n"
        )),
        "{out}"
    );

    // An unreadable --symbols file is reported, but does not fail the run.
    let missing = scratch.path("missing.elf");
    let (output, _) = bootimg(
        &qemu,
        &crash_args(&kernel, &["--symbols", missing.to_str().unwrap()]),
    );
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("[runner] virt: cannot symbolize the backtrace with"),
        "{out}"
    );
}

#[test]
fn symbolize_annotates_stdin() {
    let (addr, location) = some_function_of_bootimg();
    let input = format!("  #1  {addr}\r\nFAR 0xffff7e00dead0000\nno newline {addr}");
    let mut child = {
        let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        Command::new(env!("CARGO_BIN_EXE_bootimg"))
            .args(["symbolize", env!("CARGO_BIN_EXE_bootimg")])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        format!(
            "  #1  {addr} <{location}>\r\nFAR 0xffff7e00dead0000\nno newline {addr} <{location}>"
        )
    );
}

#[test]
fn log_file_and_bootargs() {
    let scratch = Scratch::new("log");
    let qemu = scratch.fake_qemu(PASSING_SUITE);
    let kernel = scratch.kernel();
    let log = scratch.path("console.log");
    let log_arg = log.to_str().unwrap();
    let (output, _) = bootimg(
        &qemu,
        &run_args(&kernel, &["--log", log_arg, "--append", "quiet test=all"]),
    );
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let written = fs::read_to_string(&log).unwrap();
    assert!(
        written.starts_with("kernel 0.1.0 booting\ntest mm::alloc ... ok\n"),
        "{written}"
    );
    assert!(
        written.ends_with("2 passed, 0 failed, 1 skipped\n"),
        "{written}"
    );
    let args = scratch.recorded_args();
    assert_eq!(args[args.len() - 2..], ["-append", "quiet test=all"]);
}

#[test]
fn missing_qemu_fails_cleanly() {
    let scratch = Scratch::new("no-qemu");
    let kernel = scratch.kernel();
    let (output, _) = bootimg(&scratch.path("no-such-qemu"), &run_args(&kernel, &[]));
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("[runner] virt: cannot run"), "{out}");
}

#[test]
fn missing_kernel_fails_cleanly() {
    let scratch = Scratch::new("no-kernel");
    let qemu = scratch.fake_qemu(PASSING_SUITE);
    let kernel = scratch.path("missing.elf");
    let (output, _) = bootimg(&qemu, &run_args(&kernel, &[]));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    assert!(
        !scratch.path("args.txt").exists(),
        "QEMU should not have run"
    );
}

#[test]
fn usage_errors_exit_2() {
    let scratch = Scratch::new("usage");
    let qemu = scratch.path("unused");
    for args in [
        &[][..],
        &["bogus"],
        &["run", "--board", "virt"],
        &["run", "--board", "pi5", "--kernel", "k"],
        &["run", "--board", "virt", "--kernel", "k", "--timeout", "x"],
        &[
            "run",
            "--board",
            "virt",
            "--kernel",
            "k",
            "--expect-crash",
            "--expect-fail",
        ],
        &["symbolize"],
        &["objcopy", "only-one"],
    ] {
        let (output, _) = bootimg(&qemu, args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&output.stderr);
        assert!(err.contains("usage:"), "{args:?}: {err}");
    }
}

#[test]
fn qemu_cmd_prints_a_quoted_command_line() {
    let qemu = Path::new("/opt/qemu/bin/qemu-system-aarch64");
    let (output, _) = bootimg(
        qemu,
        &[
            "qemu-cmd",
            "--board",
            "rpi3",
            "--kernel",
            "my kernel.elf",
            "--test",
        ],
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        "/opt/qemu/bin/qemu-system-aarch64 -M raspi3b -m 1G -display none -monitor none \
         -serial stdio -semihosting -no-reboot -kernel 'my kernel.elf'\n"
    );

    let (output, _) = bootimg(qemu, &["qemu-cmd", "--board", "rpi4", "--kernel", "k"]);
    assert!(
        stdout(&output).contains(" -serial mon:stdio "),
        "{}",
        stdout(&output)
    );
}

#[test]
fn qemu_runs_interactively_and_passes_the_exit_status_on() {
    let scratch = Scratch::new("qemu");
    let qemu = scratch.fake_qemu("echo hello from qemu\nexit 3");
    let kernel = scratch.kernel();
    let (output, _) = bootimg(
        &qemu,
        &[
            "qemu",
            "--board",
            "virt",
            "--kernel",
            kernel.to_str().unwrap(),
            "--",
            "-s",
            "-S",
        ],
    );
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(stdout(&output), "hello from qemu\n");
    let args = scratch.recorded_args();
    assert!(args.iter().any(|a| a == "mon:stdio"), "{args:?}");
    assert_eq!(args[args.len() - 2..], ["-s", "-S"]);
}

#[test]
fn objcopy_rejects_a_non_elf_file() {
    let scratch = Scratch::new("objcopy");
    let out_path = scratch.path("kernel8.img");
    let (output, _) = bootimg(
        &scratch.path("unused"),
        &[
            "objcopy",
            scratch.kernel().to_str().unwrap(),
            out_path.to_str().unwrap(),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("not an ELF file"), "{err}");
    assert!(!out_path.exists());
}
