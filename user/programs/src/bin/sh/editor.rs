//! The interactive line editor: reads the console a byte at a time (so
//! that bytes typed ahead for a program the shell starts stay for it),
//! echoes and edits the line in place, and keeps a history.
//!
//! Keys: printable characters insert; Backspace/DEL erase; Left/Right
//! (also Ctrl-B/Ctrl-F) move; Home/End (also Ctrl-A/Ctrl-E); Delete;
//! Up/Down (also Ctrl-P/Ctrl-N) walk the history; Ctrl-U kills to the
//! start of the line, Ctrl-W the word before the cursor, Ctrl-K to the
//! end; Ctrl-L clears the screen; Ctrl-C discards the line; Ctrl-D on an
//! empty line is end of input; Enter (`\r`, `\n` or `\r\n`) ends the line.

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

/// Lines of history kept.
pub const HISTORY_LEN: usize = 64;

/// What reading a line gave.
pub enum ReadLine {
    Line(String),
    /// Ctrl-C: the line was discarded.
    Interrupted,
    /// Ctrl-D on an empty line, or the console failed.
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Char(char),
    Enter,
    Backspace,
    Delete,
    Left,
    Right,
    Up,
    Down,
    Home,
    End,
    KillStart,
    KillWord,
    KillEnd,
    Clear,
    Interrupt,
    Eof,
}

/// Where the key decoder is within a multi-byte sequence.
#[derive(Clone, Copy, Default)]
enum DecodeState {
    #[default]
    Normal,
    Esc,
    /// `ESC [` and the numeric parameter so far.
    Csi(u32),
    /// `ESC O`.
    Ss3,
    /// A UTF-8 sequence: the bytes so far and how many there will be.
    Utf8([u8; 4], u8, u8),
}

/// Turns console bytes into keys.
#[derive(Default)]
struct KeyDecoder {
    state: DecodeState,
    last_was_cr: bool,
}

impl KeyDecoder {
    fn feed(&mut self, b: u8) -> Option<Key> {
        let after_cr = core::mem::replace(&mut self.last_was_cr, b == b'\r');
        match self.state {
            DecodeState::Normal => self.normal(b, after_cr),
            DecodeState::Esc => {
                self.state = match b {
                    b'[' => DecodeState::Csi(0),
                    b'O' => DecodeState::Ss3,
                    _ => DecodeState::Normal,
                };
                None
            }
            DecodeState::Csi(param) => {
                if b.is_ascii_digit() {
                    let p = param.saturating_mul(10).saturating_add((b - b'0') as u32);
                    self.state = DecodeState::Csi(p);
                    return None;
                }
                if b == b';' || !(0x40..=0x7e).contains(&b) {
                    return None;
                }
                self.state = DecodeState::Normal;
                csi_key(b, param)
            }
            DecodeState::Ss3 => {
                self.state = DecodeState::Normal;
                csi_key(b, 0)
            }
            DecodeState::Utf8(mut bytes, have, want) => {
                if b & 0xc0 != 0x80 {
                    self.state = DecodeState::Normal;
                    return self.normal(b, after_cr);
                }
                bytes[have as usize] = b;
                if have + 1 < want {
                    self.state = DecodeState::Utf8(bytes, have + 1, want);
                    return None;
                }
                self.state = DecodeState::Normal;
                core::str::from_utf8(&bytes[..want as usize])
                    .ok()
                    .and_then(|s| s.chars().next())
                    .map(Key::Char)
            }
        }
    }

    fn normal(&mut self, b: u8, after_cr: bool) -> Option<Key> {
        Some(match b {
            b'\n' if after_cr => return None,
            b'\r' | b'\n' => Key::Enter,
            0x7f | 0x08 => Key::Backspace,
            0x1b => {
                self.state = DecodeState::Esc;
                return None;
            }
            0x01 => Key::Home,
            0x02 => Key::Left,
            0x03 => Key::Interrupt,
            0x04 => Key::Eof,
            0x05 => Key::End,
            0x06 => Key::Right,
            0x0b => Key::KillEnd,
            0x0c => Key::Clear,
            0x0e => Key::Down,
            0x10 => Key::Up,
            0x15 => Key::KillStart,
            0x17 => Key::KillWord,
            0x20..=0x7e => Key::Char(b as char),
            0xc0..=0xf7 => {
                let want = match b {
                    0xc0..=0xdf => 2,
                    0xe0..=0xef => 3,
                    _ => 4,
                };
                self.state = DecodeState::Utf8([b, 0, 0, 0], 1, want);
                return None;
            }
            _ => return None,
        })
    }
}

/// The key of a finished `ESC [ param final` or `ESC O final` sequence.
fn csi_key(fin: u8, param: u32) -> Option<Key> {
    Some(match (fin, param) {
        (b'A', _) => Key::Up,
        (b'B', _) => Key::Down,
        (b'C', _) => Key::Right,
        (b'D', _) => Key::Left,
        (b'H', _) | (b'~', 1 | 7) => Key::Home,
        (b'F', _) | (b'~', 4 | 8) => Key::End,
        (b'~', 3) => Key::Delete,
        _ => return None,
    })
}

/// The line being edited and the terminal output that shows the edits.
/// The terminal cursor is always at `cursor` characters after the prompt.
struct Line {
    chars: Vec<char>,
    cursor: usize,
    out: Vec<u8>,
}

impl Line {
    fn emit_chars(&mut self, from: usize) {
        let mut utf8 = [0u8; 4];
        for i in from..self.chars.len() {
            let c = self.chars[i];
            self.out
                .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
    }

    fn move_left(&mut self, n: usize) {
        match n {
            0 => {}
            1 => self.out.push(0x08),
            n => self
                .out
                .extend_from_slice(alloc::format!("\x1b[{n}D").as_bytes()),
        }
    }

    /// The terminal cursor is at `from`: redraw everything after it (the
    /// line was `old_len` long) and put the cursor back at `cursor`.
    fn redraw_from(&mut self, from: usize, old_len: usize) {
        self.emit_chars(from);
        let pad = old_len.saturating_sub(self.chars.len());
        self.out.resize(self.out.len() + pad, b' ');
        self.move_left(self.chars.len() + pad - self.cursor);
    }

    fn insert(&mut self, c: char) {
        let old_len = self.chars.len();
        self.chars.insert(self.cursor, c);
        self.cursor += 1;
        self.redraw_from(self.cursor - 1, old_len);
    }

    /// Remove `start..end` (around the cursor) and redraw.
    fn remove(&mut self, start: usize, end: usize) {
        if start >= end {
            return;
        }
        let old_len = self.chars.len();
        self.move_left(self.cursor - start);
        self.chars.drain(start..end);
        self.cursor = start;
        self.redraw_from(start, old_len);
    }

    fn left(&mut self) {
        if self.cursor > 0 {
            self.cursor -= 1;
            self.move_left(1);
        }
    }

    fn right(&mut self) {
        if self.cursor < self.chars.len() {
            self.cursor += 1;
            let mut utf8 = [0u8; 4];
            let c = self.chars[self.cursor - 1];
            self.out
                .extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
    }

    fn home(&mut self) {
        self.move_left(self.cursor);
        self.cursor = 0;
    }

    fn end(&mut self) {
        self.emit_chars(self.cursor);
        self.cursor = self.chars.len();
    }

    /// Where the word before the cursor starts.
    fn word_start(&self) -> usize {
        let mut i = self.cursor;
        while i > 0 && self.chars[i - 1] == ' ' {
            i -= 1;
        }
        while i > 0 && self.chars[i - 1] != ' ' {
            i -= 1;
        }
        i
    }

    /// Replace the whole line (history), cursor at its end.
    fn replace(&mut self, text: &[char]) {
        let old_len = self.chars.len();
        self.home();
        self.chars = text.to_vec();
        self.cursor = self.chars.len();
        self.redraw_from(0, old_len);
    }

    fn clear_screen(&mut self, prompt: &str) {
        self.out.extend_from_slice(b"\x1b[2J\x1b[H");
        self.out.extend_from_slice(prompt.as_bytes());
        self.emit_chars(0);
        self.move_left(self.chars.len() - self.cursor);
    }
}

/// Reads lines from the console with editing and history.
#[derive(Default)]
pub struct Editor {
    keys: KeyDecoder,
    history: VecDeque<String>,
}

impl Editor {
    /// The lines in the history, oldest first.
    pub fn history(&self) -> impl Iterator<Item = &str> {
        self.history.iter().map(String::as_str)
    }

    fn remember(&mut self, line: &str) {
        if line.trim().is_empty() || self.history.back().is_some_and(|l| l == line) {
            return;
        }
        if self.history.len() == HISTORY_LEN {
            self.history.pop_front();
        }
        self.history.push_back(String::from(line));
    }

    /// Show `prompt` and read one edited line.
    pub fn read_line(&mut self, prompt: &str) -> ReadLine {
        userprogs::write_console(prompt.as_bytes());
        let mut line = Line {
            chars: Vec::new(),
            cursor: 0,
            out: Vec::new(),
        };
        // Position in the history while walking it (len = the new line),
        // and the new line as typed before walking away from it.
        let mut pos = self.history.len();
        let mut draft: Vec<char> = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            if !matches!(rt::sys::console_read_with_ctrl_c(&mut byte), Ok(1)) {
                return ReadLine::Eof;
            }
            let Some(key) = self.keys.feed(byte[0]) else {
                continue;
            };
            let done = match key {
                Key::Enter => {
                    line.out.push(b'\n');
                    let text: String = line.chars.iter().collect();
                    self.remember(&text);
                    Some(ReadLine::Line(text))
                }
                Key::Interrupt => {
                    line.end();
                    line.out.extend_from_slice(b"^C\n");
                    Some(ReadLine::Interrupted)
                }
                Key::Eof if line.chars.is_empty() => {
                    line.out.push(b'\n');
                    Some(ReadLine::Eof)
                }
                Key::Up if pos > 0 => {
                    if pos == self.history.len() {
                        draft = line.chars.clone();
                    }
                    pos -= 1;
                    let entry: Vec<char> = self.history[pos].chars().collect();
                    line.replace(&entry);
                    None
                }
                Key::Down if pos < self.history.len() => {
                    pos += 1;
                    let entry: Vec<char> = match self.history.get(pos) {
                        Some(l) => l.chars().collect(),
                        None => draft.clone(),
                    };
                    line.replace(&entry);
                    None
                }
                key => {
                    edit(&mut line, key, prompt);
                    None
                }
            };
            userprogs::write_console(&line.out);
            line.out.clear();
            if let Some(result) = done {
                return result;
            }
        }
    }
}

/// Apply an editing key to the line.
fn edit(line: &mut Line, key: Key, prompt: &str) {
    match key {
        Key::Char(c) => line.insert(c),
        Key::Backspace if line.cursor > 0 => line.remove(line.cursor - 1, line.cursor),
        Key::Delete | Key::Eof => line.remove(line.cursor, (line.cursor + 1).min(line.chars.len())),
        Key::Left => line.left(),
        Key::Right => line.right(),
        Key::Home => line.home(),
        Key::End => line.end(),
        Key::KillStart => line.remove(0, line.cursor),
        Key::KillWord => line.remove(line.word_start(), line.cursor),
        Key::KillEnd => line.remove(line.cursor, line.chars.len()),
        Key::Clear => line.clear_screen(prompt),
        _ => {}
    }
}
