//! Copying between kernel and user memory. The kernel touches user memory
//! only through these functions: they check that the range lies in user
//! space, access it with unprivileged loads/stores (`ldtr`/`sttr`, checked
//! against EL0 permissions even with PAN on), and turn a fault during the
//! copy into [`Error::BadAddress`] through the fixup table, never a panic.

use crate::arch::mmu;
use abi::layout::USER_END;
use abi::Error;
use core::mem::MaybeUninit;

extern "C" {
    /// Copy `len` bytes from user `src` to kernel `dst`; returns the number
    /// of bytes not copied (0 on success).
    fn __copy_from_user(dst: *mut u8, src: usize, len: usize) -> usize;
    /// Copy `len` bytes from kernel `src` to user `dst`; returns the number
    /// of bytes not copied (0 on success).
    fn __copy_to_user(dst: usize, src: *const u8, len: usize) -> usize;
    /// Copy `len` bytes (a multiple of 8, at most 64) from user `src` in
    /// the current address space to user `dst` in address space `ttbr0`:
    /// 0 on success, 1 if reading faulted (nothing written), 2 if writing
    /// did. TTBR0 is back to its value on entry in every case.
    fn __copy_across_words(dst: usize, src: usize, len: usize, ttbr0: u64) -> u64;
}

/// Which side of a copy between two address spaces faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Reading the running process's memory (nothing was written).
    Source,
    /// Writing the other process's memory (some may have been written).
    Destination,
}

/// Largest copy [`copy_across`] does in registers.
pub const ACROSS_MAX: usize = 64;

/// Copy `len` bytes (a multiple of 8, at most [`ACROSS_MAX`]) from the
/// running process's memory at `src` to the memory at `dst` of the address
/// space `ttbr0`, through registers: everything is read, then TTBR0 is
/// switched around the writes. Both sides are checked against EL0
/// permissions (`ldtr`/`sttr`).
#[inline(always)]
pub fn copy_across(ttbr0: u64, dst: usize, src: usize, len: usize) -> Result<(), Side> {
    assert!(
        len.is_multiple_of(8) && len <= ACROSS_MAX,
        "copy_across: {len} bytes"
    );
    check(src, len).map_err(|_| Side::Source)?;
    check(dst, len).map_err(|_| Side::Destination)?;
    // SAFETY: both ranges are in user space; every access is unprivileged
    // with a fault fixup, and the routine restores TTBR0 before returning.
    match unsafe { __copy_across_words(dst, src, len, ttbr0) } {
        0 => Ok(()),
        1 => Err(Side::Source),
        _ => Err(Side::Destination),
    }
}

/// Check that `addr..addr+len` is inside user space (an empty range is fine).
pub fn check(addr: usize, len: usize) -> Result<(), Error> {
    let end = addr.checked_add(len).ok_or(Error::BadAddress)?;
    if len > 0 && end > USER_END {
        return Err(Error::BadAddress);
    }
    Ok(())
}

/// Fill `dst` from user memory at `src`.
pub fn copy_from_user(dst: &mut [u8], src: usize) -> Result<(), Error> {
    check(src, dst.len())?;
    // SAFETY: `dst` is a valid kernel buffer of that length; the user side
    // is accessed unprivileged with fault fixups.
    let left = unsafe { __copy_from_user(dst.as_mut_ptr(), src, dst.len()) };
    if left == 0 {
        Ok(())
    } else {
        Err(Error::BadAddress)
    }
}

/// `len` bytes from user memory at `src`, in a new buffer (not zeroed
/// first). Fails with `OutOfMemory` rather than panicking on a huge `len`.
pub fn copy_from_user_vec(src: usize, len: usize) -> Result<alloc::vec::Vec<u8>, Error> {
    check(src, len)?;
    let mut v = alloc::vec::Vec::new();
    v.try_reserve_exact(len).map_err(|_| Error::OutOfMemory)?;
    copy_from_user_uninit(&mut v.spare_capacity_mut()[..len], src)?;
    // SAFETY: all `len` bytes were written just above.
    unsafe { v.set_len(len) };
    Ok(v)
}

/// Fill `dst`, which need not be initialised, from user memory at `src`.
/// On success every byte of `dst` has been written.
pub fn copy_from_user_uninit(dst: &mut [MaybeUninit<u8>], src: usize) -> Result<(), Error> {
    check(src, dst.len())?;
    // SAFETY: `dst` is a valid kernel buffer of that length (written, never
    // read); the user side is accessed unprivileged with fault fixups.
    let left = unsafe { __copy_from_user(dst.as_mut_ptr().cast(), src, dst.len()) };
    if left == 0 {
        Ok(())
    } else {
        Err(Error::BadAddress)
    }
}

/// Write `src` to user memory at `dst`.
pub fn copy_to_user(dst: usize, src: &[u8]) -> Result<(), Error> {
    check(dst, src.len())?;
    // SAFETY: `src` is a valid kernel buffer; the user side is accessed
    // unprivileged with fault fixups.
    let left = unsafe { __copy_to_user(dst, src.as_ptr(), src.len()) };
    if left == 0 {
        Ok(())
    } else {
        Err(Error::BadAddress)
    }
}

/// Run `f` with the user half switched to the address space `ttbr0`
/// (another process's), then switch back: the user-copy functions called
/// in `f` reach that process's memory, checked against its EL0
/// permissions like its own calls would be. Kernel code runs with IRQs
/// masked, so nothing else runs meanwhile; `f` must not block.
pub fn in_address_space<R>(ttbr0: u64, f: impl FnOnce() -> R) -> R {
    let mine = mmu::ttbr0();
    mmu::set_ttbr0(ttbr0);
    let r = f();
    mmu::set_ttbr0(mine);
    r
}

/// Read a plain-data `T` (a `#[repr(C)]` ABI struct of integers) from user memory.
pub fn read_struct<T: Copy + Default>(src: usize) -> Result<T, Error> {
    let mut value = T::default();
    // SAFETY: T is plain data (integers only), so any byte pattern is valid.
    let bytes = unsafe {
        core::slice::from_raw_parts_mut(&mut value as *mut T as *mut u8, core::mem::size_of::<T>())
    };
    copy_from_user(bytes, src)?;
    Ok(value)
}

/// Write a plain-data `T` to user memory, at most `room` bytes of it.
pub fn write_struct<T: Copy>(dst: usize, room: usize, value: &T) -> Result<(), Error> {
    let size = core::mem::size_of::<T>();
    if room < size {
        return Err(Error::BufferTooSmall);
    }
    // SAFETY: viewing a plain-data value as its bytes.
    let bytes = unsafe { core::slice::from_raw_parts(value as *const T as *const u8, size) };
    copy_to_user(dst, bytes)
}

// Both copies move 64 bytes per iteration while at least 64 are left (eight
// unprivileged 8-byte accesses, the kernel side in pairs), then 8 bytes,
// then single bytes. `ldtr`/`sttr` have no pair form. Every user access has
// a fixup entry; a fault returns the count not yet copied from the start of
// the step it happened in (never 0, so the caller sees the failure).
core::arch::global_asm!(
    ".section .text.usercopy, \"ax\"",
    ".global __copy_from_user",
    "__copy_from_user:",
    "0:  cmp x2, #64",
    "    b.lo 1f",
    "10: ldtr x3, [x1]",
    "11: ldtr x4, [x1, #8]",
    "12: ldtr x5, [x1, #16]",
    "13: ldtr x6, [x1, #24]",
    "14: ldtr x7, [x1, #32]",
    "15: ldtr x8, [x1, #40]",
    "16: ldtr x9, [x1, #48]",
    "17: ldtr x10, [x1, #56]",
    "    stp x3, x4, [x0]",
    "    stp x5, x6, [x0, #16]",
    "    stp x7, x8, [x0, #32]",
    "    stp x9, x10, [x0, #48]",
    "    add x0, x0, #64",
    "    add x1, x1, #64",
    "    sub x2, x2, #64",
    "    b 0b",
    "1:  cmp x2, #8",
    "    b.lo 3f",
    "2:  ldtr x3, [x1]",
    "    str x3, [x0], #8",
    "    add x1, x1, #8",
    "    sub x2, x2, #8",
    "    b 1b",
    "3:  cbz x2, 5f",
    "4:  ldtrb w3, [x1]",
    "    strb w3, [x0], #1",
    "    add x1, x1, #1",
    "    sub x2, x2, #1",
    "    b 3b",
    "5:  mov x0, x2",
    "    ret",
    ".pushsection __fixup_table, \"a\"",
    ".balign 8",
    ".quad 10b, 5b",
    ".quad 11b, 5b",
    ".quad 12b, 5b",
    ".quad 13b, 5b",
    ".quad 14b, 5b",
    ".quad 15b, 5b",
    ".quad 16b, 5b",
    ".quad 17b, 5b",
    ".quad 2b, 5b",
    ".quad 4b, 5b",
    ".popsection",
    "",
    ".global __copy_to_user",
    "__copy_to_user:",
    "0:  cmp x2, #64",
    "    b.lo 1f",
    "    ldp x3, x4, [x1]",
    "    ldp x5, x6, [x1, #16]",
    "    ldp x7, x8, [x1, #32]",
    "    ldp x9, x10, [x1, #48]",
    "10: sttr x3, [x0]",
    "11: sttr x4, [x0, #8]",
    "12: sttr x5, [x0, #16]",
    "13: sttr x6, [x0, #24]",
    "14: sttr x7, [x0, #32]",
    "15: sttr x8, [x0, #40]",
    "16: sttr x9, [x0, #48]",
    "17: sttr x10, [x0, #56]",
    "    add x0, x0, #64",
    "    add x1, x1, #64",
    "    sub x2, x2, #64",
    "    b 0b",
    "1:  cmp x2, #8",
    "    b.lo 3f",
    "    ldr x3, [x1], #8",
    "2:  sttr x3, [x0]",
    "    add x0, x0, #8",
    "    sub x2, x2, #8",
    "    b 1b",
    "3:  cbz x2, 5f",
    "    ldrb w3, [x1], #1",
    "4:  sttrb w3, [x0]",
    "    add x0, x0, #1",
    "    sub x2, x2, #1",
    "    b 3b",
    "5:  mov x0, x2",
    "    ret",
    ".pushsection __fixup_table, \"a\"",
    ".balign 8",
    ".quad 10b, 5b",
    ".quad 11b, 5b",
    ".quad 12b, 5b",
    ".quad 13b, 5b",
    ".quad 14b, 5b",
    ".quad 15b, 5b",
    ".quad 16b, 5b",
    ".quad 17b, 5b",
    ".quad 2b, 5b",
    ".quad 4b, 5b",
    ".popsection",
);

// `__copy_across_words`: up to eight words read into registers from the
// current address space, TTBR0 switched to x3, the words written, TTBR0
// switched back (x9). Straight-line: each half branches into its run of
// eight accesses so that exactly `len / 8` of them execute (one 4-byte
// instruction per word: the entry is `len / 2` bytes before the run's
// end; `len` must be a multiple of 8, at most 64). A fault reading
// returns 1 before anything is written; a fault writing restores TTBR0
// and returns 2.
core::arch::global_asm!(
    ".section .text.usercopy, \"ax\"",
    ".global __copy_across_words",
    "__copy_across_words:",
    "    mrs x9, ttbr0_el1",
    "    cbz x2, 5f",
    "    adr x14, 1f",
    "    sub x14, x14, x2, lsr #1",
    "    br x14",
    "17: ldtr x12, [x1, #56]",
    "16: ldtr x11, [x1, #48]",
    "15: ldtr x10, [x1, #40]",
    "14: ldtr x8, [x1, #32]",
    "13: ldtr x7, [x1, #24]",
    "12: ldtr x6, [x1, #16]",
    "11: ldtr x5, [x1, #8]",
    "10: ldtr x4, [x1, #0]",
    "1:  msr ttbr0_el1, x3",
    "    isb",
    "    adr x14, 2f",
    "    sub x14, x14, x2, lsr #1",
    "    br x14",
    "27: sttr x12, [x0, #56]",
    "26: sttr x11, [x0, #48]",
    "25: sttr x10, [x0, #40]",
    "24: sttr x8, [x0, #32]",
    "23: sttr x7, [x0, #24]",
    "22: sttr x6, [x0, #16]",
    "21: sttr x5, [x0, #8]",
    "20: sttr x4, [x0, #0]",
    "2:  msr ttbr0_el1, x9",
    "    isb",
    "5:  mov x0, #0",
    "    ret",
    "6:  mov x0, #1",
    "    ret",
    "7:  msr ttbr0_el1, x9",
    "    isb",
    "    mov x0, #2",
    "    ret",
    ".pushsection __fixup_table, \"a\"",
    ".balign 8",
    ".quad 10b, 6b",
    ".quad 11b, 6b",
    ".quad 12b, 6b",
    ".quad 13b, 6b",
    ".quad 14b, 6b",
    ".quad 15b, 6b",
    ".quad 16b, 6b",
    ".quad 17b, 6b",
    ".quad 20b, 7b",
    ".quad 21b, 7b",
    ".quad 22b, 7b",
    ".quad 23b, 7b",
    ".quad 24b, 7b",
    ".quad 25b, 7b",
    ".quad 26b, 7b",
    ".quad 27b, 7b",
    ".popsection",
);
