//! Process calls: exit, spawn, wait, kill, yield, process and system info.

use super::{ok0, ok1, Ret};
use crate::mm::{frames, usercopy};
use crate::task::sched;
use abi::process::{MAX_ARGS, MAX_ARG_BYTES, MAX_NAME};
use abi::{sys, ArgSlice, Error, ExitStatus, SpawnRequest, SysInfo};
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
    if req.handle_count != 0 {
        return Err(Error::Unsupported);
    }
    let name = copy_in_bytes(req.name, MAX_NAME)?;
    let name = core::str::from_utf8(&name).map_err(|_| Error::InvalidArgument)?;
    let argc = usize::try_from(req.argc).map_err(|_| Error::InvalidArgument)?;
    if argc > MAX_ARGS {
        return Err(Error::InvalidArgument);
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
            return Err(Error::InvalidArgument);
        }
        args.push(arg);
    }
    let arg_refs: Vec<&[u8]> = args.iter().map(|a| a.as_slice()).collect();
    let pid = sched::spawn(sched::current_pid(), name, &arg_refs)?;
    ok1(pid as u64)
}

pub fn wait(pid: u64, flags: u64) -> Ret {
    if flags & !sys::WAIT_NOHANG != 0 {
        return Err(Error::InvalidArgument);
    }
    let pid = u32::try_from(pid).map_err(|_| Error::NotFound)?;
    let status = sched::wait(pid, flags & sys::WAIT_NOHANG != 0)?;
    let (kind, value) = status.encode();
    Ok([kind, value, 0])
}

pub fn kill(pid: u64) -> Ret {
    let pid = u32::try_from(pid).map_err(|_| Error::NotFound)?;
    sched::kill(pid)?;
    ok0()
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
