//! Building a new process image: validate the ELF (klib::elf), map its
//! segments with their permissions, map the stack above a guard page, and
//! lay out the arguments on the stack. Any error frees everything made so
//! far (the address space's Drop).

use crate::mm::addrspace::{Access, AddressSpace};
use abi::layout::{PAGE_SIZE, STACK_SIZE, STACK_TOP, USER_END, USER_MIN};
use abi::{ArgSlice, Error};
use alloc::sync::Arc;
use klib::account::{Account, Resource};
use klib::elf::{self, ElfError};

/// A loaded image, ready to run.
pub struct Image {
    pub aspace: AddressSpace,
    pub entry: usize,
    pub sp: usize,
    pub argc: usize,
    pub argv: usize,
    /// Where the start-up handle values (u32s) are on the stack.
    pub handles: usize,
}

fn elf_error(e: ElfError) -> Error {
    match e {
        ElfError::TooLarge => Error::QuotaExceeded,
        _ => Error::InvalidArgument,
    }
}

/// Load `file` into a fresh address space charged to `account`, with
/// `args` and the start-up `handles` values placed on the stack.
pub fn load(
    file: &[u8],
    args: &[&[u8]],
    handles: &[u32],
    account: &Arc<Account>,
) -> Result<Image, Error> {
    let max_bytes = account.available(Resource::Pages).saturating_mul(PAGE_SIZE);
    let exe = elf::parse(
        file,
        USER_MIN,
        STACK_TOP - STACK_SIZE - PAGE_SIZE,
        max_bytes,
    )
    .map_err(elf_error)?;
    let mut aspace = AddressSpace::new(account.clone())?;
    for seg in exe.segments() {
        let (lo, hi) = seg.pages();
        let access = if seg.executable {
            Access::ReadExecute
        } else if seg.writable {
            Access::ReadWrite
        } else {
            Access::ReadOnly
        };
        aspace.map_zeroed(lo, hi - lo, access)?;
        aspace.write(seg.vaddr, &file[seg.offset..seg.offset + seg.file_size])?;
    }
    let stack_base = STACK_TOP - STACK_SIZE;
    const { assert!(STACK_TOP <= USER_END) };
    aspace.map_zeroed(stack_base, STACK_SIZE, Access::ReadWrite)?;

    // Strings at the top, then the ArgSlice array (16-byte aligned), then
    // the handle values.
    let strings: usize = args.iter().map(|a| a.len()).sum();
    let array = args.len() * core::mem::size_of::<ArgSlice>();
    let handle_bytes = handles.len() * 4;
    if strings + array + handle_bytes + 64 > STACK_SIZE / 2 {
        return Err(Error::InvalidArgument);
    }
    let mut at = STACK_TOP - strings;
    let argv = (at - array) & !15;
    for (i, a) in args.iter().enumerate() {
        aspace.write(at, a)?;
        let slice = ArgSlice {
            ptr: at as u64,
            len: a.len() as u64,
        };
        // SAFETY: viewing a plain-data ABI struct as bytes.
        let bytes = unsafe {
            core::slice::from_raw_parts(
                &slice as *const ArgSlice as *const u8,
                core::mem::size_of::<ArgSlice>(),
            )
        };
        aspace.write(argv + i * core::mem::size_of::<ArgSlice>(), bytes)?;
        at += a.len();
    }
    let handles_at = (argv - handle_bytes) & !15;
    for (i, h) in handles.iter().enumerate() {
        aspace.write(handles_at + i * 4, &h.to_le_bytes())?;
    }
    Ok(Image {
        aspace,
        entry: exe.entry,
        sp: handles_at,
        argc: args.len(),
        argv,
        handles: handles_at,
    })
}
