//! Command lines: words and operators, then pipelines.
//!
//! Words are split at unquoted white space. `'...'` quotes literally;
//! `"..."` quotes with `\"`, `\\`, `\$` escapes and `$?` expanded; outside
//! quotes `\` escapes the next character and `$?` expands to the last exit
//! status. `$?` is expanded when the pipeline runs (see [`Word::expand`]),
//! so `false; echo $?` prints 1. Operators: `|`, `<`, `>`, `>>`, `;` and
//! `&` (run in the background). An unquoted `#` at the start of a word
//! begins a comment.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Pipe,
    In,
    Out,
    Append,
    Semi,
    Amp,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Pipe => "|",
            Op::In => "<",
            Op::Out => ">",
            Op::Append => ">>",
            Op::Semi => ";",
            Op::Amp => "&",
        }
    }
}

/// A piece of a word: text, or `$?`.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Text(String),
    Status,
}

/// A word as typed; [`Word::expand`] gives its text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word(Vec<Part>);

impl Word {
    fn push(&mut self, c: char) {
        match self.0.last_mut() {
            Some(Part::Text(s)) => s.push(c),
            _ => self.0.push(Part::Text(c.to_string())),
        }
    }

    /// The text, with `$?` replaced by `status`.
    pub fn expand(&self, status: i32) -> String {
        let mut s = String::new();
        for part in &self.0 {
            match part {
                Part::Text(t) => s.push_str(t),
                Part::Status => s.push_str(&status.to_string()),
            }
        }
        s
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Word(Word),
    Op(Op),
}

/// Where a command's stdout goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutFile {
    pub path: Word,
    pub append: bool,
}

/// One program (or builtin) with its arguments and redirections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    pub argv: Vec<Word>,
    pub stdin: Option<Word>,
    pub stdout: Option<OutFile>,
}

/// Commands connected by pipes; run in the background if `background`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pipeline {
    pub commands: Vec<Command>,
    pub background: bool,
}

/// Split `line` into tokens.
pub fn tokenize(line: &str) -> Result<Vec<Token>, String> {
    Lexer {
        chars: line.chars().peekable(),
        tokens: Vec::new(),
        word: Word::default(),
        in_word: false,
    }
    .run()
}

struct Lexer<'a> {
    chars: core::iter::Peekable<core::str::Chars<'a>>,
    tokens: Vec<Token>,
    word: Word,
    /// A word has started (possibly empty, as in `''`).
    in_word: bool,
}

impl Lexer<'_> {
    fn run(mut self) -> Result<Vec<Token>, String> {
        while let Some(c) = self.chars.next() {
            match c {
                ' ' | '\t' | '\r' | '\n' => self.end_word(),
                '#' if !self.in_word => break,
                '\'' => self.single_quoted()?,
                '"' => self.double_quoted()?,
                '\\' => {
                    let escaped = self.chars.next().unwrap_or('\\');
                    self.push(escaped);
                }
                '$' if self.chars.peek() == Some(&'?') => {
                    self.chars.next();
                    self.push_status();
                }
                '|' => self.op(Op::Pipe),
                '<' => self.op(Op::In),
                ';' => self.op(Op::Semi),
                '&' => self.op(Op::Amp),
                '>' if self.chars.peek() == Some(&'>') => {
                    self.chars.next();
                    self.op(Op::Append);
                }
                '>' => self.op(Op::Out),
                c => self.push(c),
            }
        }
        self.end_word();
        Ok(self.tokens)
    }

    fn push(&mut self, c: char) {
        self.word.push(c);
        self.in_word = true;
    }

    fn push_status(&mut self) {
        self.word.0.push(Part::Status);
        self.in_word = true;
    }

    fn end_word(&mut self) {
        if self.in_word {
            self.tokens
                .push(Token::Word(core::mem::take(&mut self.word)));
            self.in_word = false;
        }
    }

    fn op(&mut self, op: Op) {
        self.end_word();
        self.tokens.push(Token::Op(op));
    }

    fn single_quoted(&mut self) -> Result<(), String> {
        self.in_word = true;
        loop {
            match self.chars.next() {
                Some('\'') => return Ok(()),
                Some(c) => self.word.push(c),
                None => return Err("unterminated '".to_string()),
            }
        }
    }

    fn double_quoted(&mut self) -> Result<(), String> {
        self.in_word = true;
        loop {
            match self.chars.next() {
                Some('"') => return Ok(()),
                Some('\\') if matches!(self.chars.peek(), Some('"' | '\\' | '$')) => {
                    if let Some(c) = self.chars.next() {
                        self.word.push(c);
                    }
                }
                Some('$') if self.chars.peek() == Some(&'?') => {
                    self.chars.next();
                    self.push_status();
                }
                Some(c) => self.word.push(c),
                None => return Err("unterminated \"".to_string()),
            }
        }
    }
}

/// Group tokens into pipelines (separated by `;` or `&`).
pub fn parse(tokens: Vec<Token>) -> Result<Vec<Pipeline>, String> {
    let mut pipelines = Vec::new();
    let mut current = Pipeline::default();
    let mut command = Command::default();
    let mut tokens = tokens.into_iter();
    while let Some(token) = tokens.next() {
        match token {
            Token::Word(w) => command.argv.push(w),
            Token::Op(op @ (Op::In | Op::Out | Op::Append)) => {
                let Some(Token::Word(path)) = tokens.next() else {
                    return Err(format!(
                        "syntax error: file name expected after '{}'",
                        op.text()
                    ));
                };
                match op {
                    Op::In => command.stdin = Some(path),
                    _ => {
                        command.stdout = Some(OutFile {
                            path,
                            append: op == Op::Append,
                        })
                    }
                }
            }
            Token::Op(Op::Pipe) => {
                if command.argv.is_empty() {
                    return Err(near(Op::Pipe));
                }
                current.commands.push(command);
                command = Command::default();
            }
            Token::Op(op @ (Op::Semi | Op::Amp)) => {
                if is_empty(&command) && current.commands.is_empty() {
                    if op == Op::Amp {
                        return Err(near(op));
                    }
                    continue;
                }
                end_pipeline(&mut current, command, op)?;
                pipelines.push(core::mem::take(&mut current));
                command = Command::default();
            }
        }
    }
    if !is_empty(&command) || !current.commands.is_empty() {
        end_pipeline(&mut current, command, Op::Semi)?;
        pipelines.push(current);
    }
    Ok(pipelines)
}

fn is_empty(c: &Command) -> bool {
    c.argv.is_empty() && c.stdin.is_none() && c.stdout.is_none()
}

/// Add the last command of a pipeline ended by `op`. A command without a
/// program is only allowed alone, for its redirections (`> file`).
fn end_pipeline(pipeline: &mut Pipeline, command: Command, op: Op) -> Result<(), String> {
    if command.argv.is_empty() && !pipeline.commands.is_empty() {
        return Err(near(Op::Pipe));
    }
    pipeline.commands.push(command);
    pipeline.background = op == Op::Amp;
    Ok(())
}

fn near(op: Op) -> String {
    format!("syntax error near '{}'", op.text())
}
