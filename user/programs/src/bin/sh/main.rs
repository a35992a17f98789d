//! `sh [-c COMMAND | FILE]`: the shell.
//!
//! - `sh` on the console: interactive. The prompt is `<cwd> $ `; lines are
//!   edited in place and kept in a history (see [`editor`]); Ctrl-C stops
//!   the foreground program (or discards the line being typed); Ctrl-D on
//!   an empty line logs out.
//! - `sh FILE`: runs each line of FILE (blank lines and `#` comments
//!   skipped) as if typed, and exits with the last status; a program
//!   killed by Ctrl-C (or `kill`) stops the script.
//! - `sh -c COMMAND`: runs one command line.
//! - `sh` with stdin from a pipe or file: runs the lines read from it.
//!
//! Syntax (see [`parse`]): words with `'...'`/`"..."` quoting and `$?`;
//! `cmd < in > out`, `>> out` (append); pipelines `a | b | c` over
//! channels; `;` separates commands; a trailing `&` runs in the
//! background. Builtins: `cd`, `pwd`, `exit`, `help`, `kill`, `history`.
//! Other words name programs, which the kernel finds in `/bin`.
//!
//! `$?` is a program's exit code, 137 if it was killed (Ctrl-C or `kill`)
//! and 139 if it faulted; 127 if it could not be started.
#![no_std]
#![no_main]

extern crate alloc;

mod builtins;
mod editor;
mod exec;
mod parse;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use editor::{Editor, ReadLine};
use exec::Job;

rt::entry!(main);

const USAGE: &str = "usage: sh [-c COMMAND | FILE]";

/// The shell's state between command lines.
pub struct Shell {
    /// `$?`.
    pub last_status: i32,
    /// Reading the console (no program is foreground between commands).
    pub interactive: bool,
    /// Set by `exit`: stop reading commands and exit with this status.
    pub exit_request: Option<i32>,
    /// Programs started with `&` and not yet collected.
    pub jobs: Vec<Job>,
    pub editor: Editor,
    /// A handle to this process: a script makes itself the console's
    /// foreground between commands, so Ctrl-C ends it.
    pub this: Option<rt::Child>,
}

impl Shell {
    fn new(interactive: bool) -> Shell {
        Shell {
            last_status: 0,
            interactive,
            exit_request: None,
            jobs: Vec::new(),
            editor: Editor::default(),
            this: (!interactive).then(|| rt::Child::open(0).ok()).flatten(),
        }
    }

    /// Parse and run one command line.
    pub fn run_line(&mut self, line: &str) {
        let pipelines = parse::tokenize(line).and_then(parse::parse);
        match pipelines {
            Ok(pipelines) => {
                for p in &pipelines {
                    self.run_pipeline(p);
                    if self.exit_request.is_some() {
                        return;
                    }
                }
            }
            Err(msg) => {
                rt::eprintln!("sh: {msg}");
                self.last_status = 2;
            }
        }
    }

    /// Run every line of `text` (a script), skipping blanks and comments.
    fn run_text(&mut self, text: &str) -> i32 {
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            self.run_line(line);
            if let Some(code) = self.exit_request {
                return code;
            }
        }
        self.last_status
    }

    /// The interactive loop: prompt, read, run.
    fn interact(&mut self) -> i32 {
        loop {
            self.reap_jobs();
            let cwd = rt::fs::current_dir().unwrap_or_else(|_| String::from("?"));
            match self.editor.read_line(&format!("{cwd} $ ")) {
                ReadLine::Line(line) => self.run_line(&line),
                ReadLine::Interrupted => self.last_status = 130,
                ReadLine::Eof => {
                    rt::eprintln!("logout");
                    return self.last_status;
                }
            }
            if let Some(code) = self.exit_request {
                return code;
            }
        }
    }
}

/// Everything stdin holds, as text.
fn read_stdin() -> Result<String, rt::Error> {
    let mut input = userprogs::input::Input::stdin();
    let mut bytes = Vec::new();
    input.for_each_chunk(|piece| bytes.extend_from_slice(piece))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn main(args: rt::Args) -> i32 {
    match (args.get(1), args.get(2)) {
        (None, _) if rt::stdin_handle().is_none() => Shell::new(true).interact(),
        (None, _) => match read_stdin() {
            Ok(text) => Shell::new(false).run_text(&text),
            Err(e) => {
                rt::eprintln!("sh: stdin: {e}");
                1
            }
        },
        (Some("-c"), Some(command)) => {
            let mut shell = Shell::new(false);
            shell.run_line(command);
            shell.exit_request.unwrap_or(shell.last_status)
        }
        (Some(opt), _) if opt.starts_with('-') => {
            userprogs::opts::usage_error("sh", &format!("bad option {opt}"), USAGE)
        }
        (Some(file), _) => match rt::fs::read(file) {
            Ok(bytes) => Shell::new(false).run_text(&String::from_utf8_lossy(&bytes)),
            Err(e) => {
                rt::eprintln!("sh: {file}: {e}");
                127
            }
        },
    }
}
