//! Channel and handle tests: semantics (order, blocking, closing, rights),
//! and the quotas that keep any process or family from exhausting the
//! kernel's pools (see docs/bugs/0001-global-channel-exhaustion.md).

use crate::{check, check_eq, Fail, TestResult};
use alloc::format;
use alloc::vec::Vec;
use rt::abi::ipc::{rights, MAX_MSG_BYTES, MAX_MSG_HANDLES, QUEUE_MAX_MSGS};
use rt::abi::process::resource;
use rt::abi::sys::NO_TIMEOUT;
use rt::abi::ExitStatus;
use rt::sys::{self, Handle, RecvError};
use rt::Error;

const MS: u64 = 1_000_000;

/// Usage counters that must return to their values after each test.
fn usage() -> Result<[u64; 6], Fail> {
    let p = sys::process_info(0)?;
    let free = sys::sys_info()?.free_frames;
    Ok([
        p.used[resource::ENDPOINTS],
        p.used[resource::MESSAGES],
        p.used[resource::MESSAGE_BYTES],
        p.handles_used,
        p.used[resource::PAGES],
        free,
    ])
}

fn recv(h: Handle) -> Result<(Vec<u8>, Vec<Handle>), RecvError> {
    let mut buf = [0u8; MAX_MSG_BYTES];
    let mut hs = [0u32; MAX_MSG_HANDLES];
    let (n, k) = sys::channel_recv(h, &mut buf, &mut hs, 0)?;
    Ok((buf[..n].to_vec(), hs[..k].to_vec()))
}

fn close_all(hs: &[Handle]) {
    for &h in hs {
        let _ = sys::handle_close(h);
    }
}

/// Run `body`, then check that it left no endpoints, messages, handles or
/// pages behind.
fn leak_checked(body: impl FnOnce() -> TestResult) -> TestResult {
    let before = usage()?;
    body()?;
    let after = usage()?;
    check!(
        after == before,
        "usage [endpoints, messages, bytes, handles, pages, free frames] {before:?} -> {after:?}"
    );
    Ok(())
}

pub fn round_trip_with_bytes_and_handles() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        let (c, d) = sys::channel_create()?;
        sys::channel_send(a, b"hello", &[c])?;
        check_eq!(sys::handle_info(c).err(), Some(Error::InvalidHandle)); // moved
        let (data, hs) = recv(b).map_err(|e| format!("{e:?}"))?;
        check_eq!(data.as_slice(), b"hello");
        check_eq!(hs.len(), 1);
        // The received handle works: it is the same endpoint.
        sys::channel_send(hs[0], b"through", &[])?;
        check_eq!(recv(d).map(|m| m.0), Ok(b"through".to_vec()));
        close_all(&[a, b, d, hs[0]]);
        Ok(())
    })
}

pub fn order_preserved_across_handle_transfer() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        let mut extra = Vec::new();
        for i in 0u8..6 {
            if i % 2 == 0 {
                let (x, y) = sys::channel_create()?;
                extra.push(y);
                sys::channel_send(a, &[i], &[x])?;
            } else {
                sys::channel_send(a, &[i], &[])?;
            }
        }
        for i in 0u8..6 {
            let (data, hs) = recv(b).map_err(|e| format!("{e:?}"))?;
            check_eq!(data, [i]);
            check_eq!(hs.len(), if i % 2 == 0 { 1 } else { 0 });
            close_all(&hs);
        }
        close_all(&extra);
        close_all(&[a, b]);
        Ok(())
    })
}

pub fn empty_queue_would_block() -> TestResult {
    let (a, b) = sys::channel_create()?;
    check_eq!(recv(b).err(), Some(RecvError::Other(Error::WouldBlock)));
    check_eq!(recv(a).err(), Some(RecvError::Other(Error::WouldBlock)));
    close_all(&[a, b]);
    Ok(())
}

pub fn send_to_closed_peer_keeps_handles() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        let (x, y) = sys::channel_create()?;
        sys::handle_close(b)?;
        check_eq!(sys::channel_send(a, b"lost?", &[x]), Err(Error::PeerClosed));
        // x is still ours and still works.
        sys::channel_send(x, b"still here", &[])?;
        check_eq!(recv(y).map(|m| m.0), Ok(b"still here".to_vec()));
        close_all(&[a, x, y]);
        Ok(())
    })
}

pub fn peer_drains_then_sees_closed() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        sys::channel_send(a, b"1", &[])?;
        sys::channel_send(a, b"2", &[])?;
        sys::handle_close(a)?;
        check_eq!(recv(b).map(|m| m.0), Ok(b"1".to_vec()));
        check_eq!(recv(b).map(|m| m.0), Ok(b"2".to_vec()));
        check_eq!(recv(b).err(), Some(RecvError::Other(Error::PeerClosed)));
        check_eq!(sys::channel_send(b, b"x", &[]), Err(Error::PeerClosed));
        sys::handle_close(b)?;
        Ok(())
    })
}

pub fn nested_teardown_200_deep() -> TestResult {
    leak_checked(|| {
        // b0 holds b1 in its queue, b1 holds b2, ... 200 deep.
        let (a0, b0) = sys::channel_create()?;
        let mut sender = a0;
        for _ in 0..200 {
            let (x, y) = sys::channel_create()?;
            sys::channel_send(sender, &[], &[y])?;
            sys::handle_close(sender)?;
            sender = x;
        }
        sys::handle_close(sender)?;
        let held = sys::process_info(0)?.used[resource::ENDPOINTS];
        check!(held >= 201, "only {held} endpoints alive in the chain");
        // Closing b0 destroys the whole chain, iteratively, in the kernel.
        sys::handle_close(b0)?;
        Ok(())
    })
}

pub fn oversized_messages_lose_nothing() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        let (x, y) = sys::channel_create()?;
        let big = alloc::vec![0u8; MAX_MSG_BYTES + 1];
        check_eq!(
            sys::channel_send(a, &big, &[x]),
            Err(Error::InvalidArgument)
        );
        let nine = [x; MAX_MSG_HANDLES + 1];
        check_eq!(
            sys::channel_send(a, b"", &nine),
            Err(Error::InvalidArgument)
        );
        check_eq!(
            sys::handle_info(x).map(|i| i.0),
            Ok(rt::abi::ipc::object_type::CHANNEL_ENDPOINT)
        );
        check_eq!(recv(b).err(), Some(RecvError::Other(Error::WouldBlock)));
        // Exactly the maximum is fine.
        sys::channel_send(a, &big[..MAX_MSG_BYTES], &[x])?;
        let (data, hs) = recv(b).map_err(|e| format!("{e:?}"))?;
        check_eq!(data.len(), MAX_MSG_BYTES);
        close_all(&hs);
        close_all(&[a, b, y]);
        Ok(())
    })
}

/// Buffers that start mapped and run off the top of the stack: the copy
/// faults part-way (inline-sized and larger messages, both directions).
/// A faulting send queues nothing and keeps the handles; a faulting
/// receive keeps the message queued.
pub fn faulting_copies_lose_nothing() -> TestResult {
    use rt::abi::layout::STACK_TOP;
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        let (x, y) = sys::channel_create()?;
        let bad = (STACK_TOP - 16) as u64;
        let hs = [x];
        for len in [40u64, 200, MAX_MSG_BYTES as u64] {
            let r = rt::syscall::call(
                rt::abi::sys::CHANNEL_SEND,
                [a as u64, bad, len, hs.as_ptr() as u64, 1, 0],
            );
            check_eq!(r.err(), Some(Error::BadAddress));
            check_eq!(
                sys::handle_info(x).map(|i| i.0),
                Ok(rt::abi::ipc::object_type::CHANNEL_ENDPOINT)
            );
            check_eq!(recv(b).err(), Some(RecvError::Other(Error::WouldBlock)));
        }
        for len in [40usize, 200] {
            let msg = alloc::vec![7u8; len];
            sys::channel_send(a, &msg, &[])?;
            let r = rt::syscall::call(
                rt::abi::sys::CHANNEL_RECV,
                [b as u64, bad, len as u64, 0, 0, 0],
            );
            check_eq!(r.err(), Some(Error::BadAddress));
            check_eq!(recv(b).map(|m| m.0), Ok(msg));
        }
        close_all(&[a, b, x, y]);
        Ok(())
    })
}

pub fn buffer_too_small_keeps_the_message() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        let (x, y) = sys::channel_create()?;
        sys::channel_send(a, b"twelve bytes", &[x])?;
        let mut small = [0u8; 4];
        let r = sys::channel_recv(b, &mut small, &mut [0u32; 1], 0);
        check_eq!(
            r,
            Err(RecvError::TooSmall {
                bytes: 12,
                handles: 1
            })
        );
        let r = sys::channel_recv(b, &mut [0u8; 64], &mut [], 0);
        check_eq!(
            r,
            Err(RecvError::TooSmall {
                bytes: 12,
                handles: 1
            })
        );
        let (data, hs) = recv(b).map_err(|e| format!("{e:?}"))?;
        check_eq!(data.as_slice(), b"twelve bytes");
        close_all(&hs);
        close_all(&[a, b, y]);
        Ok(())
    })
}

pub fn queue_full_then_drained() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        for i in 0..QUEUE_MAX_MSGS {
            check!(
                sys::channel_send(a, &[i as u8], &[]).is_ok(),
                "send {i} refused"
            );
        }
        check_eq!(
            sys::channel_send(a, b"one too many", &[]),
            Err(Error::QueueFull)
        );
        check_eq!(recv(b).map(|m| m.0), Ok([0u8].to_vec()));
        sys::channel_send(a, b"room again", &[])?;
        // Byte bound: a fresh channel fills up with 16 maximal messages.
        let (c, d) = sys::channel_create()?;
        let big = alloc::vec![7u8; MAX_MSG_BYTES];
        let mut sent = 0;
        while sys::channel_send(c, &big, &[]).is_ok() {
            sent += 1;
        }
        check_eq!(sent, rt::abi::ipc::QUEUE_MAX_BYTES / MAX_MSG_BYTES);
        close_all(&[a, b, c, d]);
        Ok(())
    })
}

/// Spawn `chanhog fill` with default limits; returns it and its report channel.
fn start_fill() -> Result<(rt::Child, Handle), Fail> {
    let (mine, theirs) = sys::channel_create()?;
    let child = sys::spawn_with("chanhog", &["fill"], &[theirs], [0; 5])?;
    Ok((child, mine))
}

fn read_report(ch: Handle) -> Result<(u32, u32), Fail> {
    let mut msg = [0u8; 8];
    let (n, _) = sys::channel_recv(ch, &mut msg, &mut [], 5_000 * MS)
        .map_err(|e| format!("report: {e:?}"))?;
    check_eq!(n, 8);
    Ok((
        u32::from_le_bytes([msg[0], msg[1], msg[2], msg[3]]),
        u32::from_le_bytes([msg[4], msg[5], msg[6], msg[7]]),
    ))
}

pub fn endpoint_quota_is_32_and_per_process() -> TestResult {
    leak_checked(|| {
        let (child, ch) = start_fill()?;
        let (endpoints, error) = read_report(ch)?;
        check_eq!(endpoints, 32);
        check_eq!(error, Error::QuotaExceeded.code() as u32);
        // While the child sits at its quota, this process creates channels.
        let (a, b) = sys::channel_create()?;
        close_all(&[a, b]);
        sys::handle_close(ch)?;
        check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        Ok(())
    })
}

pub fn a_family_hits_its_own_quota_only() -> TestResult {
    leak_checked(|| {
        // The family root gets 100 endpoints and 8 process slots. Its
        // children each take 32 endpoints (plus 2 for a report channel),
        // far more in total than the family has: spawns must stop with
        // QuotaExceeded and the children still fill exactly 32 each.
        let mut limits = [0u64; 5];
        limits[resource::ENDPOINTS] = 100;
        limits[resource::PROCESSES] = 8;
        limits[resource::PAGES] = 8 * 4096;
        let before = sys::process_info(0)?.used[resource::ENDPOINTS];
        let child = sys::spawn_with("chanhog", &["family", "8"], &[], limits)?;
        // Lent, not created: our own account carries the family's limit.
        check_eq!(
            sys::process_info(0)?.used[resource::ENDPOINTS],
            before + 100
        );
        // Outside the family, channels keep working.
        let (a, b) = sys::channel_create()?;
        close_all(&[a, b]);
        check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        Ok(())
    })
}

pub fn send_away_then_close_loop_hits_a_limit() -> TestResult {
    leak_checked(|| {
        let (x, y) = sys::channel_create()?;
        let mut rounds = 0;
        let stop = loop {
            let (a, b) = match sys::channel_create() {
                Ok(pair) => pair,
                Err(e) => break e,
            };
            if let Err(e) = sys::channel_send(x, &[], &[b]) {
                close_all(&[a, b]);
                break e;
            }
            sys::handle_close(a)?;
            rounds += 1;
            check!(rounds <= 10_000, "no limit after {rounds} rounds");
        };
        check!(
            stop == Error::QueueFull || stop == Error::QuotaExceeded,
            "stopped with {stop:?}"
        );
        check!(
            rounds <= QUEUE_MAX_MSGS,
            "{rounds} endpoints parked in one queue"
        );
        // Closing the queue's owner frees everything parked in it.
        close_all(&[x, y]);
        Ok(())
    })
}

pub fn channel_cycles_are_refused() -> TestResult {
    leak_checked(|| {
        // a2 parked in b1's queue; then b1 into a2's queue would make the
        // two endpoints keep each other alive once every handle is closed.
        let (a1, a2) = sys::channel_create()?;
        let (b1, b2) = sys::channel_create()?;
        sys::channel_send(b2, b"a2", &[a2])?;
        check_eq!(
            sys::channel_send(a1, b"b1", &[b1]),
            Err(Error::InvalidArgument)
        );
        // Refused with nothing lost: b1 is still ours and usable.
        check_eq!(sys::handle_info(b1).map(|_| ()), Ok(()));
        // Through an unrelated channel, b1 travels fine.
        let (c1, c2) = sys::channel_create()?;
        sys::channel_send(c1, b"b1", &[b1])?;
        close_all(&[a1, b2, c1, c2]);
        Ok(())
    })
}

pub fn blocked_receivers_wake() -> TestResult {
    leak_checked(|| {
        // On timeout.
        let (a, b) = sys::channel_create()?;
        let t0 = sys::clock_ns();
        check_eq!(
            sys::channel_recv(b, &mut [0u8; 8], &mut [], 20 * MS),
            Err(RecvError::Other(Error::TimedOut))
        );
        check!(sys::clock_ns() - t0 >= 20 * MS, "timed out early");
        close_all(&[a, b]);
        // On a send from another process.
        let (mine, theirs) = sys::channel_create()?;
        let child = sys::spawn_with("peer", &["send-after", "20"], &[theirs], [0; 5])?;
        let mut buf = [0u8; 8];
        check_eq!(
            sys::channel_recv(mine, &mut buf, &mut [], NO_TIMEOUT),
            Ok((4, 0))
        );
        check_eq!(&buf[..4], b"ping");
        sys::handle_close(mine)?;
        check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        // On the peer closing.
        let (mine, theirs) = sys::channel_create()?;
        let child = sys::spawn_with("peer", &["close-after", "20"], &[theirs], [0; 5])?;
        check_eq!(
            sys::channel_recv(mine, &mut buf, &mut [], NO_TIMEOUT),
            Err(RecvError::Other(Error::PeerClosed))
        );
        sys::handle_close(mine)?;
        check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        Ok(())
    })
}

pub fn invalid_and_stale_handles_fail_fast() -> TestResult {
    let (a, b) = sys::channel_create()?;
    close_all(&[a, b]);
    let mut buf = [0u8; 8];
    // Stale (closed) and made-up values: immediately InvalidHandle, even
    // when asked to wait forever.
    for h in [a, b, 0, u32::MAX, 0x1234_5678] {
        check_eq!(
            sys::channel_recv(h, &mut buf, &mut [], NO_TIMEOUT),
            Err(RecvError::Other(Error::InvalidHandle))
        );
        check_eq!(sys::channel_send(h, b"x", &[]), Err(Error::InvalidHandle));
        check_eq!(sys::handle_close(h), Err(Error::InvalidHandle));
        check_eq!(sys::wait_many(&[h], NO_TIMEOUT), Err(Error::InvalidHandle));
    }
    // The slot is reused by the next handle, but the old value stays dead.
    let (c, d) = sys::channel_create()?;
    check!(c != a && c != b && d != a && d != b, "stale value reused");
    check_eq!(sys::handle_info(a).err(), Some(Error::InvalidHandle));
    close_all(&[c, d]);
    Ok(())
}

pub fn spawn_exit_cycles_with_channels_leave_no_leak() -> TestResult {
    leak_checked(|| {
        let procs = sys::sys_info()?.processes;
        for i in 0..100 {
            let (mine, theirs) = sys::channel_create()?;
            sys::channel_send(mine, b"queued for the child", &[])?;
            let child = sys::spawn_with("peer", &["close-after", "0"], &[theirs], [0; 5])?;
            let status = child.wait();
            check!(status == Ok(ExitStatus::Exited(0)), "cycle {i}: {status:?}");
            sys::handle_close(mine)?;
        }
        check_eq!(sys::sys_info()?.processes, procs);
        Ok(())
    })
}

pub fn dup_only_drops_rights() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        check_eq!(sys::handle_info(a).map(|i| i.1), Ok(rights::ALL));
        let ro = sys::handle_dup(a, rights::READ | rights::DUPLICATE)?;
        check_eq!(
            sys::handle_info(ro).map(|i| i.1),
            Ok(rights::READ | rights::DUPLICATE)
        );
        check_eq!(
            sys::handle_dup(ro, rights::READ | rights::WRITE),
            Err(Error::AccessDenied)
        );
        let bare = sys::handle_dup(ro, rights::READ)?;
        check_eq!(
            sys::handle_dup(bare, rights::READ),
            Err(Error::AccessDenied)
        );
        check_eq!(sys::handle_dup(a, 0x100), Err(Error::InvalidArgument));
        // A read-only handle cannot send.
        check_eq!(sys::channel_send(ro, b"x", &[]), Err(Error::AccessDenied));
        // The duplicate keeps the endpoint alive after the original closes.
        sys::handle_close(a)?;
        sys::channel_send(b, b"to the dup", &[])?;
        check_eq!(recv(bare).map(|m| m.0), Ok(b"to the dup".to_vec()));
        close_all(&[ro, bare, b]);
        Ok(())
    })
}

pub fn no_transfer_right_no_send() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        let (x, y) = sys::channel_create()?;
        let pinned = sys::handle_dup(x, rights::READ | rights::WRITE)?;
        check_eq!(
            sys::channel_send(a, b"", &[pinned]),
            Err(Error::AccessDenied)
        );
        check_eq!(
            sys::spawn_with("peer", &["echo"], &[pinned], [0; 5]),
            Err(Error::AccessDenied)
        );
        check!(sys::handle_info(pinned).is_ok(), "handle lost");
        close_all(&[a, b, x, y, pinned]);
        Ok(())
    })
}

pub fn bad_sends_keep_handles() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        let (x, y) = sys::channel_create()?;
        check_eq!(
            sys::channel_send(a, b"", &[x, x]),
            Err(Error::InvalidArgument)
        );
        check_eq!(sys::channel_send(a, b"", &[a]), Err(Error::InvalidArgument));
        check_eq!(sys::channel_send(a, b"", &[b]), Err(Error::InvalidArgument));
        check_eq!(
            sys::channel_send(a, b"", &[x, 0xdead]),
            Err(Error::InvalidHandle)
        );
        for h in [a, b, x, y] {
            check!(sys::handle_info(h).is_ok(), "handle {h:#x} lost");
        }
        check_eq!(recv(b).err(), Some(RecvError::Other(Error::WouldBlock)));
        close_all(&[a, b, x, y]);
        Ok(())
    })
}

pub fn spawn_delivers_exactly_the_given_handles() -> TestResult {
    leak_checked(|| {
        let (mine, theirs) = sys::channel_create()?;
        let (other_mine, other_theirs) = sys::channel_create()?;
        let child = sys::spawn_with("peer", &["echo"], &[theirs], [0; 5])?;
        // Moved: gone from here.
        check_eq!(sys::handle_info(theirs).err(), Some(Error::InvalidHandle));
        // The child has exactly one handle (the one we gave it).
        check_eq!(
            sys::process_info(child.pid()).map(|p| p.handles_used),
            Ok(1)
        );
        close_all(&[mine, other_mine, other_theirs]);
        check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        // Bad handle lists are refused and nothing moves.
        let (x, y) = sys::channel_create()?;
        check_eq!(
            sys::spawn_with("peer", &["echo"], &[x, x], [0; 5]),
            Err(Error::InvalidArgument)
        );
        check_eq!(
            sys::spawn_with("peer", &["echo"], &[0xbad], [0; 5]),
            Err(Error::InvalidHandle)
        );
        check!(
            sys::handle_info(x).is_ok(),
            "handle lost by a refused spawn"
        );
        close_all(&[x, y]);
        Ok(())
    })
}

pub fn call_round_trip_through_a_server() -> TestResult {
    leak_checked(|| {
        let (mine, theirs) = sys::channel_create()?;
        let child = sys::spawn_with("peer", &["echo"], &[theirs], [0; 5])?;
        for i in 0u32..50 {
            let mut reply = [0u8; 16];
            let req = i.to_le_bytes();
            check_eq!(
                sys::channel_call(mine, &req, &[], &mut reply, &mut [], NO_TIMEOUT),
                Ok((4, 0))
            );
            check_eq!(&reply[..4], &req);
        }
        // A handle goes there and back.
        let (x, y) = sys::channel_create()?;
        let mut back = [0u32; 1];
        check_eq!(
            sys::channel_call(mine, b"h", &[x], &mut [0u8; 4], &mut back, NO_TIMEOUT),
            Ok((1, 1))
        );
        sys::channel_send(back[0], b"ok", &[])?;
        check_eq!(recv(y).map(|m| m.0), Ok(b"ok".to_vec()));
        close_all(&[back[0], y, mine]);
        check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        Ok(())
    })
}

pub fn wait_many_reports_which() -> TestResult {
    leak_checked(|| {
        let (a, b) = sys::channel_create()?;
        let (c, d) = sys::channel_create()?;
        check_eq!(sys::wait_many(&[b, d], 0), Ok((0, 0)));
        check_eq!(sys::wait_many(&[b, d], 10 * MS), Err(Error::TimedOut));
        sys::channel_send(c, b"x", &[])?;
        check_eq!(sys::wait_many(&[b, d], NO_TIMEOUT), Ok((0b10, 0)));
        sys::handle_close(a)?;
        check_eq!(sys::wait_many(&[b, d], NO_TIMEOUT), Ok((0b10, 0b01)));
        check_eq!(sys::wait_many(&[], 0), Err(Error::InvalidArgument));
        close_all(&[b, c, d]);
        Ok(())
    })
}

pub fn process_info_reports_every_quota() -> TestResult {
    let (mine, theirs) = sys::channel_create()?;
    let child = sys::spawn_with("peer", &["echo"], &[theirs], [0; 5])?;
    let info = sys::process_info(child.pid())?;
    let defaults = rt::abi::process::DEFAULT_CHILD_LIMITS;
    check_eq!(info.limits, defaults);
    check_eq!(info.handles_quota, 64);
    check_eq!(info.handles_used, 1);
    check_eq!(info.used[resource::PROCESSES], 1);
    check!(
        info.used[resource::PAGES] > 4,
        "pages used {}",
        info.used[resource::PAGES]
    );
    check_eq!(info.pages_used, info.used[resource::PAGES]);
    let me = sys::process_info(0)?;
    check!(
        me.used[resource::PAGES] >= defaults[resource::PAGES],
        "the child's pages are lent from ours"
    );
    sys::handle_close(mine)?;
    check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
    Ok(())
}

pub fn killing_a_blocked_receiver_releases_everything() -> TestResult {
    leak_checked(|| {
        // The child sits in channel_recv (and then in wait_many) holding
        // references to its endpoint on its kernel stack.
        for mode in ["echo", "send-after"] {
            let (mine, theirs) = sys::channel_create()?;
            let child = sys::spawn_with("peer", &[mode, "0"], &[theirs], [0; 5])?;
            sys::sleep_ms(5);
            check_eq!(
                sys::process_info(child.pid()).map(|p| p.state),
                Ok(rt::abi::process::state::BLOCKED)
            );
            child.kill()?;
            check_eq!(child.wait(), Ok(ExitStatus::Killed));
            // Its end was closed: we drain what it sent, then see PeerClosed.
            let mut buf = [0u8; 8];
            loop {
                match sys::channel_recv(mine, &mut buf, &mut [], 0) {
                    Ok(_) => continue,
                    Err(e) => {
                        check_eq!(e, RecvError::Other(Error::PeerClosed));
                        break;
                    }
                }
            }
            sys::handle_close(mine)?;
        }
        Ok(())
    })
}

/// Wait until `child` sits blocked (in a receive, its buffers parked at
/// its endpoint).
fn until_blocked(child: &rt::Child) -> TestResult {
    for _ in 0..100 {
        if sys::process_info(child.pid()).map(|p| p.state) == Ok(rt::abi::process::state::BLOCKED) {
            return Ok(());
        }
        sys::sleep_ms(1);
    }
    Err(format!("pid {} never blocked", child.pid()).into())
}

/// A receive parked with buffers that cannot take the message (too small,
/// or not mapped): the send is not handed off but queued, and the receiver
/// gets exactly what its own receive would have got (`BufferTooSmall` with
/// the sizes, `BadAddress`), with the message (and its handle) kept for the
/// next receive.
pub fn parked_receiver_that_cannot_take_the_message_keeps_it() -> TestResult {
    leak_checked(|| {
        let cases = [
            ("recv-small", Error::BufferTooSmall.code(), [12u64, 1]),
            ("recv-bad", Error::BadAddress.code(), [0, 0]),
        ];
        for (mode, code, values) in cases {
            let (mine, theirs) = sys::channel_create()?;
            let (x, y) = sys::channel_create()?;
            let child = sys::spawn_with("peer", &[mode], &[theirs], [0; 5])?;
            until_blocked(&child)?;
            let msg = if mode == "recv-small" {
                &b"twelve bytes"[..]
            } else {
                &[7u8; 40][..]
            };
            let hs: &[Handle] = if mode == "recv-small" { &[x] } else { &[] };
            sys::channel_send(mine, msg, hs)?;
            let mut report = [0u8; 24];
            check_eq!(
                sys::channel_recv(mine, &mut report, &mut [], NO_TIMEOUT),
                Ok((24, 0))
            );
            let word = |i: usize| u64::from_le_bytes(report[8 * i..8 * i + 8].try_into().unwrap());
            check_eq!(
                (mode, word(0), [word(1), word(2)]),
                (mode, code as u64, values)
            );
            // The message was kept: it comes back whole.
            let mut back = [0u8; 64];
            let mut bh = [0u32; 1];
            let got = sys::channel_recv(mine, &mut back, &mut bh, NO_TIMEOUT);
            check_eq!(got, Ok((msg.len(), hs.len())));
            check_eq!(&back[..msg.len()], msg);
            if hs.is_empty() {
                sys::handle_close(x)?;
            } else {
                // The handle made the trip too: it still reaches y.
                sys::channel_send(bh[0], b"ok", &[])?;
                check_eq!(recv(y).map(|m| m.0), Ok(b"ok".to_vec()));
                sys::handle_close(bh[0])?;
            }
            close_all(&[mine, y]);
            check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        }
        Ok(())
    })
}

/// Messages sent to a receiver parked at an empty queue: the first is
/// handed straight to it, the next ones queue behind and come in order.
pub fn handoff_never_overtakes_queued_messages() -> TestResult {
    leak_checked(|| {
        let (mine, theirs) = sys::channel_create()?;
        let child = sys::spawn_with("peer", &["echo"], &[theirs], [0; 5])?;
        for round in 0..3u8 {
            until_blocked(&child)?;
            for i in 0..5u8 {
                sys::channel_send(mine, &[round, i], &[])?;
            }
            for i in 0..5u8 {
                let mut b = [0u8; 8];
                check_eq!(
                    sys::channel_recv(mine, &mut b, &mut [], NO_TIMEOUT),
                    Ok((2, 0))
                );
                check_eq!(&b[..2], &[round, i]);
            }
        }
        sys::handle_close(mine)?;
        check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        Ok(())
    })
}

/// A receiver killed after a message (with a handle) was handed straight
/// into its buffers, before it ran again: the handle, already in its table,
/// is released when it exits, and nothing leaks.
pub fn killed_receiver_after_a_handoff_releases_the_handle() -> TestResult {
    leak_checked(|| {
        let (mine, theirs) = sys::channel_create()?;
        let (x, y) = sys::channel_create()?;
        let child = sys::spawn_with("peer", &["echo"], &[theirs], [0; 5])?;
        until_blocked(&child)?;
        // The send hands off and wakes the child; this process keeps the
        // CPU (a send never switches), so the kill comes first.
        sys::channel_send(mine, b"handed", &[x])?;
        child.kill()?;
        check_eq!(child.wait(), Ok(ExitStatus::Killed));
        check_eq!(
            sys::channel_recv(y, &mut [0u8; 8], &mut [], 0),
            Err(RecvError::Other(Error::PeerClosed))
        );
        close_all(&[mine, y]);
        Ok(())
    })
}

/// A send whose data faults, to a receiver parked for a handoff (a small
/// message copied through registers, and a larger one through a kernel
/// buffer): `BadAddress` for the sender, and the receiver stays parked,
/// untouched, for the next message.
pub fn faulting_send_to_a_parked_receiver_delivers_nothing() -> TestResult {
    use rt::abi::layout::STACK_TOP;
    leak_checked(|| {
        let (mine, theirs) = sys::channel_create()?;
        let child = sys::spawn_with("peer", &["echo"], &[theirs], [0; 5])?;
        let bad = (STACK_TOP - 16) as u64;
        for len in [40u64, 200] {
            until_blocked(&child)?;
            let r = rt::syscall::call(rt::abi::sys::CHANNEL_SEND, [mine as u64, bad, len, 0, 0, 0]);
            check_eq!(r.err(), Some(Error::BadAddress));
            let msg = alloc::vec![len as u8; len as usize];
            sys::channel_send(mine, &msg, &[])?;
            let mut back = [0u8; 256];
            check_eq!(
                sys::channel_recv(mine, &mut back, &mut [], NO_TIMEOUT),
                Ok((len as usize, 0))
            );
            check_eq!(&back[..len as usize], msg.as_slice());
        }
        sys::handle_close(mine)?;
        check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        Ok(())
    })
}

/// What [`svc_checked`] saw: x0..x3 after the call, whether any register
/// the ABI preserves came back changed, and the condition flags.
#[derive(Debug, PartialEq, Eq)]
struct Checked {
    x: [u64; 4],
    clobbered: bool,
    nzcv: u64,
}

/// Flags set before [`svc_checked`]'s call: N and C set, Z and V clear.
const NZCV_BEFORE: u64 = 0xa000_0000;

/// System call `nr` with every register the ABI preserves (x4..x30 but
/// x18, and the condition flags) set to a known value, checked after.
fn svc_checked(nr: u64, args: [u64; 6]) -> Checked {
    let (x0, x1, x2, x3, clobbered, nzcv): (u64, u64, u64, u64, u64, u64);
    // SAFETY: a system call; x19 and x29 (which the compiler reserves) are
    // saved on the stack and restored, every other register written is an
    // output or a clobber, and the stack pointer is restored.
    unsafe {
        core::arch::asm!(
            "sub sp, sp, #96",
            "stp x19, x29, [sp, #64]",
            "stp x4, x5, [sp, #32]",
            "str x8, [sp, #48]",
            "mov x6, #6", "mov x7, #7", "mov x9, #9", "mov x10, #10",
            "mov x11, #11", "mov x12, #12", "mov x13, #13", "mov x14, #14",
            "mov x15, #15", "mov x16, #16", "mov x17, #17", "mov x19, #19",
            "mov x20, #20", "mov x21, #21", "mov x22, #22", "mov x23, #23",
            "mov x24, #24", "mov x25, #25", "mov x26, #26", "mov x27, #27",
            "mov x28, #28", "mov x29, #29",
            "mov x30, #{nzcv}",
            "lsl x30, x30, #28",
            "msr nzcv, x30",
            "mov x30, #30",
            "svc #0",
            "stp x0, x1, [sp, #0]",
            "stp x2, x3, [sp, #16]",
            "mrs x0, nzcv",
            "str x0, [sp, #56]",
            "ldp x0, x1, [sp, #32]",
            "ldr x2, [sp, #48]",
            "cmp x4, x0",
            "ccmp x5, x1, #0, eq",
            "ccmp x8, x2, #0, eq",
            "ccmp x6, #6, #0, eq", "ccmp x7, #7, #0, eq", "ccmp x9, #9, #0, eq",
            "ccmp x10, #10, #0, eq", "ccmp x11, #11, #0, eq", "ccmp x12, #12, #0, eq",
            "ccmp x13, #13, #0, eq", "ccmp x14, #14, #0, eq", "ccmp x15, #15, #0, eq",
            "ccmp x16, #16, #0, eq", "ccmp x17, #17, #0, eq", "ccmp x19, #19, #0, eq",
            "ccmp x20, #20, #0, eq", "ccmp x21, #21, #0, eq", "ccmp x22, #22, #0, eq",
            "ccmp x23, #23, #0, eq", "ccmp x24, #24, #0, eq", "ccmp x25, #25, #0, eq",
            "ccmp x26, #26, #0, eq", "ccmp x27, #27, #0, eq", "ccmp x28, #28, #0, eq",
            "ccmp x29, #29, #0, eq", "ccmp x30, #30, #0, eq",
            "cset x4, ne",
            "ldr x5, [sp, #56]",
            "ldp x0, x1, [sp, #0]",
            "ldp x2, x3, [sp, #16]",
            "ldp x19, x29, [sp, #64]",
            "add sp, sp, #96",
            nzcv = const NZCV_BEFORE >> 28,
            inlateout("x0") args[0] => x0,
            inlateout("x1") args[1] => x1,
            inlateout("x2") args[2] => x2,
            inlateout("x3") args[3] => x3,
            inlateout("x4") args[4] => clobbered,
            inlateout("x5") args[5] => nzcv,
            inlateout("x8") nr => _,
            out("x6") _, out("x7") _, out("x9") _, out("x10") _, out("x11") _,
            out("x12") _, out("x13") _, out("x14") _, out("x15") _, out("x16") _,
            out("x17") _, out("x20") _, out("x21") _, out("x22") _, out("x23") _,
            out("x24") _, out("x25") _, out("x26") _, out("x27") _, out("x28") _,
            out("x30") _,
        );
    }
    Checked {
        x: [x0, x1, x2, x3],
        clobbered: clobbered != 0,
        nzcv,
    }
}

/// Every register the ABI preserves comes back unchanged from the hot
/// calls and their fast paths (the kernel saves only part of them on the
/// way in): a send handed straight to a parked receiver, a receive that
/// parks and is switched away from and back to (no timeout and a finite
/// one), an error return, a yield and an unknown call.
pub fn system_calls_preserve_registers() -> TestResult {
    use rt::abi::sys as nr;
    leak_checked(|| {
        let (mine, theirs) = sys::channel_create()?;
        let child = sys::spawn_with("peer", &["echo"], &[theirs], [0; 5])?;
        let msg = [0x5au8; 32];
        let mut back = [0u8; 64];
        let ok = |x: [u64; 4]| Checked {
            x,
            clobbered: false,
            nzcv: NZCV_BEFORE,
        };
        for timeout in [NO_TIMEOUT, 10_000 * MS] {
            until_blocked(&child)?;
            let send = [mine as u64, msg.as_ptr() as u64, 32, 0, 0, 0];
            check_eq!(svc_checked(nr::CHANNEL_SEND, send), ok([0; 4]));
            let ptr = back.as_mut_ptr() as u64;
            let recv = [mine as u64, ptr, 64, 0, 0, timeout];
            check_eq!(svc_checked(nr::CHANNEL_RECV, recv), ok([0, 32, 0, 0]));
            check_eq!(&back[..32], &msg[..]);
        }
        let empty = [mine as u64, back.as_mut_ptr() as u64, 64, 0, 0, 0];
        let would_block = Error::WouldBlock.code() as u64;
        check_eq!(
            svc_checked(nr::CHANNEL_RECV, empty),
            ok([would_block, 0, 0, 0])
        );
        check_eq!(svc_checked(nr::YIELD, [0; 6]), ok([0; 4]));
        let unsupported = Error::Unsupported.code() as u64;
        check_eq!(svc_checked(0x7fff, [0; 6]), ok([unsupported, 0, 0, 0]));
        sys::handle_close(mine)?;
        check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        Ok(())
    })
}

/// Messages of every size up to a little over the register copy's limit
/// (0..=72 bytes), handed straight to a parked receiver both ways through
/// an echo peer: each arrives whole, and not a byte of the receiving
/// buffer beyond it is written.
pub fn handoff_copies_exactly_the_message() -> TestResult {
    leak_checked(|| {
        let (mine, theirs) = sys::channel_create()?;
        let child = sys::spawn_with("peer", &["echo"], &[theirs], [0; 5])?;
        for len in 0..=72usize {
            let msg: Vec<u8> = (0..len).map(|i| (len * 7 + i) as u8 | 1).collect();
            until_blocked(&child)?;
            sys::channel_send(mine, &msg, &[])?;
            let mut back = [0u8; 128];
            check_eq!(
                sys::channel_recv(mine, &mut back, &mut [], NO_TIMEOUT),
                Ok((len, 0))
            );
            check_eq!(&back[..len], msg.as_slice());
            check!(
                back[len..].iter().all(|&b| b == 0),
                "bytes written past a {len}-byte message"
            );
        }
        sys::handle_close(mine)?;
        check_eq!(child.wait(), Ok(ExitStatus::Exited(0)));
        Ok(())
    })
}
