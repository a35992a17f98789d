//! File-system calls: open, read/write (files and channels), seek, stat,
//! directories, links, sync, working directory, mounts.

use super::process::as_bytes_mut;
use super::{ok0, ok1, Ret};
use crate::fs::{self, file::OpenFile};
use crate::ipc::{Object, Rights};
use crate::mm::usercopy;
use crate::task::sched;
use abi::fs::{kind, open, whence, DirentHeader, MAX_PATH};
use abi::{sys, Error};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// Most bytes moved by one read or write call (larger requests are short).
const MAX_IO: usize = 256 * 1024;

/// Copy a path from user memory and make it absolute.
fn user_path(ptr: u64, len: u64) -> Result<String, Error> {
    let len = usize::try_from(len).map_err(|_| Error::NameTooLong)?;
    if len > MAX_PATH {
        return Err(Error::NameTooLong);
    }
    let mut buf = alloc::vec![0u8; len];
    usercopy::copy_from_user(&mut buf, ptr as usize)?;
    let path = core::str::from_utf8(&buf).map_err(|_| Error::InvalidArgument)?;
    fs::absolute(&sched::current_cwd()?, path)
}

fn handle_value(h: u64) -> Result<u32, Error> {
    u32::try_from(h).map_err(|_| Error::InvalidHandle)
}

/// What a handle for I/O names.
enum IoTarget {
    File(Arc<OpenFile>),
    Channel(Arc<crate::ipc::Endpoint>),
}

fn io_target(h: u64, need: Rights) -> Result<IoTarget, Error> {
    let h = handle_value(h)?;
    sched::with_current(|table, _| {
        crate::ipc::object_in(table, h, need, |o| match o {
            Object::File(f) => Some(IoTarget::File(f.clone())),
            Object::Endpoint(e) => Some(IoTarget::Channel(e.clone())),
            Object::Process(_) => None,
        })
    })?
}

fn open_file(h: u64) -> Result<Arc<OpenFile>, Error> {
    match io_target(h, Rights::NONE)? {
        IoTarget::File(f) => Ok(f),
        IoTarget::Channel(_) => Err(Error::WrongType),
    }
}

pub fn open(path: u64, len: u64, flags: u64, mode: u64) -> Ret {
    let known = open::READ
        | open::WRITE
        | open::CREATE
        | open::TRUNCATE
        | open::APPEND
        | open::EXCLUSIVE
        | open::DIRECTORY;
    if flags & !known != 0 || flags & (open::READ | open::WRITE) == 0 {
        return Err(Error::InvalidArgument.into());
    }
    let path = user_path(path, len)?;
    let create = flags & open::CREATE != 0;
    let node = fs::open_node(&path, create, flags & open::EXCLUSIVE != 0, mode as u32)?;
    let st = fs::stat_of(node)?;
    let is_dir = st.kind == kind::DIRECTORY;
    if flags & open::DIRECTORY != 0 && !is_dir {
        return Err(Error::NotADirectory.into());
    }
    if is_dir && flags & (open::WRITE | open::TRUNCATE) != 0 {
        return Err(Error::IsADirectory.into());
    }
    if flags & open::TRUNCATE != 0 && flags & open::WRITE != 0 {
        fs::truncate(node, 0)?;
    }
    let file = Arc::new(OpenFile::new(node, flags, is_dir));
    let mut rights = Rights::TRANSFER.union(Rights::DUPLICATE);
    if flags & open::READ != 0 {
        rights = rights.union(Rights::READ);
    }
    if flags & open::WRITE != 0 {
        rights = rights.union(Rights::WRITE);
    }
    let h = sched::with_current(|table, _| {
        table
            .insert(Object::File(file), rights)
            .map_err(|_| Error::QuotaExceeded)
    })??;
    ok1(h as u64)
}

pub fn io_read(h: u64, buf: u64, len: u64) -> Ret {
    let len = usize::try_from(len)
        .map_err(|_| Error::InvalidArgument)?
        .min(MAX_IO);
    usercopy::check(buf as usize, len)?;
    match io_target(h, Rights::READ)? {
        IoTarget::File(f) => {
            // Copied straight from the file system's buffers to the user.
            let mut at = buf as usize;
            let mut fault = None;
            let n = f.read_with(len, &mut |chunk| match usercopy::copy_to_user(at, chunk) {
                Ok(()) => {
                    at += chunk.len();
                    true
                }
                Err(e) => {
                    fault = Some(e);
                    false
                }
            })?;
            if let Some(e) = fault {
                return Err(e.into());
            }
            ok1(n as u64)
        }
        IoTarget::Channel(ep) => {
            // One message's bytes; a closed peer is the end of the stream.
            match super::channel::recv_into(&ep, buf, len as u64, sys::NO_TIMEOUT) {
                Ok(n) => ok1(n as u64),
                Err(e) if e.error == Error::PeerClosed => ok1(0),
                Err(e) => Err(e),
            }
        }
    }
}

pub fn io_write(h: u64, data: u64, len: u64) -> Ret {
    let len = usize::try_from(len)
        .map_err(|_| Error::InvalidArgument)?
        .min(MAX_IO);
    match io_target(h, Rights::WRITE)? {
        IoTarget::File(f) => {
            let bytes = usercopy::copy_from_user_vec(data as usize, len)?;
            ok1(f.write(&bytes)? as u64)
        }
        IoTarget::Channel(ep) => {
            let n = len.min(abi::ipc::MAX_MSG_BYTES);
            super::channel::send_bytes(&ep, data, n as u64)?;
            ok1(n as u64)
        }
    }
}

pub fn seek(h: u64, offset: u64, wh: u64) -> Ret {
    let f = open_file(h)?;
    if f.is_dir {
        return Err(Error::IsADirectory.into());
    }
    let mut pos = f.position.lock();
    let base = match wh {
        whence::SET => 0i128,
        whence::CURRENT => *pos as i128,
        whence::END => fs::stat_of(f.node)?.size as i128,
        _ => return Err(Error::InvalidArgument.into()),
    };
    let new = base + offset as i64 as i128;
    if new < 0 || new > u64::MAX as i128 {
        return Err(Error::InvalidArgument.into());
    }
    *pos = new as u64;
    ok1(*pos)
}

pub fn stat(path: u64, len: u64, out: u64, out_len: u64, follow: u64) -> Ret {
    let path = user_path(path, len)?;
    let st = fs::stat(&path, follow != 0)?;
    usercopy::write_struct(out as usize, out_len as usize, &st)?;
    ok0()
}

pub fn fstat(h: u64, out: u64, out_len: u64) -> Ret {
    let f = open_file(h)?;
    let st = fs::stat_of(f.node)?;
    usercopy::write_struct(out as usize, out_len as usize, &st)?;
    ok0()
}

pub fn readdir(h: u64, buf: u64, len: u64) -> Ret {
    let f = open_file(h)?;
    if !f.is_dir {
        return Err(Error::NotADirectory.into());
    }
    let len = usize::try_from(len)
        .map_err(|_| Error::InvalidArgument)?
        .min(64 * 1024);
    let header = core::mem::size_of::<DirentHeader>();
    let mut out: Vec<u8> = Vec::new();
    let mut cookie = f.position.lock();
    while let Some((entry, next)) = fs::readdir(f.node, *cookie)? {
        let reclen = (header + entry.name.len()).next_multiple_of(8);
        if out.len() + reclen > len {
            if out.is_empty() {
                return Err(Error::BufferTooSmall.into());
            }
            break;
        }
        let h = DirentHeader {
            ino: entry.ino,
            reclen: reclen as u16,
            name_len: entry.name.len() as u16,
            kind: entry.kind,
            _pad: [0; 3],
        };
        // SAFETY: viewing a plain-data ABI header as bytes.
        let hb =
            unsafe { core::slice::from_raw_parts(&h as *const DirentHeader as *const u8, header) };
        out.extend_from_slice(hb);
        out.extend_from_slice(&entry.name);
        out.resize(out.len().next_multiple_of(8), 0);
        *cookie = next;
    }
    usercopy::copy_to_user(buf as usize, &out)?;
    ok1(out.len() as u64)
}

pub fn mkdir(path: u64, len: u64, mode: u64) -> Ret {
    fs::mkdir(&user_path(path, len)?, mode as u32)?;
    ok0()
}

pub fn unlink(path: u64, len: u64) -> Ret {
    fs::unlink(&user_path(path, len)?)?;
    ok0()
}

pub fn rmdir(path: u64, len: u64) -> Ret {
    fs::rmdir(&user_path(path, len)?)?;
    ok0()
}

pub fn rename(a: u64, al: u64, b: u64, bl: u64) -> Ret {
    fs::rename(&user_path(a, al)?, &user_path(b, bl)?)?;
    ok0()
}

pub fn link(a: u64, al: u64, b: u64, bl: u64) -> Ret {
    fs::link(&user_path(a, al)?, &user_path(b, bl)?)?;
    ok0()
}

pub fn symlink(target: u64, tl: u64, path: u64, pl: u64) -> Ret {
    let tl = usize::try_from(tl).map_err(|_| Error::NameTooLong)?;
    if tl == 0 || tl > MAX_PATH {
        return Err(Error::InvalidArgument.into());
    }
    let mut t = alloc::vec![0u8; tl];
    usercopy::copy_from_user(&mut t, target as usize)?;
    let t = core::str::from_utf8(&t).map_err(|_| Error::InvalidArgument)?;
    fs::symlink(t, &user_path(path, pl)?)?;
    ok0()
}

pub fn readlink(path: u64, pl: u64, buf: u64, len: u64) -> Ret {
    let target = fs::readlink(&user_path(path, pl)?)?;
    if target.len() > len as usize {
        return Err(Error::BufferTooSmall.into());
    }
    usercopy::copy_to_user(buf as usize, &target)?;
    ok1(target.len() as u64)
}

pub fn ftruncate(h: u64, size: u64) -> Ret {
    let IoTarget::File(f) = io_target(h, Rights::WRITE)? else {
        return Err(Error::WrongType.into());
    };
    if !f.writable() {
        return Err(Error::AccessDenied.into());
    }
    fs::truncate(f.node, size)?;
    ok0()
}

pub fn sync() -> Ret {
    fs::sync_all()?;
    ok0()
}

pub fn statfs(path: u64, len: u64, out: u64, out_len: u64) -> Ret {
    let st = fs::statfs(&user_path(path, len)?)?;
    usercopy::write_struct(out as usize, out_len as usize, &st)?;
    ok0()
}

pub fn chdir(path: u64, len: u64) -> Ret {
    let path = user_path(path, len)?;
    if fs::stat(&path, true)?.kind != kind::DIRECTORY {
        return Err(Error::NotADirectory.into());
    }
    sched::set_cwd(path)?;
    ok0()
}

pub fn getcwd(buf: u64, len: u64) -> Ret {
    let cwd = sched::current_cwd()?;
    if cwd.len() > len as usize {
        return Err(Error::BufferTooSmall.into());
    }
    usercopy::copy_to_user(buf as usize, cwd.as_bytes())?;
    ok1(cwd.len() as u64)
}

pub fn mounts(buf: u64, len: u64) -> Ret {
    let table = fs::mount_table();
    let n = table.len().min(len as usize);
    usercopy::copy_to_user(buf as usize, &table.as_bytes()[..n])?;
    ok1(n as u64)
}

pub fn process_list(buf: u64, cap: u64) -> Ret {
    let mut pids = sched::pids();
    pids.truncate(cap as usize);
    usercopy::copy_to_user(buf as usize, as_bytes_mut(&mut pids))?;
    ok1(pids.len() as u64)
}

pub fn power(action: u64) -> Ret {
    if action != sys::POWER_OFF && action != sys::POWER_REBOOT {
        return Err(Error::InvalidArgument.into());
    }
    let _ = fs::shutdown();
    crate::println!(
        "[power] file systems synced; {}",
        if action == sys::POWER_OFF {
            "powering off"
        } else {
            "rebooting"
        }
    );
    let power = crate::board().power();
    if action == sys::POWER_OFF {
        power.shutdown()
    } else {
        power.reboot()
    }
}

pub fn console_foreground(h: u64) -> Ret {
    let pid = match h {
        0 => 0,
        h => super::process::process_ref(h, crate::ipc::Rights::KILL)?.pid,
    };
    crate::console::set_foreground(pid);
    ok0()
}
