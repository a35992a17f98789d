//! Channel calls: create, send (never blocks), receive (optionally
//! blocking, with a timeout), wait on several endpoints, and call (send,
//! then wait for the reply on the same channel).
//!
//! A receiver that blocks parks its buffers with the endpoint, and a send
//! that finds it there (and the queue empty) delivers straight into them
//! ([`deliver_direct`]: data and handle values copied into the receiver's
//! address space, handles moved into its table, the receiver woken with
//! its results and switched to as soon as the sender blocks). Whenever
//! that cannot be done exactly as the receiver's own receive would have
//! done it, the message is queued instead and the receiver receives it
//! (or the error) itself.

use super::process::as_bytes_mut;
use super::{ok2, Ret, SysError};
use crate::arch::timer;
use crate::ipc::{Endpoint, HandleTable, InFlight, Object, Rights};
use crate::mm::usercopy;
use crate::task::sched;
use abi::ipc::{MAX_MSG_BYTES, MAX_MSG_HANDLES, MAX_WAIT_HANDLES};
use abi::{sys, CallArgs, Error};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::mem::MaybeUninit;
use klib::ipc::{self as kipc, Bytes, Delivered, Handles, Parked, RecvError, SendError};

fn value(h: u64) -> Result<u32, Error> {
    u32::try_from(h).map_err(|_| Error::InvalidHandle)
}

/// The endpoint behind handle `h` in `table`, if the handle has `need` rights.
fn endpoint_ref(table: &HandleTable, h: u32, need: Rights) -> Result<&Arc<Endpoint>, Error> {
    crate::ipc::object_in(table, h, need, |o| match o {
        Object::Endpoint(ep) => Some(ep),
        _ => None,
    })
}

/// [`endpoint_ref`], as a new reference.
fn endpoint_in(table: &HandleTable, h: u32, need: Rights) -> Result<Arc<Endpoint>, Error> {
    endpoint_ref(table, h, need).cloned()
}

/// The endpoint behind handle `h`, if the handle has `need` rights.
fn endpoint(h: u64, need: Rights) -> Result<Arc<Endpoint>, Error> {
    let h = value(h)?;
    sched::with_current(|table, _| endpoint_in(table, h, need))?
}

/// The counter value at which a wait of `timeout_ns` ends (`None`: never).
fn deadline(timeout_ns: u64) -> Option<u64> {
    (timeout_ns != sys::NO_TIMEOUT)
        .then(|| timer::counter().saturating_add(timer::ns_to_ticks(timeout_ns)))
}

pub fn create() -> Ret {
    let (a, b) = sched::with_current(|table, account| {
        if table.free() < 2 {
            return Err(Error::QuotaExceeded);
        }
        let (a, b) =
            kipc::create_pair(account, crate::ipc::wake).map_err(|_| Error::QuotaExceeded)?;
        let all = Rights::ALL;
        let ha = table
            .insert(Object::Endpoint(a), all)
            .map_err(|_| Error::QuotaExceeded)?;
        let hb = table
            .insert(Object::Endpoint(b), all)
            .map_err(|_| Error::QuotaExceeded)?;
        Ok((ha, hb))
    })??;
    ok2(a as u64, b as u64)
}

/// Write `len` bytes of user memory at `data` into a message being queued:
/// into its inline buffer when small, otherwise into a heap buffer that is
/// not zero-filled first.
fn fill_from_user(bytes: &mut Bytes, data: u64, len: usize) -> Result<(), Error> {
    if let Some(buf) = bytes.inline_mut() {
        return usercopy::copy_from_user(buf, data as usize);
    }
    let mut v: Vec<u8> = Vec::with_capacity(len);
    usercopy::copy_from_user_uninit(&mut v.spare_capacity_mut()[..len], data as usize)?;
    // SAFETY: the copy succeeded, so it initialised the first `len` bytes.
    unsafe { v.set_len(len) };
    bytes.set_heap(v);
    Ok(())
}

/// Hand the message (`len` bytes at `data` in the running process, the
/// handles `values` of its table, all validated) straight to the receiver
/// `p` parked at the peer: the data and the handle values are written into
/// the receiver's buffers in its own address space (through the user-copy
/// routines, so with its EL0 permissions), the handles moved into its
/// table, and it is woken. `Ok(None)` (nothing changed) when the receiver
/// is no longer blocked, its buffers are too small, its handle table is
/// full, or writing its buffers faults: the caller queues the message and
/// the receiver's own receive then reports that (the buffer may have been
/// partly written, as a faulting receive leaves it). `Err` when reading
/// the sender's data faults (the receiver's memory is not touched).
fn deliver_direct(
    mine: Option<&mut HandleTable>,
    waker: &mut sched::Waker,
    p: &Parked,
    data: u64,
    len: usize,
    values: &[u32],
) -> Result<Option<Delivered>, Error> {
    let count = values.len();
    if len > p.len as usize || count > p.hcap as usize {
        return Ok(None);
    }
    let Some(rx) = waker.receiver(p.hint as usize, p.id) else {
        return Ok(None);
    };
    if count == 0 && len.is_multiple_of(8) && len <= usercopy::ACROSS_MAX {
        // Small and word-sized (the common case): through registers.
        match usercopy::copy_across(rx.ttbr0(), p.buf as usize, data as usize, len) {
            Ok(()) => {}
            Err(usercopy::Side::Source) => return Err(Error::BadAddress),
            Err(usercopy::Side::Destination) => return Ok(None),
        }
        rx.wake();
        return Ok(Some(Delivered {
            bytes: len as u32,
            handles: 0,
        }));
    }
    deliver_bounced(mine, rx, p, data, len, values)
}

/// [`deliver_direct`] through a kernel buffer (any size, with handles).
#[inline(never)]
fn deliver_bounced(
    mine: Option<&mut HandleTable>,
    mut rx: sched::Receiver,
    p: &Parked,
    data: u64,
    len: usize,
    values: &[u32],
) -> Result<Option<Delivered>, Error> {
    let count = values.len();
    let mut hv = [0u32; MAX_MSG_HANDLES];
    if count > 0 && rx.handles().peek_next(count, &mut hv).is_err() {
        return Ok(None);
    }
    // Kernel memory in between: the two address spaces are never mapped
    // at once. Read all of it first, so a fault on the sender's side
    // leaves the receiver's memory untouched.
    let mut bounce = [MaybeUninit::<u8>::uninit(); MAX_MSG_BYTES];
    let bounce = &mut bounce[..len];
    usercopy::copy_from_user_uninit(bounce, data as usize)?;
    // SAFETY: the copy succeeded, so every byte of `bounce` is written.
    let bytes = unsafe { &*(bounce as *const [MaybeUninit<u8>] as *const [u8]) };
    let written = usercopy::in_address_space(rx.ttbr0(), || {
        if count > 0 {
            usercopy::copy_to_user(p.hbuf as usize, as_bytes_mut(&mut hv[..count]))?;
        }
        usercopy::copy_to_user(p.buf as usize, bytes)
    });
    if written.is_err() {
        return Ok(None);
    }
    if let Some(mine) = mine {
        for (i, &h) in values.iter().enumerate() {
            let (object, rights) = mine.remove(h).expect("validated handle");
            match rx.handles().insert(object, rights) {
                Ok(v) => debug_assert_eq!(v, hv[i]),
                Err(_) => unreachable!("room for the handles was checked above"),
            }
        }
    }
    rx.wake();
    Ok(Some(Delivered {
        bytes: len as u32,
        handles: count as u32,
    }))
}

/// Send from the current process on `ep`, or (`None`) on the endpoint of
/// its handle `own`: bytes at `data` and the handles whose values are at
/// `handles`. On any error the caller keeps them all.
fn send_from_user(
    ep: Option<&Arc<Endpoint>>,
    own: u32,
    data: u64,
    len: u64,
    handles: u64,
    count: u64,
) -> Result<(), Error> {
    let len = usize::try_from(len).map_err(|_| Error::InvalidArgument)?;
    let count = usize::try_from(count).map_err(|_| Error::InvalidArgument)?;
    if len > MAX_MSG_BYTES || count > MAX_MSG_HANDLES {
        return Err(Error::InvalidArgument);
    }
    let mut values = [0u32; MAX_MSG_HANDLES];
    if count > 0 {
        usercopy::copy_from_user(as_bytes_mut(&mut values[..count]), handles as usize)?;
    }
    let values = &values[..count];
    usercopy::check(data as usize, len)?;

    // One table lock for the lookup, the checks, moving the handles and
    // waking the receiver. Nothing dropped in here can be the last
    // reference to an endpoint: a looked-up endpoint stays in the table,
    // moved handles go into the queue, and the peer is referenced by
    // something other than the handles moved (they cannot be either end).
    sched::with_ipc(|cur| {
        let (table, account, mut waker) = cur.parts();
        if count == 0 {
            // No handles: the endpoint is used where it lies in the table.
            let ep = match ep {
                Some(ep) => ep,
                None => endpoint_ref(table, own, Rights::WRITE)?,
            };
            let direct = |p: &Parked| deliver_direct(None, &mut waker, p, data, len, &[]);
            // SAFETY: one CPU, kernel code is never preempted (IRQs are
            // masked), and `direct` drops no endpoint (see above).
            if unsafe { ep.hand_off(len, 0, direct) }? {
                return Ok(());
            }
            return queue(ep, (len, 0), account, data, Handles::new, &mut waker);
        }
        let looked_up;
        let ep = match ep {
            Some(ep) => ep,
            None => {
                looked_up = endpoint_in(table, own, Rights::WRITE)?;
                &looked_up
            }
        };
        for (i, &h) in values.iter().enumerate() {
            let (object, rights) = table.get(h).map_err(|_| Error::InvalidHandle)?;
            if !rights.contains(Rights::TRANSFER) {
                return Err(Error::AccessDenied);
            }
            // The same handle twice, the channel's own ends through itself,
            // or an endpoint whose queue leads back here (a cycle).
            let cycle = matches!(object, Object::Endpoint(other) if ep.send_would_cycle(other));
            if values[..i].contains(&h) || h == own || cycle {
                return Err(Error::InvalidArgument);
            }
        }
        let direct = |p: &Parked| deliver_direct(Some(table), &mut waker, p, data, len, values);
        // SAFETY: as above; the handles `direct` moves go into the
        // receiver's table, none is dropped.
        if unsafe { ep.hand_off(len, count, direct) }? {
            return Ok(());
        }
        let take = || {
            values
                .iter()
                .map(|&h| {
                    let (object, rights) = table.remove(h).expect("validated handle");
                    InFlight { object, rights }
                })
                .collect()
        };
        queue(ep, (len, count), account, data, take, &mut waker)
    })?
}

/// Queue a message of `len` bytes from user memory at `data` and the
/// `count` handles `take_handles` returns (validated) at `ep`'s peer,
/// waking its receivers.
fn queue(
    ep: &Endpoint,
    (len, count): (usize, usize),
    account: &Arc<klib::account::Account>,
    data: u64,
    take_handles: impl FnOnce() -> Handles<InFlight>,
    waker: &mut sched::Waker,
) -> Result<(), Error> {
    ep.send(
        len,
        count,
        account,
        |bytes| fill_from_user(bytes, data, len),
        take_handles,
        |pid| waker.wake_ipc(pid),
    )
    .map_err(|e| match e {
        SendError::Fault(e) => e,
        SendError::TooBig => Error::InvalidArgument,
        SendError::QueueFull => Error::QueueFull,
        SendError::PeerClosed => Error::PeerClosed,
        SendError::Quota(_) => Error::QuotaExceeded,
    })
}

#[inline]
pub fn send(h: u64, data: u64, len: u64, handles: u64, count: u64) -> Ret {
    if count == 0 && send_fast(h, data, len) {
        return ok2(0, 0);
    }
    send_slow(h, data, len, handles, count)
}

/// [`send`] without the fast path (out of line, so the fast path's code
/// saves only the registers it needs).
#[inline(never)]
fn send_slow(h: u64, data: u64, len: u64, handles: u64, count: u64) -> Ret {
    send_from_user(None, value(h)?, data, len, handles, count)?;
    ok2(0, 0)
}

/// The fast path of [`send`]: bytes only, a multiple of 8 and at most
/// [`usercopy::ACROSS_MAX`], to a receiver parked at the peer with room
/// for them (the request/reply case), in straight-line code under one
/// table lock: no closures over the process table, no reference counting.
/// `false` when any of that does not hold or something fails (the
/// receiver is gone, a fault): nothing has changed then (a faulting write
/// may have left part of the data in the receiver's buffer, as a faulting
/// receive would), and the caller takes the generic path, which does,
/// and reports, everything itself.
#[inline(always)]
fn send_fast(h: u64, data: u64, len: u64) -> bool {
    let len = len as usize;
    if !len.is_multiple_of(8) || len > usercopy::ACROSS_MAX {
        return false;
    }
    let Ok(h) = u32::try_from(h) else {
        return false;
    };
    let Some(mut k) = sched::IpcFast::lock() else {
        return false;
    };
    let Ok(ep) = endpoint_ref(k.handles(), h, Rights::WRITE) else {
        return false;
    };
    let ep: *const Endpoint = &**ep;
    // SAFETY: the endpoint is kept alive by the running process's handle
    // table, which only the running process changes (handle_close, a send
    // with handles, spawn; a direct handoff only adds to a *blocked*
    // receiver's table), and not here.
    let ep = unsafe { &*ep };
    // SAFETY: one CPU, kernel code is never preempted (IRQs are masked),
    // and nothing below drops anything: no endpoint is dropped while
    // `peer` lives.
    let Some(peer) = (unsafe { ep.parked_peer() }) else {
        return false;
    };
    let p = *peer.parked();
    if len > p.len as usize {
        return false;
    }
    let slot = p.hint as usize;
    let Some(ttbr0) = k.receiver_ttbr0(slot, p.id) else {
        return false;
    };
    if usercopy::copy_across(ttbr0, p.buf as usize, data as usize, len).is_err() {
        return false;
    }
    k.wake_served(slot);
    peer.serve(Delivered {
        bytes: len as u32,
        handles: 0,
    });
    true
}

/// Why a receive attempt did not deliver.
enum Refusal {
    TooSmall { bytes: u32, handles: u32 },
    Error(Error),
}

/// How a receive attempt went (small enough to travel in registers).
#[derive(Clone, Copy)]
enum Step {
    /// Received this many bytes and handles.
    Got(u32, u32),
    /// Nothing queued; our buffers are parked at the endpoint.
    Parked,
    /// Nothing queued (and not parked).
    Empty,
    /// The message does not fit: its sizes.
    TooSmall(u32, u32),
    Failed(Error),
}

/// One receive attempt into the current process (whose handle table is
/// `table`): on success the data is in the user's buffer, the handles are
/// in the table and their values in `hbuf`. With `park`, an empty queue
/// parks it at the endpoint if it can ([`RecvError::Parked`]).
fn try_recv(
    ep: &Endpoint,
    table: &mut HandleTable,
    buf: u64,
    len: usize,
    hbuf: u64,
    hcap: usize,
    park: Option<&Parked>,
) -> Step {
    let table = RefCell::new(table);
    let r = ep.recv(
        |m| {
            let (bytes, handles) = (m.data().len(), m.handle_count());
            if bytes > len || handles > hcap {
                return Err(Refusal::TooSmall {
                    bytes: bytes as u32,
                    handles: handles as u32,
                });
            }
            let mut values = [0u32; MAX_MSG_HANDLES];
            if handles > 0 {
                table
                    .borrow()
                    .peek_next(handles, &mut values)
                    .map_err(|_| Refusal::Error(Error::QuotaExceeded))?;
                usercopy::copy_to_user(hbuf as usize, as_bytes_mut(&mut values[..handles]))
                    .map_err(Refusal::Error)?;
            }
            usercopy::copy_to_user(buf as usize, m.data()).map_err(Refusal::Error)?;
            Ok((bytes, values))
        },
        |(n, values), m| {
            let mut table = table.borrow_mut();
            let mut count = 0;
            for h in m.take_handles() {
                let got = table.insert(h.object, h.rights).ok();
                debug_assert_eq!(got, Some(values[count]));
                count += 1;
            }
            Step::Got(n as u32, count as u32)
        },
        park,
    );
    match r {
        Ok(step) => step,
        Err(RecvError::Parked) => Step::Parked,
        Err(RecvError::Empty) => Step::Empty,
        Err(RecvError::PeerClosed) => Step::Failed(Error::PeerClosed),
        Err(RecvError::Refused(Refusal::TooSmall { bytes, handles })) => {
            Step::TooSmall(bytes, handles)
        }
        Err(RecvError::Refused(Refusal::Error(e))) => Step::Failed(e),
    }
}

/// Receive on `ep`, or (`None`) on the endpoint of the current process's
/// handle `own`, waiting up to `timeout_ns` for a message (until the
/// counter reaches `until`, its [`deadline`]).
#[allow(clippy::too_many_arguments)]
fn recv_blocking(
    ep: Option<&Arc<Endpoint>>,
    own: u32,
    buf: u64,
    len: u64,
    hbuf: u64,
    hcap: u64,
    timeout_ns: u64,
    until: Option<u64>,
) -> Ret {
    let len = usize::try_from(len).map_err(|_| Error::InvalidArgument)?;
    let hcap = usize::try_from(hcap)
        .map_err(|_| Error::InvalidArgument)?
        .min(MAX_MSG_HANDLES);
    usercopy::check(buf as usize, len)?;
    let mut held: Option<Arc<Endpoint>> = ep.cloned();
    let mut me = 0;
    loop {
        // The lookup (first time round), the attempt and, when nothing is
        // queued, parking our buffers at the endpoint and going to sleep,
        // all under one lock.
        let attempt = sched::with_ipc(|cur| {
            me = cur.pid();
            let expired = until.is_some_and(|u| timer::counter() >= u);
            let park = (timeout_ns != 0 && !expired).then(|| Parked {
                buf,
                hbuf,
                id: me,
                hint: cur.slot() as u32,
                len: len.min(MAX_MSG_BYTES) as u32,
                hcap: hcap as u32,
            });
            let (table, _, _) = cur.parts();
            let ep = match &held {
                Some(ep) => ep,
                None => match endpoint_in(table, own, Rights::READ) {
                    Ok(ep) => held.insert(ep),
                    Err(e) => return Step::Failed(e),
                },
            };
            let step = try_recv(ep, table, buf, len, hbuf, hcap, park.as_ref());
            if matches!(step, Step::Parked) {
                cur.block_after(until);
            }
            step
        })?;
        match attempt {
            Step::Got(n, h) => return ok2(n as u64, h as u64),
            Step::Parked => {
                // Woken: by a direct handoff (the message is in our buffers
                // and its handles in our table; a killed process releases
                // them when it exits), or to look again.
                let ep = held.as_ref().expect("looked up above");
                if let Some(d) = ep.unpark(me) {
                    return ok2(d.bytes as u64, d.handles as u64);
                }
                if sched::interrupted() {
                    return Err(Error::TimedOut.into());
                }
            }
            Step::TooSmall(bytes, handles) => {
                return Err(SysError {
                    error: Error::BufferTooSmall,
                    values: [bytes as u64, handles as u64, 0],
                })
            }
            Step::Failed(e) => return Err(e.into()),
            Step::Empty if timeout_ns == 0 => return Err(Error::WouldBlock.into()),
            Step::Empty => {
                if until.is_some_and(|u| timer::counter() >= u) {
                    return Err(Error::TimedOut.into());
                }
                // Another receiver is parked here: wait to be woken.
                let ep = held.as_ref().expect("looked up above");
                ep.add_waiter(me);
                let killed = sched::block_ipc(until);
                ep.remove_waiter(me);
                if killed {
                    return Err(Error::TimedOut.into());
                }
            }
        }
    }
}

#[inline]
pub fn recv(h: u64, buf: u64, len: u64, hbuf: u64, hcap: u64, timeout_ns: u64) -> Ret {
    let until = deadline(timeout_ns);
    if let Some(r) = recv_fast(h, buf, len, hbuf, hcap, timeout_ns, until) {
        return r;
    }
    recv_slow(h, buf, len, hbuf, hcap, timeout_ns, until)
}

/// [`recv`] without the fast path (out of line, as [`send_slow`]).
#[inline(never)]
fn recv_slow(
    h: u64,
    buf: u64,
    len: u64,
    hbuf: u64,
    hcap: u64,
    timeout_ns: u64,
    until: Option<u64>,
) -> Ret {
    recv_blocking(None, value(h)?, buf, len, hbuf, hcap, timeout_ns, until)
}

/// The fast path of [`recv`] when it has to wait: nothing queued, the peer
/// alive, nobody else parked. Parks our buffers at the endpoint and sleeps
/// under one table lock, in straight-line code, without holding a
/// reference to the endpoint (see the `SAFETY` notes); once woken, a
/// direct handoff's results are returned straight away, anything else
/// continues in [`recv_blocking`] (same deadline). `None` (nothing has
/// changed) when it does not apply: the caller takes the generic path.
#[inline(always)]
fn recv_fast(
    h: u64,
    buf: u64,
    len: u64,
    hbuf: u64,
    hcap: u64,
    timeout_ns: u64,
    until: Option<u64>,
) -> Option<Ret> {
    if timeout_ns == 0 || until.is_some_and(|u| timer::counter() >= u) {
        return None;
    }
    let own = u32::try_from(h).ok()?;
    usercopy::check(buf as usize, len as usize).ok()?;
    let k = sched::IpcFast::lock()?;
    let ep: *const Endpoint = &**endpoint_ref(k.handles(), own, Rights::READ).ok()?;
    // SAFETY: the endpoint is kept alive by the running process's handle
    // table. Only the running process removes handles from its own table
    // (handle_close, a send with handles, spawn; `terminate` only ends the
    // running process), and a direct handoff only *adds* handles to a
    // blocked receiver's table, so the handle stays put until we have
    // unparked below, blocked or not.
    let ep = unsafe { &*ep };
    let me = k.pid();
    let parked = Parked {
        buf,
        hbuf,
        id: me,
        hint: k.slot() as u32,
        len: len.min(MAX_MSG_BYTES as u64) as u32,
        hcap: hcap.min(MAX_MSG_HANDLES as u64) as u32,
    };
    if !ep.park(&parked) {
        return None;
    }
    k.block(until);
    // Woken (or not blocked at all: killed).
    if let Some(d) = ep.unpark(me) {
        return Some(ok2(d.bytes as u64, d.handles as u64));
    }
    if sched::interrupted() {
        return Some(Err(Error::TimedOut.into()));
    }
    Some(recv_slow(h, buf, len, hbuf, hcap, timeout_ns, until))
}

pub fn wait_many(handles: u64, count: u64, timeout_ns: u64) -> Ret {
    let count = usize::try_from(count).map_err(|_| Error::InvalidArgument)?;
    if count == 0 || count > MAX_WAIT_HANDLES {
        return Err(Error::InvalidArgument.into());
    }
    let mut values = [0u32; MAX_WAIT_HANDLES];
    usercopy::copy_from_user(as_bytes_mut(&mut values[..count]), handles as usize)?;
    let mut eps = Vec::with_capacity(count);
    for &h in &values[..count] {
        eps.push(endpoint(h as u64, Rights::READ)?);
    }
    let until = deadline(timeout_ns);
    let me = sched::current_pid();
    loop {
        let (mut readable, mut closed) = (0u64, 0u64);
        for (i, ep) in eps.iter().enumerate() {
            if ep.readable() {
                readable |= 1 << i;
            }
            if ep.peer_closed() {
                closed |= 1 << i;
            }
        }
        if readable | closed != 0 || timeout_ns == 0 {
            return ok2(readable, closed);
        }
        if until.is_some_and(|u| timer::counter() >= u) {
            return Err(Error::TimedOut.into());
        }
        eps.iter().for_each(|ep| ep.add_waiter(me));
        let killed = sched::block_ipc(until);
        eps.iter().for_each(|ep| ep.remove_waiter(me));
        if killed {
            return Err(Error::TimedOut.into());
        }
    }
}

pub fn call(h: u64, args: u64, timeout_ns: u64) -> Ret {
    let args: CallArgs = usercopy::read_struct(args as usize)?;
    let ep = endpoint(h, Rights::READ.union(Rights::WRITE))?;
    send_from_user(
        Some(&ep),
        value(h)?,
        args.send_data,
        args.send_len,
        args.send_handles,
        args.send_handle_count,
    )?;
    recv_blocking(
        Some(&ep),
        0,
        args.recv_buf,
        args.recv_len,
        args.recv_handles,
        args.recv_handle_cap,
        timeout_ns,
        deadline(timeout_ns),
    )
}

/// Receive one message's bytes (no handles) into user memory at `buf`.
pub fn recv_into(
    ep: &Arc<Endpoint>,
    buf: u64,
    len: u64,
    timeout_ns: u64,
) -> Result<usize, SysError> {
    let [n, _, _] = recv_blocking(
        Some(ep),
        0,
        buf,
        len,
        0,
        0,
        timeout_ns,
        deadline(timeout_ns),
    )?;
    Ok(n as usize)
}

/// Send `len` bytes from user memory at `data` (no handles).
pub fn send_bytes(ep: &Arc<Endpoint>, data: u64, len: u64) -> Result<(), Error> {
    send_from_user(Some(ep), 0, data, len, 0, 0)
}
