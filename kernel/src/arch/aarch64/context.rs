//! Kernel context switching and user entry.
//!
//! Each process has its own kernel stack. [`switch`] saves the callee-saved
//! registers of the running kernel context and resumes another; a new
//! process starts in `__enter_user`, which returns to EL0 through the trap
//! frame prepared at the top of its kernel stack. FP/SIMD state belongs to
//! user space only (the kernel is built without FP). It is switched
//! lazily: the registers keep the state of the last process that used
//! them, EL0's access is turned off ([`set_user_fp`]) whenever another
//! process runs, and its first FP/SIMD instruction traps so the scheduler
//! saves the owner's registers and loads its own (`sched::fp_trap`).

use super::trap::TrapFrame;

/// Callee-saved state of a suspended kernel context.
#[repr(C)]
#[derive(Debug, Default)]
pub struct Context {
    /// x19..=x28
    regs: [u64; 10],
    fp: u64,
    lr: u64,
    sp: u64,
}

impl Context {
    /// An empty context, to be filled by the first [`switch`] away from it.
    pub const fn zeroed() -> Self {
        Context {
            regs: [0; 10],
            fp: 0,
            lr: 0,
            sp: 0,
        }
    }

    /// A context that, when switched to, enters user mode with the trap
    /// frame at `frame` (which must sit at the top of its kernel stack).
    pub fn new_user(frame: *mut TrapFrame) -> Self {
        Context {
            regs: [0; 10],
            fp: 0,
            lr: __enter_user as *const () as u64,
            sp: frame as u64,
        }
    }
}

/// The user FP/SIMD registers.
#[repr(C, align(16))]
#[derive(Debug, Default)]
pub struct FpState {
    q: [u128; 32],
    fpcr: u64,
    fpsr: u64,
}

impl FpState {
    pub fn save(&mut self) {
        // SAFETY: stores the FP registers into `self`, which is large enough.
        unsafe { __fp_save(self) }
    }

    pub fn restore(&self) {
        // SAFETY: loads the FP registers from `self`.
        unsafe { __fp_restore(self) }
    }
}

/// Let EL0 use the FP/SIMD registers (`true`), or make its first use
/// trap to EL1 (exception class `FP_ACCESS`). EL1 is never trapped: the
/// kernel's own FP code is [`FpState::save`]/[`FpState::restore`]. No
/// barrier: the `eret` to EL0 synchronises the change.
pub fn set_user_fp(enabled: bool) {
    // CPACR_EL1.FPEN: 0b11 traps nothing, 0b01 traps EL0 only.
    let cpacr: u64 = if enabled { 3 << 20 } else { 1 << 20 };
    // SAFETY: only changes whether EL0 FP/SIMD instructions trap.
    unsafe { core::arch::asm!("msr cpacr_el1, {0}", in(reg) cpacr, options(nomem, nostack)) };
}

extern "C" {
    fn __switch_context(from: *mut Context, to: *const Context);
    fn __enter_user();
    fn __fp_save(state: *mut FpState);
    fn __fp_restore(state: *const FpState);
}

/// Save the current kernel context into `from` and resume `to`.
///
/// # Safety
/// Both pointers must stay valid until the context in `from` is resumed
/// (they point into process records that outlive their contexts), and `to`
/// must hold a context saved by `switch` or made by [`Context::new_user`].
pub unsafe fn switch(from: *mut Context, to: *const Context) {
    // SAFETY: forwarded from this function's contract.
    unsafe { __switch_context(from, to) }
}

core::arch::global_asm!(
    ".section .text.context, \"ax\"",
    ".global __switch_context",
    "__switch_context:",
    "    stp x19, x20, [x0, #0]",
    "    stp x21, x22, [x0, #16]",
    "    stp x23, x24, [x0, #32]",
    "    stp x25, x26, [x0, #48]",
    "    stp x27, x28, [x0, #64]",
    "    stp x29, x30, [x0, #80]",
    "    mov x9, sp",
    "    str x9, [x0, #96]",
    "    ldp x19, x20, [x1, #0]",
    "    ldp x21, x22, [x1, #16]",
    "    ldp x23, x24, [x1, #32]",
    "    ldp x25, x26, [x1, #48]",
    "    ldp x27, x28, [x1, #64]",
    "    ldp x29, x30, [x1, #80]",
    "    ldr x9, [x1, #96]",
    "    mov sp, x9",
    "    ret",
    "",
    ".global __enter_user",
    "__enter_user:",
    "    b exception_return",
    "",
    ".arch_extension fp",
    ".arch_extension simd",
    ".global __fp_save",
    "__fp_save:",
    "    stp q0, q1, [x0, #0]",
    "    stp q2, q3, [x0, #32]",
    "    stp q4, q5, [x0, #64]",
    "    stp q6, q7, [x0, #96]",
    "    stp q8, q9, [x0, #128]",
    "    stp q10, q11, [x0, #160]",
    "    stp q12, q13, [x0, #192]",
    "    stp q14, q15, [x0, #224]",
    "    stp q16, q17, [x0, #256]",
    "    stp q18, q19, [x0, #288]",
    "    stp q20, q21, [x0, #320]",
    "    stp q22, q23, [x0, #352]",
    "    stp q24, q25, [x0, #384]",
    "    stp q26, q27, [x0, #416]",
    "    stp q28, q29, [x0, #448]",
    "    stp q30, q31, [x0, #480]",
    "    mrs x9, fpcr",
    "    mrs x10, fpsr",
    "    str x9, [x0, #512]",
    "    str x10, [x0, #520]",
    "    ret",
    "",
    ".global __fp_restore",
    "__fp_restore:",
    "    ldp q0, q1, [x0, #0]",
    "    ldp q2, q3, [x0, #32]",
    "    ldp q4, q5, [x0, #64]",
    "    ldp q6, q7, [x0, #96]",
    "    ldp q8, q9, [x0, #128]",
    "    ldp q10, q11, [x0, #160]",
    "    ldp q12, q13, [x0, #192]",
    "    ldp q14, q15, [x0, #224]",
    "    ldp q16, q17, [x0, #256]",
    "    ldp q18, q19, [x0, #288]",
    "    ldp q20, q21, [x0, #320]",
    "    ldp q22, q23, [x0, #352]",
    "    ldp q24, q25, [x0, #384]",
    "    ldp q26, q27, [x0, #416]",
    "    ldp q28, q29, [x0, #448]",
    "    ldp q30, q31, [x0, #480]",
    "    ldr x9, [x0, #512]",
    "    ldr x10, [x0, #520]",
    "    msr fpcr, x9",
    "    msr fpsr, x10",
    "    ret",
);
