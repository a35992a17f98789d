//! User address spaces: one TTBR0 translation tree per process, tagged with
//! an ASID, holding only user pages (never executable by the kernel: PXN).
//! Every page it holds, page tables included, is charged to the owner's
//! resource account; a mapping either happens whole or not at all.

use super::frames;
use abi::layout::{USER_END, USER_MIN};
use abi::Error;
use alloc::sync::Arc;
use bsp_api::phys_to_virt;
use klib::account::{Account, Resource};
use klib::paging::{self, Flags, MapError, MemType, TableAccess, ENTRIES};
use klib::PAGE_SIZE;
use spin::Mutex;

/// 8-bit ASIDs; 0 is never given to a process (it tags the empty TTBR0).
const ASIDS: usize = 256;
static ASID_USED: Mutex<[u64; ASIDS / 64]> = Mutex::new([1, 0, 0, 0]);

fn alloc_asid() -> Option<u16> {
    let mut used = ASID_USED.lock();
    for (w, word) in used.iter_mut().enumerate() {
        if *word != u64::MAX {
            let bit = (!*word).trailing_zeros() as usize;
            *word |= 1 << bit;
            return Some((w * 64 + bit) as u16);
        }
    }
    None
}

fn free_asid(asid: u16) {
    crate::arch::mmu::flush_tlb_asid(asid);
    let mut used = ASID_USED.lock();
    used[asid as usize / 64] &= !(1 << (asid % 64));
}

/// Table frames for a user tree, charged to the owner.
struct UserTables<'a> {
    charged: &'a mut usize,
    account: &'a Arc<Account>,
    over_quota: bool,
}

impl TableAccess for UserTables<'_> {
    fn table(&mut self, pa: usize) -> *mut [u64; ENTRIES] {
        phys_to_virt(pa) as *mut [u64; ENTRIES]
    }

    fn alloc_table(&mut self) -> Option<usize> {
        if self.account.charge(Resource::Pages, 1).is_err() {
            self.over_quota = true;
            return None;
        }
        let Some(pa) = frames::alloc_zeroed() else {
            self.account.release(Resource::Pages, 1);
            return None;
        };
        *self.charged += 1;
        Some(pa)
    }
}

/// Permissions of a user mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadOnly,
    ReadWrite,
    ReadExecute,
}

impl Access {
    fn flags(self) -> Flags {
        Flags {
            mem: MemType::Normal,
            writable: self == Access::ReadWrite,
            executable: self == Access::ReadExecute,
            user: true,
        }
    }
}

pub struct AddressSpace {
    root: usize,
    asid: u16,
    /// Pages held: mapped frames plus page tables (all charged to `account`).
    charged: usize,
    account: Arc<Account>,
}

/// End of the area `find_free` searches (64 GiB above `MMAP_BASE`).
const MMAP_LIMIT: usize = abi::layout::MMAP_BASE + (64 << 30);

/// `va..va+len` is a page-aligned, non-empty range inside user space.
fn check_range(va: usize, len: usize) -> Result<(), Error> {
    if len == 0 || !va.is_multiple_of(PAGE_SIZE) || !len.is_multiple_of(PAGE_SIZE) {
        return Err(Error::InvalidArgument);
    }
    let end = va.checked_add(len).ok_or(Error::InvalidArgument)?;
    if va < USER_MIN || end > USER_END {
        return Err(Error::BadAddress);
    }
    Ok(())
}

impl AddressSpace {
    /// An empty address space whose pages are charged to `account`.
    pub fn new(account: Arc<Account>) -> Result<Self, Error> {
        account
            .charge(Resource::Pages, 1)
            .map_err(|_| Error::QuotaExceeded)?;
        let asid = alloc_asid();
        let root = frames::alloc_zeroed();
        match (asid, root) {
            (Some(asid), Some(root)) => Ok(Self {
                root,
                asid,
                charged: 1,
                account,
            }),
            (asid, root) => {
                if let Some(a) = asid {
                    free_asid(a);
                }
                if let Some(r) = root {
                    let _ = frames::free(r);
                }
                account.release(Resource::Pages, 1);
                Err(Error::OutOfMemory)
            }
        }
    }

    /// The TTBR0_EL1 value selecting this address space.
    pub fn ttbr0(&self) -> u64 {
        self.root as u64 | (self.asid as u64) << 48
    }

    /// Pages this address space holds (mapped frames and tables).
    pub fn pages_held(&self) -> usize {
        self.charged
    }

    fn tables(&mut self) -> UserTables<'_> {
        UserTables {
            charged: &mut self.charged,
            account: &self.account,
            over_quota: false,
        }
    }

    /// Map fresh zeroed pages at `va..va+len`. All or nothing: on any error
    /// nothing new stays mapped or charged, including tables made on the way.
    pub fn map_zeroed(&mut self, va: usize, len: usize, access: Access) -> Result<(), Error> {
        check_range(va, len)?;
        let pages = len / PAGE_SIZE;
        if self.account.available(Resource::Pages) < pages {
            return Err(Error::QuotaExceeded);
        }
        let root = self.root;
        for i in 0..pages {
            let page_va = va + i * PAGE_SIZE;
            // Tables allocated on the way count too, so re-check per page.
            let frame = match self.account.charge(Resource::Pages, 1) {
                Err(_) => Err(Error::QuotaExceeded),
                Ok(()) => frames::alloc_zeroed().ok_or_else(|| {
                    self.account.release(Resource::Pages, 1);
                    Error::OutOfMemory
                }),
            };
            let result = match frame {
                Err(e) => Err(e),
                Ok(pa) => {
                    let mut t = self.tables();
                    match paging::map(&mut t, root, page_va, pa, PAGE_SIZE, access.flags(), false) {
                        Ok(()) => Ok(()),
                        Err(e) => {
                            let over = t.over_quota;
                            let _ = frames::free(pa);
                            self.account.release(Resource::Pages, 1);
                            Err(match e {
                                MapError::AlreadyMapped => Error::InvalidArgument,
                                MapError::NoMemory if over => Error::QuotaExceeded,
                                _ => Error::OutOfMemory,
                            })
                        }
                    }
                }
            };
            match result {
                Ok(()) => self.charged += 1,
                Err(e) => {
                    // Roll back this call's pages and the tables it created.
                    for j in 0..i {
                        let _ = self.unmap_page(va + j * PAGE_SIZE);
                    }
                    self.prune_tables();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn unmap_page(&mut self, va: usize) -> Result<bool, Error> {
        let root = self.root;
        let mut t = self.tables();
        match paging::unmap_page(&mut t, root, va) {
            Ok(Some(pa)) => {
                crate::arch::mmu::flush_tlb_user_page(va, self.asid);
                let _ = frames::free(pa);
                self.charged -= 1;
                self.account.release(Resource::Pages, 1);
                Ok(true)
            }
            Ok(None) => Ok(false),
            Err(_) => Err(Error::InvalidArgument),
        }
    }

    /// Unmap and free `va..va+len`; pages not mapped are skipped, tables
    /// left empty are freed too. Returns the number of pages freed.
    pub fn unmap(&mut self, va: usize, len: usize) -> Result<usize, Error> {
        check_range(va, len)?;
        let mut freed = 0;
        for i in 0..len / PAGE_SIZE {
            if self.unmap_page(va + i * PAGE_SIZE)? {
                freed += 1;
            }
        }
        if freed > 0 {
            self.prune_tables();
        }
        Ok(freed)
    }

    /// Free the tables that map nothing any more (and their charge).
    fn prune_tables(&mut self) {
        let mut n = 0;
        paging::prune_empty(&mut Linear, self.root, &mut |pa| {
            let _ = frames::free(pa);
            n += 1;
        });
        if n > 0 {
            self.charged -= n;
            self.account.release(Resource::Pages, n);
            crate::arch::mmu::flush_tlb_asid(self.asid);
        }
    }

    /// A free, page-aligned range of `len` bytes in the `mem_map` area.
    pub fn find_free(&mut self, len: usize) -> Result<usize, Error> {
        use abi::layout::MMAP_BASE;
        if len == 0 || !len.is_multiple_of(PAGE_SIZE) {
            return Err(Error::InvalidArgument);
        }
        let mut va = MMAP_BASE;
        'search: while va.checked_add(len).is_some_and(|end| end <= MMAP_LIMIT) {
            for off in (0..len).step_by(PAGE_SIZE) {
                if self.translate(va + off).is_some() {
                    va = va + off + PAGE_SIZE;
                    continue 'search;
                }
            }
            return Ok(va);
        }
        Err(Error::OutOfMemory)
    }

    /// The physical address and permissions behind user address `va`.
    pub fn translate(&mut self, va: usize) -> Option<(usize, Flags)> {
        let root = self.root;
        paging::translate(&mut self.tables(), root, va)
    }

    /// Copy `data` into mapped pages at `va`, ignoring page permissions
    /// (used to load programs and arguments before the process runs).
    pub fn write(&mut self, va: usize, data: &[u8]) -> Result<(), Error> {
        let mut done = 0;
        while done < data.len() {
            let at = va + done;
            let (pa, _) = self.translate(at).ok_or(Error::BadAddress)?;
            let n = (PAGE_SIZE - at % PAGE_SIZE).min(data.len() - done);
            // SAFETY: `pa` is a frame of this address space (mapped in the
            // kernel's linear map); `n` stays within its page.
            unsafe {
                core::ptr::copy_nonoverlapping(
                    data[done..].as_ptr(),
                    phys_to_virt(pa) as *mut u8,
                    n,
                );
            }
            done += n;
        }
        Ok(())
    }
}

/// Table access for tearing down: tables are reached through the linear map
/// and nothing is allocated.
struct Linear;

impl TableAccess for Linear {
    fn table(&mut self, pa: usize) -> *mut [u64; ENTRIES] {
        phys_to_virt(pa) as *mut [u64; ENTRIES]
    }

    fn alloc_table(&mut self) -> Option<usize> {
        None
    }
}

impl Drop for AddressSpace {
    /// Free every page and table, then the ASID (flushing its TLB entries).
    /// The caller must have switched TTBR0 away from this space first.
    fn drop(&mut self) {
        let released = core::cell::Cell::new(0usize);
        let mut release = |pa: usize| {
            let _ = frames::free(pa);
            released.set(released.get() + 1);
        };
        let mut release_table = |pa: usize| {
            let _ = frames::free(pa);
            released.set(released.get() + 1);
        };
        paging::destroy(&mut Linear, self.root, &mut release, &mut release_table);
        debug_assert_eq!(released.get(), self.charged);
        self.account.release(Resource::Pages, self.charged);
        self.charged = 0;
        free_asid(self.asid);
    }
}
