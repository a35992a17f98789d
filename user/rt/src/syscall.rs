//! The raw system-call instruction: number in x8, arguments in x0..x5;
//! x0 comes back as 0 or an error code, x1..x3 as results.

use abi::Error;

/// Make system call `nr`; `Ok([x1, x2, x3])` or the error in x0.
#[inline(always)]
pub fn call(nr: u64, args: [u64; 6]) -> Result<[u64; 3], Error> {
    let (x0, rest) = call_raw(nr, args);
    if x0 == 0 {
        Ok(rest)
    } else {
        Err(Error::from_code(x0).unwrap_or(Error::InvalidArgument))
    }
}

/// Make system call `nr` and return x0 and x1..x3 as they are (for calls
/// that report values with an error, such as `BufferTooSmall`).
#[inline(always)]
pub fn call_raw(nr: u64, args: [u64; 6]) -> (u64, [u64; 3]) {
    let (x0, x1, x2, x3): (u64, u64, u64, u64);
    // SAFETY: `svc #0` enters the kernel, which reads x0..x5 and x8 and
    // writes x0..x3; it preserves every other register.
    unsafe {
        core::arch::asm!(
            "svc #0",
            inlateout("x0") args[0] => x0,
            inlateout("x1") args[1] => x1,
            inlateout("x2") args[2] => x2,
            inlateout("x3") args[3] => x3,
            in("x4") args[4],
            in("x5") args[5],
            in("x8") nr,
            options(nostack),
        );
    }
    (x0, [x1, x2, x3])
}
