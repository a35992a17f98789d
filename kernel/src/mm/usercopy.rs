//! Copying between kernel and user memory. The kernel touches user memory
//! only through these functions: they check that the range lies in user
//! space, access it with unprivileged loads/stores (`ldtr`/`sttr`, checked
//! against EL0 permissions even with PAN on), and turn a fault during the
//! copy into [`Error::BadAddress`] through the fixup table, never a panic.

use abi::layout::USER_END;
use abi::Error;

extern "C" {
    /// Copy `len` bytes from user `src` to kernel `dst`; returns the number
    /// of bytes not copied (0 on success).
    fn __copy_from_user(dst: *mut u8, src: usize, len: usize) -> usize;
    /// Copy `len` bytes from kernel `src` to user `dst`; returns the number
    /// of bytes not copied (0 on success).
    fn __copy_to_user(dst: usize, src: *const u8, len: usize) -> usize;
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
    // SAFETY: the vector has room for `len` bytes; the user side is
    // accessed unprivileged with fault fixups.
    let left = unsafe { __copy_from_user(v.as_mut_ptr(), src, len) };
    if left != 0 {
        return Err(Error::BadAddress);
    }
    // SAFETY: all `len` bytes were written just above.
    unsafe { v.set_len(len) };
    Ok(v)
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

core::arch::global_asm!(
    ".section .text.usercopy, \"ax\"",
    ".global __copy_from_user",
    "__copy_from_user:",
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
    ".quad 2b, 5b",
    ".quad 4b, 5b",
    ".popsection",
    "",
    ".global __copy_to_user",
    "__copy_to_user:",
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
    ".quad 2b, 5b",
    ".quad 4b, 5b",
    ".popsection",
);
