//! Code addresses in console output: the kernel's backtrace frame lines
//! (`  #0  0x...`) and the `ELR 0x...` line of an exception report, and
//! annotating them (or any 16-digit address) with the function they lie in.

use std::io::{self, BufRead, Write};

use crate::symbols::SymbolTable;

/// A code address found in the log, with what labelled it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeAddress {
    /// `#0`, `#1`, ... for backtrace frames; `ELR` for the exception address.
    pub label: String,
    pub addr: u64,
}

/// Parses `0x<1 to 16 hex digits>`.
fn parse_hex(token: &str) -> Option<u64> {
    let digits = token.strip_prefix("0x")?;
    if digits.is_empty() || digits.len() > 16 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(digits, 16).ok()
}

/// Parses a backtrace frame line, `#<depth> 0x<hex>` (indented, and maybe
/// with more text after the address); returns the depth and the address.
pub fn parse_frame_line(line: &str) -> Option<(u32, u64)> {
    let mut words = line.split_whitespace();
    let depth = words.next()?.strip_prefix('#')?;
    if depth.is_empty() || !depth.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let addr = parse_hex(words.next()?)?;
    Some((depth.parse().ok()?, addr))
}

/// Parses the exception report's `ELR 0x<hex> ...` line; returns the address.
pub fn parse_elr_line(line: &str) -> Option<u64> {
    let mut words = line.split_whitespace();
    if words.next()? != "ELR" {
        return None;
    }
    parse_hex(words.next()?)
}

/// Every frame and `ELR` address in `log`, in order.
pub fn code_addresses(log: &str) -> Vec<CodeAddress> {
    log.lines()
        .filter_map(|line| {
            if let Some((depth, addr)) = parse_frame_line(line) {
                Some(CodeAddress {
                    label: format!("#{depth}"),
                    addr,
                })
            } else {
                parse_elr_line(line).map(|addr| CodeAddress {
                    label: "ELR".to_string(),
                    addr,
                })
            }
        })
        .collect()
}

/// One line per address: label, address and `function+0xoffset` (or `??`
/// when no function symbol covers it), indented by two spaces.
pub fn symbolize_addresses(addresses: &[CodeAddress], symbols: &SymbolTable) -> Vec<String> {
    addresses
        .iter()
        .map(|CodeAddress { label, addr }| {
            let location = match symbols.lookup(*addr) {
                Some(location) => location.to_string(),
                None => "??".to_string(),
            };
            format!("  {label:<3} {addr:#018x}  {location}")
        })
        .collect()
}

/// `text` with every `0x<16 hex digits>` address that lies in a function
/// followed by ` <function+0xoffset>`. Addresses must stand alone: not
/// preceded or followed by a letter, digit or `_`.
pub fn annotate(text: &str, symbols: &SymbolTable) -> String {
    const DIGITS: usize = 16;
    let bytes = text.as_bytes();
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while let Some(found) = text[i..].find("0x") {
        let start = i + found;
        let end = start + 2 + DIGITS;
        i = start + 2;
        let standalone = (start == 0 || !is_word(bytes[start - 1]))
            && bytes.get(end).is_none_or(|&b| !is_word(b));
        if !standalone {
            continue;
        }
        let Some(location) = text
            .get(start..end)
            .and_then(parse_hex)
            .and_then(|addr| symbols.lookup(addr))
        else {
            continue;
        };
        out.push_str(&text[copied..end]);
        out.push_str(&format!(" <{location}>"));
        copied = end;
        i = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Copies `input` to `output` line by line, each line [`annotate`]d (invalid
/// UTF-8 is replaced), flushing after every line so a live console can be
/// piped through.
pub fn annotate_stream(
    symbols: &SymbolTable,
    mut input: impl BufRead,
    mut output: impl Write,
) -> io::Result<()> {
    let mut buf = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        let line = String::from_utf8_lossy(&buf);
        output.write_all(annotate(&line, symbols).as_bytes())?;
        output.flush()?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRASH: &str = "\
*** unexpected Sync exception from EL1
ESR 0x96000004: data abort from the same EL (EC 0x25), translation fault at level 0, read
ELR 0xffff00004020397c  FAR 0xffff7e00dead0000  SPSR 0x60000245
x0  0xffff000040212c53  x1  0xffff00004022ca90

*** kernel panic at kernel/src/arch/aarch64/trap.rs:81:5: unexpected Sync exception
backtrace:
  #0  0xffff000040209a54
  #1  0xffff000040205844
  #10 0xffff00004020e060
";

    fn symbols() -> SymbolTable {
        SymbolTable::new([
            (
                0xffff_0000_4020_3900,
                0x100,
                "kernel::ktest::crash".to_string(),
            ),
            (
                0xffff_0000_4020_9a00,
                0x80,
                "kernel::panic::panic".to_string(),
            ),
            (
                0xffff_0000_4020_5800,
                0x80,
                "kernel::arch::trap".to_string(),
            ),
        ])
    }

    #[test]
    fn frame_lines() {
        assert_eq!(
            parse_frame_line("  #0  0xffff000040209a54"),
            Some((0, 0xffff_0000_4020_9a54))
        );
        assert_eq!(parse_frame_line("  #12 0x10 extra\r"), Some((12, 0x10)));
        assert_eq!(parse_frame_line("#0 0x1"), Some((0, 1)));
        assert_eq!(parse_frame_line("  # 0x10"), None);
        assert_eq!(parse_frame_line("  #x 0x10"), None);
        assert_eq!(parse_frame_line("  #0"), None);
        assert_eq!(parse_frame_line("  #0  ffff000040209a54"), None);
        assert_eq!(parse_frame_line("  #0  0x"), None);
        assert_eq!(parse_frame_line("  #0  0x+1"), None);
        assert_eq!(parse_frame_line("  #0  0x1ffff000040209a54"), None);
        assert_eq!(parse_frame_line("  <unreadable frame at 0x1000>"), None);
    }

    #[test]
    fn elr_lines() {
        assert_eq!(
            parse_elr_line("ELR 0xffff00004020397c  FAR 0x0  SPSR 0x60000245"),
            Some(0xffff_0000_4020_397c)
        );
        assert_eq!(parse_elr_line("ELR_EL1 0x10"), None);
        assert_eq!(parse_elr_line("x0 0x10 ELR 0x10"), None);
        assert_eq!(parse_elr_line("ELR"), None);
    }

    #[test]
    fn finds_frames_and_elr_in_order() {
        let found = code_addresses(CRASH);
        let labels: Vec<&str> = found.iter().map(|a| a.label.as_str()).collect();
        assert_eq!(labels, ["ELR", "#0", "#1", "#10"]);
        assert_eq!(found[0].addr, 0xffff_0000_4020_397c);
        assert_eq!(found[3].addr, 0xffff_0000_4020_e060);
        assert!(code_addresses("test a ... ok\n1 passed, 0 failed\n").is_empty());
    }

    #[test]
    fn symbolized_lines() {
        let lines = symbolize_addresses(&code_addresses(CRASH), &symbols());
        assert_eq!(
            lines,
            [
                "  ELR 0xffff00004020397c  kernel::ktest::crash+0x7c",
                "  #0  0xffff000040209a54  kernel::panic::panic+0x54",
                "  #1  0xffff000040205844  kernel::arch::trap+0x44",
                "  #10 0xffff00004020e060  ??",
            ]
        );
    }

    #[test]
    fn annotates_addresses_inside_functions() {
        let t = symbols();
        assert_eq!(
            annotate("  #0  0xffff000040209a54\r\n", &t),
            "  #0  0xffff000040209a54 <kernel::panic::panic+0x54>\r\n"
        );
        assert_eq!(
            annotate("ELR 0xffff00004020397c  FAR 0xffff7e00dead0000", &t),
            "ELR 0xffff00004020397c <kernel::ktest::crash+0x7c>  FAR 0xffff7e00dead0000"
        );
        assert_eq!(
            annotate("0xffff000040209a54,0xffff000040205800", &t),
            "0xffff000040209a54 <kernel::panic::panic+0x54>,\
             0xffff000040205800 <kernel::arch::trap+0x0>"
        );
    }

    #[test]
    fn annotates_a_stream() {
        let input = b"x30 0xffff000040205844\r\nplain\n\xff 0xffff000040209a54";
        let mut output = Vec::new();
        annotate_stream(&symbols(), &input[..], &mut output).unwrap();
        assert_eq!(
            String::from_utf8(output).unwrap(),
            "x30 0xffff000040205844 <kernel::arch::trap+0x44>\r\nplain\n\
             \u{fffd} 0xffff000040209a54 <kernel::panic::panic+0x54>"
        );
    }

    #[test]
    fn leaves_other_text_alone() {
        let t = symbols();
        for text in [
            "",
            "no addresses here",
            "short 0x40209a54",
            "too long 0xffff000040209a540",
            "glued x0xffff000040209a54",
            "glued 0xffff000040209a54_x",
            "not hex 0xffff00004020zzzz",
            "truncated 0xffff0000402",
            "ends in 0x",
            "unicode ü 0x",
            "unicode 0xffffüü00004020",
        ] {
            assert_eq!(annotate(text, &t), text);
        }
    }
}
