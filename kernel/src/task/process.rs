//! The process record: identity, state, address space, kernel stack, saved
//! contexts, and quota usage.

use crate::arch::context::{Context, FpState};
use crate::arch::trap::TrapFrame;
use crate::ipc::HandleTable;
use crate::mm::addrspace::AddressSpace;
use crate::mm::frames;
use abi::{Error, ExitStatus};
use alloc::sync::Arc;
use bsp_api::phys_to_virt;
use klib::account::{Account, Resource};
use klib::PAGE_SIZE;

pub type Pid = u32;

/// What a process handle names: the process's pid and, once it has ended,
/// how. It outlives the process record (which goes as soon as the process
/// has ended), so a handle can still be waited on afterwards; it holds no
/// resources besides its own few bytes.
pub struct ProcessRef {
    pub pid: Pid,
    status: spin::Once<ExitStatus>,
}

impl ProcessRef {
    pub fn new(pid: Pid) -> Self {
        Self {
            pid,
            status: spin::Once::new(),
        }
    }

    /// How the process ended, or `None` while it runs.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status.get().copied()
    }

    /// Record how the process ended (the first record wins).
    pub fn set_status(&self, status: ExitStatus) {
        self.status.call_once(|| status);
    }
}

/// Pages in each process's kernel stack.
pub const KSTACK_PAGES: usize = 4;

/// Why a process is not runnable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Block {
    /// Until the counter reaches this value.
    Sleep { until: u64 },
    /// Until this process ends.
    Exit(Pid),
    /// Until console input arrives.
    Console,
    /// Until a watched endpoint is readable or its peer closes, or the
    /// counter reaches `until`.
    Ipc { until: Option<u64> },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Runnable,
    Running,
    Blocked(Block),
    /// Ended: everything it owned is freed; the record and its kernel
    /// stack go at the next schedule (not while it still runs on that stack).
    Zombie(ExitStatus),
}

/// A process's kernel stack: contiguous frames from the frame allocator,
/// charged to the process's account.
pub struct KernelStack {
    base_pa: usize,
    account: Arc<Account>,
}

impl KernelStack {
    pub fn new(account: &Arc<Account>) -> Result<Self, Error> {
        account
            .charge(Resource::Pages, KSTACK_PAGES)
            .map_err(|_| Error::QuotaExceeded)?;
        let Some(base_pa) = frames::alloc_contiguous(KSTACK_PAGES, 1) else {
            account.release(Resource::Pages, KSTACK_PAGES);
            return Err(Error::OutOfMemory);
        };
        Ok(Self {
            base_pa,
            account: account.clone(),
        })
    }

    /// The (exclusive) top of the stack, a kernel virtual address.
    pub fn top(&self) -> usize {
        phys_to_virt(self.base_pa) + KSTACK_PAGES * PAGE_SIZE
    }
}

impl Drop for KernelStack {
    fn drop(&mut self) {
        let _ = frames::free_contiguous(self.base_pa, KSTACK_PAGES);
        self.account.release(Resource::Pages, KSTACK_PAGES);
    }
}

/// Bounded process name (the program name).
#[derive(Clone, Copy, Debug)]
pub struct Name {
    bytes: [u8; 32],
    len: usize,
}

impl Name {
    pub fn new(s: &str) -> Self {
        let mut bytes = [0; 32];
        let len = s.len().min(32);
        bytes[..len].copy_from_slice(&s.as_bytes()[..len]);
        Self { bytes, len }
    }

    pub fn as_str(&self) -> &str {
        core::str::from_utf8(&self.bytes[..self.len]).unwrap_or("?")
    }

    pub fn raw(&self) -> ([u8; 32], usize) {
        (self.bytes, self.len)
    }
}

pub struct Process {
    pub pid: Pid,
    pub name: Name,
    /// 0: started by the kernel, or orphaned.
    pub parent: Pid,
    pub state: State,
    /// Dropped (every page freed) the moment the process exits.
    pub aspace: Option<AddressSpace>,
    pub kstack: KernelStack,
    pub context: Context,
    pub fp: FpState,
    /// Children still running, and the limit.
    pub children: usize,
    pub children_quota: usize,
    /// Killed while it was not running: it ends itself at its next
    /// return towards user mode, after its kernel stack has unwound (so
    /// nothing it held in a blocked system call is leaked).
    pub killed: bool,
    /// Working directory (absolute, normalised); inherited at spawn.
    pub cwd: alloc::string::String,
    /// Where this process's resources are charged (limits lent by the
    /// parent's account). Charged one process slot for the process itself.
    pub account: Arc<Account>,
    /// Handles to kernel objects. Emptied (outside the table lock) when
    /// the process ends.
    pub handles: HandleTable,
    /// What handles to this process name; its status is set when it ends.
    pub this: Arc<ProcessRef>,
}

impl Drop for Process {
    /// The record goes once the process has ended: give back its slot and
    /// settle its account with the parent's.
    fn drop(&mut self) {
        debug_assert!(self.handles.is_empty(), "process dropped with open handles");
        self.account.release(Resource::Processes, 1);
        self.account.close();
    }
}

impl Process {
    /// The trap frame at the top of the kernel stack: the user registers
    /// whenever the process is in the kernel.
    pub fn user_frame(&self) -> *mut TrapFrame {
        (self.kstack.top() - core::mem::size_of::<TrapFrame>()) as *mut TrapFrame
    }
}
