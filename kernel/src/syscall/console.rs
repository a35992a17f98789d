//! Console calls: write bytes to the console, read typed input.

use super::{ok0, ok1, Ret};
use crate::mm::usercopy;
use abi::Error;

/// The most bytes one `debug_write` may carry.
pub const MAX_WRITE: usize = 4096;

pub fn debug_write(ptr: u64, len: u64) -> Ret {
    let len = usize::try_from(len).map_err(|_| Error::InvalidArgument)?;
    if len > MAX_WRITE {
        return Err(Error::InvalidArgument.into());
    }
    let mut buf = [0u8; MAX_WRITE];
    usercopy::copy_from_user(&mut buf[..len], ptr as usize)?;
    crate::console::write_raw(&buf[..len]);
    ok0()
}

/// Read at least one byte of console input (sleeping until some arrives),
/// at most `len`; a pending Ctrl-C only with `CONSOLE_READ_CTRL_C`.
pub fn read(ptr: u64, len: u64, flags: u64) -> Ret {
    if flags & !abi::sys::CONSOLE_READ_CTRL_C != 0 {
        return Err(Error::InvalidArgument.into());
    }
    let take_ctrl_c = flags & abi::sys::CONSOLE_READ_CTRL_C != 0;
    let len = usize::try_from(len)
        .map_err(|_| Error::InvalidArgument)?
        .min(256);
    if len == 0 {
        return ok1(0);
    }
    usercopy::check(ptr as usize, len)?;
    let mut buf = [0u8; 256];
    loop {
        let mut n = 0;
        while n < len {
            match crate::console::read_input(take_ctrl_c) {
                Some(b) => {
                    buf[n] = b;
                    n += 1;
                }
                None => break,
            }
        }
        if n > 0 {
            usercopy::copy_to_user(ptr as usize, &buf[..n])?;
            return ok1(n as u64);
        }
        crate::task::sched::wait_for_console();
        if crate::task::sched::interrupted() {
            return Err(Error::TimedOut.into());
        }
    }
}
