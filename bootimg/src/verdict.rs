//! Judging a test boot: reads the kernel's console log (`test <name> ... ok`
//! lines and the `N passed, N failed[, N skipped]` summary) and QEMU's exit
//! status, and decides whether the run passed; or, for `--expect-crash`,
//! whether the kernel crashed the way it should.

use crate::backtrace::parse_frame_line;

/// The outcome of one test, as printed by the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestStatus {
    /// `test <name> ... ok`
    Ok,
    /// `test <name> ... FAILED`
    Failed,
    /// `test <name> ... skipped`
    Skipped,
}

/// The counts from a `N passed, N failed[, N skipped]` summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub passed: u32,
    pub failed: u32,
    pub skipped: u32,
}

/// The judgement of a test boot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the run passed.
    pub pass: bool,
    /// Passed tests: from the summary line, or counted lines if there is none.
    pub passed: u32,
    /// Failed tests, likewise.
    pub failed: u32,
    /// Skipped tests, likewise.
    pub skipped: u32,
    /// Whether the log has a summary line.
    pub summary_seen: bool,
    /// QEMU's exit status; `None` if it was killed (timeout or signal).
    pub exit: Option<i32>,
    /// One line saying why the run passed or failed.
    pub reason: String,
}

impl Verdict {
    /// True for the failure `--expect-fail` looks for: the kernel ran its
    /// suite to the summary, reported at least one failed test, and QEMU
    /// exited by itself with a nonzero status.
    pub fn is_expected_failure(&self) -> bool {
        !self.pass
            && self.summary_seen
            && self.failed > 0
            && matches!(self.exit, Some(code) if code != 0)
    }
}

/// Parses a `test <name> ... <status>` line; trailing `\r` and words after the
/// status (such as a duration) are allowed.
pub fn parse_test_line(line: &str) -> Option<TestStatus> {
    let rest = line.trim().strip_prefix("test ")?;
    let (name, status) = rest.rsplit_once(" ... ")?;
    if name.trim().is_empty() {
        return None;
    }
    match status.split_whitespace().next()? {
        "ok" => Some(TestStatus::Ok),
        "FAILED" => Some(TestStatus::Failed),
        "skipped" => Some(TestStatus::Skipped),
        _ => None,
    }
}

/// Parses a summary line: `N passed, N failed` with an optional
/// `, N skipped`, optionally after one `word:` (as in `tests: 3 passed, ...`).
pub fn parse_summary_line(line: &str) -> Option<Summary> {
    let line = line.trim();
    let body = match line.split_once(' ') {
        Some((label, rest)) if label.len() > 1 && label.ends_with(':') => rest.trim_start(),
        _ => line,
    };
    let mut parts = body.split(", ");
    let passed = count(parts.next()?, "passed")?;
    let failed = count(parts.next()?, "failed")?;
    let skipped = match parts.next() {
        Some(part) => count(part, "skipped")?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(Summary {
        passed,
        failed,
        skipped,
    })
}

/// Parses `<digits> <word>`.
fn count(part: &str, word: &str) -> Option<u32> {
    let (number, label) = part.split_once(' ')?;
    if label != word || number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse().ok()
}

/// Judges a test boot from its console `log` and QEMU's `exit` status
/// (`None` when QEMU was killed, by the timeout or a signal).
///
/// The run passes only if the log has a summary line (the last one counts)
/// reporting no failures and at least one pass, the `test ... ok` and
/// `test ... FAILED` lines agree with it, and QEMU exited with status 0.
pub fn judge(log: &str, exit: Option<i32>) -> Verdict {
    let mut lines = Summary::default();
    let mut summary = None;
    for line in log.lines() {
        if let Some(status) = parse_test_line(line) {
            match status {
                TestStatus::Ok => lines.passed += 1,
                TestStatus::Failed => lines.failed += 1,
                TestStatus::Skipped => lines.skipped += 1,
            }
        } else if let Some(found) = parse_summary_line(line) {
            summary = Some(found);
        }
    }

    let counts = summary.unwrap_or(lines);
    let failure = failure_reason(summary, lines, exit);
    Verdict {
        pass: failure.is_none(),
        passed: counts.passed,
        failed: counts.failed,
        skipped: counts.skipped,
        summary_seen: summary.is_some(),
        exit,
        reason: failure.unwrap_or_else(|| "all tests passed, exit status 0".to_string()),
    }
}

/// Why the run failed, or `None` if it passed. `lines` holds the counts of
/// individual test lines.
fn failure_reason(summary: Option<Summary>, lines: Summary, exit: Option<i32>) -> Option<String> {
    let Some(code) = exit else {
        return Some("QEMU did not exit by itself (timeout or signal)".to_string());
    };
    let Some(summary) = summary else {
        return Some(format!("no summary line (exit status {code})"));
    };
    if summary.failed > 0 {
        return Some(if code == 0 {
            format!(
                "{} test(s) failed, yet QEMU exit status was 0",
                summary.failed
            )
        } else {
            format!("{} test(s) failed (exit status {code})", summary.failed)
        });
    }
    if summary.passed == 0 {
        return Some(format!("no test passed (exit status {code})"));
    }
    if (summary.passed, summary.failed) != (lines.passed, lines.failed) {
        return Some(format!(
            "count mismatch: summary says {} passed, {} failed, but the log has {} ok and {} FAILED lines",
            summary.passed, summary.failed, lines.passed, lines.failed
        ));
    }
    if code != 0 {
        return Some(format!("clean summary, but QEMU exit status was {code}"));
    }
    None
}

/// Checks that every text in `required` occurs somewhere in `log`; the error
/// names the ones that do not.
pub fn check_required(log: &str, required: &[String]) -> Result<(), String> {
    let missing: Vec<String> = required
        .iter()
        .filter(|text| !log.contains(text.as_str()))
        .map(|text| format!("{text:?}"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "required text not in the log: {}",
            missing.join(", ")
        ))
    }
}

/// Judges a boot that should crash (`--expect-crash`) from its console `log`
/// and QEMU's `exit` status (`None` when QEMU was killed).
///
/// It passes only if QEMU exited by itself with a nonzero status, the log has
/// a `*** kernel panic` line and a `backtrace:` line followed by a frame line
/// (`#0  0x...`), the suite did not reach its summary line, and every
/// `required` text occurs in the log. The error names everything missing.
pub fn judge_crash(log: &str, exit: Option<i32>, required: &[String]) -> Result<(), String> {
    let mut problems = Vec::new();
    match exit {
        None => problems.push("QEMU did not exit by itself (timeout or signal)".to_string()),
        Some(0) => problems.push("QEMU exit status was 0".to_string()),
        Some(_) => {}
    }
    let lines: Vec<&str> = log.lines().collect();
    if !lines.iter().any(|line| line.contains("*** kernel panic")) {
        problems.push("no `*** kernel panic` line".to_string());
    }
    let backtraces: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].trim() == "backtrace:")
        .collect();
    let has_frames = |&i: &usize| {
        lines
            .get(i + 1)
            .is_some_and(|next| parse_frame_line(next).is_some())
    };
    if backtraces.is_empty() {
        problems.push("no `backtrace:` line".to_string());
    } else if !backtraces.iter().any(has_frames) {
        problems.push("no frame line (`#0  0x...`) after `backtrace:`".to_string());
    }
    if let Some(summary) = lines.iter().rev().find_map(|line| parse_summary_line(line)) {
        problems.push(format!(
            "the suite ran to its summary ({} passed, {} failed)",
            summary.passed, summary.failed
        ));
    }
    if let Err(missing) = check_required(log, required) {
        problems.push(missing);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "\
kernel 0.1.0 booting on virt
test mm::alloc ... ok
[  0.001] some log line
test sched::yield ... ok
test fs::ext2 ... skipped
2 passed, 0 failed, 1 skipped
";

    const ONE_FAILED: &str = "\
test a ... ok
test b ... FAILED
1 passed, 1 failed
";

    #[test]
    fn good_log_passes() {
        let v = judge(GOOD, Some(0));
        assert!(v.pass, "{v:?}");
        assert_eq!((v.passed, v.failed, v.skipped), (2, 0, 1));
        assert!(v.summary_seen);
        assert!(!v.is_expected_failure());
    }

    #[test]
    fn summary_without_skipped_count() {
        let v = judge("test a ... ok\n1 passed, 0 failed\n", Some(0));
        assert!(v.pass, "{v:?}");
        assert_eq!((v.passed, v.failed, v.skipped), (1, 0, 0));
    }

    #[test]
    fn crlf_line_endings_are_tolerated() {
        let log = GOOD.replace('\n', "\r\n");
        let v = judge(&log, Some(0));
        assert!(v.pass, "{v:?}");
        assert_eq!((v.passed, v.failed, v.skipped), (2, 0, 1));
    }

    #[test]
    fn failed_test_fails() {
        let v = judge(ONE_FAILED, Some(1));
        assert!(!v.pass);
        assert_eq!((v.passed, v.failed), (1, 1));
        assert!(v.reason.contains("1 test(s) failed"), "{}", v.reason);
        assert!(v.is_expected_failure());
    }

    #[test]
    fn failures_with_exit_status_zero_fail() {
        let v = judge(ONE_FAILED, Some(0));
        assert!(!v.pass);
        assert!(v.reason.contains("exit status was 0"), "{}", v.reason);
        assert!(!v.is_expected_failure());
    }

    #[test]
    fn missing_summary_fails() {
        let v = judge("test a ... ok\ntest b ... ok\n", Some(0));
        assert!(!v.pass);
        assert!(!v.summary_seen);
        assert_eq!((v.passed, v.failed), (2, 0));
        assert!(v.reason.contains("no summary"), "{}", v.reason);
    }

    #[test]
    fn count_mismatch_fails() {
        let v = judge("test a ... ok\n2 passed, 0 failed\n", Some(0));
        assert!(!v.pass);
        assert!(v.reason.contains("count mismatch"), "{}", v.reason);
    }

    #[test]
    fn clean_summary_with_nonzero_exit_fails() {
        let v = judge("test a ... ok\n1 passed, 0 failed\n", Some(1));
        assert!(!v.pass);
        assert!(v.reason.contains("exit status was 1"), "{}", v.reason);
        assert!(!v.is_expected_failure());
    }

    #[test]
    fn killed_qemu_fails() {
        let v = judge(GOOD, None);
        assert!(!v.pass);
        assert!(v.reason.contains("did not exit"), "{}", v.reason);
        assert!(!v.is_expected_failure());
    }

    #[test]
    fn zero_passed_fails() {
        let v = judge("0 passed, 0 failed\n", Some(0));
        assert!(!v.pass);
        assert!(v.reason.contains("no test passed"), "{}", v.reason);
    }

    #[test]
    fn last_summary_line_counts() {
        let log = "test a ... ok\n0 passed, 1 failed\n1 passed, 0 failed\n";
        assert!(judge(log, Some(0)).pass);
        let log = "test a ... ok\n1 passed, 0 failed\n0 passed, 1 failed\n";
        assert!(!judge(log, Some(0)).pass);
    }

    #[test]
    fn test_line_parsing() {
        assert_eq!(parse_test_line("test a::b ... ok"), Some(TestStatus::Ok));
        assert_eq!(
            parse_test_line("test a ... FAILED\r"),
            Some(TestStatus::Failed)
        );
        assert_eq!(
            parse_test_line("test a ... skipped"),
            Some(TestStatus::Skipped)
        );
        assert_eq!(
            parse_test_line("test a ... ok (3 ms)"),
            Some(TestStatus::Ok)
        );
        assert_eq!(parse_test_line("test a ... failed"), None);
        assert_eq!(parse_test_line("test  ... ok"), None);
        assert_eq!(parse_test_line("testing a ... ok"), None);
        assert_eq!(parse_test_line("running 3 tests"), None);
    }

    #[test]
    fn summary_line_parsing() {
        let s = |passed, failed, skipped| {
            Some(Summary {
                passed,
                failed,
                skipped,
            })
        };
        assert_eq!(parse_summary_line("3 passed, 1 failed"), s(3, 1, 0));
        assert_eq!(
            parse_summary_line("3 passed, 0 failed, 2 skipped\r"),
            s(3, 0, 2)
        );
        assert_eq!(parse_summary_line("tests: 3 passed, 0 failed"), s(3, 0, 0));
        assert_eq!(parse_summary_line("3 passed; 0 failed"), None);
        assert_eq!(parse_summary_line("+3 passed, 0 failed"), None);
        assert_eq!(parse_summary_line("3 passed, 0 failed, 1 ignored"), None);
        assert_eq!(parse_summary_line("two words: 3 passed, 0 failed"), None);
        assert_eq!(parse_summary_line("99999999999 passed, 0 failed"), None);
    }

    const CRASH: &str = "\
test kernel::ktest::mem::frames_zeroed_allocation_is_zero ... ok

*** unexpected Sync exception from EL1
ESR 0x96000004: data abort from the same EL (EC 0x25), translation fault at level 0, read
ELR 0xffff00004020397c  FAR 0xffff7e00dead0000  SPSR 0x60000245
SP_EL0 0x0000000000000000

*** kernel panic at kernel/src/arch/aarch64/trap.rs:81:5: unexpected Sync exception from EL1 at 0xffff00004020397c
backtrace:
  #0  0xffff000040209a54
  #1  0xffff000040205844
";

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn crash_log_is_an_expected_crash() {
        assert_eq!(judge_crash(CRASH, Some(101), &[]), Ok(()));
        let crlf = CRASH.replace('\n', "\r\n");
        assert_eq!(judge_crash(&crlf, Some(101), &[]), Ok(()));
        let required = strings(&[
            "unexpected Sync exception from EL1",
            "FAR 0xffff7e00dead0000",
        ]);
        assert_eq!(judge_crash(CRASH, Some(101), &required), Ok(()));
    }

    #[test]
    fn crash_needs_qemu_to_exit_nonzero_by_itself() {
        let err = judge_crash(CRASH, None, &[]).unwrap_err();
        assert!(err.contains("did not exit by itself"), "{err}");
        let err = judge_crash(CRASH, Some(0), &[]).unwrap_err();
        assert_eq!(err, "QEMU exit status was 0");
    }

    #[test]
    fn crash_needs_a_panic_line() {
        let log = CRASH.replace("*** kernel panic", "*** kernel oops");
        let err = judge_crash(&log, Some(101), &[]).unwrap_err();
        assert_eq!(err, "no `*** kernel panic` line");
    }

    #[test]
    fn crash_needs_a_backtrace_with_frames() {
        let (before, _) = CRASH.split_once("backtrace:").unwrap();
        let err = judge_crash(before, Some(101), &[]).unwrap_err();
        assert_eq!(err, "no `backtrace:` line");
        let log = format!("{before}backtrace:\n  <unreadable frame at 0x10>\n");
        let err = judge_crash(&log, Some(101), &[]).unwrap_err();
        assert!(err.contains("no frame line"), "{err}");
        let log = format!("{before}backtrace:\n");
        assert!(judge_crash(&log, Some(101), &[]).is_err());
    }

    #[test]
    fn crash_must_not_reach_the_summary() {
        let log = format!("{CRASH}1 passed, 0 failed\n");
        let err = judge_crash(&log, Some(101), &[]).unwrap_err();
        assert!(
            err.contains("ran to its summary (1 passed, 0 failed)"),
            "{err}"
        );
        let err = judge_crash(GOOD, Some(0), &[]).unwrap_err();
        for missing in ["exit status was 0", "kernel panic", "backtrace", "summary"] {
            assert!(err.contains(missing), "{missing}: {err}");
        }
    }

    #[test]
    fn crash_needs_every_required_text() {
        let required = strings(&["FAR 0xffff7e00dead0000", "FAR 0x1234", "nowhere"]);
        let err = judge_crash(CRASH, Some(101), &required).unwrap_err();
        assert_eq!(
            err,
            r#"required text not in the log: "FAR 0x1234", "nowhere""#
        );
    }

    #[test]
    fn required_texts() {
        assert_eq!(check_required(GOOD, &[]), Ok(()));
        assert_eq!(
            check_required(GOOD, &strings(&["sched::yield ... ok"])),
            Ok(())
        );
        let err = check_required(GOOD, &strings(&["mm::alloc", "x\"y"])).unwrap_err();
        assert_eq!(err, r#"required text not in the log: "x\"y""#);
    }
}
