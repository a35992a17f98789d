//! Handle calls: close, duplicate (rights may only shrink), inspect.

use super::{ok0, ok1, ok2, Ret};
use crate::ipc::Rights;
use crate::task::sched;
use abi::Error;

fn value(h: u64) -> Result<u32, Error> {
    u32::try_from(h).map_err(|_| Error::InvalidHandle)
}

pub fn close(h: u64) -> Ret {
    let h = value(h)?;
    let removed = sched::with_current(|table, _| table.remove(h))?;
    let (object, _) = removed.map_err(|_| Error::InvalidHandle)?;
    // Dropped here, outside the process-table lock.
    drop(object);
    ok0()
}

pub fn dup(h: u64, rights: u64) -> Ret {
    let h = value(h)?;
    let wanted = u32::try_from(rights)
        .ok()
        .filter(|r| r & !Rights::ALL.0 == 0)
        .map(Rights)
        .ok_or(Error::InvalidArgument)?;
    let result = sched::with_current(|table, _| {
        let (object, have) = table.get(h).map_err(|_| Error::InvalidHandle)?;
        if !have.contains(Rights::DUPLICATE) || !wanted.is_subset(have) {
            return Err(Error::AccessDenied);
        }
        if table.free() == 0 {
            return Err(Error::QuotaExceeded);
        }
        let copy = object.duplicate();
        table.insert(copy, wanted).map_err(|_| Error::QuotaExceeded)
    })?;
    ok1(result? as u64)
}

pub fn info(h: u64) -> Ret {
    let h = value(h)?;
    let (kind, rights) = sched::with_current(|table, _| {
        table
            .get(h)
            .map(|(o, r)| (o.type_code(), r.0))
            .map_err(|_| Error::InvalidHandle)
    })??;
    ok2(kind, rights as u64)
}
