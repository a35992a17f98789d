//! VirtIO block devices over the MMIO transport (QEMU virt), through the
//! `virtio-drivers` crate. Requests are submitted and then waited for with
//! `wfi` until the device's completion interrupt arrives (IRQs masked, so
//! no handler runs meanwhile): synchronous, never busy-polling.

use bsp_api::{phys_to_virt, virt_to_phys, BlockDevice, BlockError, Irq, SECTOR_SIZE};
use core::ptr::NonNull;
use spin::Mutex;
use virtio_drivers::device::blk::{BlkReq, BlkResp, RespStatus, VirtIOBlk};
use virtio_drivers::transport::mmio::{MmioTransport, VirtIOHeader};
use virtio_drivers::transport::{DeviceType, Transport};
use virtio_drivers::{BufferDirection, Hal, PhysAddr, PAGE_SIZE};

/// The most bytes one request moves (larger transfers are split).
const MAX_REQUEST: usize = 64 * 1024;
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

pub struct VirtioBlk {
    name: &'static str,
    device: Mutex<Device>,
    sectors: u64,
    readonly: bool,
    irq: Irq,
}

/// Masks IRQs while a request is in flight, restoring them afterwards.
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
        let mut device = VirtIOBlk::<KernelHal, _>::new(transport).ok()?;
        device.enable_interrupts();
        let sectors = device.capacity();
        let readonly = device.readonly();
        Some(Self {
            name,
            device: Mutex::new(device),
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

    /// Wait (in `wfi`) for request `token` to complete.
    fn wait(device: &mut Device, token: u16) {
        while device.peek_used() != Some(token) {
            aarch64_cpu::asm::wfi();
        }
        device.ack_interrupt();
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
        self.check(sector, buf.len())?;
        let _masked = IrqsMasked::new();
        let mut device = self.device.lock();
        for (i, chunk) in buf.chunks_mut(MAX_REQUEST).enumerate() {
            let at = sector + (i * MAX_REQUEST / SECTOR_SIZE) as u64;
            let mut req = BlkReq::default();
            let mut resp = BlkResp::default();
            // SAFETY: req, chunk and resp stay untouched until completion below.
            let token = unsafe { device.read_blocks_nb(at as usize, &mut req, chunk, &mut resp) }
                .map_err(|_| BlockError::Io)?;
            Self::wait(&mut device, token);
            // SAFETY: the same buffers as submitted.
            unsafe { device.complete_read_blocks(token, &req, chunk, &mut resp) }
                .map_err(|_| BlockError::Io)?;
            if resp.status() != RespStatus::OK {
                return Err(BlockError::Io);
            }
        }
        Ok(())
    }

    fn write(&self, sector: u64, buf: &[u8]) -> Result<(), BlockError> {
        if self.readonly {
            return Err(BlockError::ReadOnly);
        }
        self.check(sector, buf.len())?;
        let _masked = IrqsMasked::new();
        let mut device = self.device.lock();
        for (i, chunk) in buf.chunks(MAX_REQUEST).enumerate() {
            let at = sector + (i * MAX_REQUEST / SECTOR_SIZE) as u64;
            let mut req = BlkReq::default();
            let mut resp = BlkResp::default();
            // SAFETY: req, chunk and resp stay untouched until completion below.
            let token = unsafe { device.write_blocks_nb(at as usize, &mut req, chunk, &mut resp) }
                .map_err(|_| BlockError::Io)?;
            Self::wait(&mut device, token);
            // SAFETY: the same buffers as submitted.
            unsafe { device.complete_write_blocks(token, &req, chunk, &mut resp) }
                .map_err(|_| BlockError::Io)?;
            if resp.status() != RespStatus::OK {
                return Err(BlockError::Io);
            }
        }
        Ok(())
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
        if let Some(mut device) = self.device.try_lock() {
            device.ack_interrupt();
        }
    }
}

const _: () = assert!(PAGE_SIZE == 4096);
