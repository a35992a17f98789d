//! Judging a test boot: reads the kernel's console log (`test <name> ... ok`
//! lines and the `N passed, N failed[, N skipped]` summary) and QEMU's exit
//! status, and decides whether the run passed.

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
}
