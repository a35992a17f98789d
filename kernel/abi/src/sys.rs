//! System call numbers (`x8` at `svc #0`). See `docs/syscalls.md`.

/// `exit(code: i32) -> !`
pub const EXIT: u64 = 0;
/// `spawn(req: *const SpawnRequest) -> (process handle, pid)`
pub const SPAWN: u64 = 1;
/// `wait(process handle, flags) -> (kind, value, detail)`: see
/// [`crate::ExitStatus`]; needs `READ`.
pub const WAIT: u64 = 2;
/// `kill(process handle)`: needs `KILL`.
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
/// `console_read(ptr, len, flags) -> n`: at least one byte of console
/// input, sleeping until some arrives. Ctrl-C (0x03) typed while no
/// process is the console's foreground is handed out only with
/// [`CONSOLE_READ_CTRL_C`]; other readers get the bytes around it.
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

/// `open(path, path_len, flags, mode) -> handle`
pub const OPEN: u64 = 21;
/// `io_read(h, buf, len) -> n`: file (at its offset), channel (one
/// message's bytes, waiting; 0 = peer closed), 0 = end of file
pub const IO_READ: u64 = 22;
/// `io_write(h, data, len) -> n`: file (at its offset), channel (one message)
pub const IO_WRITE: u64 = 23;
/// `seek(h, offset, whence) -> new offset`
pub const SEEK: u64 = 24;
/// `stat(path, path_len, out: *mut Stat, out_len, follow)`
pub const STAT: u64 = 25;
/// `fstat(h, out: *mut Stat, out_len)`
pub const FSTAT: u64 = 26;
/// `readdir(h, buf, len) -> n`: packed DirentHeader records; 0 at the end
pub const READDIR: u64 = 27;
/// `mkdir(path, path_len, mode)`
pub const MKDIR: u64 = 28;
/// `unlink(path, path_len)`
pub const UNLINK: u64 = 29;
/// `rmdir(path, path_len)`
pub const RMDIR: u64 = 30;
/// `rename(old, old_len, new, new_len)`
pub const RENAME: u64 = 31;
/// `link(existing, existing_len, new, new_len)`
pub const LINK: u64 = 32;
/// `symlink(target, target_len, path, path_len)`
pub const SYMLINK: u64 = 33;
/// `readlink(path, path_len, buf, len) -> n`
pub const READLINK: u64 = 34;
/// `ftruncate(h, size)`
pub const FTRUNCATE: u64 = 35;
/// `sync()`: write every mounted file system's dirty blocks to disk
pub const SYNC: u64 = 36;
/// `statfs(path, path_len, out: *mut FsStat, out_len)`
pub const STATFS: u64 = 37;
/// `chdir(path, path_len)`
pub const CHDIR: u64 = 38;
/// `getcwd(buf, len) -> n`
pub const GETCWD: u64 = 39;
/// `mounts(buf, len) -> n`: one line per mount, "<dir> <device> <type>\n"
pub const MOUNTS: u64 = 40;
/// `process_list(buf: *mut u32, cap) -> n`: pids of every process
pub const PROCESS_LIST: u64 = 41;
/// `power(action)`: 0 = power off, 1 = reboot (after syncing)
pub const POWER: u64 = 42;
/// `console_foreground(process handle)`: Ctrl-C on the console kills that
/// process (0 = none); needs `KILL`.
pub const CONSOLE_FOREGROUND: u64 = 43;
/// `process_open(pid) -> process handle`: a handle to a descendant of the
/// caller, or (pid 0) to the caller itself (rights
/// [`crate::ipc::rights::PROCESS`]).
pub const PROCESS_OPEN: u64 = 44;

/// `power` actions.
pub const POWER_OFF: u64 = 0;
pub const POWER_REBOOT: u64 = 1;

/// Timeout meaning "wait as long as it takes" (0 means "do not wait").
pub const NO_TIMEOUT: u64 = u64::MAX;

/// `ktest_report(passed, failed, skipped)`: only in kernel test builds, where the
/// user test suite hands its counts to the kernel's summary line.
pub const KTEST_REPORT: u64 = 0xf000;

/// `console_read` flag: take a pending Ctrl-C (0x03) as data (the
/// interactive shell's line editor does).
pub const CONSOLE_READ_CTRL_C: u64 = 1;

/// `wait` flag: return `WouldBlock` instead of sleeping if the process runs.
pub const WAIT_NOHANG: u64 = 1;

/// `mem_map` protection bits.
pub const PROT_READ: u64 = 1;
pub const PROT_WRITE: u64 = 2;
pub const PROT_EXEC: u64 = 4;
