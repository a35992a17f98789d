//! System-call dispatch: decode `x8` and the arguments from the trap frame,
//! run the call, and write the error code and results back (calling
//! convention in `abi`). One small file per family of calls.

mod channel;
mod console;
mod fs;
mod handle;
mod memory;
mod process;
mod time;

use crate::arch::trap::TrapFrame;
use abi::{sys, Error};

/// A failed call: the error code, and values for x1..x3 where the call
/// defines them (e.g. the sizes `BufferTooSmall` asks for).
#[derive(Clone, Copy, Debug)]
pub struct SysError {
    pub error: Error,
    pub values: [u64; 3],
}

impl From<Error> for SysError {
    fn from(error: Error) -> Self {
        SysError {
            error,
            values: [0; 3],
        }
    }
}

/// Up to three result registers, or an error.
pub type Ret = Result<[u64; 3], SysError>;

pub fn ok2(a: u64, b: u64) -> Ret {
    Ok([a, b, 0])
}

pub fn ok0() -> Ret {
    Ok([0; 3])
}

pub fn ok1(v: u64) -> Ret {
    Ok([v, 0, 0])
}

/// Run the system call described by `frame` and store its results there.
/// The hottest calls are told apart here and each runs in its own small
/// function, which reads its arguments from the frame and stores its
/// results straight back (no result passed through memory in between);
/// the rest go to [`dispatch_other`], whose frame is large (some calls
/// keep buffers on the stack) and which saves every register it may use.
#[inline(always)]
pub fn dispatch(frame: &mut TrapFrame) {
    match frame.x[8] {
        sys::CHANNEL_SEND => hot_send(frame),
        sys::CHANNEL_RECV => hot_recv(frame),
        sys::HANDLE_INFO => hot_handle_info(frame),
        sys::YIELD => hot_yield(frame),
        _ => other(frame),
    }
}

/// The six argument registers.
#[inline(always)]
fn args(frame: &TrapFrame) -> [u64; 6] {
    [
        frame.x[0], frame.x[1], frame.x[2], frame.x[3], frame.x[4], frame.x[5],
    ]
}

#[inline(never)]
fn hot_send(frame: &mut TrapFrame) {
    let a = args(frame);
    store(frame, channel::send(a[0], a[1], a[2], a[3], a[4]));
}

#[inline(never)]
fn hot_recv(frame: &mut TrapFrame) {
    let a = args(frame);
    store(frame, channel::recv(a[0], a[1], a[2], a[3], a[4], a[5]));
}

#[inline(never)]
fn hot_handle_info(frame: &mut TrapFrame) {
    store(frame, handle::info(frame.x[0]));
}

#[inline(never)]
fn hot_yield(frame: &mut TrapFrame) {
    store(frame, process::yield_now());
}

#[inline(never)]
fn other(frame: &mut TrapFrame) {
    let result = dispatch_other(frame.x[8], args(frame));
    store(frame, result);
}

#[inline(never)]
fn dispatch_other(nr: u64, a: [u64; 6]) -> Ret {
    match nr {
        sys::EXIT => process::exit(a[0]),
        sys::SPAWN => process::spawn(a[0]),
        sys::WAIT => process::wait(a[0], a[1]),
        sys::KILL => process::kill(a[0]),
        sys::YIELD => process::yield_now(),
        sys::SLEEP => time::sleep(a[0]),
        sys::CLOCK => time::clock(),
        sys::DEBUG_WRITE => console::debug_write(a[0], a[1]),
        sys::CONSOLE_READ => console::read(a[0], a[1], a[2]),
        sys::MEM_MAP => memory::map(a[0], a[1], a[2]),
        sys::MEM_UNMAP => memory::unmap(a[0], a[1]),
        sys::PROCESS_INFO => process::info(a[0], a[1], a[2]),
        sys::SYS_INFO => process::sys_info(a[0], a[1]),
        sys::HANDLE_CLOSE => handle::close(a[0]),
        sys::HANDLE_DUP => handle::dup(a[0], a[1]),
        sys::HANDLE_INFO => handle::info(a[0]),
        sys::CHANNEL_CREATE => channel::create(),
        sys::CHANNEL_SEND => channel::send(a[0], a[1], a[2], a[3], a[4]),
        sys::CHANNEL_RECV => channel::recv(a[0], a[1], a[2], a[3], a[4], a[5]),
        sys::WAIT_MANY => channel::wait_many(a[0], a[1], a[2]),
        sys::CHANNEL_CALL => channel::call(a[0], a[1], a[2]),
        sys::OPEN => fs::open(a[0], a[1], a[2], a[3]),
        sys::IO_READ => fs::io_read(a[0], a[1], a[2]),
        sys::IO_WRITE => fs::io_write(a[0], a[1], a[2]),
        sys::SEEK => fs::seek(a[0], a[1], a[2]),
        sys::STAT => fs::stat(a[0], a[1], a[2], a[3], a[4]),
        sys::FSTAT => fs::fstat(a[0], a[1], a[2]),
        sys::READDIR => fs::readdir(a[0], a[1], a[2]),
        sys::MKDIR => fs::mkdir(a[0], a[1], a[2]),
        sys::UNLINK => fs::unlink(a[0], a[1]),
        sys::RMDIR => fs::rmdir(a[0], a[1]),
        sys::RENAME => fs::rename(a[0], a[1], a[2], a[3]),
        sys::LINK => fs::link(a[0], a[1], a[2], a[3]),
        sys::SYMLINK => fs::symlink(a[0], a[1], a[2], a[3]),
        sys::READLINK => fs::readlink(a[0], a[1], a[2], a[3]),
        sys::FTRUNCATE => fs::ftruncate(a[0], a[1]),
        sys::SYNC => fs::sync(),
        sys::STATFS => fs::statfs(a[0], a[1], a[2], a[3]),
        sys::CHDIR => fs::chdir(a[0], a[1]),
        sys::GETCWD => fs::getcwd(a[0], a[1]),
        sys::MOUNTS => fs::mounts(a[0], a[1]),
        sys::PROCESS_LIST => fs::process_list(a[0], a[1]),
        sys::PROCESS_OPEN => process::open(a[0]),
        sys::POWER => fs::power(a[0]),
        sys::CONSOLE_FOREGROUND => fs::console_foreground(a[0]),
        #[cfg(feature = "ktest")]
        sys::KTEST_REPORT => crate::ktest::user_report(a[0], a[1], a[2]),
        _ => Err(Error::Unsupported.into()),
    }
}

/// Write a call's results into the trap frame (x0 = error code or 0).
#[inline(always)]
fn store(frame: &mut TrapFrame, result: Ret) {
    match result {
        Ok([r1, r2, r3]) => {
            frame.x[0] = 0;
            frame.x[1] = r1;
            frame.x[2] = r2;
            frame.x[3] = r3;
        }
        Err(SysError {
            error,
            values: [r1, r2, r3],
        }) => {
            frame.x[0] = error.code() as u64;
            frame.x[1] = r1;
            frame.x[2] = r2;
            frame.x[3] = r3;
        }
    }
}
