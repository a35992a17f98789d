//! The shell-test script language: one step per line, `#` comments and
//! blank lines ignored. A line is a keyword, then (for most) white space
//! and an argument; trailing white space is dropped.
//!
//! | step | does |
//! |---|---|
//! | `send TEXT` | type TEXT and Enter (`\r`), then wait for the echo of the line |
//! | `type TEXT` | type TEXT exactly (no Enter, no waiting): editing keys |
//! | `expect TEXT` | wait until the output since the last match contains TEXT |
//! | `expect-re REGEX` | the same for a pattern (see [`super::regex`]) |
//! | `prompt` | wait for a shell prompt: output whose last line ends in `$ ` |
//! | `ctrl-c`, `ctrl-d` | type 0x03, 0x04 |
//! | `host COMMAND` | run COMMAND with `sh -c` on the host; it must succeed |
//! | `host NAME=COMMAND` | the same, and set variable NAME to its output |
//! | `exit-status N` | wait for QEMU to exit, with status N |
//! | `boot` | start QEMU again (after `exit-status`), on the same disks |
//! | `timeout SECS` | the wait limit of the following steps (default 20) |
//! | `pause SECS` | let SECS (up to 10, decimals allowed) pass |
//!
//! `pause` is not a way to wait for output (use `expect` or `prompt`): it
//! is for the moments when the system shows nothing to wait for, such as a
//! program becoming the console's foreground before a Ctrl-C.
//!
//! In TEXT, `${NAME}` is the value of a variable set by an earlier
//! `host NAME=...` step, and these escapes apply: `\n`, `\r`, `\t`, `\e`
//! (ESC), `\xHH`, `\\`, `\$`. In a REGEX, `${NAME}` is the value matched
//! literally; backslashes belong to the pattern. Host commands see the
//! variables in their environment (write `"$NAME"` there) rather than
//! having them pasted into the command text.

use std::collections::BTreeSet;
use std::fmt;
use std::time::Duration;

use super::regex::{self, Regex};

/// The wait limit of a step unless a `timeout` step changed it.
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(20);

/// The largest `timeout` step, in seconds.
pub const MAX_STEP_TIMEOUT_SECS: u64 = 3600;

/// The longest `pause`.
pub const MAX_PAUSE: Duration = Duration::from_secs(10);

/// The most bytes a `send` or `type` step may type at once: the kernel
/// keeps at most 256 received bytes that nobody has read yet.
pub const MAX_TYPED_BYTES: usize = 200;

/// A text with `${NAME}` references.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Template(pub Vec<Piece>);

/// A piece of a [`Template`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Text(String),
    Var(String),
}

impl Template {
    /// The text with each variable replaced by `value(name)` (`None` for
    /// an unset variable, which is an error naming it).
    pub fn render<'a>(
        &self,
        mut value: impl FnMut(&str) -> Option<&'a str>,
        quote: impl Fn(&str) -> String,
    ) -> Result<String, String> {
        let mut out = String::new();
        for piece in &self.0 {
            match piece {
                Piece::Text(text) => out.push_str(text),
                Piece::Var(name) => match value(name) {
                    Some(v) => out.push_str(&quote(v)),
                    None => return Err(format!("variable {name} is not set")),
                },
            }
        }
        Ok(out)
    }

    /// The names of the variables used.
    pub fn vars(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|piece| match piece {
            Piece::Var(name) => Some(name.as_str()),
            Piece::Text(_) => None,
        })
    }
}

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Send(Template),
    Type(Template),
    Expect(Template),
    ExpectRe(Template),
    Prompt,
    CtrlC,
    CtrlD,
    Host {
        capture: Option<String>,
        command: String,
    },
    ExitStatus(i32),
    Boot,
    Timeout(Duration),
    Pause(Duration),
}

/// A step and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// 1-based line number in the script.
    pub line: usize,
    /// The line as written, trimmed.
    pub source: String,
    pub action: Action,
}

/// A script line that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole script. Also checks that every `${NAME}` is set by an
/// earlier `host NAME=...` step and that every pattern compiles.
pub fn parse(text: &str) -> Result<Vec<Step>, ParseError> {
    let mut steps = Vec::new();
    let mut defined = BTreeSet::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let source = raw.trim();
        if source.is_empty() || source.starts_with('#') {
            continue;
        }
        let error = |message: String| ParseError { line, message };
        let action = parse_step(raw.trim_start().trim_end()).map_err(error)?;
        check_vars(&action, &defined).map_err(error)?;
        if let Action::Host {
            capture: Some(name),
            ..
        } = &action
        {
            defined.insert(name.clone());
        }
        steps.push(Step {
            line,
            source: source.to_string(),
            action,
        });
    }
    Ok(steps)
}

/// Parses one non-blank, non-comment line (trimmed).
fn parse_step(line: &str) -> Result<Action, String> {
    let (keyword, arg) = match line.split_once(|c: char| c.is_whitespace()) {
        Some((keyword, arg)) => (keyword, Some(arg.trim_start())),
        None => (line, None),
    };
    let arg_text = arg.unwrap_or("");
    let no_arg = |action: Action| match arg {
        None => Ok(action),
        Some(_) => Err(format!("`{keyword}` takes no argument")),
    };
    let needs_arg = || match arg {
        Some(arg) => Ok(arg),
        None => Err(format!("`{keyword}` needs an argument")),
    };
    match keyword {
        "send" => {
            let text = unescape(arg_text)?;
            check_typed(&text, false)?;
            Ok(Action::Send(text))
        }
        "type" => {
            let text = unescape(needs_arg()?)?;
            check_typed(&text, true)?;
            Ok(Action::Type(text))
        }
        "expect" => {
            let text = unescape(needs_arg()?)?;
            if text.0.is_empty() {
                return Err("`expect` needs a non-empty text".into());
            }
            Ok(Action::Expect(text))
        }
        "expect-re" => {
            let pattern = pattern_template(needs_arg()?)?;
            // Compile with each variable standing in as plain text.
            let sample = pattern.render(|_| Some("x"), str::to_owned)?;
            Regex::new(&sample).map_err(|e| format!("bad pattern: {e}"))?;
            Ok(Action::ExpectRe(pattern))
        }
        "prompt" => no_arg(Action::Prompt),
        "ctrl-c" => no_arg(Action::CtrlC),
        "ctrl-d" => no_arg(Action::CtrlD),
        "boot" => no_arg(Action::Boot),
        "host" => {
            let arg = needs_arg()?;
            let (capture, command) = match split_capture(arg) {
                Some((name, command)) => (Some(name.to_string()), command.trim_start()),
                None => (None, arg),
            };
            if command.is_empty() {
                return Err("`host` needs a command".into());
            }
            Ok(Action::Host {
                capture,
                command: command.to_string(),
            })
        }
        "exit-status" => match needs_arg()?.parse::<u8>() {
            Ok(code) => Ok(Action::ExitStatus(i32::from(code))),
            Err(_) => Err(format!(
                "`exit-status` takes a number from 0 to 255, not `{arg_text}`"
            )),
        },
        "timeout" => match needs_arg()?.parse::<u64>() {
            Ok(secs) if (1..=MAX_STEP_TIMEOUT_SECS).contains(&secs) => {
                Ok(Action::Timeout(Duration::from_secs(secs)))
            }
            _ => Err(format!(
                "`timeout` takes whole seconds from 1 to {MAX_STEP_TIMEOUT_SECS}, not `{arg_text}`"
            )),
        },
        "pause" => match parse_secs(needs_arg()?) {
            Some(pause) if pause <= MAX_PAUSE => Ok(Action::Pause(pause)),
            _ => Err(format!(
                "`pause` takes seconds up to {} (such as 0.5), not `{arg_text}`",
                MAX_PAUSE.as_secs()
            )),
        },
        other => Err(format!("unknown step `{other}`")),
    }
}

/// `S`, `S.F` or `.F` seconds (up to millisecond precision).
fn parse_secs(text: &str) -> Option<Duration> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if (whole.is_empty() && frac.is_empty()) || !digits(whole) || !digits(frac) || frac.len() > 3 {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let millis: u64 = format!("{frac:0<3}").parse().ok()?;
    Some(Duration::from_secs(whole) + Duration::from_millis(millis))
}

/// `NAME=rest` with a variable name before the `=`.
fn split_capture(arg: &str) -> Option<(&str, &str)> {
    let (name, rest) = arg.split_once('=')?;
    is_name(name).then_some((name, rest))
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every variable the action uses must be in `defined`.
fn check_vars(action: &Action, defined: &BTreeSet<String>) -> Result<(), String> {
    let template = match action {
        Action::Send(t) | Action::Type(t) | Action::Expect(t) | Action::ExpectRe(t) => t,
        _ => return Ok(()),
    };
    match template.vars().find(|name| !defined.contains(*name)) {
        Some(name) => Err(format!(
            "variable {name} is not set by an earlier `host {name}=...` step"
        )),
        None => Ok(()),
    }
}

/// Checks what a `send` (`raw` false: printable characters only, since
/// the line's echo is awaited) or `type` step types, as far as it is known
/// before variables are filled in.
fn check_typed(text: &Template, raw: bool) -> Result<(), String> {
    let mut len = 0;
    for piece in &text.0 {
        if let Piece::Text(s) = piece {
            len += s.len();
            if !raw {
                check_printable(s)?;
            }
        }
    }
    if len > MAX_TYPED_BYTES {
        return Err(format!(
            "types {len} bytes; at most {MAX_TYPED_BYTES} fit the console's input buffer"
        ));
    }
    Ok(())
}

/// A `send` line must be echoed as typed: no control characters.
pub fn check_printable(text: &str) -> Result<(), String> {
    match text.chars().find(|c| c.is_control()) {
        Some(c) => Err(format!(
            "`send` types printable text only (found {c:?}); use `type` for keys"
        )),
        None => Ok(()),
    }
}

/// Parses TEXT: escapes and `${NAME}`.
fn unescape(arg: &str) -> Result<Template, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = arg.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let escaped = match chars.next() {
                    Some('n') => '\n',
                    Some('r') => '\r',
                    Some('t') => '\t',
                    Some('e') => '\x1b',
                    Some('\\') => '\\',
                    Some('$') => '$',
                    Some('x') => {
                        let hex: String = chars.by_ref().take(2).collect();
                        match u8::from_str_radix(&hex, 16) {
                            Ok(b) if hex.len() == 2 && b.is_ascii() => char::from(b),
                            _ => return Err(format!("bad escape `\\x{hex}` (00 to 7f)")),
                        }
                    }
                    Some(other) => return Err(format!("unknown escape `\\{other}`")),
                    None => return Err("trailing `\\`".into()),
                };
                text.push(escaped);
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                let name = var_name(&mut chars)?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Var(name));
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(Template(pieces))
}

/// Parses a REGEX: only `${NAME}` is ours (not after a `\`).
fn pattern_template(arg: &str) -> Result<Template, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = arg.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                text.push(c);
                if let Some(next) = chars.next() {
                    text.push(next);
                }
            }
            '$' if chars.peek() == Some(&'{') => {
                chars.next();
                let name = var_name(&mut chars)?;
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Var(name));
            }
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(Template(pieces))
}

/// The rest of `${NAME}` after the `${`.
fn var_name(chars: &mut impl Iterator<Item = char>) -> Result<String, String> {
    let mut name = String::new();
    for c in chars.by_ref() {
        if c == '}' {
            return if is_name(&name) {
                Ok(name)
            } else {
                Err(format!("bad variable name `{name}` in `${{{name}}}`"))
            };
        }
        name.push(c);
    }
    Err(format!("unclosed `${{{name}`"))
}

/// How a variable's value goes into a pattern: matched literally.
pub fn quote_for_pattern(value: &str) -> String {
    regex::escape(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Template {
        Template(vec![Piece::Text(s.into())])
    }

    fn actions(script: &str) -> Vec<Action> {
        parse(script)
            .unwrap_or_else(|e| panic!("{e}"))
            .into_iter()
            .map(|step| step.action)
            .collect()
    }

    fn error(script: &str) -> ParseError {
        match parse(script) {
            Ok(steps) => panic!("{script:?} parsed: {steps:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn every_step() {
        let script = "\
# a comment

send echo hi > /tmp/f
  expect   hi there  
expect-re ^\\d+ passed$
prompt
ctrl-c
ctrl-d
type abc\\x7f\\e[A
host sha256sum data/x
host SUM=cd data && sha256sum x
exit-status 0
boot
timeout 5
pause 0.25
send
";
        assert_eq!(
            actions(script),
            [
                Action::Send(text("echo hi > /tmp/f")),
                Action::Expect(text("hi there")),
                Action::ExpectRe(text("^\\d+ passed$")),
                Action::Prompt,
                Action::CtrlC,
                Action::CtrlD,
                Action::Type(text("abc\x7f\x1b[A")),
                Action::Host {
                    capture: None,
                    command: "sha256sum data/x".into()
                },
                Action::Host {
                    capture: Some("SUM".into()),
                    command: "cd data && sha256sum x".into()
                },
                Action::ExitStatus(0),
                Action::Boot,
                Action::Timeout(Duration::from_secs(5)),
                Action::Pause(Duration::from_millis(250)),
                Action::Send(Template::default()),
            ]
        );
    }

    #[test]
    fn pause_lengths() {
        assert_eq!(parse_secs("2"), Some(Duration::from_secs(2)));
        assert_eq!(parse_secs("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_secs(".05"), Some(Duration::from_millis(50)));
        assert_eq!(parse_secs("1."), Some(Duration::from_secs(1)));
        assert_eq!(parse_secs("1.5s"), None);
        assert_eq!(parse_secs(""), None);
    }

    #[test]
    fn steps_keep_their_line_numbers() {
        let steps = parse("# c\n\nprompt\n  send ls -l\n").unwrap();
        assert_eq!(steps[0].line, 3);
        assert_eq!(steps[1].line, 4);
        assert_eq!(steps[1].source, "send ls -l");
    }

    #[test]
    fn escapes_and_variables() {
        let steps = actions(
            "host A=echo 1\nexpect x${A}y\\n\\t\\\\\\$\\x41 $? ${A}\nexpect-re \\$\\{A\\}${A}\\d",
        );
        assert_eq!(
            steps[1],
            Action::Expect(Template(vec![
                Piece::Text("x".into()),
                Piece::Var("A".into()),
                Piece::Text("y\n\t\\$A $? ".into()),
                Piece::Var("A".into()),
            ]))
        );
        assert_eq!(
            steps[2],
            Action::ExpectRe(Template(vec![
                Piece::Text("\\$\\{A\\}".into()),
                Piece::Var("A".into()),
                Piece::Text("\\d".into()),
            ]))
        );
    }

    #[test]
    fn render_fills_in_and_quotes() {
        let Action::ExpectRe(pattern) = &actions("host V=x\nexpect-re ^${V}$")[1] else {
            panic!("not a pattern");
        };
        let rendered = pattern.render(|_| Some("a.b"), quote_for_pattern);
        assert_eq!(rendered.as_deref(), Ok("^a\\.b$"));
        assert_eq!(
            pattern.render(|_| None, quote_for_pattern),
            Err("variable V is not set".into())
        );
    }

    #[test]
    fn host_without_capture() {
        assert_eq!(
            actions("host X = 1; test 1 = 1\nhost 1X=2 true"),
            [
                Action::Host {
                    capture: None,
                    command: "X = 1; test 1 = 1".into()
                },
                Action::Host {
                    capture: None,
                    command: "1X=2 true".into()
                },
            ]
        );
    }

    #[test]
    fn errors_name_the_line() {
        let cases = [
            ("prompt\nfrobnicate", 2, "unknown step `frobnicate`"),
            ("expect", 1, "`expect` needs an argument"),
            ("prompt now", 1, "`prompt` takes no argument"),
            ("exit-status 256", 1, "`exit-status` takes a number"),
            ("timeout 0", 1, "`timeout` takes whole seconds"),
            ("pause 11", 1, "`pause` takes seconds up to 10"),
            ("pause 1.2345", 1, "`pause` takes seconds"),
            ("pause .", 1, "`pause` takes seconds"),
            ("pause -1", 1, "`pause` takes seconds"),
            ("expect-re a(b", 1, "bad pattern"),
            ("send a\\tb", 1, "printable text only"),
            ("expect \\q", 1, "unknown escape `\\q`"),
            ("expect \\x8", 1, "bad escape"),
            ("expect ${X}", 1, "variable X is not set by an earlier"),
            ("expect ${X", 1, "unclosed"),
            ("expect ${1}", 1, "bad variable name"),
            ("host", 1, "`host` needs an argument"),
            ("host V=", 1, "`host` needs a command"),
            ("expect ${V}\nhost V=true", 1, "variable V"),
        ];
        for (script, line, message) in cases {
            let err = error(script);
            assert_eq!(err.line, line, "{script:?}: {err}");
            assert!(err.message.contains(message), "{script:?}: {err}");
        }
        let long = format!("send {}", "x".repeat(MAX_TYPED_BYTES + 1));
        assert!(error(&long).message.contains("input buffer"));
    }
}
