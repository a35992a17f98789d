//! Process calls: exit, spawn, wait, kill, open a descendant, yield,
//! process and system info. A process is named by a handle (from `spawn` or
//! `process_open`); `process_info` and `process_list` use pids, for display.

use super::{ok0, ok1, ok2, Ret};
use crate::ipc::{Object, Rights};
use crate::mm::{frames, usercopy};
use crate::task::process::ProcessRef;
use crate::task::sched;
use abi::process::{MAX_ARGS, MAX_ARG_BYTES, MAX_NAME};
use abi::{sys, ArgSlice, Error, ExitStatus, SpawnRequest, SysInfo};
use alloc::sync::Arc;
use alloc::vec::Vec;

pub fn exit(code: u64) -> Ret {
    sched::exit_current(ExitStatus::Exited(code as u32 as i32))
}

fn copy_in_bytes(slice: ArgSlice, max: usize) -> Result<Vec<u8>, Error> {
    let len = usize::try_from(slice.len).map_err(|_| Error::InvalidArgument)?;
    if len > max {
        return Err(Error::InvalidArgument);
    }
    let mut buf = alloc::vec![0u8; len];
    usercopy::copy_from_user(&mut buf, slice.ptr as usize)?;
    Ok(buf)
}

pub fn spawn(req: u64) -> Ret {
    let req: SpawnRequest = usercopy::read_struct(req as usize)?;
    let name = copy_in_bytes(req.name, MAX_NAME)?;
    let name = core::str::from_utf8(&name).map_err(|_| Error::InvalidArgument)?;
    let argc = usize::try_from(req.argc).map_err(|_| Error::InvalidArgument)?;
    if argc > MAX_ARGS {
        return Err(Error::InvalidArgument.into());
    }
    let mut args: Vec<Vec<u8>> = Vec::with_capacity(argc);
    let mut total = 0usize;
    for i in 0..argc {
        let at = (req.argv as usize)
            .checked_add(i * core::mem::size_of::<ArgSlice>())
            .ok_or(Error::BadAddress)?;
        let slice: ArgSlice = usercopy::read_struct(at)?;
        let arg = copy_in_bytes(slice, MAX_ARG_BYTES)?;
        total += arg.len();
        if total > MAX_ARG_BYTES {
            return Err(Error::InvalidArgument.into());
        }
        args.push(arg);
    }
    let handle_count = usize::try_from(req.handle_count).map_err(|_| Error::InvalidArgument)?;
    if handle_count > sched::MAX_SPAWN_HANDLES {
        return Err(Error::InvalidArgument.into());
    }
    let mut handles = [0u32; sched::MAX_SPAWN_HANDLES];
    usercopy::copy_from_user(
        as_bytes_mut(&mut handles[..handle_count]),
        req.handles as usize,
    )?;
    let limits = req.limits.iter().enumerate().map(|(i, &v)| match v {
        0 => abi::process::DEFAULT_CHILD_LIMITS[i] as usize,
        v => usize::try_from(v).unwrap_or(usize::MAX),
    });
    let mut amounts = [0usize; abi::process::RESOURCES];
    for (slot, v) in amounts.iter_mut().zip(limits) {
        *slot = v;
    }
    let arg_refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    let spec = sched::SpawnSpec {
        name,
        args: &arg_refs,
        handles: &handles[..handle_count],
        stdio: req.stdio,
        limits: Some(amounts),
    };
    let spawned = sched::spawn(sched::current_pid(), &spec)?;
    ok2(spawned.handle as u64, spawned.process.pid as u64)
}

/// The process behind handle `h`, if the handle has `need` rights.
pub fn process_ref(h: u64, need: Rights) -> Result<Arc<ProcessRef>, Error> {
    let h = u32::try_from(h).map_err(|_| Error::InvalidHandle)?;
    sched::with_current(|table, _| {
        crate::ipc::object_in(table, h, need, |o| match o {
            Object::Process(process) => Some(process.clone()),
            _ => None,
        })
    })?
}

/// View a slice of u32 handle values as bytes (for user copies).
pub fn as_bytes_mut(values: &mut [u32]) -> &mut [u8] {
    // SAFETY: u32 has no invalid bit patterns and no padding.
    unsafe { core::slice::from_raw_parts_mut(values.as_mut_ptr() as *mut u8, values.len() * 4) }
}

pub fn wait(h: u64, flags: u64) -> Ret {
    if flags & !sys::WAIT_NOHANG != 0 {
        return Err(Error::InvalidArgument.into());
    }
    let process = process_ref(h, Rights::READ)?;
    let status = sched::wait(&process, flags & sys::WAIT_NOHANG != 0)?;
    let (kind, value) = status.encode();
    Ok([kind, value, 0])
}

pub fn kill(h: u64) -> Ret {
    let process = process_ref(h, Rights::KILL)?;
    sched::kill(&process);
    ok0()
}

pub fn open(pid: u64) -> Ret {
    let pid = u32::try_from(pid).map_err(|_| Error::NotFound)?;
    let process = sched::open_process(pid)?;
    let h = sched::with_current(|table, _| {
        table
            .insert(Object::Process(process), Rights::PROCESS)
            .map_err(|_| Error::QuotaExceeded)
    })??;
    ok1(h as u64)
}

pub fn yield_now() -> Ret {
    sched::yield_now();
    ok0()
}

pub fn info(pid: u64, out: u64, out_len: u64) -> Ret {
    let pid = u32::try_from(pid).map_err(|_| Error::NotFound)?;
    let info = sched::info(pid)?;
    usercopy::write_struct(out as usize, out_len as usize, &info)?;
    ok0()
}

pub fn sys_info(out: u64, out_len: u64) -> Ret {
    let info = SysInfo {
        free_frames: frames::free_count() as u64,
        total_frames: frames::total_count() as u64,
        processes: sched::count() as u64,
        max_processes: sched::MAX_PROCS as u64,
        uptime_ns: crate::arch::timer::now_ns(),
        page_size: klib::PAGE_SIZE as u64,
    };
    usercopy::write_struct(out as usize, out_len as usize, &info)?;
    ok0()
}
