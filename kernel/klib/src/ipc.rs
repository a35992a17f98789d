//! Channels: pairs of endpoints, each with a bounded queue of messages that
//! carry bytes and handles. Generic over the handle payload `H` (the
//! kernel's object enum) so the bookkeeping is tested on the host.
//!
//! What this module guarantees:
//! - `send` never blocks; it checks the message size, the peer's queue
//!   bounds (count *and* bytes) and the sender's account *before* taking
//!   the handles, so on any error the caller's handles are untouched.
//! - a queued message stays charged (messages, bytes) to the sender's
//!   account until it is received or destroyed; an endpoint stays charged
//!   to its creator until it is destroyed, wherever its handles are.
//! - when an endpoint is destroyed its peer sees `PeerClosed` once its own
//!   queue is drained, and the handles inside its queued messages are
//!   closed *iteratively*: nested channels of any depth never recurse.
//! - endpoints never keep each other alive in a cycle: a send that would
//!   close one is refused ([`Endpoint::send_would_cycle`]), so reference
//!   counting frees every endpoint no process can reach any more.
//!
//! The message path does no heap work in the common case: data up to
//! [`INLINE_BYTES`] and a single handle are stored inside the message, the
//! queue and the waiter list keep their capacity, and the sender's
//! account is charged under one lock.
//!
//! **Direct handoff.** A receiver about to block leaves a [`Parked`]
//! descriptor (where it wants the data and handles, and how much room it
//! has) with its endpoint ([`Endpoint::park`]). A sender that finds the
//! queue empty and a receiver parked offers the message to it first
//! ([`Endpoint::hand_off`]): the caller's `deliver` copies straight into
//! the receiver's buffers and the endpoint records what was delivered,
//! which the receiver collects when it wakes ([`Endpoint::unpark`]). Such
//! a message is received the instant it is sent: it is never queued, so it
//! is never charged to the sender. A handoff only happens on an empty
//! queue, so it never overtakes a queued message; when `deliver` declines
//! (buffer too small, a fault in the receiver's memory, a full handle
//! table) the sender queues the message as usual and wakes the receiver,
//! which then receives it (or gets the error) through the queue.

use crate::account::{Account, Amounts, QuotaExceeded, Resource, RESOURCES};
use alloc::collections::VecDeque;
use alloc::sync::{Arc, Weak};
use alloc::vec::Vec;
use spin::{Mutex, MutexGuard};

/// Largest message: bytes and handles.
pub const MAX_MSG_BYTES: usize = 4096;
pub const MAX_MSG_HANDLES: usize = 8;
/// Bounds of one endpoint's incoming queue.
pub const QUEUE_MAX_MSGS: usize = 32;
pub const QUEUE_MAX_BYTES: usize = 64 * 1024;
/// Message data up to this size is kept inside the message (no heap).
pub const INLINE_BYTES: usize = 64;

/// A handle payload that may itself be a channel endpoint.
pub trait Payload: Sized {
    /// The endpoint inside, or the payload back if it is something else.
    fn into_endpoint(self) -> Result<Arc<Endpoint<Self>>, Self>;
    /// The endpoint inside, if it is one (without moving it).
    fn as_endpoint(&self) -> Option<&Arc<Endpoint<Self>>>;
}

/// A message's data: inline when small, on the heap otherwise. Its length
/// is fixed when the message is queued (and charged for it).
pub struct Bytes {
    len: u16,
    repr: BytesRepr,
}

enum BytesRepr {
    Inline([u8; INLINE_BYTES]),
    Heap(Vec<u8>),
}

impl Bytes {
    /// What `send` puts in a new message of `len` bytes before filling
    /// it: `len` zeroed inline bytes if they fit, otherwise no heap buffer
    /// yet.
    fn empty_for(len: usize) -> Self {
        Bytes {
            len: len as u16,
            repr: if len <= INLINE_BYTES {
                BytesRepr::Inline([0; INLINE_BYTES])
            } else {
                BytesRepr::Heap(Vec::new())
            },
        }
    }

    /// The inline bytes, to be written (`None` when on the heap).
    #[inline]
    pub fn inline_mut(&mut self) -> Option<&mut [u8]> {
        match &mut self.repr {
            BytesRepr::Inline(buf) => Some(&mut buf[..self.len as usize]),
            BytesRepr::Heap(_) => None,
        }
    }

    /// Give the data as `v` on the heap (it must be [`len`](Self::len)
    /// bytes long).
    pub fn set_heap(&mut self, v: Vec<u8>) {
        self.repr = BytesRepr::Heap(v);
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.repr {
            BytesRepr::Inline(buf) => &buf[..self.len as usize],
            BytesRepr::Heap(v) => v,
        }
    }

    /// The message's length (what it is charged for).
    #[inline]
    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the data is stored inline.
    pub fn is_inline(&self) -> bool {
        matches!(self.repr, BytesRepr::Inline(_))
    }
}

const _: () = assert!(MAX_MSG_BYTES <= u16::MAX as usize);

/// The handles a message carries: none or one without a heap allocation.
pub struct Handles<H>(HandlesRepr<H>);

enum HandlesRepr<H> {
    None,
    One(H),
    Many(Vec<H>),
}

impl<H> Handles<H> {
    pub const fn new() -> Self {
        Handles(HandlesRepr::None)
    }

    pub fn len(&self) -> usize {
        match &self.0 {
            HandlesRepr::None => 0,
            HandlesRepr::One(_) => 1,
            HandlesRepr::Many(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The handles, in order, without taking them.
    pub fn as_slice(&self) -> &[H] {
        match &self.0 {
            HandlesRepr::None => &[],
            HandlesRepr::One(h) => core::slice::from_ref(h),
            HandlesRepr::Many(v) => v,
        }
    }

    pub fn push(&mut self, h: H) {
        self.0 = match core::mem::replace(&mut self.0, HandlesRepr::None) {
            HandlesRepr::None => HandlesRepr::One(h),
            HandlesRepr::One(first) => {
                let mut v = Vec::with_capacity(MAX_MSG_HANDLES);
                v.push(first);
                v.push(h);
                HandlesRepr::Many(v)
            }
            HandlesRepr::Many(mut v) => {
                v.push(h);
                HandlesRepr::Many(v)
            }
        };
    }
}

impl<H> Default for Handles<H> {
    fn default() -> Self {
        Self::new()
    }
}

impl<H> From<Vec<H>> for Handles<H> {
    fn from(v: Vec<H>) -> Self {
        v.into_iter().collect()
    }
}

impl<H> FromIterator<H> for Handles<H> {
    fn from_iter<I: IntoIterator<Item = H>>(iter: I) -> Self {
        let mut hs = Handles::new();
        for h in iter {
            hs.push(h);
        }
        hs
    }
}

/// Iterator over the handles taken out of a message.
pub struct HandlesIter<H>(HandlesIterRepr<H>);

enum HandlesIterRepr<H> {
    One(Option<H>),
    Many(alloc::vec::IntoIter<H>),
}

impl<H> Iterator for HandlesIter<H> {
    type Item = H;
    fn next(&mut self) -> Option<H> {
        match &mut self.0 {
            HandlesIterRepr::One(h) => h.take(),
            HandlesIterRepr::Many(it) => it.next(),
        }
    }
}

impl<H> IntoIterator for Handles<H> {
    type Item = H;
    type IntoIter = HandlesIter<H>;
    fn into_iter(self) -> HandlesIter<H> {
        HandlesIter(match self.0 {
            HandlesRepr::None => HandlesIterRepr::One(None),
            HandlesRepr::One(h) => HandlesIterRepr::One(Some(h)),
            HandlesRepr::Many(v) => HandlesIterRepr::Many(v.into_iter()),
        })
    }
}

/// A message in a queue. Dropping it releases its charge to the sender.
pub struct Message<H> {
    data: Bytes,
    handles: Handles<H>,
    charged_to: Arc<Account>,
}

/// What one message is charged: one message and its bytes.
fn message_charge(bytes: usize) -> Amounts {
    let mut charge = [0; RESOURCES];
    charge[Resource::Messages as usize] = 1;
    charge[Resource::MessageBytes as usize] = bytes;
    charge
}

impl<H> Message<H> {
    #[inline]
    pub fn data(&self) -> &[u8] {
        self.data.as_slice()
    }

    #[inline]
    pub fn handle_count(&self) -> usize {
        self.handles.len()
    }

    /// Move the handles out (the receiver installs them).
    pub fn take_handles(&mut self) -> Handles<H> {
        core::mem::take(&mut self.handles)
    }
}

impl<H> Drop for Message<H> {
    fn drop(&mut self) {
        self.charged_to
            .release_all(&message_charge(self.data.len()));
    }
}

/// Why `send` failed. The caller's handles were not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendError<E = ()> {
    /// The caller's `fill` failed (e.g. a bad user address).
    Fault(E),
    /// More than MAX_MSG_BYTES or MAX_MSG_HANDLES.
    TooBig,
    /// The peer's queue is at its message or byte bound.
    QueueFull,
    /// The other end is gone.
    PeerClosed,
    /// The sender's account cannot carry another message.
    Quota(QuotaExceeded),
}

/// Why `recv` did not deliver.
#[derive(Debug, PartialEq, Eq)]
pub enum RecvError<E> {
    /// Nothing queued, peer alive.
    Empty,
    /// Nothing queued, peer alive, and the caller's [`Parked`] descriptor
    /// was left here (see [`Endpoint::recv`]).
    Parked,
    /// Nothing queued and the peer is gone.
    PeerClosed,
    /// The caller's check refused the front message; it stays queued.
    Refused(E),
}

/// Where a receiver blocked on an endpoint wants its next message (see
/// the module documentation). The addresses are the caller's business:
/// this module only stores them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Parked {
    /// Data buffer.
    pub buf: u64,
    /// Buffer for the handle values.
    pub hbuf: u64,
    /// Who is waiting (the id `wake` gets).
    pub id: u32,
    /// The caller's hint for finding the receiver (e.g. its table slot).
    pub hint: u32,
    /// Room in `buf` (bytes; anything above [`MAX_MSG_BYTES`] is as good
    /// as `MAX_MSG_BYTES`) and in `hbuf` (handles).
    pub len: u32,
    pub hcap: u32,
}

/// What a direct handoff gave a parked receiver.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub bytes: u32,
    pub handles: u32,
}

/// Whether a receiver is parked at an endpoint, and served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Park {
    None,
    Waiting,
    Served,
}

struct State<H: Payload> {
    queue: VecDeque<Message<H>>,
    queued_bytes: usize,
    peer: Weak<Endpoint<H>>,
    peer_closed: bool,
    /// Ids of threads sleeping until this endpoint becomes readable. Woken
    /// ids are drained, not taken, so the vector keeps its capacity.
    waiters: Vec<u32>,
    /// At most one receiver parked here for a direct handoff (others wait
    /// in `waiters`): `parked` is meaningful unless `park` is `None`,
    /// `served` once it is `Served`.
    park: Park,
    parked: Parked,
    served: Delivered,
}

/// A receiver parked at an endpoint, found by a sender with the
/// endpoint's state locked ([`Endpoint::parked_peer`]).
pub struct ParkedPeer<'a, H: Payload> {
    st: MutexGuard<'a, State<H>>,
}

impl<H: Payload> ParkedPeer<'_, H> {
    /// Where it wants the message, and how much room it has.
    #[inline]
    pub fn parked(&self) -> &Parked {
        &self.st.parked
    }

    /// The message has been delivered into its buffers: it collects `d`
    /// with [`Endpoint::unpark`] when it runs (the caller wakes it).
    #[inline]
    pub fn serve(mut self, d: Delivered) {
        self.st.park = Park::Served;
        self.st.served = d;
    }
}

/// One end of a channel.
pub struct Endpoint<H: Payload> {
    state: Mutex<State<H>>,
    creator: Arc<Account>,
    /// Wakes this endpoint's waiters when its peer is destroyed (`send`
    /// wakes through the function its caller passes).
    wake: fn(u32),
}

/// The two ends of a new channel.
pub type Pair<H> = (Arc<Endpoint<H>>, Arc<Endpoint<H>>);

/// Create a channel: two endpoints, charged to `account`, whose waiters
/// are woken with `wake` when the other end is destroyed.
pub fn create_pair<H: Payload>(
    account: &Arc<Account>,
    wake: fn(u32),
) -> Result<Pair<H>, QuotaExceeded> {
    account.charge(Resource::Endpoints, 2)?;
    let make = || Endpoint {
        state: Mutex::new(State {
            queue: VecDeque::new(),
            queued_bytes: 0,
            peer: Weak::new(),
            peer_closed: false,
            waiters: Vec::new(),
            park: Park::None,
            parked: Parked::default(),
            served: Delivered::default(),
        }),
        creator: account.clone(),
        wake,
    };
    let a = Arc::new(make());
    let b = Arc::new(make());
    a.state.lock().peer = Arc::downgrade(&b);
    b.state.lock().peer = Arc::downgrade(&a);
    Ok((a, b))
}

impl<H: Payload> Endpoint<H> {
    /// Whether sending endpoint `x` through this endpoint must be refused:
    /// `x` is this endpoint, or the peer (whose queue the message joins)
    /// can be reached from `x` through queued messages (`x` is the peer, or
    /// a message queued at `x` carries the peer, or carries an endpoint
    /// whose queue does, ...). Accepting such a send would make endpoints
    /// keep each other alive with nobody able to receive from them: a
    /// leak no process exit could undo. Refusing every one keeps the graph
    /// "endpoint -> endpoints in its queue" acyclic, so reference counting
    /// frees whatever becomes unreachable. The walk visits only endpoints
    /// queued under `x`, so the common case (nothing queued at `x`) is one
    /// lock and no allocation.
    pub fn send_would_cycle(&self, x: &Arc<Endpoint<H>>) -> bool {
        if core::ptr::eq(self, Arc::as_ptr(x)) {
            return true;
        }
        let peer = self.state.lock().peer.as_ptr();
        let mut seen: Vec<*const Endpoint<H>> = Vec::new();
        let mut work: Vec<Arc<Endpoint<H>>> = Vec::new();
        let mut at = x.clone();
        loop {
            if Arc::as_ptr(&at) == peer {
                return true;
            }
            if !seen.contains(&Arc::as_ptr(&at)) {
                seen.push(Arc::as_ptr(&at));
                let st = at.state.lock();
                let queued = st.queue.iter().flat_map(|m| m.handles.as_slice());
                work.extend(queued.filter_map(|h| h.as_endpoint()).cloned());
            }
            match work.pop() {
                Some(next) => at = next,
                None => return false,
            }
        }
    }

    /// Queue a message of `len` bytes for the peer. Once the bounds and the
    /// sender's account have been checked, `fill` writes the data into the
    /// message in its queue slot (no copy of the message afterwards): the
    /// inline buffer when `len` is at most [`INLINE_BYTES`], otherwise it
    /// must [`Bytes::set_heap`] exactly `len` bytes. If `fill` fails the
    /// message is withdrawn ([`SendError::Fault`]). Only then is
    /// `take_handles` called, which must return `handle_count` handles.
    /// The peer's waiters are passed to `wake` (with the peer's queue
    /// locked: `wake` must not touch this channel).
    pub fn send<E>(
        &self,
        len: usize,
        handle_count: usize,
        sender: &Arc<Account>,
        fill: impl FnOnce(&mut Bytes) -> Result<(), E>,
        take_handles: impl FnOnce() -> Handles<H>,
        mut wake: impl FnMut(u32),
    ) -> Result<(), SendError<E>> {
        if len > MAX_MSG_BYTES || handle_count > MAX_MSG_HANDLES {
            return Err(SendError::TooBig);
        }
        let peer = {
            let me = self.state.lock();
            match me.peer.upgrade() {
                Some(p) if !me.peer_closed => p,
                _ => return Err(SendError::PeerClosed),
            }
        };
        let mut guard = peer.state.lock();
        let st = &mut *guard;
        if st.queue.len() >= QUEUE_MAX_MSGS || st.queued_bytes + len > QUEUE_MAX_BYTES {
            return Err(SendError::QueueFull);
        }
        sender
            .charge_all(&message_charge(len))
            .map_err(SendError::Quota)?;
        st.queue.push_back(Message {
            data: Bytes::empty_for(len),
            handles: Handles::new(),
            charged_to: sender.clone(),
        });
        let msg = st.queue.back_mut().expect("just pushed");
        let filled = fill(&mut msg.data);
        let wrote = msg.data.as_slice().len();
        if filled.is_err() || wrote != len {
            debug_assert!(filled.is_err(), "fill wrote {wrote} bytes, not {len}");
            // Dropping it releases the charge.
            st.queue.pop_back();
            return Err(filled.err().map_or(SendError::TooBig, SendError::Fault));
        }
        msg.handles = take_handles();
        debug_assert_eq!(msg.handles.len(), handle_count);
        st.queued_bytes += len;
        for id in st.waiters.drain(..) {
            wake(id);
        }
        // A parked receiver stays parked (it unparks itself when it runs)
        // but must run to see the message.
        if st.park == Park::Waiting {
            wake(st.parked.id);
        }
        Ok(())
    }

    /// The receiver parked at the peer, with the peer's state locked, if
    /// one is waiting there, the peer's queue is empty (so a handoff never
    /// overtakes a queued message) and the peer is alive. The caller
    /// delivers into the receiver's buffers and then
    /// [`serve`](ParkedPeer::serve)s it, or drops the guard (nothing
    /// changed). The peer is reached through its weak reference without
    /// taking a strong one (no reference-count traffic on the hot path).
    ///
    /// # Safety
    /// No endpoint may be dropped, by anyone, while the returned guard
    /// lives: e.g. one CPU, no preemption of the caller, and nothing
    /// dropped by the caller meanwhile.
    #[inline]
    pub unsafe fn parked_peer(&self) -> Option<ParkedPeer<'_, H>> {
        let peer = {
            let me = self.state.lock();
            if me.peer_closed || me.peer.strong_count() == 0 {
                return None;
            }
            me.peer.as_ptr()
        };
        // SAFETY: the peer was alive a moment ago (strong count above
        // zero), and by this function's contract nothing drops it while
        // the guard lives.
        let peer = unsafe { &*peer };
        let st = peer.state.lock();
        if st.park != Park::Waiting || !st.queue.is_empty() {
            return None;
        }
        Some(ParkedPeer { st })
    }

    /// Offer a message of `len` bytes and `handle_count` handles to the
    /// receiver parked at the peer, if the peer's queue is empty and one
    /// is ([`parked_peer`](Self::parked_peer)). `deliver` (run with the
    /// peer's queue locked: it must not touch this channel) copies the
    /// message into the receiver's buffers, moves the handles and wakes
    /// it, returning `Ok(Some(..))`; `Ok(None)` when it cannot (nothing
    /// changed: the caller then [`send`](Self::send)s, which queues the
    /// message and wakes the receiver); `Err` when the sender's side
    /// failed (nothing delivered, the receiver still parked). Returns
    /// whether the message was delivered; `Ok(false)` also when the size
    /// bounds are exceeded or the peer is gone, which `send` then reports.
    ///
    /// # Safety
    /// As for [`parked_peer`](Self::parked_peer): no endpoint may be
    /// dropped, by anyone, while this runs (`deliver` included).
    pub unsafe fn hand_off<E>(
        &self,
        len: usize,
        handle_count: usize,
        deliver: impl FnOnce(&Parked) -> Result<Option<Delivered>, E>,
    ) -> Result<bool, E> {
        if len > MAX_MSG_BYTES || handle_count > MAX_MSG_HANDLES {
            return Ok(false);
        }
        // SAFETY: forwarded from this function's contract.
        let Some(peer) = (unsafe { self.parked_peer() }) else {
            return Ok(false);
        };
        match deliver(peer.parked())? {
            Some(d) => {
                debug_assert!(d.bytes as usize == len && d.handles as usize == handle_count);
                peer.serve(d);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Leave `p` here for a direct handoff while its receiver blocks.
    /// Refused (`false`: the caller waits with [`add_waiter`](Self::add_waiter)
    /// instead) when a message is queued, the peer is gone, or another
    /// receiver is parked. The receiver must [`unpark`](Self::unpark)
    /// as soon as it runs again.
    #[inline(always)]
    pub fn park(&self, p: &Parked) -> bool {
        let mut st = self.state.lock();
        Self::park_locked(&mut st, p)
    }

    #[inline]
    fn park_locked(st: &mut State<H>, p: &Parked) -> bool {
        let closed = st.peer_closed || st.peer.strong_count() == 0;
        if st.park != Park::None || !st.queue.is_empty() || closed {
            return false;
        }
        st.park = Park::Waiting;
        st.parked = *p;
        true
    }

    /// Take back what receiver `id` parked here: what a sender delivered
    /// to it meanwhile, if anything.
    #[inline(always)]
    pub fn unpark(&self, id: u32) -> Option<Delivered> {
        let mut st = self.state.lock();
        if st.park == Park::None || st.parked.id != id {
            return None;
        }
        let served = st.park == Park::Served;
        st.park = Park::None;
        served.then_some(st.served)
    }

    /// Take the front message if `check` accepts it (e.g. the caller's
    /// buffers are big enough); otherwise it stays queued. On acceptance
    /// `deliver` gets `check`'s result and the message (to take its
    /// handles; nothing may fail there), which is then dequeued and
    /// dropped. Both run with this endpoint's queue locked. With `park`,
    /// an empty queue parks it here if it can (as [`park`](Self::park)
    /// would: [`RecvError::Parked`] rather than `Empty`).
    pub fn recv<R, E, T>(
        &self,
        check: impl FnOnce(&Message<H>) -> Result<R, E>,
        deliver: impl FnOnce(R, &mut Message<H>) -> T,
        park: Option<&Parked>,
    ) -> Result<T, RecvError<E>> {
        let mut guard = self.state.lock();
        let st = &mut *guard;
        let Some(front) = st.queue.front_mut() else {
            return Err(if st.peer_closed || st.peer.strong_count() == 0 {
                RecvError::PeerClosed
            } else if park.is_some_and(|p| Self::park_locked(st, p)) {
                RecvError::Parked
            } else {
                RecvError::Empty
            });
        };
        let r = check(front).map_err(RecvError::Refused)?;
        let t = deliver(r, front);
        st.queued_bytes -= front.data.len();
        // Dropped where it lies (releasing its charge), not moved out.
        st.queue.drain(..1);
        Ok(t)
    }

    /// A message is waiting.
    pub fn readable(&self) -> bool {
        !self.state.lock().queue.is_empty()
    }

    /// The other end is gone (messages may still be queued here).
    pub fn peer_closed(&self) -> bool {
        let st = self.state.lock();
        st.peer_closed || st.peer.strong_count() == 0
    }

    /// Messages queued here.
    pub fn queued(&self) -> usize {
        self.state.lock().queue.len()
    }

    /// Wake `id` when this endpoint becomes readable or its peer closes.
    pub fn add_waiter(&self, id: u32) {
        let mut st = self.state.lock();
        if !st.waiters.contains(&id) {
            st.waiters.push(id);
        }
    }

    pub fn remove_waiter(&self, id: u32) {
        let mut st = self.state.lock();
        if st.waiters.contains(&id) {
            st.waiters.retain(|&w| w != id);
        }
    }
}

impl<H: Payload> Endpoint<H> {
    /// Destroy everything queued here, and every endpoint that only the
    /// queued messages kept alive, without recursion.
    fn drain_iteratively(&mut self) {
        let mut work: Vec<Message<H>> = self.state.get_mut().queue.drain(..).collect();
        self.state.get_mut().queued_bytes = 0;
        while let Some(mut msg) = work.pop() {
            for h in msg.take_handles() {
                let Ok(ep) = h.into_endpoint() else { continue };
                if let Some(mut inner) = Arc::into_inner(ep) {
                    // Last reference: adopt its queue before it drops, so
                    // its own Drop finds nothing to recurse into.
                    work.extend(inner.state.get_mut().queue.drain(..));
                    inner.state.get_mut().queued_bytes = 0;
                }
            }
        }
    }
}

impl<H: Payload> Drop for Endpoint<H> {
    fn drop(&mut self) {
        self.drain_iteratively();
        self.creator.release(Resource::Endpoints, 1);
        if let Some(peer) = self.state.get_mut().peer.upgrade() {
            let (waiters, parked) = {
                let mut ps = peer.state.lock();
                ps.peer_closed = true;
                let parked = (ps.park == Park::Waiting).then_some(ps.parked.id);
                (core::mem::take(&mut ps.waiters), parked)
            };
            for id in waiters {
                (peer.wake)(id);
            }
            if let Some(id) = parked {
                (peer.wake)(id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::{Amounts, Resource::*, RESOURCES};
    use std::cell::RefCell;

    /// A test payload: an endpoint or a plain token.
    enum Obj {
        Ep(Arc<Endpoint<Obj>>),
        Token(u32),
    }

    impl Payload for Obj {
        fn into_endpoint(self) -> Result<Arc<Endpoint<Obj>>, Obj> {
            match self {
                Obj::Ep(e) => Ok(e),
                other => Err(other),
            }
        }

        fn as_endpoint(&self) -> Option<&Arc<Endpoint<Obj>>> {
            match self {
                Obj::Ep(e) => Some(e),
                Obj::Token(_) => None,
            }
        }
    }

    thread_local! {
        static WOKEN: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
    }

    fn wake(id: u32) {
        WOKEN.with(|w| w.borrow_mut().push(id));
    }

    fn woken() -> Vec<u32> {
        WOKEN.with(|w| core::mem::take(&mut *w.borrow_mut()))
    }

    fn account(eps: usize, msgs: usize, bytes: usize) -> Arc<Account> {
        let mut a: Amounts = [0; RESOURCES];
        a[Endpoints as usize] = eps;
        a[Messages as usize] = msgs;
        a[MessageBytes as usize] = bytes;
        Account::root(a)
    }

    fn big() -> Arc<Account> {
        account(1 << 20, 1 << 20, 1 << 30)
    }

    /// Send through `ep`, waking the peer's waiters with `wake`.
    fn send(
        ep: &Endpoint<Obj>,
        data: Vec<u8>,
        handles: usize,
        acct: &Arc<Account>,
        take: impl FnOnce() -> Vec<Obj>,
    ) -> Result<(), SendError> {
        ep.send(
            data.len(),
            handles,
            acct,
            fill_with(&data),
            || take().into(),
            wake,
        )
        .map_err(|e| match e {
            SendError::Fault(()) => panic!("fill cannot fail here"),
            SendError::TooBig => SendError::TooBig,
            SendError::QueueFull => SendError::QueueFull,
            SendError::PeerClosed => SendError::PeerClosed,
            SendError::Quota(q) => SendError::Quota(q),
        })
    }

    /// A `fill` for `send` that writes `data`.
    fn fill_with(data: &[u8]) -> impl FnOnce(&mut Bytes) -> Result<(), ()> + '_ {
        move |b| {
            match b.inline_mut() {
                Some(buf) => buf.copy_from_slice(data),
                None => b.set_heap(data.to_vec()),
            }
            Ok(())
        }
    }

    /// Receive what `check` accepts: its result, the data and the handles.
    fn recv_checked<R, E>(
        ep: &Endpoint<Obj>,
        check: impl FnOnce(&Message<Obj>) -> Result<R, E>,
    ) -> Result<(R, Vec<u8>, Vec<Obj>), RecvError<E>> {
        ep.recv(
            check,
            |r, m| (r, m.data().to_vec(), m.take_handles().into_iter().collect()),
            None,
        )
    }

    fn take_data(ep: &Endpoint<Obj>) -> Result<Vec<u8>, RecvError<()>> {
        recv_checked(ep, |_| Ok::<(), ()>(())).map(|((), d, _)| d)
    }

    #[test]
    fn round_trip_in_order_with_handles() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        send(&a, b"one".to_vec(), 1, &acct, || vec![Obj::Token(7)]).unwrap();
        send(&a, b"two".to_vec(), 0, &acct, Vec::new).unwrap();
        assert_eq!(acct.used(Messages), 2);
        assert_eq!(acct.used(MessageBytes), 6);
        let ((), data, mut hs) = recv_checked(&b, |m| {
            if m.handle_count() == 1 {
                Ok(())
            } else {
                Err(())
            }
        })
        .unwrap();
        assert_eq!(data, b"one");
        match hs.pop() {
            Some(Obj::Token(7)) => {}
            _ => panic!("handle lost"),
        }
        assert_eq!(acct.used(Messages), 1);
        assert_eq!(take_data(&b).unwrap(), b"two");
        assert_eq!(take_data(&b), Err(RecvError::Empty));
        assert_eq!(acct.used(Messages), 0);
        assert_eq!(acct.used(MessageBytes), 0);
    }

    #[test]
    fn refused_message_stays_queued() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        send(&a, vec![1; 100], 0, &acct, Vec::new).unwrap();
        let r = recv_checked(&b, |m| {
            if m.data().len() <= 10 {
                Ok(())
            } else {
                Err(m.data().len())
            }
        });
        assert_eq!(r.err(), Some(RecvError::Refused(100)));
        assert_eq!(acct.used(Messages), 1);
        assert_eq!(take_data(&b).unwrap().len(), 100);
    }

    #[test]
    fn errors_leave_handles_with_the_caller() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        let taken = |_: ()| -> Vec<Obj> { panic!("handles taken on a failing send") };
        assert_eq!(
            send(&a, vec![0; MAX_MSG_BYTES + 1], 0, &acct, || taken(())),
            Err(SendError::TooBig)
        );
        assert_eq!(
            send(&a, vec![], MAX_MSG_HANDLES + 1, &acct, || taken(())),
            Err(SendError::TooBig)
        );
        for _ in 0..QUEUE_MAX_MSGS {
            send(&a, vec![], 0, &acct, Vec::new).unwrap();
        }
        assert_eq!(
            send(&a, vec![], 1, &acct, || taken(())),
            Err(SendError::QueueFull)
        );
        // Draining one makes room again.
        take_data(&b).unwrap();
        send(&a, vec![], 0, &acct, Vec::new).unwrap();
        drop(b);
        assert_eq!(
            send(&a, vec![], 1, &acct, || taken(())),
            Err(SendError::PeerClosed)
        );
    }

    #[test]
    fn queue_is_bounded_by_bytes_too() {
        let acct = big();
        let (a, _b) = create_pair::<Obj>(&acct, wake).unwrap();
        let per = MAX_MSG_BYTES;
        for _ in 0..QUEUE_MAX_BYTES / per {
            send(&a, vec![0; per], 0, &acct, Vec::new).unwrap();
        }
        assert_eq!(
            send(&a, vec![0; 1], 0, &acct, Vec::new),
            Err(SendError::QueueFull)
        );
    }

    #[test]
    fn sender_quota_is_checked_and_released() {
        let acct = account(2, 2, 10);
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        assert_eq!(
            create_pair::<Obj>(&acct, wake).err(),
            Some(QuotaExceeded(Endpoints))
        );
        send(&a, vec![0; 6], 0, &acct, Vec::new).unwrap();
        assert_eq!(
            send(&a, vec![0; 6], 0, &acct, Vec::new),
            Err(SendError::Quota(QuotaExceeded(MessageBytes)))
        );
        send(&a, vec![0; 4], 0, &acct, Vec::new).unwrap();
        assert_eq!(
            send(&a, vec![], 0, &acct, Vec::new),
            Err(SendError::Quota(QuotaExceeded(Messages)))
        );
        take_data(&b).unwrap();
        send(&a, vec![], 0, &acct, Vec::new).unwrap();
        drop((a, b));
        assert_eq!(acct.used(Endpoints), 0);
        assert_eq!(acct.used(Messages), 0);
        assert_eq!(acct.used(MessageBytes), 0);
    }

    #[test]
    fn peer_drains_then_sees_closed_and_waiters_wake() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        b.add_waiter(41);
        send(&a, b"last words".to_vec(), 0, &acct, Vec::new).unwrap();
        assert_eq!(woken(), vec![41]);
        b.add_waiter(42);
        drop(a);
        assert_eq!(woken(), vec![42]);
        assert!(b.peer_closed());
        assert_eq!(take_data(&b).unwrap(), b"last words");
        assert_eq!(take_data(&b), Err(RecvError::PeerClosed));
    }

    #[test]
    fn self_and_peer_are_recognised() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        let (c, _d) = create_pair::<Obj>(&acct, wake).unwrap();
        assert!(a.send_would_cycle(&a));
        assert!(a.send_would_cycle(&b));
        assert!(!a.send_would_cycle(&c));
    }

    #[test]
    fn two_channel_cycle_is_refused_and_nothing_leaks() {
        // The cycle of docs/bugs/0001: a2 is queued at b1 (sent through
        // b2); sending b1 through a1 into a2's queue would make a2 and b1
        // hold each other once the other handles close.
        let acct = big();
        {
            let (a1, a2) = create_pair::<Obj>(&acct, wake).unwrap();
            let (b1, b2) = create_pair::<Obj>(&acct, wake).unwrap();
            assert!(!b2.send_would_cycle(&a2));
            send(&b2, vec![], 1, &acct, || vec![Obj::Ep(a2.clone())]).unwrap();
            // b1's queue holds a2: sending b1 into a2's queue closes the loop.
            assert!(a1.send_would_cycle(&b1));
            // Longer: c2 is queued at a2 (sent through a1), and a2 at b1;
            // sending b1 through c1 into c2's queue closes b1 -> a2 -> c2 -> b1.
            let (c1, c2) = create_pair::<Obj>(&acct, wake).unwrap();
            send(&a1, vec![], 1, &acct, || vec![Obj::Ep(c2.clone())]).unwrap();
            assert!(c1.send_would_cycle(&b1));
            // Unrelated endpoints still travel.
            let (d1, _d2) = create_pair::<Obj>(&acct, wake).unwrap();
            assert!(!c1.send_would_cycle(&d1));
            assert!(!d1.send_would_cycle(&b1));
        }
        // Every handle is gone and nothing formed a cycle: all freed.
        assert_eq!(acct.used(Endpoints), 0);
        assert_eq!(acct.used(Messages), 0);
    }

    #[test]
    fn cycle_check_walks_a_diamond_once() {
        // x's queue holds e1 and e2, both of whose queues hold the same f:
        // the walk must terminate and find no cycle for an unrelated send.
        let acct = big();
        let (x_in, x) = create_pair::<Obj>(&acct, wake).unwrap();
        let (e1_in, e1) = create_pair::<Obj>(&acct, wake).unwrap();
        let (e2_in, e2) = create_pair::<Obj>(&acct, wake).unwrap();
        let (f_in, f) = create_pair::<Obj>(&acct, wake).unwrap();
        send(&e1_in, vec![], 1, &acct, || vec![Obj::Ep(f.clone())]).unwrap();
        send(&e2_in, vec![], 1, &acct, || vec![Obj::Ep(f.clone())]).unwrap();
        send(&x_in, vec![], 2, &acct, || {
            vec![Obj::Ep(e1.clone()), Obj::Ep(e2.clone())]
        })
        .unwrap();
        let (s, _p) = create_pair::<Obj>(&acct, wake).unwrap();
        assert!(!s.send_would_cycle(&x));
        // But sending x into f's queue (through f_in) would be a cycle.
        assert!(f_in.send_would_cycle(&x));
    }

    #[test]
    fn deep_nesting_is_destroyed_without_recursion() {
        // b0's queue holds b1, whose queue holds b2, ... 100_000 deep: each
        // b(i+1) is sent through a(i) into b(i)'s queue, then a(i) closes.
        const DEPTH: usize = 100_000;
        let acct = big();
        let (a0, b0) = create_pair::<Obj>(&acct, wake).unwrap();
        let mut sender = a0;
        for _ in 0..DEPTH {
            let (x, y) = create_pair::<Obj>(&acct, wake).unwrap();
            send(&sender, vec![], 1, &acct, || vec![Obj::Ep(y)]).unwrap();
            sender = x;
        }
        drop(sender);
        assert_eq!(acct.used(Endpoints), DEPTH + 1);
        // Closing b0 tears the whole chain down (a recursive drop would
        // overflow the test thread's stack long before this depth).
        drop(b0);
        assert_eq!(acct.used(Endpoints), 0);
        assert_eq!(acct.used(Messages), 0);
    }
    #[test]
    fn data_is_inline_up_to_the_bound_and_kept_exactly() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        for len in [
            0,
            1,
            INLINE_BYTES - 1,
            INLINE_BYTES,
            INLINE_BYTES + 1,
            MAX_MSG_BYTES,
        ] {
            let data: Vec<u8> = (0..len).map(|i| i as u8).collect();
            send(&a, data.clone(), 0, &acct, Vec::new).unwrap();
            assert_eq!(acct.used(MessageBytes), len);
            let (inline, got, _) = recv_checked(&b, |m| Ok::<_, ()>(m.data.is_inline())).unwrap();
            assert_eq!(inline, len <= INLINE_BYTES, "len {len}");
            assert_eq!(got, data);
        }
        assert_eq!(acct.used(MessageBytes), 0);
    }

    #[test]
    fn a_failed_fill_withdraws_the_message() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        b.add_waiter(9);
        for len in [10, MAX_MSG_BYTES] {
            let r = a.send(
                len,
                1,
                &acct,
                |_| Err("bad address"),
                || panic!("handles taken on a failing send"),
                |_| panic!("woken on a failing send"),
            );
            assert_eq!(r, Err(SendError::Fault("bad address")));
        }
        assert_eq!(b.queued(), 0);
        assert_eq!(acct.used(Messages), 0);
        assert_eq!(acct.used(MessageBytes), 0);
        assert!(woken().is_empty());
    }

    #[test]
    fn many_handles_travel_in_order() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        for n in [0usize, 1, 2, MAX_MSG_HANDLES] {
            let hs = (0..n as u32).map(Obj::Token).collect();
            send(&a, vec![n as u8; 100], n, &acct, || hs).unwrap();
            let ((), data, got) = recv_checked(&b, |m| {
                assert_eq!(m.handle_count(), n);
                Ok::<(), ()>(())
            })
            .unwrap();
            assert_eq!(data, vec![n as u8; 100]);
            let tokens: Vec<u32> = got
                .into_iter()
                .map(|o| match o {
                    Obj::Token(t) => t,
                    Obj::Ep(_) => panic!("not a token"),
                })
                .collect();
            assert_eq!(tokens, (0..n as u32).collect::<Vec<_>>());
        }
        assert_eq!(acct.used(Messages), 0);
        assert_eq!(acct.used(MessageBytes), 0);
    }

    #[test]
    fn send_wakes_only_the_peers_waiters_once() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        a.add_waiter(1);
        b.add_waiter(2);
        b.add_waiter(3);
        b.add_waiter(2);
        let mut got = Vec::new();
        a.send(1, 0, &acct, fill_with(b"x"), Handles::new, |id| {
            got.push(id)
        })
        .unwrap();
        assert_eq!(got, vec![2, 3]);
        got.clear();
        a.send(1, 0, &acct, fill_with(b"y"), Handles::new, |id| {
            got.push(id)
        })
        .unwrap();
        assert!(got.is_empty(), "woken waiters are removed");
        b.add_waiter(4);
        b.remove_waiter(4);
        a.send(1, 0, &acct, fill_with(b"z"), Handles::new, |id| {
            got.push(id)
        })
        .unwrap();
        assert!(got.is_empty());
        assert!(woken().is_empty(), "send wakes through its argument only");
    }

    /// [`Endpoint::hand_off`] in a single-threaded test.
    fn offer<E>(
        ep: &Endpoint<Obj>,
        len: usize,
        handle_count: usize,
        deliver: impl FnOnce(&Parked) -> Result<Option<Delivered>, E>,
    ) -> Result<bool, E> {
        // SAFETY: one thread, and no `deliver` here drops an endpoint.
        unsafe { ep.hand_off(len, handle_count, deliver) }
    }

    fn parked(id: u32, len: u32, hcap: u32) -> Parked {
        Parked {
            id,
            hint: 0,
            buf: 0x1000,
            len,
            hbuf: 0x2000,
            hcap,
        }
    }

    #[test]
    fn handoff_serves_a_parked_receiver_without_queueing_or_charge() {
        let acct = account(2, 0, 0);
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        // Nobody parked: nothing to hand off.
        assert_eq!(
            offer(&a, 3, 0, |_| -> Result<_, ()> { panic!() }),
            Ok(false)
        );
        assert!(b.park(&parked(7, 64, 1)));
        assert!(!b.park(&parked(8, 64, 1)), "one parked receiver at a time");
        let got = offer(&a, 3, 1, |p| {
            assert_eq!(*p, parked(7, 64, 1));
            Ok::<_, ()>(Some(Delivered {
                bytes: 3,
                handles: 1,
            }))
        });
        assert_eq!(got, Ok(true));
        // Served: no second handoff, nothing queued, nothing charged (the
        // account has no message quota at all).
        assert_eq!(
            offer(&a, 1, 0, |_| -> Result<_, ()> { panic!() }),
            Ok(false)
        );
        assert_eq!(b.queued(), 0);
        assert_eq!(acct.used(Messages), 0);
        assert_eq!(b.unpark(8), None, "not the parked receiver");
        assert_eq!(
            b.unpark(7),
            Some(Delivered {
                bytes: 3,
                handles: 1
            })
        );
        assert_eq!(b.unpark(7), None);
        assert!(woken().is_empty(), "the deliverer wakes, not the endpoint");
    }

    #[test]
    fn declined_handoff_queues_wakes_and_never_overtakes() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        assert!(b.park(&parked(5, 2, 0)));
        // Too big for the parked buffer: declined, then queued.
        assert_eq!(offer(&a, 4, 0, |_| Ok::<_, ()>(None)), Ok(false));
        send(&a, b"long".to_vec(), 0, &acct, Vec::new).unwrap();
        assert_eq!(woken(), vec![5], "the parked receiver is woken");
        // A message is queued: the next one must not be handed off.
        assert_eq!(
            offer(&a, 1, 0, |_| -> Result<_, ()> { panic!() }),
            Ok(false)
        );
        send(&a, b"x".to_vec(), 0, &acct, Vec::new).unwrap();
        assert_eq!(b.unpark(5), None);
        assert!(
            !b.park(&parked(5, 64, 0)),
            "no parking over queued messages"
        );
        assert_eq!(take_data(&b).unwrap(), b"long");
        assert_eq!(take_data(&b).unwrap(), b"x");
        assert!(b.park(&parked(5, 64, 0)));
        assert_eq!(b.unpark(5), None);
    }

    #[test]
    fn failed_handoff_leaves_the_receiver_parked() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        assert!(b.park(&parked(3, 64, 0)));
        assert_eq!(
            offer(&a, 8, 0, |_| Err("bad sender buffer")),
            Err("bad sender buffer")
        );
        let served = offer(&a, 8, 0, |_| {
            Ok::<_, ()>(Some(Delivered {
                bytes: 8,
                handles: 0,
            }))
        });
        assert_eq!(served, Ok(true));
        assert_eq!(b.unpark(3).map(|d| d.bytes), Some(8));
        // Beyond the message bounds: never offered.
        assert!(b.park(&parked(3, u32::MAX, 0)));
        let over = offer(&a, MAX_MSG_BYTES + 1, 0, |_| -> Result<_, ()> { panic!() });
        assert_eq!(over, Ok(false));
        assert_eq!(b.unpark(3), None);
    }

    #[test]
    fn closing_the_peer_wakes_a_parked_receiver() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        assert!(b.park(&parked(11, 64, 0)));
        drop(a);
        assert_eq!(woken(), vec![11]);
        assert_eq!(b.unpark(11), None);
        assert!(
            !b.park(&parked(11, 64, 0)),
            "no parking once the peer is gone"
        );
        assert_eq!(take_data(&b), Err(RecvError::PeerClosed));
        // And the reverse: a sender whose peer is gone hands nothing off.
        let (c, d) = create_pair::<Obj>(&acct, wake).unwrap();
        drop(d);
        assert_eq!(
            offer(&c, 1, 0, |_| -> Result<_, ()> { panic!() }),
            Ok(false)
        );
    }

    #[test]
    fn recv_parks_only_on_an_empty_queue_and_only_once() {
        let acct = big();
        let (a, b) = create_pair::<Obj>(&acct, wake).unwrap();
        let accept = |_: &Message<Obj>| Ok::<(), ()>(());
        let r = b.recv(accept, |(), _| (), Some(&parked(1, 64, 0)));
        assert_eq!(r, Err(RecvError::Parked));
        let r = b.recv(accept, |(), _| (), Some(&parked(2, 64, 0)));
        assert_eq!(r, Err(RecvError::Empty), "one parked receiver at a time");
        assert_eq!(b.unpark(1), None);
        send(&a, b"m".to_vec(), 0, &acct, Vec::new).unwrap();
        let r = b.recv(accept, |(), m| m.data().to_vec(), Some(&parked(1, 64, 0)));
        assert_eq!(r, Ok(b"m".to_vec()));
        assert_eq!(b.unpark(1), None, "a delivering recv parks nothing");
        drop(a);
        let r = b.recv(accept, |(), _| (), Some(&parked(1, 64, 0)));
        assert_eq!(r, Err(RecvError::PeerClosed));
    }
}
