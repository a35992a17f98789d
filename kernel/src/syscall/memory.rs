//! Memory calls: map and unmap anonymous zeroed pages (the user heap).

use super::{ok1, Ret};
use crate::mm::addrspace::Access;
use crate::task::sched;
use abi::{sys, Error};

pub fn map(addr: u64, len: u64, prot: u64) -> Ret {
    let access = match prot {
        p if p == sys::PROT_READ => Access::ReadOnly,
        p if p == sys::PROT_READ | sys::PROT_WRITE => Access::ReadWrite,
        p if p == sys::PROT_READ | sys::PROT_EXEC => Access::ReadExecute,
        _ => return Err(Error::InvalidArgument.into()),
    };
    let (addr, len) = (addr as usize, len as usize);
    let va = sched::with_current_aspace(|a| {
        let va = if addr == 0 { a.find_free(len)? } else { addr };
        a.map_zeroed(va, len, access).map(|()| va)
    })?;
    ok1(va as u64)
}

pub fn unmap(addr: u64, len: u64) -> Ret {
    let freed = sched::with_current_aspace(|a| a.unmap(addr as usize, len as usize))?;
    ok1(freed as u64)
}
