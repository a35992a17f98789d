//! `bench [-q] [-c] [-p]`: the performance suite behind `make bench`
//! (docs/performance.md). Every figure is in guest nanoseconds of the
//! kernel's clock (`clock_ns`), which under QEMU `-icount shift=0` counts
//! guest instructions; each row is the median of several rounds after a
//! warm-up. One line per row: `BENCH <name> <value> <unit>`; supplementary
//! figures are `EXTRA <name> <value> <unit>`, every round is on a `ROUNDS`
//! line, and `BENCH-DONE` ends the run.
//!
//! Each timed span is bracketed by marker instructions (`hint #0x7f` then
//! `movz xzr, #1` / `#2`: no-ops; `#3` marks the program's start) and
//! announced on a `PHASE <k> <name> <ops>` line, so that a QEMU plugin
//! (scripts/bench-insn-plugin.c) can count the instructions each operation
//! executes, idle time excluded, and where.
//!
//! - `bench`: every row except `read_16m_cold`. Leaves `/bench/big` (16 MiB)
//!   and `/bench/d/f0000..f0999` on the disk for the next boot.
//! - `bench -c` (cold): run as the first command after a reboot on the same
//!   disk: `boot_to_prompt`, the cold read of `/bench/big`, and cold
//!   readdir/stat of `/bench/d`.
//! - `-q` (quick): few iterations and small files (the harness test).
//! - `-p`: power off at the end (short, so the typed line fits the UART FIFO).
//! - `--child echo|yield N|nop`: the helper processes the benchmark spawns
//!   (the same binary; the channel is start-up handle 0).
//!
//! It spawns helpers, so it needs process slots: the shell lends its spare
//! budget only to programs named `sh`, so the bench boot starts this binary
//! as `/bench/sh` (see docs/performance.md).
#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec;
use alloc::vec::Vec;
use rt::abi::fs::open;
use rt::abi::sys::NO_TIMEOUT;
use rt::abi::ExitStatus;
use rt::fs::File;
use rt::sys::{self, Handle, RecvError};
use rt::{println, Error};

rt::entry!(main);

/// How hard to push: the full suite or the quick check.
#[derive(Clone, Copy)]
struct Plan {
    rounds: usize,
    fs_rounds: usize,
    syscall_iters: u64,
    ipc_iters: u64,
    yield_iters: u64,
    spawn_iters: u64,
    big_bytes: usize,
    files: usize,
}

const FULL: Plan = Plan {
    rounds: 5,
    fs_rounds: 3,
    syscall_iters: 100_000,
    ipc_iters: 20_000,
    yield_iters: 50_000,
    spawn_iters: 200,
    big_bytes: 16 << 20,
    files: 1000,
};

const QUICK: Plan = Plan {
    rounds: 3,
    fs_rounds: 1,
    syscall_iters: 1000,
    ipc_iters: 200,
    yield_iters: 500,
    spawn_iters: 5,
    big_bytes: 1 << 20,
    files: 50,
};

const CHUNK: usize = 4096;
const BIG: &str = "/bench/big";
const DIR: &str = "/bench/d";
const MIB: f64 = 1024.0 * 1024.0;

fn now() -> u64 {
    sys::clock_ns()
}

/// A no-op the profiling plugin recognises: `hint #0x7f` (unallocated,
/// executes as a no-op) followed by a write of `ID` to the zero register.
#[inline(always)]
fn mark<const ID: u16>() {
    // SAFETY: two no-op instructions.
    unsafe {
        core::arch::asm!("hint #0x7f", "movz xzr, #{id}", id = const ID, options(nomem, nostack))
    };
}

/// Phases are numbered in order: the k-th begin mark (id 1) and the end
/// mark (id 2) after it delimit phase k.
static PHASE: core::sync::atomic::AtomicU16 = core::sync::atomic::AtomicU16::new(0);

/// Start a phase of `ops` operations (a PHASE line, then the mark).
fn phase_begin(name: &str, ops: u64) {
    let k = PHASE.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
    println!("PHASE {k} {name} {ops}");
    begin_mark();
}

#[inline(never)]
fn begin_mark() {
    mark::<1>();
}

#[inline(never)]
fn phase_end() {
    mark::<2>();
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s[s.len() / 2]
}

/// Print every round and the median: `<tag> <name> <median> <unit>`.
fn report(tag: &str, name: &str, rounds: &[f64], unit: &str) {
    let mut line = alloc::string::String::new();
    for v in rounds {
        line.push_str(&alloc::format!(" {v:.1}"));
    }
    println!("ROUNDS {name}{line}");
    println!("{tag} {name} {:.1} {unit}", median(rounds));
}

fn na(name: &str, unit: &str, why: &dyn core::fmt::Display) {
    println!("ERROR {name}: {why}");
    println!("BENCH {name} NA {unit}");
}

fn row(name: &str, unit: &str, r: Result<Vec<f64>, Error>) {
    match r {
        Ok(v) => report("BENCH", name, &v, unit),
        Err(e) => na(name, unit, &e),
    }
}

fn extra(name: &str, unit: &str, r: Result<Vec<f64>, Error>) {
    match r {
        Ok(v) => report("EXTRA", name, &v, unit),
        Err(e) => println!("ERROR {name}: {e}"),
    }
}

/// Warm up with a tenth of `iters`, then time `rounds` runs of `body(iters)`;
/// each result is ns per operation (`ops_per_iter` operations per iteration).
fn timed(
    plan: &Plan,
    name: &str,
    iters: u64,
    ops_per_iter: u64,
    mut body: impl FnMut(u64) -> Result<(), Error>,
) -> Result<Vec<f64>, Error> {
    body((iters / 10).max(1))?;
    let mut out = Vec::new();
    phase_begin(name, plan.rounds as u64 * iters * ops_per_iter);
    for _ in 0..plan.rounds {
        let t0 = now();
        body(iters)?;
        let dt = now() - t0;
        out.push(dt as f64 / (iters * ops_per_iter) as f64);
    }
    phase_end();
    Ok(out)
}

// ---------------------------------------------------------------------
// Helpers (child processes: this same program).

fn child_main(args: &rt::Args) -> i32 {
    let h = rt::startup_handles().first().copied();
    match (args.get(2), h) {
        (Some("nop"), _) => 0,
        (Some("echo"), Some(h)) => {
            let mut buf = vec![0u8; rt::abi::ipc::MAX_MSG_BYTES];
            let mut hs = [0u32; rt::abi::ipc::MAX_MSG_HANDLES];
            loop {
                match sys::channel_recv(h, &mut buf, &mut hs, NO_TIMEOUT) {
                    Ok((n, k)) => {
                        if sys::channel_send(h, &buf[..n], &hs[..k]).is_err() {
                            return 3;
                        }
                    }
                    Err(RecvError::Other(Error::PeerClosed)) => return 0,
                    Err(_) => return 4,
                }
            }
        }
        (Some("yield"), Some(h)) => {
            let n: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
            let mut b = [0u8; 8];
            if sys::channel_send(h, b"ready", &[]).is_err()
                || sys::channel_recv(h, &mut b, &mut [], NO_TIMEOUT).is_err()
            {
                return 3;
            }
            for _ in 0..n {
                sys::yield_now();
            }
            0
        }
        _ => 2,
    }
}

/// A helper child running `bench --child <mode> [arg]` with one end of a
/// new channel; returns it and our end. The child gets the default limits.
fn spawn_helper(me: &str, mode: &str, arg: &str) -> Result<(rt::Child, Handle), Error> {
    let (mine, theirs) = sys::channel_create()?;
    let args: &[&str] = if arg.is_empty() {
        &["--child", mode]
    } else {
        &["--child", mode, arg]
    };
    match sys::spawn_with(me, args, &[theirs], [0; rt::abi::process::RESOURCES]) {
        Ok(child) => Ok((child, mine)),
        Err(e) => {
            let _ = sys::handle_close(mine);
            let _ = sys::handle_close(theirs);
            Err(e)
        }
    }
}

fn expect_exit0(status: ExitStatus) -> Result<(), Error> {
    match status {
        ExitStatus::Exited(0) => Ok(()),
        _ => Err(Error::IoError),
    }
}

fn recv_err(e: RecvError) -> Error {
    match e {
        RecvError::Other(e) => e,
        RecvError::TooSmall { .. } => Error::BufferTooSmall,
    }
}

// ---------------------------------------------------------------------
// CPU rows.

/// An invalid system call number: entry, dispatch, error, exit.
fn sys_unknown() {
    let _ = rt::syscall::call_raw(0x7fff, [0; 6]);
}

fn calibrate() {
    // 2 instructions per iteration: `subs` + `b.ne`.
    let loops: u64 = 10_000_000;
    let mut v = Vec::new();
    for _ in 0..3 {
        let mut n = loops;
        let t0 = now();
        // SAFETY: a register-only countdown loop.
        unsafe {
            core::arch::asm!("1: subs {n}, {n}, #1", "b.ne 1b", n = inout(reg) n, options(nomem, nostack));
        }
        let _ = n;
        v.push(1000.0 * (now() - t0) as f64 / (2 * loops) as f64);
    }
    report("EXTRA", "calib_per_1000_insn", &v, "ns");
}

fn null_syscalls(plan: &Plan) {
    let n = plan.syscall_iters;
    // The row: handle_info on a valid handle, the closest thing to Linux's
    // getppid (a lookup in the caller's own kernel state, results in
    // registers, no memory copied).
    let handle = match sys::channel_create() {
        Ok((a, _b)) => a,
        Err(e) => return na("null_syscall", "ns", &e),
    };
    row(
        "null_syscall",
        "ns",
        timed(plan, "null_syscall", n, 1, |k| {
            for _ in 0..k {
                sys::handle_info(handle)?;
            }
            Ok(())
        }),
    );
    extra(
        "syscall_unknown_nr",
        "ns",
        timed(plan, "syscall_unknown_nr", n, 1, |k| {
            for _ in 0..k {
                sys_unknown();
            }
            Ok(())
        }),
    );
    extra(
        "syscall_clock",
        "ns",
        timed(plan, "syscall_clock", n, 1, |k| {
            for _ in 0..k {
                core::hint::black_box(sys::clock_ns());
            }
            Ok(())
        }),
    );
    extra(
        "syscall_process_info",
        "ns",
        timed(plan, "syscall_process_info", n, 1, |k| {
            for _ in 0..k {
                core::hint::black_box(sys::process_info(0)?);
            }
            Ok(())
        }),
    );
    extra(
        "yield_solo",
        "ns",
        timed(plan, "yield_solo", n, 1, |k| {
            for _ in 0..k {
                sys::yield_now();
            }
            Ok(())
        }),
    );
}

/// Round trips with the echo helper: `send` then `recv` here, `recv` then
/// `send` there (four system calls and two switches, like a pipe
/// ping-pong), with `bytes` of data and optionally one handle each way.
fn channel_rows(plan: &Plan, me: &str) {
    let (child, h) = match spawn_helper(me, "echo", "") {
        Ok(x) => x,
        Err(e) => {
            for name in ["chan_rt_32b", "chan_rt_4k", "chan_rt_handle"] {
                na(name, "ns", &e);
            }
            return;
        }
    };
    let mut buf = vec![0u8; rt::abi::ipc::MAX_MSG_BYTES];
    let msg = vec![0x5au8; rt::abi::ipc::MAX_MSG_BYTES];
    let mut rt_bytes = |bytes: usize, k: u64| -> Result<(), Error> {
        for _ in 0..k {
            sys::channel_send(h, &msg[..bytes], &[])?;
            let (n, _) = sys::channel_recv(h, &mut buf, &mut [], NO_TIMEOUT).map_err(recv_err)?;
            if n != bytes {
                return Err(Error::IoError);
            }
        }
        Ok(())
    };
    let n = plan.ipc_iters;
    row(
        "chan_rt_32b",
        "ns",
        timed(plan, "chan_rt_32b", n, 1, |k| rt_bytes(32, k)),
    );
    row(
        "chan_rt_4k",
        "ns",
        timed(plan, "chan_rt_4k", n, 1, |k| rt_bytes(4096, k)),
    );
    extra(
        "chan_rt_1b",
        "ns",
        timed(plan, "chan_rt_1b", n, 1, |k| rt_bytes(1, k)),
    );

    // One endpoint travels there and back with every message.
    let r = sys::channel_create().and_then(|(x, y)| {
        let mut carried = x;
        let mut buf = [0u8; 64];
        let mut hs = [0u32; 1];
        let res = timed(plan, "chan_rt_handle", n, 1, |k| {
            for _ in 0..k {
                sys::channel_send(h, &msg[..32], &[carried])?;
                let (_, got) =
                    sys::channel_recv(h, &mut buf, &mut hs, NO_TIMEOUT).map_err(recv_err)?;
                if got != 1 {
                    return Err(Error::IoError);
                }
                carried = hs[0];
            }
            Ok(())
        });
        let _ = sys::handle_close(carried);
        let _ = sys::handle_close(y);
        res
    });
    row("chan_rt_handle", "ns", r);

    // The same round trip with channel_call (send + receive in one call).
    let mut reply = [0u8; 64];
    extra(
        "chan_call_32b",
        "ns",
        timed(plan, "chan_call_32b", n, 1, |k| {
            for _ in 0..k {
                sys::channel_call(h, &msg[..32], &[], &mut reply, &mut [], NO_TIMEOUT)?;
            }
            Ok(())
        }),
    );

    let _ = sys::handle_close(h);
    if let Err(e) = child.wait().and_then(expect_exit0) {
        println!("ERROR echo helper: {e}");
    }
}

/// Yield ping-pong: this process and a helper yield in turn; every yield
/// switches to the other one (round robin, nothing else runnable).
fn ctx_switch(plan: &Plan, me: &str) {
    let n = plan.yield_iters;
    let arg = alloc::format!("{n}");
    let mut out = Vec::new();
    // Round 0 is the warm-up.
    for r in 0..=plan.rounds {
        let res = (|| -> Result<f64, Error> {
            let (child, h) = spawn_helper(me, "yield", &arg)?;
            let mut b = [0u8; 8];
            sys::channel_recv(h, &mut b, &mut [], NO_TIMEOUT).map_err(recv_err)?;
            if r > 0 {
                phase_begin("ctx_switch", 2 * n);
            }
            let t0 = now();
            sys::channel_send(h, b"go", &[])?;
            for _ in 0..n {
                sys::yield_now();
            }
            child.wait().and_then(expect_exit0)?;
            let dt = now() - t0;
            if r > 0 {
                phase_end();
            }
            let _ = sys::handle_close(h);
            Ok(dt as f64 / (2 * n) as f64)
        })();
        match res {
            Ok(v) if r > 0 => out.push(v),
            Ok(_) => {}
            Err(e) => return na("ctx_switch", "ns", &e),
        }
    }
    report("BENCH", "ctx_switch", &out, "ns");
}

fn spawn_wait_rows(plan: &Plan, me: &str) {
    let n = plan.spawn_iters;
    let run = |k: u64, name: &str, args: &[&str]| -> Result<(), Error> {
        for _ in 0..k {
            let child = sys::spawn(name, args)?;
            child.wait().and_then(expect_exit0)?;
        }
        Ok(())
    };
    let p = Plan {
        rounds: plan.fs_rounds.max(3),
        ..*plan
    };
    row(
        "spawn_wait",
        "ns",
        timed(&p, "spawn_wait", n, 1, |k| run(k, "/bin/true", &[])),
    );
    extra(
        "spawn_wait_self",
        "ns",
        timed(&p, "spawn_wait_self", n, 1, |k| {
            run(k, me, &["--child", "nop"])
        }),
    );
}

// ---------------------------------------------------------------------
// File system rows.

/// `/bench/d/f0000`-style names without allocating.
struct Name {
    buf: [u8; 16],
}

impl Name {
    fn new() -> Name {
        let mut buf = [0u8; 16];
        buf[..10].copy_from_slice(b"/bench/d/f");
        Name { buf }
    }

    fn get(&mut self, i: usize) -> &str {
        let mut v = i;
        for k in (10..14).rev() {
            self.buf[k] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        core::str::from_utf8(&self.buf[..14]).unwrap_or("")
    }
}

fn ignore_missing(r: Result<(), Error>) -> Result<(), Error> {
    match r {
        Err(Error::NotFound) => Ok(()),
        other => other,
    }
}

fn ignore_exists(r: Result<(), Error>) -> Result<(), Error> {
    match r {
        Err(Error::AlreadyExists) => Ok(()),
        other => other,
    }
}

/// Per round: (write, write+sync) ns for `big_bytes`.
fn write_big(plan: &Plan) -> Result<(u64, u64), Error> {
    ignore_missing(rt::fs::remove_file(BIG))?;
    rt::fs::sync()?;
    let block = [0x61u8; CHUNK];
    let mut f = File::open_with(BIG, open::WRITE | open::CREATE | open::TRUNCATE, 0o644)?;
    let chunks = (plan.big_bytes / CHUNK) as u64;
    phase_begin("write_16m_sync", chunks);
    let t0 = now();
    for _ in 0..chunks {
        if f.write(&block)? != CHUNK {
            return Err(Error::NoSpace);
        }
    }
    let t1 = now();
    rt::fs::sync()?;
    let t2 = now();
    phase_end();
    drop(f);
    Ok((t1 - t0, t2 - t0))
}

struct SmallFiles {
    create: u64,
    create_sync: u64,
    readdir: u64,
    stat: u64,
}

fn small_files(plan: &Plan, name: &mut Name) -> Result<SmallFiles, Error> {
    ignore_exists(rt::fs::create_dir(DIR))?;
    rt::fs::sync()?;
    let data = [0x62u8; 100];
    let files = plan.files as u64;
    phase_begin("create_1000", files);
    let t0 = now();
    for i in 0..plan.files {
        let mut f = File::open_with(
            name.get(i),
            open::WRITE | open::CREATE | open::EXCLUSIVE,
            0o644,
        )?;
        if f.write(&data)? != data.len() {
            return Err(Error::NoSpace);
        }
    }
    let t1 = now();
    rt::fs::sync()?;
    let t2 = now();
    phase_end();

    phase_begin("readdir_1000", files);
    let t3 = now();
    let entries = rt::fs::read_dir(DIR)?.len();
    let t4 = now();
    phase_end();
    if entries != plan.files + 2 {
        return Err(Error::Corrupt);
    }

    phase_begin("stat_1000", files);
    let t5 = now();
    stat_all(plan, name)?;
    let t6 = now();
    phase_end();
    Ok(SmallFiles {
        create: t1 - t0,
        create_sync: t2 - t0,
        readdir: t4 - t3,
        stat: t6 - t5,
    })
}

fn stat_all(plan: &Plan, name: &mut Name) -> Result<(), Error> {
    for i in 0..plan.files {
        if rt::fs::metadata(name.get(i))?.size != 100 {
            return Err(Error::Corrupt);
        }
    }
    Ok(())
}

fn unlink_all(plan: &Plan, name: &mut Name) -> Result<u64, Error> {
    phase_begin("unlink_1000_sync", plan.files as u64);
    let t0 = now();
    for i in 0..plan.files {
        rt::fs::remove_file(name.get(i))?;
    }
    rt::fs::sync()?;
    let dt = now() - t0;
    phase_end();
    Ok(dt)
}

fn fs_rows(plan: &Plan) {
    if let Err(e) = ignore_exists(rt::fs::create_dir("/bench")) {
        println!("ERROR mkdir /bench: {e}");
    }
    let mib = plan.big_bytes as f64 / MIB;
    let rate = |ns: u64| mib / (ns as f64 * 1e-9);
    let (mut w, mut ws) = (Vec::new(), Vec::new());
    let mut err = None;
    for _ in 0..plan.fs_rounds {
        match write_big(plan) {
            Ok((a, b)) => {
                w.push(rate(a));
                ws.push(rate(b));
            }
            Err(e) => {
                err = Some(e);
                break;
            }
        }
    }
    match err {
        None => {
            report("BENCH", "write_16m_sync", &ws, "MiB/s");
            report("EXTRA", "write_16m_nosync", &w, "MiB/s");
        }
        Some(e) => na("write_16m_sync", "MiB/s", &e),
    }

    let per = |ns: u64| ns as f64 / plan.files as f64;
    let mut name = Name::new();
    let (mut c, mut cs, mut rd, mut st, mut ul) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut err = None;
    for r in 0..plan.fs_rounds {
        let res = small_files(plan, &mut name).and_then(|s| {
            c.push(per(s.create));
            cs.push(per(s.create_sync));
            rd.push(per(s.readdir));
            st.push(per(s.stat));
            // The last round's files stay for `bench --cold`.
            if r + 1 < plan.fs_rounds {
                ul.push(per(unlink_all(plan, &mut name)?));
            }
            Ok(())
        });
        if let Err(e) = res {
            err = Some(e);
            break;
        }
    }
    match err {
        None => {
            report("BENCH", "create_1000", &cs, "ns");
            report("EXTRA", "create_1000_nosync", &c, "ns");
            report("BENCH", "stat_1000", &st, "ns");
            report("EXTRA", "readdir_1000", &rd, "ns");
            if !ul.is_empty() {
                report("EXTRA", "unlink_1000_sync", &ul, "ns");
            }
        }
        Some(e) => {
            na("create_1000", "ns", &e);
            na("stat_1000", "ns", &e);
        }
    }
}

/// Read `BIG` in 4 KiB reads; the elapsed ns.
fn read_big(plan: &Plan, phase: &str) -> Result<u64, Error> {
    let mut buf = vec![0u8; CHUNK];
    let mut f = File::open(BIG)?;
    let mut total = 0usize;
    phase_begin(phase, (plan.big_bytes / CHUNK) as u64);
    let t0 = now();
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        total += n;
    }
    let dt = now() - t0;
    phase_end();
    if total != plan.big_bytes {
        return Err(Error::Corrupt);
    }
    Ok(dt)
}

/// The rows of a fresh boot on a disk the previous `bench` wrote.
fn cold_rows(plan: &Plan) {
    let mib = plan.big_bytes as f64 / MIB;
    let rate = |ns: u64| mib / (ns as f64 * 1e-9);
    match read_big(plan, "read_16m_cold") {
        Ok(ns) => report("BENCH", "read_16m_cold", &[rate(ns)], "MiB/s"),
        Err(e) => na("read_16m_cold", "MiB/s", &e),
    }
    // Again: this kernel has no page cache, so file data comes from the
    // device every time; only metadata (inode, indirect blocks) is cached.
    extra(
        "read_16m_again",
        "MiB/s",
        read_big(plan, "read_16m_again").map(|ns| vec![rate(ns)]),
    );
    let per = |ns: u64| ns as f64 / plan.files as f64;
    let mut name = Name::new();
    phase_begin("readdir_1000_cold", plan.files as u64);
    let t0 = now();
    let r = rt::fs::read_dir(DIR).map(|e| e.len());
    let t1 = now();
    phase_end();
    match r {
        Ok(n) if n == plan.files + 2 => report("EXTRA", "readdir_1000_cold", &[per(t1 - t0)], "ns"),
        Ok(n) => println!("ERROR readdir_1000_cold: {n} entries"),
        Err(e) => println!("ERROR readdir_1000_cold: {e}"),
    }
    phase_begin("stat_1000_cold", plan.files as u64);
    let t0 = now();
    let r = stat_all(plan, &mut name);
    let t1 = now();
    phase_end();
    extra("stat_1000_cold", "ns", r.map(|()| vec![per(t1 - t0)]));
}

fn main(args: rt::Args) -> i32 {
    // First thing: the guest clock when the first command starts (and a
    // mark, so the plugin reports the instructions executed until here).
    let started = now();
    mark::<3>();
    if args.get(1) == Some("--child") {
        return child_main(&args);
    }
    let (mut plan, mut cold, mut power_off) = (FULL, false, false);
    for a in args.iter().skip(1) {
        let flags = match a {
            "--quick" => "q",
            "--cold" => "c",
            "--poweroff" => "p",
            _ if a.len() > 1 && a.starts_with('-') && !a.starts_with("--") => &a[1..],
            _ => "?",
        };
        for f in flags.chars() {
            match f {
                'q' => plan = QUICK,
                'c' => cold = true,
                'p' => power_off = true,
                _ => {
                    println!("usage: bench [-q|--quick] [-c|--cold] [-p|--poweroff]");
                    return userprogs::EXIT_USAGE;
                }
            }
        }
    }
    let me = args.get(0).unwrap_or("bench");
    println!(
        "BENCH-START {} {}",
        if cold { "cold" } else { "main" },
        if plan.files == FULL.files {
            "full"
        } else {
            "quick"
        }
    );
    // Meaningful when the bench is the first command typed after boot (as
    // the harness runs it); the harness takes the median over boots.
    println!("BENCH boot_to_prompt {:.1} ns", started as f64);
    let slots = sys::process_info(0).map_or(0, |p| {
        let r = rt::abi::process::resource::PROCESSES;
        p.limits[r].saturating_sub(p.used[r])
    });
    if !cold && slots < 2 {
        println!(
            "NOTE no process slots to start helpers ({slots} free): the shell lends them \
             only to programs named sh; run this binary as /bench/sh"
        );
    }
    if cold {
        cold_rows(&plan);
    } else {
        calibrate();
        null_syscalls(&plan);
        channel_rows(&plan, me);
        ctx_switch(&plan, me);
        spawn_wait_rows(&plan, me);
        fs_rows(&plan);
    }
    println!("BENCH-DONE");
    if power_off {
        if let Err(e) = sys::power(false) {
            println!("ERROR poweroff: {e}");
        }
    }
    0
}
