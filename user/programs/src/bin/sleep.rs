//! `sleep SECONDS`: wait that long (a decimal fraction such as `0.5` is
//! allowed).
#![no_std]
#![no_main]

use userprogs::opts::usage_error;

rt::entry!(main);

const USAGE: &str = "usage: sleep SECONDS";

/// `S` or `S.FRACTION` seconds in milliseconds.
fn parse_ms(text: &str) -> Option<u64> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() && frac.is_empty() {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut ms = 0;
    for (i, c) in frac.chars().enumerate() {
        let digit = c.to_digit(10)? as u64;
        if i < 3 {
            ms += digit * 10u64.pow(2 - i as u32);
        }
    }
    whole.checked_mul(1000)?.checked_add(ms)
}

fn main(args: rt::Args) -> i32 {
    match (args.get(1).and_then(parse_ms), args.len()) {
        (Some(ms), 2) => {
            rt::sys::sleep_ms(ms);
            0
        }
        _ => usage_error("sleep", "invalid time", USAGE),
    }
}
