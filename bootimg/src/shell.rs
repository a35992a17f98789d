//! POSIX shell quoting, for printing command lines that can be pasted into a
//! shell as they are.

use std::borrow::Cow;

/// Quotes `word` for a POSIX shell; words made only of safe characters are
/// returned unchanged.
pub fn quote(word: &str) -> Cow<'_, str> {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if !word.is_empty() && word.chars().all(safe) {
        Cow::Borrowed(word)
    } else {
        Cow::Owned(format!("'{}'", word.replace('\'', r"'\''")))
    }
}

/// Quotes each word and joins them with spaces.
pub fn join<I, S>(words: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    words
        .into_iter()
        .map(|word| quote(word.as_ref()).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_words_are_left_alone() {
        assert_eq!(quote("-M"), "-M");
        assert_eq!(quote("virt,gic-version=3"), "virt,gic-version=3");
        assert_eq!(quote("/tmp/kernel.elf"), "/tmp/kernel.elf");
    }

    #[test]
    fn other_words_are_single_quoted() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote("$HOME"), "'$HOME'");
    }

    #[test]
    fn join_quotes_each_word() {
        assert_eq!(
            join(["qemu", "-append", "console=ttyS0 quiet"]),
            "qemu -append 'console=ttyS0 quiet'"
        );
    }
}
