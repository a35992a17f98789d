//! Playing a script: boots QEMU, runs the steps in order, and stops at the
//! first one that fails, reporting the step, what it waited for and the
//! last console lines. Each line of progress goes to the given writer.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use super::host;
use super::regex::Regex;
use super::script::{self, Action, Step, Template, DEFAULT_STEP_TIMEOUT, MAX_TYPED_BYTES};
use super::session::{Output, Session};
use super::transcript::{prompt_end, Transcript};
use super::{Config, TAIL_LINES};

/// How long to wait for QEMU's exit status once its console has closed.
const EXIT_GRACE: Duration = Duration::from_secs(5);

/// What a run gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Every step passed.
    pub pass: bool,
    /// The console transcript of every boot (for the log).
    pub transcript: String,
    /// How many steps passed.
    pub passed: usize,
}

/// Runs `steps` (QEMU is booted first) and reports progress, and any
/// failure, to `out`.
pub fn play(steps: &[Step], config: &Config, out: &mut dyn Write) -> Outcome {
    let started = Instant::now();
    let mut player = Player {
        config,
        out,
        vars: BTreeMap::new(),
        step_timeout: DEFAULT_STEP_TIMEOUT,
        deadline: started + config.timeout,
        session: None,
        exited: None,
        transcript: Transcript::new(),
        boots: 0,
    };
    let name = &config.name;
    let mut passed = 0;
    let mut result = player.boot();
    if let Err(message) = &result {
        player.say(&format!("{name}: FAIL before the first step: {message}"));
    }
    for step in steps {
        if result.is_err() {
            break;
        }
        player.say(&format!("{name}:{}: {}", step.line, step.source));
        result = player.step(step);
        match &result {
            Ok(()) => passed += 1,
            Err(message) => player.report_failure(step, message),
        }
    }
    player.finish();
    let pass = result.is_ok();
    let secs = started.elapsed().as_secs_f64();
    if pass {
        let boots = player.boots;
        player.say(&format!(
            "{name}: PASS ({passed} steps, {boots} boot{}, {secs:.1}s)",
            if boots == 1 { "" } else { "s" }
        ));
    } else {
        player.say(&format!("{name}: FAIL ({passed} steps passed, {secs:.1}s)"));
    }
    Outcome {
        pass,
        transcript: player.transcript.text().to_string(),
        passed,
    }
}

struct Player<'a> {
    config: &'a Config,
    out: &'a mut dyn Write,
    /// Variables set by `host NAME=...`.
    vars: BTreeMap<String, String>,
    step_timeout: Duration,
    /// The end of the overall timeout.
    deadline: Instant,
    /// The running QEMU, if any.
    session: Option<Session>,
    /// How the last QEMU ended, once it has.
    exited: Option<ExitStatus>,
    transcript: Transcript,
    boots: usize,
}

impl Player<'_> {
    /// A line of progress (write errors, say a closed pipe, are ignored).
    fn say(&mut self, line: &str) {
        let _ = writeln!(self.out, "[shell-test] {line}");
        let _ = self.out.flush();
    }

    /// Starts QEMU.
    fn boot(&mut self) -> Result<(), String> {
        if self.boots > 0 {
            self.transcript
                .note(&format!("[shell-test] boot {}", self.boots + 1));
        }
        let session = Session::start(&self.config.program, &self.config.args)
            .map_err(|e| format!("cannot run {}: {e}", self.config.program.to_string_lossy()))?;
        self.session = Some(session);
        self.exited = None;
        self.boots += 1;
        Ok(())
    }

    /// The deadline of a step starting now.
    fn step_deadline(&self) -> Instant {
        self.deadline.min(Instant::now() + self.step_timeout)
    }

    fn step(&mut self, step: &Step) -> Result<(), String> {
        if Instant::now() >= self.deadline {
            return Err(self.overall_timeout());
        }
        match &step.action {
            Action::Send(text) => {
                let text = self.render(text, str::to_owned)?;
                script::check_printable(&text)?;
                check_length(&text)?;
                self.type_bytes(format!("{text}\r").as_bytes())?;
                let echo = format!("{text}\n");
                self.wait_for(&format!("the echo of `{text}`"), |output| {
                    output.find(&echo).map(|at| at + echo.len())
                })
            }
            Action::Type(text) => {
                let text = self.render(text, str::to_owned)?;
                check_length(&text)?;
                self.type_bytes(text.as_bytes())
            }
            Action::Expect(text) => {
                let text = self.render(text, str::to_owned)?;
                let what = format!("`{}`", text.escape_debug());
                self.wait_for(&what, |output| output.find(&text).map(|at| at + text.len()))
            }
            Action::ExpectRe(pattern) => {
                let pattern = self.render(pattern, script::quote_for_pattern)?;
                let regex = Regex::new(&pattern).map_err(|e| format!("bad pattern: {e}"))?;
                self.wait_for(&format!("a match for /{pattern}/"), |output| {
                    regex.find(output).map(|(_, end)| end)
                })
            }
            Action::Prompt => self.wait_for("a shell prompt (a line ending in `$ `)", prompt_end),
            Action::CtrlC => self.type_bytes(b"\x03"),
            Action::CtrlD => self.type_bytes(b"\x04"),
            Action::Host { capture, command } => self.host(capture.as_deref(), command),
            Action::ExitStatus(code) => self.exit_status(*code),
            Action::Boot => {
                if let Some(session) = self.session.as_mut() {
                    if matches!(session.try_status(), Ok(None)) {
                        return Err(
                            "QEMU is still running: wait for it to exit (`exit-status`) first"
                                .into(),
                        );
                    }
                }
                self.session = None;
                self.boot()
            }
            Action::Timeout(timeout) => {
                self.step_timeout = *timeout;
                Ok(())
            }
            Action::Pause(pause) => {
                let until = self.deadline.min(Instant::now() + *pause);
                std::thread::sleep(until.saturating_duration_since(Instant::now()));
                Ok(())
            }
        }
    }

    /// A template's text with the variables filled in.
    fn render(&self, template: &Template, quote: fn(&str) -> String) -> Result<String, String> {
        template.render(|name| self.vars.get(name).map(String::as_str), quote)
    }

    /// Types `bytes` into the console.
    fn type_bytes(&mut self, bytes: &[u8]) -> Result<(), String> {
        let Some(session) = self.session.as_mut() else {
            return Err(self.not_running());
        };
        session
            .write(bytes)
            .map_err(|e| format!("cannot type into QEMU: {e}"))
    }

    /// Waits until `find` finds something in the unmatched output, and
    /// consumes the output up to where it says the match ends.
    fn wait_for(
        &mut self,
        what: &str,
        mut find: impl FnMut(&str) -> Option<usize>,
    ) -> Result<(), String> {
        let deadline = self.step_deadline();
        loop {
            if let Some(end) = find(self.transcript.unmatched()) {
                self.transcript.consume(end);
                return Ok(());
            }
            let Some(session) = self.session.as_mut() else {
                return Err(format!("waiting for {what}: {}", self.not_running()));
            };
            match session.next_output(deadline) {
                Output::Chunk(chunk) => self.transcript.push(&chunk),
                Output::Timeout if deadline >= self.deadline => {
                    return Err(format!("{} waiting for {what}", self.overall_timeout()))
                }
                Output::Timeout => {
                    let secs = self.step_timeout.as_secs();
                    return Err(format!("timed out after {secs}s waiting for {what}"));
                }
                Output::Closed => {
                    let status = self.collect_exit();
                    return Err(format!("QEMU {status} while waiting for {what}"));
                }
            }
        }
    }

    /// QEMU's console closed: wait briefly for its exit status, and say
    /// what happened (to follow "QEMU ").
    fn collect_exit(&mut self) -> String {
        let Some(mut session) = self.session.take() else {
            return "is not running".into();
        };
        let transcript = &mut self.transcript;
        let grace = Instant::now() + EXIT_GRACE;
        match session.wait_exit(grace, &mut |chunk| transcript.push(chunk)) {
            Ok(Some(status)) => {
                self.exited = Some(status);
                describe(status)
            }
            Ok(None) => "closed its console but did not exit (killed it)".into(),
            Err(e) => format!("closed its console (its exit status is unknown: {e})"),
        }
    }

    /// `exit-status N`.
    fn exit_status(&mut self, code: i32) -> Result<(), String> {
        let deadline = self.step_deadline();
        let Some(session) = self.session.as_mut() else {
            return Err(self.not_running());
        };
        let transcript = &mut self.transcript;
        let status = session
            .wait_exit(deadline, &mut |chunk| transcript.push(chunk))
            .map_err(|e| format!("cannot wait for QEMU: {e}"))?;
        let Some(status) = status else {
            return Err(if deadline >= self.deadline {
                format!("{} waiting for QEMU to exit", self.overall_timeout())
            } else {
                let secs = self.step_timeout.as_secs();
                format!(
                    "QEMU was still running after {secs}s (expected it to exit with status {code})"
                )
            });
        };
        self.session = None;
        self.exited = Some(status);
        // Later steps match only what a later boot prints.
        self.transcript.consume(usize::MAX);
        if status.code() == Some(code) {
            Ok(())
        } else {
            Err(format!(
                "QEMU {}, expected exit status {code}",
                describe(status)
            ))
        }
    }

    /// `host [NAME=]COMMAND`.
    fn host(&mut self, capture: Option<&str>, command: &str) -> Result<(), String> {
        let mut env = self.config.env.clone();
        env.extend(self.vars.iter().map(|(k, v)| (k.clone(), v.clone())));
        let deadline = self.step_deadline();
        let output = host::run(command, &self.config.dir, &env, deadline)
            .map_err(|e| format!("host command `{command}` failed: {e}"))?;
        match capture {
            Some(name) => {
                self.vars
                    .insert(name.to_string(), host::trim_output(&output).to_string());
            }
            None => {
                for line in output.lines() {
                    self.say(&format!("  host: {line}"));
                }
            }
        }
        Ok(())
    }

    fn not_running(&self) -> String {
        match self.exited {
            Some(status) => format!("QEMU is not running (it {})", describe(status)),
            None => "QEMU is not running".into(),
        }
    }

    fn overall_timeout(&self) -> String {
        format!(
            "the overall timeout ({}s) ran out",
            self.config.timeout.as_secs()
        )
    }

    fn report_failure(&mut self, step: &Step, message: &str) {
        let name = self.config.name.clone();
        self.say(&format!("{name}:{}: FAILED: {}", step.line, step.source));
        for line in message.lines() {
            self.say(&format!("  {line}"));
        }
        // Take what QEMU printed meanwhile, for the tail and the log.
        self.take_pending_output();
        let unmatched = self.transcript.unmatched();
        let pending = if unmatched.is_empty() {
            "(nothing since the last match)".to_string()
        } else {
            format!("{:?}", tail_chars(unmatched, 300))
        };
        self.say(&format!("  output since the last match: {pending}"));
        self.say(&format!("last {TAIL_LINES} console lines:"));
        let tail: Vec<String> = self
            .transcript
            .tail(TAIL_LINES)
            .into_iter()
            .map(|line| format!("  | {line}"))
            .collect();
        for line in tail {
            let _ = writeln!(self.out, "{line}");
        }
    }

    /// Moves console output that has already arrived into the transcript.
    fn take_pending_output(&mut self) {
        if let Some(session) = self.session.as_mut() {
            while let Output::Chunk(chunk) = session.next_output(Instant::now()) {
                self.transcript.push(&chunk);
            }
        }
    }

    /// Ends the run: QEMU, if still running, is killed and reaped.
    fn finish(&mut self) {
        self.take_pending_output();
        if let Some(mut session) = self.session.take() {
            if session.stop().is_none() {
                self.say(&format!(
                    "{}: QEMU was still running at the end: killed it",
                    self.config.name
                ));
            }
        }
    }
}

/// A `send`/`type` text must fit the console's input buffer.
fn check_length(text: &str) -> Result<(), String> {
    if text.len() > MAX_TYPED_BYTES {
        return Err(format!(
            "would type {} bytes; at most {MAX_TYPED_BYTES} fit the console's input buffer",
            text.len()
        ));
    }
    Ok(())
}

/// How a process ended, for messages.
fn describe(status: ExitStatus) -> String {
    match status.code() {
        Some(code) => format!("exited with status {code}"),
        None => format!("was ended by a signal ({status})"),
    }
}

/// At most the last `n` characters of `text`.
fn tail_chars(text: &str, n: usize) -> &str {
    let count = text.chars().count();
    match text.char_indices().nth(count.saturating_sub(n)) {
        Some((at, _)) => &text[at..],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_chars_keeps_the_end() {
        assert_eq!(tail_chars("abcdef", 3), "def");
        assert_eq!(tail_chars("ab", 3), "ab");
        assert_eq!(tail_chars("", 3), "");
        assert_eq!(tail_chars("añb", 2), "ñb");
    }

    #[test]
    fn length_limit() {
        assert!(check_length(&"x".repeat(MAX_TYPED_BYTES)).is_ok());
        assert!(check_length(&"x".repeat(MAX_TYPED_BYTES + 1)).is_err());
    }
}
