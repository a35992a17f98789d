//! A small regular-expression matcher for `expect-re` steps, so the tool
//! needs no regex crate.
//!
//! Supported: literal characters; `.` (any character but a newline);
//! classes `[abc]`, `[a-z]`, `[^...]`; the escapes `\d \D \w \W \s \S`
//! (also inside classes), `\n \r \t`, and `\` before any other
//! non-alphanumeric character for that character itself; the quantifiers
//! `*`, `+`, `?`, `{n}`, `{n,}` and `{n,m}` after a single atom (greedy);
//! and the anchors `^` and `$`, which match at the start and end of a line
//! as well as of the text. Groups and alternation (`(`, `)`, `|`) are not
//! supported and are rejected, so a pattern never means something other
//! than it seems to.
//!
//! Matching backtracks, which is fine for patterns written by hand and
//! texts of a few kilobytes.

use std::fmt;

/// The largest count a `{n,m}` quantifier may give.
const MAX_REPEAT: u32 = 10_000;

/// A compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regex {
    pieces: Vec<Piece>,
}

/// A pattern that does not parse; the message says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegexError(pub String);

impl fmt::Display for RegexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RegexError {}

/// One atom and how often it may repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    atom: Atom,
    min: u32,
    max: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    Char(char),
    /// `.`
    Any,
    Class(Class),
    /// `^`
    LineStart,
    /// `$`
    LineEnd,
}

/// A set of characters: ranges (a single character is a range of one),
/// possibly negated.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Class {
    ranges: Vec<(char, char)>,
    negated: bool,
}

impl Class {
    fn of(ranges: &[(char, char)], negated: bool) -> Class {
        Class {
            ranges: ranges.to_vec(),
            negated,
        }
    }

    fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

const DIGIT: &[(char, char)] = &[('0', '9')];
const WORD: &[(char, char)] = &[('0', '9'), ('A', 'Z'), ('a', 'z'), ('_', '_')];
const SPACE: &[(char, char)] = &[('\t', '\r'), (' ', ' ')];

impl Atom {
    fn matches(&self, c: char) -> bool {
        match self {
            Atom::Char(want) => c == *want,
            Atom::Any => c != '\n',
            Atom::Class(class) => class.contains(c),
            Atom::LineStart | Atom::LineEnd => false,
        }
    }
}

impl Regex {
    /// Compiles `pattern`.
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        Parser {
            chars: pattern.chars().collect(),
            at: 0,
        }
        .parse()
    }

    /// The byte range of the leftmost match in `text` (the longest one
    /// there, as far as the greedy quantifiers go).
    pub fn find(&self, text: &str) -> Option<(usize, usize)> {
        let chars: Vec<char> = text.chars().collect();
        // Byte offset of each character position, plus the end.
        let mut offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        offsets.push(text.len());
        (0..=chars.len()).find_map(|start| {
            self.match_at(0, &chars, start)
                .map(|end| (offsets[start], offsets[end]))
        })
    }

    /// Whether the pattern occurs in `text`.
    pub fn is_match(&self, text: &str) -> bool {
        self.find(text).is_some()
    }

    /// Where a match of pieces `k..` starting at character `i` ends.
    fn match_at(&self, k: usize, text: &[char], i: usize) -> Option<usize> {
        let Some(piece) = self.pieces.get(k) else {
            return Some(i);
        };
        match piece.atom {
            Atom::LineStart => {
                let ok = i == 0 || text[i - 1] == '\n';
                return if ok {
                    self.match_at(k + 1, text, i)
                } else {
                    None
                };
            }
            Atom::LineEnd => {
                let ok = i == text.len() || text[i] == '\n';
                return if ok {
                    self.match_at(k + 1, text, i)
                } else {
                    None
                };
            }
            _ => {}
        }
        let max = piece.max as usize;
        let mut count = 0;
        while count < max && i + count < text.len() && piece.atom.matches(text[i + count]) {
            count += 1;
        }
        let min = piece.min as usize;
        (min..=count)
            .rev()
            .find_map(|n| self.match_at(k + 1, text, i + n))
    }
}

/// Escapes `text` so that it matches itself.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' => out.push_str(r"\n"),
            '\r' => out.push_str(r"\r"),
            '\t' => out.push_str(r"\t"),
            c if c.is_ascii_punctuation() || c == ' ' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

struct Parser {
    chars: Vec<char>,
    at: usize,
}

fn error(message: impl Into<String>) -> RegexError {
    RegexError(message.into())
}

impl Parser {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.at).copied();
        self.at += usize::from(c.is_some());
        c
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn parse(mut self) -> Result<Regex, RegexError> {
        let mut pieces: Vec<Piece> = Vec::new();
        while let Some(c) = self.next() {
            let atom = match c {
                '.' => Atom::Any,
                '^' => Atom::LineStart,
                '$' => Atom::LineEnd,
                '[' => Atom::Class(self.class()?),
                '\\' => self.escape(false)?,
                '(' | ')' | '|' => {
                    return Err(error(format!(
                        "`{c}`: groups and alternation are not supported (escape it as `\\{c}`)"
                    )))
                }
                '*' | '+' | '?' | '{' => {
                    return Err(error(format!("`{c}` does not follow something to repeat")))
                }
                c => Atom::Char(c),
            };
            let (min, max) = self.quantifier()?;
            if matches!(atom, Atom::LineStart | Atom::LineEnd) && (min, max) != (1, 1) {
                return Err(error("an anchor (`^`, `$`) cannot be repeated"));
            }
            pieces.push(Piece { atom, min, max });
        }
        Ok(Regex { pieces })
    }

    /// The quantifier after an atom, as (min, max); (1, 1) if none.
    fn quantifier(&mut self) -> Result<(u32, u32), RegexError> {
        let bounds = match self.peek() {
            Some('*') => (0, u32::MAX),
            Some('+') => (1, u32::MAX),
            Some('?') => (0, 1),
            Some('{') => {
                self.at += 1;
                return self.counted();
            }
            _ => return Ok((1, 1)),
        };
        self.at += 1;
        if matches!(self.peek(), Some('*' | '+' | '?' | '{')) {
            return Err(error(
                "a quantifier cannot follow another (no lazy `*?` either)",
            ));
        }
        Ok(bounds)
    }

    /// `{n}`, `{n,}` or `{n,m}`, after the `{`.
    fn counted(&mut self) -> Result<(u32, u32), RegexError> {
        let mut body = String::new();
        loop {
            match self.next() {
                Some('}') => break,
                Some(c) => body.push(c),
                None => return Err(error("unclosed `{`")),
            }
        }
        let number = |s: &str| match s.parse::<u32>() {
            Ok(n) if n <= MAX_REPEAT => Ok(n),
            _ => Err(error(format!(
                "bad repeat count `{{{body}}}` (whole numbers up to {MAX_REPEAT})"
            ))),
        };
        let (min, max) = match body.split_once(',') {
            None => {
                let n = number(&body)?;
                (n, n)
            }
            Some((lo, "")) => (number(lo)?, u32::MAX),
            Some((lo, hi)) => (number(lo)?, number(hi)?),
        };
        if min > max {
            return Err(error(format!("bad repeat count `{{{body}}}` (min > max)")));
        }
        Ok((min, max))
    }

    /// The atom for the escape after a `\` (in a class if `in_class`).
    fn escape(&mut self, in_class: bool) -> Result<Atom, RegexError> {
        let Some(c) = self.next() else {
            return Err(error("trailing `\\`"));
        };
        Ok(match c {
            'd' => Atom::Class(Class::of(DIGIT, false)),
            'D' => Atom::Class(Class::of(DIGIT, true)),
            'w' => Atom::Class(Class::of(WORD, false)),
            'W' => Atom::Class(Class::of(WORD, true)),
            's' => Atom::Class(Class::of(SPACE, false)),
            'S' => Atom::Class(Class::of(SPACE, true)),
            'n' => Atom::Char('\n'),
            'r' => Atom::Char('\r'),
            't' => Atom::Char('\t'),
            c if !c.is_alphanumeric() => Atom::Char(c),
            c => {
                let place = if in_class { " in a class" } else { "" };
                return Err(error(format!("unknown escape `\\{c}`{place}")));
            }
        })
    }

    /// A class, after the `[`.
    fn class(&mut self) -> Result<Class, RegexError> {
        let negated = self.peek() == Some('^');
        self.at += usize::from(negated);
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.next() else {
                return Err(error("unclosed `[`"));
            };
            let lo = match c {
                ']' if !first => break,
                '\\' => match self.escape(true)? {
                    Atom::Char(c) => c,
                    Atom::Class(class) if !class.negated => {
                        ranges.extend(class.ranges);
                        first = false;
                        continue;
                    }
                    _ => return Err(error("a negated escape (`\\D`, `\\W`, `\\S`) in a class")),
                },
                c => c,
            };
            first = false;
            // A range `lo-hi`, unless the `-` is last in the class.
            if self.peek() == Some('-') && self.chars.get(self.at + 1).is_some_and(|&c| c != ']') {
                self.at += 1;
                let hi = match self.next() {
                    Some('\\') => match self.escape(true)? {
                        Atom::Char(c) => c,
                        _ => return Err(error("a class escape cannot end a range")),
                    },
                    Some(c) => c,
                    None => return Err(error("unclosed `[`")),
                };
                if hi < lo {
                    return Err(error(format!("bad range `{lo}-{hi}`")));
                }
                ranges.push((lo, hi));
            } else {
                ranges.push((lo, lo));
            }
        }
        Ok(Class { ranges, negated })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(pattern: &str, text: &'a str) -> Option<&'a str> {
        let re = Regex::new(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        re.find(text).map(|(start, end)| &text[start..end])
    }

    #[test]
    fn literals_and_any() {
        assert_eq!(find("hi", "say hi"), Some("hi"));
        assert_eq!(find("h.", "oh hey"), Some("h "));
        assert_eq!(find("a.c", "a\nc"), None);
        assert_eq!(find("", "x"), Some(""));
        assert_eq!(find("héllo", "¡héllo!"), Some("héllo"));
    }

    #[test]
    fn quantifiers_are_greedy_and_backtrack() {
        assert_eq!(find("a*b", "xaaab"), Some("aaab"));
        assert_eq!(find("a+", "bcd"), None);
        assert_eq!(find("colou?r", "color"), Some("color"));
        assert_eq!(find("x.*y", "x1y2y\nz"), Some("x1y2y"));
        assert_eq!(find("[0-9]{3}", "ab12345"), Some("123"));
        assert_eq!(find("a{2,}", "a aaaa"), Some("aaaa"));
        assert_eq!(find("a{1,2}b", "aaab"), Some("aab"));
        assert_eq!(find("\\d+ passed", "12 passed"), Some("12 passed"));
    }

    #[test]
    fn classes_and_escapes() {
        assert_eq!(find("[^ ]+", "  word "), Some("word"));
        assert_eq!(find("[a-f0-9]{4}", "xx0fe"), None);
        assert_eq!(find("[a-f0-9]{4}", "xx00fe9"), Some("00fe"));
        assert_eq!(find("[-x]+", "a-x-b"), Some("-x-"));
        assert_eq!(find("[x-]+", "a-x-b"), Some("-x-"));
        assert_eq!(find("[]]", "a]"), Some("]"));
        assert_eq!(find("[\\d.]+", "v1.25x"), Some("1.25"));
        assert_eq!(find("\\w+\\s\\S", "  ab  c"), None);
        assert_eq!(find("\\w+\\s+\\S", "  ab  c"), Some("ab  c"));
        assert_eq!(find("\\$ \\[x\\]", "a $ [x]"), Some("$ [x]"));
        assert_eq!(find("a\\nb", "a\nb"), Some("a\nb"));
    }

    #[test]
    fn anchors_work_per_line() {
        assert_eq!(find("^b", "ab\nbc"), Some("b"));
        assert_eq!(find("^bc$", "ab\nbc\n"), Some("bc"));
        assert_eq!(find("a$", "ab"), None);
        assert_eq!(
            find("^ +\\d+ +\\d+ .*sh$", "  PID\n    2     1 wait sh\n"),
            Some("    2     1 wait sh")
        );
    }

    #[test]
    fn escape_makes_text_match_itself() {
        let text = "a.b*c $ (d) [e] {f} \\ g|h\n";
        let re = Regex::new(&escape(text)).unwrap();
        assert_eq!(re.find(text), Some((0, text.len())));
        assert!(!re.is_match("aXb*c $ (d) [e] {f} \\ g|h\n"));
    }

    #[test]
    fn bad_patterns_are_rejected() {
        for bad in [
            "(a)", "a|b", "*a", "a**", "a*?", "[abc", "a{2", "a{x}", "a{3,1}", "\\", "\\q",
            "[z-a]", "^*", "[\\D]", "a{99999}",
        ] {
            assert!(Regex::new(bad).is_err(), "{bad} should be rejected");
        }
    }
}
