//! ARM semihosting: the one call we use, SYS_EXIT_EXTENDED, lets a test build
//! end QEMU (started with `-semihosting`) with an exit status the host sees.
//! Never used outside test builds: on real hardware `hlt` would trap.

const SYS_EXIT_EXTENDED: u64 = 0x20;
const ADP_STOPPED_APPLICATION_EXIT: u64 = 0x2_0026;

/// End the emulator with `status` (0 = success).
pub fn exit(status: u32) -> ! {
    let block = [ADP_STOPPED_APPLICATION_EXIT, status as u64];
    // SAFETY: the semihosting trap reads the two-word parameter block we
    // pass; under QEMU with -semihosting it does not return.
    unsafe {
        core::arch::asm!(
            "hlt #0xf000",
            in("x0") SYS_EXIT_EXTENDED,
            in("x1") block.as_ptr(),
            options(nostack)
        );
    }
    super::cpu::halt()
}
