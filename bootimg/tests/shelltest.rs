//! End-to-end tests of `bootimg shell-test`, with a fake QEMU (named by
//! `BOOTIMG_QEMU`): a bash script that prints a banner and prompts, echoes
//! what is typed (lines end in `\r`, as from a terminal), and knows a few
//! commands.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Held while writing an executable and while spawning: a process forked
/// by another test thread while the file is open for writing would keep it
/// open, and running it would then fail with "text file busy".
static SPAWN_LOCK: Mutex<()> = Mutex::new(());

/// The fake QEMU. It records its arguments (`args.txt`) and pid
/// (`pid.txt`), counts boots (`boots.txt`), and understands:
/// `echo WORDS`, `sleep` (until a Ctrl-C byte, then `[killed]`), `crash`
/// (exit 3), `hang` (stop answering), `poweroff` (exit 0).
const FAKE_QEMU: &str = r#"#!/usr/bin/env bash
dir=$(dirname "$0")
for a in "$@"; do printf '%s\n' "$a"; done > "$dir/args.txt"
echo $$ > "$dir/pid.txt"
boots=$(( $(cat "$dir/boots.txt" 2>/dev/null || echo 0) + 1 ))
echo $boots > "$dir/boots.txt"
printf '\r\n[boot] fake kernel, boot %s\r\n' "$boots"
while printf '/ $ ' && IFS= read -r -d $'\r' line; do
    printf '%s\r\n' "$line"
    case "$line" in
        'echo '*) printf '%s\r\n' "${line#echo }" ;;
        sleep)
            while IFS= read -r -n 1 -d '' c; do
                [ "$c" = $'\x03' ] && break
            done
            printf '[killed]\r\n' ;;
        crash) printf 'oops\r\n'; exit 3 ;;
        hang) exec sleep 60 2>/dev/null ;;
        poweroff) printf '[power] powering off\r\n'; exit 0 ;;
        '') ;;
        *) printf 'sh: %s: not found\r\n' "$line" ;;
    esac
done
exit 0
"#;

/// A scratch directory with a dummy kernel and the fake QEMU.
struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bootimg-shelltest-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("kernel.elf"), b"not really a kernel").unwrap();
        fs::write(dir.join("root.img"), b"").unwrap();
        let qemu = dir.join("fake-qemu");
        {
            let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
            fs::write(&qemu, FAKE_QEMU).unwrap();
            fs::set_permissions(&qemu, fs::Permissions::from_mode(0o755)).unwrap();
        }
        Scratch { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// Writes `text` as `name` and returns its path.
    fn script(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        fs::write(&path, text).unwrap();
        path
    }

    /// Runs `bootimg shell-test` on the script with `extra` arguments.
    fn run(&self, script: &Path, extra: &[&str]) -> (Output, Duration) {
        let kernel = self.path("kernel.elf");
        let disk = self.path("root.img");
        let mut args = vec![
            "shell-test",
            "--board",
            "virt",
            "--kernel",
            kernel.to_str().unwrap(),
            "--disk",
            disk.to_str().unwrap(),
            "--script",
            script.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let start = Instant::now();
        let child = {
            let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
            Command::new(env!("CARGO_BIN_EXE_bootimg"))
                .args(&args)
                .env("BOOTIMG_QEMU", self.path("fake-qemu"))
                .env("SHELLTEST_FROM_MAKE", "outer value")
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let output = child.wait_with_output().unwrap();
        (output, start.elapsed())
    }

    fn recorded_args(&self) -> Vec<String> {
        fs::read_to_string(self.path("args.txt"))
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    }

    /// Whether the fake QEMU's process still exists.
    fn qemu_alive(&self) -> bool {
        let pid = fs::read_to_string(self.path("pid.txt")).unwrap();
        Path::new(&format!("/proc/{}", pid.trim())).exists()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const PASSING: &str = r#"# Every kind of step.
prompt
send echo hi there
expect hi there
prompt
host WORDS=printf 'two  words\n\n'
host test "$WORDS" = "two  words" && test -n "$SHELLTEST_DISK" && test "$SHELLTEST_BOARD" = virt && test "$SHELLTEST_FROM_MAKE" = "outer value"
send echo [${WORDS}]
expect-re ^\[${WORDS}\]$
prompt
send sleep
ctrl-c
expect [killed]\n
prompt
type echo typed\r
expect-re ^typed$
prompt
timeout 5
pause 0.1
send poweroff
expect powering off
exit-status 0
boot
expect boot 2
prompt
send poweroff
exit-status 0
"#;

#[test]
fn passing_script_passes_and_logs_the_transcript() {
    let scratch = Scratch::new("pass");
    let script = scratch.script("pass.script", PASSING);
    let log = scratch.path("console.log");
    let (output, _) = scratch.run(&script, &["--log", log.to_str().unwrap()]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}{}", stderr(&output));
    assert!(
        out.contains("[shell-test] pass.script:3: send echo hi there\n"),
        "{out}"
    );
    assert!(
        out.contains("pass.script: PASS (26 steps, 2 boots, "),
        "{out}"
    );

    let transcript = fs::read_to_string(&log).unwrap();
    assert!(!transcript.contains('\r'), "{transcript:?}");
    assert!(
        transcript.contains("/ $ echo [two  words]\n[two  words]\n"),
        "{transcript}"
    );
    assert!(transcript.contains("[killed]\n"), "{transcript}");
    assert!(
        transcript.contains("\n[shell-test] boot 2\n\n[boot] fake kernel, boot 2\n"),
        "{transcript}"
    );

    let args = scratch.recorded_args().join(" ");
    assert!(args.contains("-monitor none -serial stdio"), "{args}");
    assert!(
        args.contains("-device virtio-blk-device,drive=disk0"),
        "{args}"
    );
    assert!(!args.contains("mon:stdio"), "{args}");
}

#[test]
fn failed_expect_reports_the_step_and_the_console_tail() {
    let scratch = Scratch::new("expect");
    let script = scratch.script(
        "basic.script",
        "prompt\nsend echo 1\nexpect 1\ntimeout 1\n# the fake prints no 2\nexpect 2\nsend echo never typed\n",
    );
    let (output, elapsed) = scratch.run(&script, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    assert!(
        out.contains("[shell-test] basic.script:6: FAILED: expect 2\n"),
        "{out}"
    );
    assert!(out.contains("timed out after 1s waiting for `2`"), "{out}");
    assert!(
        out.contains("output since the last match: \"\\n/ $ \""),
        "{out}"
    );
    assert!(out.contains("last 40 console lines:\n"), "{out}");
    assert!(out.contains("  | / $ echo 1\n  | 1\n  | / $ \n"), "{out}");
    assert!(out.contains("basic.script: FAIL (4 steps passed"), "{out}");
    assert!(!out.contains("never typed"), "{out}");
    assert!(!scratch.qemu_alive());
}

#[test]
fn wrong_exit_status_fails() {
    let scratch = Scratch::new("status");
    let script = scratch.script("s.script", "prompt\nsend crash\nexit-status 0\n");
    let (output, _) = scratch.run(&script, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("QEMU exited with status 3, expected exit status 0"),
        "{out}"
    );
    let script = scratch.script(
        "t.script",
        "prompt\nsend crash\nexit-status 3\nboot\nprompt\n",
    );
    let (output, _) = scratch.run(&script, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn qemu_exiting_while_waited_on_fails_at_once() {
    let scratch = Scratch::new("exit");
    let script = scratch.script("s.script", "prompt\nsend crash\nexpect never printed\n");
    let (output, elapsed) = scratch.run(&script, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    assert!(
        out.contains("QEMU exited with status 3 while waiting for `never printed`"),
        "{out}"
    );
    assert!(out.contains("  | oops\n"), "{out}");
}

#[test]
fn steps_after_qemu_exited_fail() {
    let scratch = Scratch::new("after-exit");
    let script = scratch.script("s.script", "send poweroff\nexit-status 0\nsend echo hi\n");
    let (output, _) = scratch.run(&script, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("QEMU is not running (it exited with status 0)"),
        "{out}"
    );
    let script = scratch.script("t.script", "prompt\nboot\n");
    let (output, _) = scratch.run(&script, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(out.contains("QEMU is still running"), "{out}");
}

#[test]
fn overall_timeout_kills_a_hung_qemu() {
    let scratch = Scratch::new("hang");
    let script = scratch.script("s.script", "prompt\nsend hang\nexpect never printed\n");
    let (output, elapsed) = scratch.run(&script, &["--timeout", "2"]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    assert!(
        out.contains("the overall timeout (2s) ran out waiting for `never printed`"),
        "{out}"
    );
    assert!(
        out.contains("QEMU was still running at the end: killed it"),
        "{out}"
    );
    assert!(!scratch.qemu_alive());
}

#[test]
fn qemu_left_running_at_the_end_is_killed() {
    let scratch = Scratch::new("left");
    let script = scratch.script("s.script", "prompt\n");
    let (output, _) = scratch.run(&script, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    // Whether the runner had to kill it or it went away as its stdin
    // closed depends on timing; either way it must be gone.
    assert!(!scratch.qemu_alive());
}

#[test]
fn failing_host_command_fails_the_step() {
    let scratch = Scratch::new("host");
    let script = scratch.script("s.script", "prompt\nhost echo from host; exit 4\nprompt\n");
    let (output, _) = scratch.run(&script, &[]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}");
    assert!(
        out.contains("host command `echo from host; exit 4` failed: exited with status 4"),
        "{out}"
    );
}

#[test]
fn host_commands_run_in_the_script_directory() {
    let scratch = Scratch::new("host-dir");
    fs::create_dir(scratch.path("sub")).unwrap();
    fs::write(scratch.path("sub/data.txt"), "payload").unwrap();
    let script = scratch.script(
        "sub/s.script",
        "host X=cat data.txt\nsend echo ${X}\nexpect-re ^payload$\n",
    );
    let (output, _) = scratch.run(&script, &[]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
}

#[test]
fn bad_script_is_reported_before_booting() {
    let scratch = Scratch::new("parse");
    let script = scratch.script("bad.script", "prompt\nfrobnicate now\n");
    let (output, _) = scratch.run(&script, &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("bad.script:2: unknown step `frobnicate`"),
        "{err}"
    );
    assert!(
        !scratch.path("args.txt").exists(),
        "QEMU should not have run"
    );

    let (output, _) = scratch.run(&scratch.path("missing.script"), &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("cannot read"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn missing_kernel_and_usage_errors() {
    let scratch = Scratch::new("usage");
    let script = scratch.script("s.script", "prompt\n");
    let (output, _) = {
        let _guard = SPAWN_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        let start = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_bootimg"))
            .args([
                "shell-test",
                "--board",
                "virt",
                "--kernel",
                "/nonexistent/k.elf",
            ])
            .args(["--script", script.to_str().unwrap()])
            .env("BOOTIMG_QEMU", scratch.path("fake-qemu"))
            .output()
            .unwrap();
        (output, start.elapsed())
    };
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).contains("kernel image /nonexistent/k.elf not found"));
    assert!(!scratch.path("args.txt").exists());

    let output = Command::new(env!("CARGO_BIN_EXE_bootimg"))
        .args(["shell-test", "--board", "virt", "--kernel", "k"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing --script"),
        "{}",
        stderr(&output)
    );
}
