// Boot: the first instructions the kernel runs, on every board.
//
// Entered at the physical load address with the MMU off, at EL2 (Pi) or EL1
// (QEMU virt), x0 = device tree address or 0. Steps:
//   1. park every core but core 0 (they spin on `secondary_entry` for SMP);
//   2. drop from EL2 to EL1 if needed (timer and GICv3 access for EL1);
//   3. enable FP/SIMD, clear .bss, set up the boot stack;
//   4. build boot page tables: 0..4 GiB mapped twice (identity via TTBR0 and
//      the upper-half linear map via TTBR1), 2 MiB blocks, device memory
//      except the 2 MiB blocks holding the kernel image (normal, cached);
//   5. enable the MMU and caches, jump to the upper half and call Rust.
// Only PC-relative addressing (adr/adrp) is used before step 5.

.equ SCTLR_RES1,       0x30d00800
.equ SCTLR_MMU_ON,     0x30d0181d      // RES1 | M | C | SA | SA0 | I
.equ TCR_BASE,         0xb5103510      // 48-bit VAs both halves, 4K granule, WB WA, inner shareable
.equ MAIR_VALUE,       0x44ff04        // keep in sync with klib::paging::MAIR_VALUE
.equ BLOCK_NORMAL,     0x705           // valid, AttrIndx 1, inner shareable, AF
.equ BLOCK_DEVICE_LO,  0x401           // valid, AttrIndx 0, AF
.equ BLOCK_XN,         0x0060000000000000  // PXN | UXN
.equ TWO_MB,           0x200000
.equ BOOT_STACK_SIZE,  0x10000

.section .text.boot, "ax"
.global _start
_start:
    mov     x19, x0                     // device tree pointer
    mrs     x1, mpidr_el1
    and     x1, x1, #0xff
    cbnz    x1, park_secondary

    mrs     x20, CurrentEL
    lsr     x20, x20, #2                // entry exception level, for the banner
    cmp     x20, #2
    b.ne    at_el1

    // ---- EL2 -> EL1 ----
    mov     x1, #(1 << 31)              // HCR_EL2.RW: EL1 is AArch64
    msr     hcr_el2, x1
    mov     x1, #3                      // EL1 may use the physical timer and counter
    msr     cnthctl_el2, x1
    msr     cntvoff_el2, xzr
    mrs     x1, id_aa64pfr0_el1
    ubfx    x1, x1, #24, #4             // GIC system register interface present?
    cbz     x1, 1f
    mrs     x1, S3_4_C12_C9_5           // ICC_SRE_EL2
    orr     x1, x1, #0x1                // SRE
    orr     x1, x1, #0x8                // Enable: EL1 may use ICC_SRE_EL1
    msr     S3_4_C12_C9_5, x1
    isb
1:  mov     x1, #0x33ff                 // CPTR_EL2: no FP/SIMD traps
    msr     cptr_el2, x1
    msr     hstr_el2, xzr
    mrs     x1, midr_el1
    msr     vpidr_el2, x1
    mrs     x1, mpidr_el1
    msr     vmpidr_el2, x1
    ldr     x1, =SCTLR_RES1
    msr     sctlr_el1, x1
    mov     x1, #0x3c5                  // EL1h, DAIF masked
    msr     spsr_el2, x1
    adr     x1, at_el1
    msr     elr_el2, x1
    eret

at_el1:
    ldr     x1, =SCTLR_RES1             // MMU and caches off while we set up
    msr     sctlr_el1, x1
    mov     x1, #(3 << 20)              // CPACR_EL1.FPEN: no FP/SIMD traps
    msr     cpacr_el1, x1
    isb

    // ---- clear .bss ----
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
2:  cmp     x1, x2
    b.hs    3f
    stp     xzr, xzr, [x1], #16
    b       2b
3:
    adrp    x1, boot_stack_top
    add     x1, x1, :lo12:boot_stack_top
    mov     sp, x1

    // ---- boot page tables ----
    adrp    x0, boot_l0
    adrp    x1, boot_l1
    orr     x2, x1, #3
    str     x2, [x0]                    // L0[0] -> L1 (covers 0..512 GiB)
    adrp    x2, boot_l2
    mov     x3, #0
4:  add     x4, x2, x3, lsl #12
    orr     x4, x4, #3
    str     x4, [x1, x3, lsl #3]        // L1[i] -> L2 table i
    add     x3, x3, #1
    cmp     x3, #4
    b.lo    4b

    adrp    x5, __kernel_start
    and     x5, x5, #~(TWO_MB - 1)
    adrp    x6, __kernel_end
    add     x6, x6, :lo12:__kernel_end
    ldr     x7, =(TWO_MB - 1)
    add     x6, x6, x7
    and     x6, x6, #~(TWO_MB - 1)
    ldr     x7, =BLOCK_NORMAL
    ldr     x8, =(BLOCK_DEVICE_LO | BLOCK_XN)
    mov     x3, #0
5:  lsl     x4, x3, #21                 // physical address of block
    cmp     x4, x5
    b.lo    6f
    cmp     x4, x6
    b.hs    6f
    orr     x9, x4, x7
    b       7f
6:  orr     x9, x4, x8
7:  str     x9, [x2, x3, lsl #3]
    add     x3, x3, #1
    cmp     x3, #2048
    b.lo    5b

    // Drop any stale cache lines over the tables we just wrote uncached.
    adrp    x1, boot_l0
    adrp    x2, boot_tables_end
    add     x2, x2, :lo12:boot_tables_end
8:  dc      ivac, x1
    add     x1, x1, #64
    cmp     x1, x2
    b.lo    8b
    dsb     sy

    // ---- MMU on ----
    ldr     x1, =MAIR_VALUE
    msr     mair_el1, x1
    mrs     x1, id_aa64mmfr0_el1
    and     x1, x1, #0xf                // PARange
    cmp     x1, #5
    mov     x2, #5
    csel    x1, x1, x2, ls              // at most 48 bits
    ldr     x2, =TCR_BASE
    orr     x2, x2, x1, lsl #32         // IPS
    msr     tcr_el1, x2
    msr     ttbr0_el1, x0
    msr     ttbr1_el1, x0
    isb
    tlbi    vmalle1
    dsb     nsh
    isb
    ldr     x1, =SCTLR_MMU_ON
    msr     sctlr_el1, x1
    isb
    ic      iallu
    dsb     nsh
    isb
    ldr     x1, =boot_high
    br      x1

boot_high:
    // Now running in the upper half.
    ldr     x1, =boot_stack_top
    mov     sp, x1
    mov     x29, xzr                    // terminate frame-pointer chains
    mov     x30, xzr
    ldr     x1, =exception_vectors
    msr     vbar_el1, x1
    isb
    mov     x0, x19
    mov     x1, x20
    bl      __kernel_start_rust
9:  wfe
    b       9b

// Secondary cores wait here (MMU off) until `secondary_entry` holds the
// physical address of code to run: ready for SMP bring-up later.
park_secondary:
    adrp    x1, secondary_entry
    add     x1, x1, :lo12:secondary_entry
10: wfe
    ldr     x2, [x1]
    cbz     x2, 10b
    br      x2

.section .data.boot, "aw"
.balign 8
.global secondary_entry
secondary_entry:
    .quad 0

.section .bss.boot, "aw", @nobits
.balign 4096
.global boot_l0
boot_l0:
    .space 4096
boot_l1:
    .space 4096
boot_l2:
    .space 4 * 4096
boot_tables_end:
.balign 16
.global boot_stack_bottom
boot_stack_bottom:
    .space BOOT_STACK_SIZE
.global boot_stack_top
boot_stack_top:
