//! Standard output and input: `print!`/`println!` format into a small
//! buffer and write it with one system call per line (or per 256 bytes) to
//! stdout (a file, a pipe, or the console); `read_stdin` reads stdin.

use core::fmt::{self, Write};

struct LineWriter {
    buf: [u8; 256],
    len: usize,
}

impl LineWriter {
    fn flush(&mut self) {
        if self.len > 0 {
            let _ = write_stdout(&self.buf[..self.len]);
            self.len = 0;
        }
    }
}

impl Write for LineWriter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments) {
    let mut w = LineWriter {
        buf: [0; 256],
        len: 0,
    };
    let _ = w.write_fmt(args);
    w.flush();
}

#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => ($crate::io::_print(format_args!($($arg)*)));
}

#[macro_export]
macro_rules! println {
    () => ($crate::print!("\n"));
    ($($arg:tt)*) => ($crate::io::_print(format_args!("{}\n", format_args!($($arg)*))));
}

/// Write bytes to stdout.
pub fn write_stdout(data: &[u8]) -> Result<(), crate::Error> {
    match crate::start::stdout_handle() {
        None => crate::sys::debug_write(data),
        Some(h) => {
            let mut rest = data;
            while !rest.is_empty() {
                let n = crate::sys::io_write(h, &rest[..rest.len().min(abi::ipc::MAX_MSG_BYTES)])?;
                rest = &rest[n..];
            }
            Ok(())
        }
    }
}

/// Read from stdin: at least one byte unless at end of input (0).
pub fn read_stdin(buf: &mut [u8]) -> Result<usize, crate::Error> {
    match crate::start::stdin_handle() {
        None => crate::sys::console_read(buf),
        Some(h) => crate::sys::io_read(h, buf),
    }
}

/// Write to the console no matter where stdout goes (error messages).
#[doc(hidden)]
pub fn _eprint(args: fmt::Arguments) {
    struct Console;
    impl Write for Console {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let _ = crate::sys::debug_write(s.as_bytes());
            Ok(())
        }
    }
    let _ = Console.write_fmt(args);
}

#[macro_export]
macro_rules! eprintln {
    ($($arg:tt)*) => ($crate::io::_eprint(format_args!("{}\n", format_args!($($arg)*))));
}
