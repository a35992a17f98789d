//! System call numbers (`x8` at `svc #0`). See `docs/syscalls.md`.

/// `exit(code: i32) -> !`
pub const EXIT: u64 = 0;
/// `spawn(req: *const SpawnRequest) -> pid`
pub const SPAWN: u64 = 1;
/// `wait(pid, flags) -> (kind, value, detail)`: see [`crate::ExitStatus`].
pub const WAIT: u64 = 2;
/// `kill(pid)`
pub const KILL: u64 = 3;
/// `yield()`
pub const YIELD: u64 = 4;
/// `sleep(ns)`
pub const SLEEP: u64 = 5;
/// `clock() -> ns` (monotonic, since boot)
pub const CLOCK: u64 = 6;
/// `debug_write(ptr, len)`: bytes to the console
pub const DEBUG_WRITE: u64 = 7;
/// `mem_map(addr, len, prot) -> addr`: anonymous zeroed pages
pub const MEM_MAP: u64 = 8;
/// `mem_unmap(addr, len)`
pub const MEM_UNMAP: u64 = 9;
/// `process_info(pid, out: *mut ProcessInfo, out_len)`; pid 0 = self
pub const PROCESS_INFO: u64 = 10;
/// `sys_info(out: *mut SysInfo, out_len)`
pub const SYS_INFO: u64 = 11;
/// `console_read(ptr, len) -> n`: at least one byte of console input,
/// sleeping until some arrives
pub const CONSOLE_READ: u64 = 12;
/// `handle_close(h)`
pub const HANDLE_CLOSE: u64 = 13;
/// `handle_dup(h, rights) -> h2`: rights may only shrink
pub const HANDLE_DUP: u64 = 14;
/// `handle_info(h) -> (object type, rights)`
pub const HANDLE_INFO: u64 = 15;
/// `channel_create() -> (h0, h1)`
pub const CHANNEL_CREATE: u64 = 16;
/// `channel_send(h, data, len, handles, handle_count)`
pub const CHANNEL_SEND: u64 = 17;
/// `channel_recv(h, buf, len, handle_buf, handle_cap, timeout_ns) ->
/// (bytes, handles)`; `BufferTooSmall` reports the sizes needed in x1, x2
pub const CHANNEL_RECV: u64 = 18;
/// `wait_many(handles, count, timeout_ns) -> (readable mask, peer-closed mask)`
pub const WAIT_MANY: u64 = 19;
/// `channel_call(h, args: *const CallArgs, timeout_ns) -> (bytes, handles)`
pub const CHANNEL_CALL: u64 = 20;

/// Timeout meaning "wait as long as it takes" (0 means "do not wait").
pub const NO_TIMEOUT: u64 = u64::MAX;

/// `ktest_report(passed, failed)`: only in kernel test builds, where the
/// user test suite hands its counts to the kernel's summary line.
pub const KTEST_REPORT: u64 = 0xf000;

/// `wait` flag: return `WouldBlock` instead of sleeping if the child runs.
pub const WAIT_NOHANG: u64 = 1;

/// `mem_map` protection bits.
pub const PROT_READ: u64 = 1;
pub const PROT_WRITE: u64 = 2;
pub const PROT_EXEC: u64 = 4;
