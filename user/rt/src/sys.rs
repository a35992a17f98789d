//! Typed system-call wrappers: one function per call, `Result<_, Error>`.

use crate::process::Child;
use crate::syscall::call;
use abi::{sys, ArgSlice, Error, ExitStatus, ProcessInfo, SpawnRequest, SysInfo};

/// A process id.
pub type Pid = u32;

/// A handle value.
pub type Handle = u32;

/// End this process with `code`.
pub fn exit(code: i32) -> ! {
    let _ = call(sys::EXIT, [code as u32 as u64, 0, 0, 0, 0, 0]);
    // The kernel never returns from exit.
    loop {
        core::hint::spin_loop();
    }
}

fn slice(bytes: &[u8]) -> ArgSlice {
    ArgSlice {
        ptr: bytes.as_ptr() as u64,
        len: bytes.len() as u64,
    }
}

/// Start program `name` with `args` (argv[0] is the name, added here).
/// The [`Child`] owns the new process handle.
pub fn spawn(name: &str, args: &[&str]) -> Result<Child, Error> {
    spawn_with(name, args, &[], [0; abi::process::RESOURCES])
}

/// Start program `name` with `args`, moving `handles` into it (they need
/// the TRANSFER right) and lending it `limits` (0 = default) out of this
/// process's own.
pub fn spawn_with(
    name: &str,
    args: &[&str],
    handles: &[Handle],
    limits: [u64; abi::process::RESOURCES],
) -> Result<Child, Error> {
    spawn_full(name, args, handles, limits, [0, 0])
}

/// `spawn_with`, also choosing the child's stdin and stdout (handles moved
/// to it; 0 = the console).
pub fn spawn_full(
    name: &str,
    args: &[&str],
    handles: &[Handle],
    limits: [u64; abi::process::RESOURCES],
    stdio: [Handle; 2],
) -> Result<Child, Error> {
    let mut argv = [ArgSlice::default(); abi::process::MAX_ARGS];
    if args.len() + 1 > argv.len() {
        return Err(Error::InvalidArgument);
    }
    argv[0] = slice(name.as_bytes());
    for (slot, a) in argv[1..].iter_mut().zip(args) {
        *slot = slice(a.as_bytes());
    }
    let req = SpawnRequest {
        name: slice(name.as_bytes()),
        argv: argv.as_ptr() as u64,
        argc: (args.len() + 1) as u64,
        handles: handles.as_ptr() as u64,
        handle_count: handles.len() as u64,
        limits,
        stdio,
    };
    let [handle, pid, _] = call(
        sys::SPAWN,
        [&req as *const SpawnRequest as u64, 0, 0, 0, 0, 0],
    )?;
    Ok(Child::from_handle(handle as Handle, pid as Pid))
}

fn decode_status(r: [u64; 3]) -> Result<ExitStatus, Error> {
    ExitStatus::decode(r[0], r[1]).ok_or(Error::InvalidArgument)
}

/// Wait for the process behind handle `h` to end; returns how.
pub fn wait(h: Handle) -> Result<ExitStatus, Error> {
    decode_status(call(sys::WAIT, [h as u64, 0, 0, 0, 0, 0])?)
}

/// The status of the process behind `h` if it has ended (`WouldBlock` if not).
pub fn try_wait(h: Handle) -> Result<ExitStatus, Error> {
    decode_status(call(sys::WAIT, [h as u64, sys::WAIT_NOHANG, 0, 0, 0, 0])?)
}

/// Kill the process behind handle `h` (needs the `KILL` right).
pub fn kill(h: Handle) -> Result<(), Error> {
    call(sys::KILL, [h as u64, 0, 0, 0, 0, 0]).map(|_| ())
}

/// A new process handle to `pid`, a descendant of the caller.
pub fn process_open(pid: Pid) -> Result<Handle, Error> {
    call(sys::PROCESS_OPEN, [pid as u64, 0, 0, 0, 0, 0]).map(|r| r[0] as Handle)
}

/// Let another process run.
pub fn yield_now() {
    let _ = call(sys::YIELD, [0; 6]);
}

/// Sleep at least `ns` nanoseconds.
pub fn sleep_ns(ns: u64) {
    let _ = call(sys::SLEEP, [ns, 0, 0, 0, 0, 0]);
}

/// Sleep at least `ms` milliseconds.
pub fn sleep_ms(ms: u64) {
    sleep_ns(ms.saturating_mul(1_000_000));
}

/// Monotonic nanoseconds since boot.
pub fn clock_ns() -> u64 {
    call(sys::CLOCK, [0; 6]).map_or(0, |r| r[0])
}

/// Write bytes to the console.
pub fn debug_write(bytes: &[u8]) -> Result<(), Error> {
    call(
        sys::DEBUG_WRITE,
        [bytes.as_ptr() as u64, bytes.len() as u64, 0, 0, 0, 0],
    )
    .map(|_| ())
}

/// Read console input into `buf` (at least one byte; sleeps until some).
pub fn console_read(buf: &mut [u8]) -> Result<usize, Error> {
    call(
        sys::CONSOLE_READ,
        [buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0, 0],
    )
    .map(|r| r[0] as usize)
}

/// `console_read` that also takes a pending Ctrl-C (0x03) as data: for an
/// interactive program that handles Ctrl-C itself, like the shell's editor.
pub fn console_read_with_ctrl_c(buf: &mut [u8]) -> Result<usize, Error> {
    call(
        sys::CONSOLE_READ,
        [
            buf.as_mut_ptr() as u64,
            buf.len() as u64,
            sys::CONSOLE_READ_CTRL_C,
            0,
            0,
            0,
        ],
    )
    .map(|r| r[0] as usize)
}

/// Map `len` bytes of zeroed memory at `addr` (0: the kernel chooses).
pub fn mem_map(addr: usize, len: usize, prot: u64) -> Result<usize, Error> {
    call(sys::MEM_MAP, [addr as u64, len as u64, prot, 0, 0, 0]).map(|r| r[0] as usize)
}

/// Unmap `addr..addr+len`; returns the pages freed.
pub fn mem_unmap(addr: usize, len: usize) -> Result<usize, Error> {
    call(sys::MEM_UNMAP, [addr as u64, len as u64, 0, 0, 0, 0]).map(|r| r[0] as usize)
}

/// Information about process `pid` (0 = this process).
pub fn process_info(pid: Pid) -> Result<ProcessInfo, Error> {
    let mut info = ProcessInfo::default();
    let size = core::mem::size_of::<ProcessInfo>() as u64;
    call(
        sys::PROCESS_INFO,
        [
            pid as u64,
            &mut info as *mut ProcessInfo as u64,
            size,
            0,
            0,
            0,
        ],
    )?;
    Ok(info)
}

/// System-wide counters.
pub fn sys_info() -> Result<SysInfo, Error> {
    let mut info = SysInfo::default();
    let size = core::mem::size_of::<SysInfo>() as u64;
    call(
        sys::SYS_INFO,
        [&mut info as *mut SysInfo as u64, size, 0, 0, 0, 0],
    )?;
    Ok(info)
}

/// Hand the user test suite's counts to a kernel test build.
pub fn ktest_report(passed: u64, failed: u64, skipped: u64) -> Result<(), Error> {
    call(sys::KTEST_REPORT, [passed, failed, skipped, 0, 0, 0]).map(|_| ())
}

/// Close a handle.
pub fn handle_close(h: Handle) -> Result<(), Error> {
    call(sys::HANDLE_CLOSE, [h as u64, 0, 0, 0, 0, 0]).map(|_| ())
}

/// A new handle to the same object with `rights` (a subset of h's).
pub fn handle_dup(h: Handle, rights: abi::Rights) -> Result<Handle, Error> {
    call(sys::HANDLE_DUP, [h as u64, rights as u64, 0, 0, 0, 0]).map(|r| r[0] as Handle)
}

/// The object type and rights of a handle.
pub fn handle_info(h: Handle) -> Result<(u64, abi::Rights), Error> {
    call(sys::HANDLE_INFO, [h as u64, 0, 0, 0, 0, 0]).map(|r| (r[0], r[1] as abi::Rights))
}

/// A new channel: its two endpoints.
pub fn channel_create() -> Result<(Handle, Handle), Error> {
    call(sys::CHANNEL_CREATE, [0; 6]).map(|r| (r[0] as Handle, r[1] as Handle))
}

/// Send `data` and move `handles` to the other end. Never blocks.
pub fn channel_send(h: Handle, data: &[u8], handles: &[Handle]) -> Result<(), Error> {
    call(
        sys::CHANNEL_SEND,
        [
            h as u64,
            data.as_ptr() as u64,
            data.len() as u64,
            handles.as_ptr() as u64,
            handles.len() as u64,
            0,
        ],
    )
    .map(|_| ())
}

/// What a receive delivered, or why it did not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecvError {
    /// The message needs buffers of these sizes (bytes, handles); it stays queued.
    TooSmall {
        bytes: usize,
        handles: usize,
    },
    Other(Error),
}

impl From<Error> for RecvError {
    fn from(e: Error) -> Self {
        RecvError::Other(e)
    }
}

/// Receive one message into `buf` and `handles`; returns (bytes, handles).
/// `timeout_ns`: 0 = don't wait (`WouldBlock`), `abi::sys::NO_TIMEOUT` = forever.
pub fn channel_recv(
    h: Handle,
    buf: &mut [u8],
    handles: &mut [Handle],
    timeout_ns: u64,
) -> Result<(usize, usize), RecvError> {
    let (x0, r) = crate::syscall::call_raw(
        sys::CHANNEL_RECV,
        [
            h as u64,
            buf.as_mut_ptr() as u64,
            buf.len() as u64,
            handles.as_mut_ptr() as u64,
            handles.len() as u64,
            timeout_ns,
        ],
    );
    if x0 == 0 {
        return Ok((r[0] as usize, r[1] as usize));
    }
    match Error::from_code(x0) {
        Some(Error::BufferTooSmall) => Err(RecvError::TooSmall {
            bytes: r[0] as usize,
            handles: r[1] as usize,
        }),
        Some(e) => Err(RecvError::Other(e)),
        None => Err(RecvError::Other(Error::InvalidArgument)),
    }
}

/// Wait until one of `handles` is readable or its peer closed; returns the
/// (readable, peer-closed) bit masks. `TimedOut` after `timeout_ns`.
pub fn wait_many(handles: &[Handle], timeout_ns: u64) -> Result<(u64, u64), Error> {
    call(
        sys::WAIT_MANY,
        [
            handles.as_ptr() as u64,
            handles.len() as u64,
            timeout_ns,
            0,
            0,
            0,
        ],
    )
    .map(|r| (r[0], r[1]))
}

/// Send a request on `h` and wait for the reply on the same channel.
pub fn channel_call(
    h: Handle,
    data: &[u8],
    handles: &[Handle],
    reply: &mut [u8],
    reply_handles: &mut [Handle],
    timeout_ns: u64,
) -> Result<(usize, usize), Error> {
    let args = abi::CallArgs {
        send_data: data.as_ptr() as u64,
        send_len: data.len() as u64,
        send_handles: handles.as_ptr() as u64,
        send_handle_count: handles.len() as u64,
        recv_buf: reply.as_mut_ptr() as u64,
        recv_len: reply.len() as u64,
        recv_handles: reply_handles.as_mut_ptr() as u64,
        recv_handle_cap: reply_handles.len() as u64,
    };
    call(
        sys::CHANNEL_CALL,
        [
            h as u64,
            &args as *const abi::CallArgs as u64,
            timeout_ns,
            0,
            0,
            0,
        ],
    )
    .map(|r| (r[0] as usize, r[1] as usize))
}

/// The pids of every process (at most `out.len()`); returns how many.
pub fn process_list(out: &mut [Pid]) -> Result<usize, Error> {
    call(
        sys::PROCESS_LIST,
        [out.as_mut_ptr() as u64, out.len() as u64, 0, 0, 0, 0],
    )
    .map(|r| r[0] as usize)
}

/// Sync file systems and power off (`reboot` false) or reboot.
pub fn power(reboot: bool) -> Result<(), Error> {
    let action = if reboot {
        sys::POWER_REBOOT
    } else {
        sys::POWER_OFF
    };
    call(sys::POWER, [action, 0, 0, 0, 0, 0]).map(|_| ())
}

/// Make Ctrl-C on the console kill the process behind handle `h` (0:
/// nobody; needs the `KILL` right).
pub fn console_foreground(h: Handle) -> Result<(), Error> {
    call(sys::CONSOLE_FOREGROUND, [h as u64, 0, 0, 0, 0, 0]).map(|_| ())
}

/// Read from a file or channel handle (a channel gives one message's
/// bytes; 0 means end of file / peer closed).
pub fn io_read(h: Handle, buf: &mut [u8]) -> Result<usize, Error> {
    call(
        sys::IO_READ,
        [h as u64, buf.as_mut_ptr() as u64, buf.len() as u64, 0, 0, 0],
    )
    .map(|r| r[0] as usize)
}

/// Write to a file or channel handle; returns the bytes written.
pub fn io_write(h: Handle, data: &[u8]) -> Result<usize, Error> {
    call(
        sys::IO_WRITE,
        [h as u64, data.as_ptr() as u64, data.len() as u64, 0, 0, 0],
    )
    .map(|r| r[0] as usize)
}
