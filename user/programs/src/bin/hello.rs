//! `hello [--quiet] [--exit N]`: greets, prints its arguments, exits with N.
#![no_std]
#![no_main]

use rt::{println, sys, Args};

rt::entry!(main);

fn main(args: Args) -> i32 {
    let mut quiet = false;
    let mut code = 0;
    let mut i = 1;
    while i < args.len() {
        match args.get(i) {
            Some("--quiet") => quiet = true,
            Some("--exit") => {
                code = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(0);
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    if !quiet {
        let pid = sys::process_info(0).map(|p| p.pid).unwrap_or(0);
        println!(
            "hello from pid {pid}, args: {:?}",
            args.iter().collect::<alloc_free::List>()
        );
    }
    code
}

/// Debug-prints an iterator of strings without allocating.
mod alloc_free {
    pub struct List(pub [&'static str; 8], pub usize);

    impl FromIterator<&'static str> for List {
        fn from_iter<I: IntoIterator<Item = &'static str>>(iter: I) -> Self {
            let mut l = List([""; 8], 0);
            for s in iter.into_iter().take(8) {
                l.0[l.1] = s;
                l.1 += 1;
            }
            l
        }
    }

    impl core::fmt::Debug for List {
        fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            f.debug_list().entries(&self.0[..self.1]).finish()
        }
    }
}
