//! VirtIO block devices over the MMIO transport (QEMU virt), through the
//! `virtio-drivers` crate.
//!
//! Several requests can be in flight at once ([`BlockDevice::submit_read`]
//! and friends): each gets one of [`SLOTS`] request slots, whose header and
//! status byte live in a DMA page owned by the driver. Completions are
//! collected in whatever order the device reports them. A caller that
//! needs a result waits in `wfi`, opening an IRQ window after each wake-up
//! so the timer and the disk's own interrupt are serviced (the disk's
//! interrupt is acknowledged straight at the MMIO registers, without the
//! driver's lock); it never busy-polls, and a pending timer interrupt can
//! no longer turn the wait into a spin.

use bsp_api::{phys_to_virt, virt_to_phys, BlockDevice, BlockError, Irq, Ticket, SECTOR_SIZE};
use core::ptr::NonNull;
use spin::Mutex;
use virtio_drivers::device::blk::{BlkReq, BlkResp, RespStatus, VirtIOBlk};
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::transport::{DeviceType, Transport};
use virtio_drivers::{BufferDirection, Hal, PhysAddr, PAGE_SIZE};

/// The most bytes one request moves (larger transfers are split).
const MAX_REQUEST: usize = 1024 * 1024;
/// Requests that can be in flight at once (each takes 3 of the 16
/// descriptors of the queue, so at most 5 are in the device at a time).
pub const SLOTS: usize = 8;
/// virtio-mmio register offsets: interrupt status and acknowledge.
const REG_INTERRUPT_STATUS: usize = 0x60;
const REG_INTERRUPT_ACK: usize = 0x64;
const MMIO_SIZE: usize = 0x200;
const VIRTIO_MAGIC: u32 = 0x7472_6976;
const DEVICE_ID_BLOCK: u32 = 2;

/// DMA memory and address translation for `virtio-drivers`, from the
/// kernel's linear map and frame allocator.
pub struct KernelHal;

// SAFETY: DMA pages come from the kernel's frame allocator (contiguous,
// zeroed, owned by the device until freed) and buffers are shared by their
// linear-map physical address; QEMU's virtio devices are cache coherent.
unsafe impl Hal for KernelHal {
    fn dma_alloc(pages: usize, _direction: BufferDirection) -> (PhysAddr, NonNull<u8>) {
        let pa = bsp_api::dma()
            .and_then(|d| d.alloc_pages(pages))
            .expect("virtio: no DMA memory");
        let va = NonNull::new(phys_to_virt(pa) as *mut u8).expect("linear map address is not null");
        (pa as PhysAddr, va)
    }

    unsafe fn dma_dealloc(paddr: PhysAddr, _vaddr: NonNull<u8>, pages: usize) -> i32 {
        if let Some(d) = bsp_api::dma() {
            d.free_pages(paddr as usize, pages);
        }
        0
    }

    unsafe fn mmio_phys_to_virt(paddr: PhysAddr, _size: usize) -> NonNull<u8> {
        NonNull::new(phys_to_virt(paddr as usize) as *mut u8)
            .expect("linear map address is not null")
    }

    unsafe fn share(buffer: NonNull<[u8]>, _direction: BufferDirection) -> PhysAddr {
        virt_to_phys(buffer.as_ptr() as *mut u8 as usize) as PhysAddr
    }

    unsafe fn unshare(_paddr: PhysAddr, _buffer: NonNull<[u8]>, _direction: BufferDirection) {}
}

type Device = VirtIOBlk<KernelHal, MmioTransport<'static>>;

/// The part of a request the device reads and writes besides the data:
/// kept in DMA memory so that its address never changes while in flight.
#[repr(C)]
struct Header {
    req: BlkReq,
    resp: BlkResp,
}

/// Bookkeeping for one request slot.
#[derive(Clone, Copy)]
struct Slot {
    /// Bumped on every use, so a stale ticket never matches a reused slot.
    generation: u32,
    busy: bool,
    /// The virtqueue token while the device owns the request.
    token: Option<u16>,
    write: bool,
    /// The data buffer (address and length) as submitted.
    buf: usize,
    len: usize,
    /// Set when the device has answered.
    result: Option<Result<(), BlockError>>,
}

impl Slot {
    const FREE: Slot = Slot {
        generation: 0,
        busy: false,
        token: None,
        write: false,
        buf: 0,
        len: 0,
        result: None,
    };
}

struct State {
    device: Device,
    slots: [Slot; SLOTS],
    /// `SLOTS` headers in a DMA page (see [`Header`]).
    headers: NonNull<Header>,
}

// SAFETY: `headers` points to DMA memory owned by this state alone; it is
// only touched with the state's lock held.
unsafe impl Send for State {}

impl State {
    /// The header of slot `i` (`i < SLOTS`).
    fn header(&mut self, i: usize) -> &mut Header {
        debug_assert!(i < SLOTS);
        // SAFETY: the DMA page holds SLOTS initialised headers and `&mut
        // self` makes this the only reference.
        unsafe { &mut *self.headers.as_ptr().add(i) }
    }

    /// Collect every completion the device has reported.
    fn reap(&mut self) {
        while let Some(token) = self.device.peek_used() {
            let Some(i) = self.slots.iter().position(|s| s.token == Some(token)) else {
                // Not ours: cannot happen; stop rather than spin.
                return;
            };
            let s = self.slots[i];
            let h = self.headers.as_ptr();
            // SAFETY: the same header and buffer as submitted for `token`;
            // the submitter keeps the buffer alive until `finish`.
            let r = unsafe {
                let h = &mut *h.add(i);
                if s.write {
                    let buf = core::slice::from_raw_parts(s.buf as *const u8, s.len);
                    self.device
                        .complete_write_blocks(token, &h.req, buf, &mut h.resp)
                } else {
                    let buf = core::slice::from_raw_parts_mut(s.buf as *mut u8, s.len);
                    self.device
                        .complete_read_blocks(token, &h.req, buf, &mut h.resp)
                }
            };
            let ok = r.is_ok() && self.header(i).resp.status() == RespStatus::OK;
            let slot = &mut self.slots[i];
            slot.token = None;
            slot.result = Some(if ok { Ok(()) } else { Err(BlockError::Io) });
        }
    }

    /// Hand one request (at most `MAX_REQUEST` bytes) to the device; the
    /// slot it took. `None` when no slot or descriptor is free.
    ///
    /// # Safety
    /// As [`BlockDevice::submit_read`].
    unsafe fn try_submit(
        &mut self,
        sector: u64,
        buf: usize,
        len: usize,
        write: bool,
    ) -> Option<Result<usize, BlockError>> {
        let i = self.slots.iter().position(|s| !s.busy)?;
        let h = self.headers.as_ptr();
        // SAFETY: slot `i` is free, so its header is not in the device;
        // the buffer's validity is the caller's contract.
        let r = unsafe {
            let h = &mut *h.add(i);
            if write {
                let data = core::slice::from_raw_parts(buf as *const u8, len);
                self.device
                    .write_blocks_nb(sector as usize, &mut h.req, data, &mut h.resp)
            } else {
                let data = core::slice::from_raw_parts_mut(buf as *mut u8, len);
                self.device
                    .read_blocks_nb(sector as usize, &mut h.req, data, &mut h.resp)
            }
        };
        match r {
            Ok(token) => {
                let s = &mut self.slots[i];
                *s = Slot {
                    generation: s.generation.wrapping_add(1),
                    busy: true,
                    token: Some(token),
                    write,
                    buf,
                    len,
                    result: None,
                };
                Some(Ok(i))
            }
            Err(virtio_drivers::Error::QueueFull) => None,
            Err(_) => Some(Err(BlockError::Io)),
        }
    }

    fn ticket(&self, i: usize) -> Ticket {
        Ticket::started((u64::from(self.slots[i].generation) << 8) | i as u64)
    }

    /// The slot of a ticket id, if it is still the same request.
    fn slot_of(&self, id: u64) -> Option<usize> {
        let i = (id & 0xff) as usize;
        let s = self.slots.get(i)?;
        (s.busy && u64::from(s.generation) == id >> 8).then_some(i)
    }
}

pub struct VirtioBlk {
    name: &'static str,
    state: Mutex<State>,
    /// The MMIO window (for acknowledging interrupts without the lock).
    base: usize,
    sectors: u64,
    readonly: bool,
    irq: Irq,
}

/// Masks IRQs while the driver's lock is held, restoring them afterwards.
struct IrqsMasked(u64);

impl IrqsMasked {
    fn new() -> Self {
        let daif: u64;
        // SAFETY: reading DAIF and masking IRQs has no memory effects.
        unsafe {
            core::arch::asm!("mrs {0}, daif", "msr daifset, #2", out(reg) daif, options(nomem, nostack))
        };
        IrqsMasked(daif)
    }
}

impl Drop for IrqsMasked {
    fn drop(&mut self) {
        // SAFETY: restores the interrupt mask found in `new`.
        unsafe { core::arch::asm!("msr daif, {0}", in(reg) self.0, options(nomem, nostack)) };
    }
}

/// Sleep until an interrupt is pending, then let it be taken. Called with
/// IRQs masked (so a completion between the caller's check and the `wfi`
/// still ends the `wfi`); they are masked again on return.
fn wait_for_interrupt() {
    aarch64_cpu::asm::wfi();
    // SAFETY: a short IRQ window: the handlers (timer, console, this
    // driver's lock-free acknowledge) never take the driver's lock.
    unsafe {
        core::arch::asm!(
            "msr daifclr, #2",
            "isb",
            "msr daifset, #2",
            options(nomem, nostack)
        )
    };
}

impl VirtioBlk {
    /// Whether a virtio-mmio slot at `base_va` holds a block device.
    ///
    /// # Safety
    /// `base_va` must be a mapped virtio-mmio register window.
    pub unsafe fn is_block_device(base_va: usize) -> bool {
        // SAFETY: forwarded from this function's contract.
        unsafe {
            core::ptr::read_volatile(base_va as *const u32) == VIRTIO_MAGIC
                && core::ptr::read_volatile((base_va + 8) as *const u32) == DEVICE_ID_BLOCK
        }
    }

    /// Initialise the block device in the slot at `base_va`.
    ///
    /// # Safety
    /// `base_va` must be a mapped virtio-mmio window holding a block device,
    /// used by nothing else for the rest of the kernel's life.
    pub unsafe fn new(name: &'static str, base_va: usize, irq: Irq) -> Option<Self> {
        let header = NonNull::new(base_va as *mut VirtIOHeader)?;
        // SAFETY: forwarded from this function's contract.
        let transport = unsafe { MmioTransport::new(header, MMIO_SIZE) }.ok()?;
        if transport.device_type() != DeviceType::Block {
            return None;
        }
        const _: () = assert!(SLOTS * core::mem::size_of::<Header>() <= PAGE_SIZE);
        let pa = bsp_api::dma()?.alloc_pages(1)?;
        let headers = NonNull::new(phys_to_virt(pa) as *mut Header)?;
        for i in 0..SLOTS {
            // SAFETY: the page is ours, page aligned and big enough.
            unsafe {
                headers.as_ptr().add(i).write(Header {
                    req: BlkReq::default(),
                    resp: BlkResp::default(),
                })
            };
        }
        let mut device = VirtIOBlk::<KernelHal, _>::new(transport).ok()?;
        device.enable_interrupts();
        let sectors = device.capacity();
        let readonly = device.readonly();
        Some(Self {
            name,
            state: Mutex::new(State {
                device,
                slots: [Slot::FREE; SLOTS],
                headers,
            }),
            base: base_va,
            sectors,
            readonly,
            irq,
        })
    }

    fn check(&self, sector: u64, len: usize) -> Result<(), BlockError> {
        let count = (len / SECTOR_SIZE) as u64;
        if len == 0
            || !len.is_multiple_of(SECTOR_SIZE)
            || sector
                .checked_add(count)
                .is_none_or(|end| end > self.sectors)
        {
            return Err(BlockError::OutOfRange);
        }
        Ok(())
    }

    /// Submit one request of at most `MAX_REQUEST` bytes, waiting for a
    /// free slot if all are taken; its slot.
    ///
    /// # Safety
    /// As [`BlockDevice::submit_read`].
    unsafe fn submit_one(
        &self,
        state: &mut spin::MutexGuard<'_, State>,
        sector: u64,
        buf: usize,
        len: usize,
        write: bool,
    ) -> Result<usize, BlockError> {
        loop {
            // SAFETY: forwarded from this function's contract.
            if let Some(r) = unsafe { state.try_submit(sector, buf, len, write) } {
                return r;
            }
            // Everything is taken: wait for the device to give something
            // back. (Slots whose results nobody collected yet stay taken;
            // with none in the device, waiting would not help.)
            state.reap();
            if state.slots.iter().all(|s| !s.busy || s.token.is_none()) {
                return Err(BlockError::Io);
            }
            if state.device.peek_used().is_none() {
                wait_for_interrupt();
            }
            state.reap();
        }
    }

    /// Wait for slot `i` to be answered and free it; its result.
    fn wait_slot(state: &mut spin::MutexGuard<'_, State>, i: usize) -> Result<(), BlockError> {
        loop {
            state.reap();
            if let Some(r) = state.slots[i].result {
                state.slots[i].busy = false;
                state.slots[i].result = None;
                return r;
            }
            wait_for_interrupt();
        }
    }

    /// Submit `len` bytes at `sector` as one or more requests (all of them
    /// in flight together when the slots allow); the ticket of the last
    /// one. Earlier pieces are waited for here when the transfer needs
    /// more than one request.
    ///
    /// # Safety
    /// As [`BlockDevice::submit_read`].
    unsafe fn submit(&self, sector: u64, buf: usize, len: usize, write: bool) -> Ticket {
        if let Err(e) = self.check(sector, len) {
            return Ticket::done(Err(e));
        }
        if write && self.readonly {
            return Ticket::done(Err(BlockError::ReadOnly));
        }
        let _masked = IrqsMasked::new();
        let mut state = self.state.lock();
        let pieces = len.div_ceil(MAX_REQUEST);
        let mut result = Ok(());
        // Pieces in flight, oldest first; one slot stays for the last piece.
        let mut flight = [0usize; SLOTS];
        let mut n = 0;
        for p in 0..pieces {
            let off = p * MAX_REQUEST;
            let piece = (len - off).min(MAX_REQUEST);
            let at = sector + (off / SECTOR_SIZE) as u64;
            if n == SLOTS - 1 {
                result = result.and(Self::wait_slot(&mut state, flight[0]));
                flight.copy_within(1.., 0);
                n -= 1;
            }
            // SAFETY: a piece of the caller's buffer, same contract.
            match unsafe { self.submit_one(&mut state, at, buf + off, piece, write) } {
                Ok(i) => {
                    flight[n] = i;
                    n += 1;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        // All but the last piece are waited for here; the last one is the
        // caller's to finish (unless something already failed).
        let last = if result.is_ok() && n > 0 {
            n -= 1;
            Some(flight[n])
        } else {
            None
        };
        for &i in &flight[..n] {
            result = result.and(Self::wait_slot(&mut state, i));
        }
        match last {
            Some(i) if result.is_ok() => state.ticket(i),
            Some(i) => {
                let _ = Self::wait_slot(&mut state, i);
                Ticket::done(result)
            }
            None => Ticket::done(result),
        }
    }
}

impl BlockDevice for VirtioBlk {
    fn name(&self) -> &'static str {
        self.name
    }

    fn sectors(&self) -> u64 {
        self.sectors
    }

    fn read(&self, sector: u64, buf: &mut [u8]) -> Result<(), BlockError> {
        // SAFETY: `buf` is borrowed until `finish` returns below.
        let t = unsafe { self.submit(sector, buf.as_mut_ptr() as usize, buf.len(), false) };
        self.finish(t)
    }

    fn write(&self, sector: u64, buf: &[u8]) -> Result<(), BlockError> {
        // SAFETY: `buf` is borrowed until `finish` returns below.
        let t = unsafe { self.submit(sector, buf.as_ptr() as usize, buf.len(), true) };
        self.finish(t)
    }

    unsafe fn submit_read(&self, sector: u64, buf: *mut u8, len: usize) -> Ticket {
        // SAFETY: forwarded from this function's contract.
        unsafe { self.submit(sector, buf as usize, len, false) }
    }

    unsafe fn submit_write(&self, sector: u64, buf: *const u8, len: usize) -> Ticket {
        // SAFETY: forwarded from this function's contract.
        unsafe { self.submit(sector, buf as usize, len, true) }
    }

    fn finish(&self, ticket: Ticket) -> Result<(), BlockError> {
        let Some(id) = ticket.id() else {
            return ticket.result().unwrap_or(Err(BlockError::Io));
        };
        let _masked = IrqsMasked::new();
        let mut state = self.state.lock();
        match state.slot_of(id) {
            Some(i) => Self::wait_slot(&mut state, i),
            None => Err(BlockError::Io),
        }
    }

    fn flush(&self) -> Result<(), BlockError> {
        // Completed writes are already in QEMU's image file (it reports a
        // request done only once written), so no VIRTIO_BLK_T_FLUSH is
        // sent. (virtio-drivers' `flush` busy-waits for the answer and was
        // seen to hang under TCG; a non-blocking flush would be needed.)
        Ok(())
    }

    fn irq(&self) -> Option<Irq> {
        Some(self.irq)
    }

    fn handle_irq(&self) {
        // Acknowledge at the registers, not through the driver (whose lock
        // a waiting request holds): the waiter collects the completions.
        // SAFETY: the device's MMIO window, mapped for the kernel's life.
        unsafe {
            let status = core::ptr::read_volatile((self.base + REG_INTERRUPT_STATUS) as *const u32);
            if status != 0 {
                core::ptr::write_volatile((self.base + REG_INTERRUPT_ACK) as *mut u32, status);
            }
        }
    }
}

const _: () = assert!(PAGE_SIZE == 4096);
