//! The console transcript of a shell test: the bytes QEMU's serial port
//! sent, as text that steps match against, with a cursor marking how far
//! earlier steps have matched ("the output since the last match").
//!
//! The text is normalized as it arrives: carriage returns are dropped (the
//! kernel ends lines with `\r\n`), ANSI escape sequences (the line
//! editor's cursor movements) are dropped, and invalid UTF-8 becomes
//! U+FFFD. Other bytes, backspaces included, are kept as they are.

/// Normalized console output and the match cursor.
#[derive(Debug, Default)]
pub struct Transcript {
    text: String,
    /// Byte offset in `text` up to which output has been matched.
    cursor: usize,
    escape: Escape,
    /// The start of a UTF-8 sequence that the next chunk completes.
    partial: Vec<u8>,
}

/// Where the normalizer is within an escape sequence.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Escape {
    #[default]
    None,
    /// After ESC.
    Started,
    /// In `ESC [ ...` (CSI) or `ESC O` (SS3), before the final byte.
    Sequence,
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Transcript {
        Transcript::default()
    }

    /// Adds bytes received from the console.
    pub fn push(&mut self, bytes: &[u8]) {
        let mut kept = std::mem::take(&mut self.partial);
        for &b in bytes {
            match (self.escape, b) {
                (Escape::None, b'\r') => {}
                (Escape::None, 0x1b) => self.escape = Escape::Started,
                (Escape::None, b) => kept.push(b),
                (Escape::Started, b'[' | b'O') => self.escape = Escape::Sequence,
                (Escape::Started, _) => self.escape = Escape::None,
                // Parameter and intermediate bytes, then one final byte.
                (Escape::Sequence, 0x20..=0x3f) => {}
                (Escape::Sequence, _) => self.escape = Escape::None,
            }
        }
        self.append_utf8(kept);
    }

    /// Appends `bytes` as UTF-8, keeping an incomplete sequence at the end
    /// for the next chunk.
    fn append_utf8(&mut self, bytes: Vec<u8>) {
        let mut rest = bytes.as_slice();
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.text.push_str(text);
                    return;
                }
                Err(err) => {
                    let (valid, after) = rest.split_at(err.valid_up_to());
                    // Valid by construction; nothing is lost if it were not.
                    self.text.push_str(&String::from_utf8_lossy(valid));
                    match err.error_len() {
                        Some(bad) => {
                            self.text.push(char::REPLACEMENT_CHARACTER);
                            rest = &after[bad..];
                        }
                        None => {
                            self.partial = after.to_vec();
                            return;
                        }
                    }
                }
            }
        }
    }

    /// Adds a line of our own (a boot marker), ends the current line first
    /// if needed, and moves the cursor past it: it is for the log, never
    /// matched.
    pub fn note(&mut self, line: &str) {
        if !self.partial.is_empty() {
            self.text.push(char::REPLACEMENT_CHARACTER);
            self.partial.clear();
        }
        self.escape = Escape::None;
        if !self.text.is_empty() && !self.text.ends_with('\n') {
            self.text.push('\n');
        }
        self.text.push_str(line);
        self.text.push('\n');
        self.cursor = self.text.len();
    }

    /// The output not matched yet.
    pub fn unmatched(&self) -> &str {
        &self.text[self.cursor..]
    }

    /// Marks the first `len` bytes of [`Self::unmatched`] as matched.
    /// `len` must lie on a character boundary of it; it is clamped to its
    /// length.
    pub fn consume(&mut self, len: usize) {
        self.cursor = self.cursor.saturating_add(len).min(self.text.len());
    }

    /// Everything received.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The last `n` lines of everything received (the last one perhaps
    /// unfinished, such as a prompt).
    pub fn tail(&self, n: usize) -> Vec<&str> {
        let text = self.text.strip_suffix('\n').unwrap_or(&self.text);
        if text.is_empty() {
            return Vec::new();
        }
        let lines: Vec<&str> = text.split('\n').collect();
        lines[lines.len().saturating_sub(n)..].to_vec()
    }
}

/// If `output` ends with a shell prompt (its last line ends in `$ `, and
/// the shell is waiting there for input), its length: the prompt step
/// consumes everything up to and including the prompt.
pub fn prompt_end(output: &str) -> Option<usize> {
    let last_line = output.rsplit('\n').next().unwrap_or(output);
    last_line.ends_with("$ ").then_some(output.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriage_returns_and_escapes_are_dropped() {
        let mut t = Transcript::new();
        t.push(b"/ $ ab\x1b[2Dc\x1b[K\r\nok\r\n");
        assert_eq!(t.text(), "/ $ abc\nok\n");
    }

    #[test]
    fn sequences_split_across_chunks() {
        let mut t = Transcript::new();
        t.push(b"a\x1b");
        t.push(b"[1");
        t.push(b"2Db\r");
        t.push(b"\n\xc3");
        t.push(b"\xa9!");
        assert_eq!(t.text(), "ab\n\u{e9}!");
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        let mut t = Transcript::new();
        t.push(b"x\xffy\x08z");
        assert_eq!(t.text(), "x\u{fffd}y\x08z");
    }

    #[test]
    fn cursor_and_notes() {
        let mut t = Transcript::new();
        t.push(b"one two");
        let at = t.unmatched().find("one").unwrap() + 3;
        t.consume(at);
        assert_eq!(t.unmatched(), " two");
        t.note("[boot 2]");
        assert_eq!(t.unmatched(), "");
        t.push(b"three\n");
        assert_eq!(t.text(), "one two\n[boot 2]\nthree\n");
        assert_eq!(t.unmatched(), "three\n");
        t.consume(100);
        assert_eq!(t.unmatched(), "");
        t.push(b"four");
        t.consume(usize::MAX);
        assert_eq!(t.unmatched(), "");
    }

    #[test]
    fn tail_lines() {
        let mut t = Transcript::new();
        assert!(t.tail(3).is_empty());
        t.push(b"a\nb\nc\n/ $ ");
        assert_eq!(t.tail(2), ["c", "/ $ "]);
        t.push(b"\n");
        assert_eq!(t.tail(10), ["a", "b", "c", "/ $ "]);
    }

    #[test]
    fn prompts() {
        assert_eq!(prompt_end("hi\n/tmp $ "), Some(10));
        assert_eq!(prompt_end("/ $ "), Some(4));
        assert_eq!(prompt_end("hi/ $ "), Some(6));
        assert_eq!(prompt_end("/ $ echo\n"), None);
        assert_eq!(prompt_end("/ $ echo"), None);
        assert_eq!(prompt_end("costs $"), None);
        assert_eq!(prompt_end(""), None);
    }
}
