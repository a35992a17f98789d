// The exception vector table and the trap-frame save/restore around the
// Rust handler `exception_dispatch(frame, kind)`.
//
// TrapFrame layout (keep in sync with trap.rs): x0..x30 at 8*n, then sp_el0,
// elr_el1, spsr_el1: 34 words = 272 bytes.
//
// Synchronous exceptions from EL0 (system calls, faults, FP traps) take a
// shorter path, `el0_sync`: only the registers the kernel's own code may
// clobber are saved (x0..x18, x30) with sp_el0, elr and spsr. The
// callee-saved x19..x29 keep the user's values through the Rust handler,
// which preserves them (AAPCS64), and across any context switch it makes
// (`__switch_context` saves them): they are never written to the frame
// on that path, so frame.x[19..=29] is stale there. A process starts, and
// returns from an interrupt, through the full `exception_return`.

.equ FRAME_SIZE, 272

.macro VECTOR kind
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    mov     x1, #\kind
    b       save_and_dispatch
.endm

.section .text.vectors, "ax"
.balign 0x800
.global exception_vectors
exception_vectors:
    // Current EL, SP_EL0 (never used by the kernel)
    VECTOR 0
    VECTOR 1
    VECTOR 2
    VECTOR 3
    // Current EL, SP_ELx
    VECTOR 4
    VECTOR 5
    VECTOR 6
    VECTOR 7
    // Lower EL, AArch64
    .balign 0x80
    sub     sp, sp, #FRAME_SIZE
    stp     x0, x1, [sp, #0]
    b       el0_sync
    VECTOR 9
    VECTOR 10
    VECTOR 11
    // Lower EL, AArch32 (not supported)
    VECTOR 12
    VECTOR 13
    VECTOR 14
    VECTOR 15

save_and_dispatch:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    mrs     x21, sp_el0
    mrs     x22, elr_el1
    mrs     x23, spsr_el1
    stp     x30, x21, [sp, #240]
    stp     x22, x23, [sp, #256]
    mov     x0, sp
    bl      exception_dispatch

.global exception_return
exception_return:
    ldp     x22, x23, [sp, #256]
    ldp     x30, x21, [sp, #240]
    msr     elr_el1, x22
    msr     spsr_el1, x23
    msr     sp_el0, x21
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    add     sp, sp, #FRAME_SIZE
    eret

el0_sync:
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    str     x18, [sp, #144]
    mrs     x9, sp_el0
    mrs     x10, elr_el1
    mrs     x11, spsr_el1
    stp     x30, x9, [sp, #240]
    stp     x10, x11, [sp, #256]
    mov     x0, sp
    bl      el0_sync_dispatch
    ldp     x10, x11, [sp, #256]
    ldp     x30, x9, [sp, #240]
    msr     elr_el1, x10
    msr     spsr_el1, x11
    msr     sp_el0, x9
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldr     x18, [sp, #144]
    add     sp, sp, #FRAME_SIZE
    eret
