//! `crashme KIND`: commits one kind of fault on purpose, so tests can check
//! that the kernel kills only this process and reports the right reason.
//! Kinds: null, write-text, kernel-read, undefined, pc-align, sp-align,
//! stack-overflow, bad-svc, exec-data.
#![no_std]
#![no_main]

use core::arch::asm;

rt::entry!(main);

#[inline(never)]
#[allow(unconditional_recursion)]
fn recurse(depth: u64) -> u64 {
    let buf = core::hint::black_box([depth; 64]);
    recurse(depth + 1) + buf[3]
}

static DATA: [u32; 4] = [0xd503201f; 4]; // nop instructions, in a non-executable page

fn main(args: rt::Args) -> i32 {
    let kind = args.get(1).unwrap_or("");
    // SAFETY: every arm deliberately faults; the kernel ends this process.
    unsafe {
        match kind {
            "null" => {
                core::ptr::read_volatile(core::ptr::null::<u64>());
            }
            "write-text" => {
                core::ptr::write_volatile(main as *const () as *mut u32, 0);
            }
            "kernel-read" => {
                core::ptr::read_volatile(0xffff_0000_4000_0000usize as *const u64);
            }
            "undefined" => asm!("udf #0"),
            "pc-align" => asm!("adr x9, 1f", "add x9, x9, #2", "br x9", "1: nop", out("x9") _),
            "sp-align" => {
                // Misalign SP and load through it; SCTLR_EL1.SA0 makes that
                // fault. QEMU does not model SP alignment checks: there the
                // load succeeds, SP is put back and we exit with 3.
                asm!(
                    "mov x11, sp",
                    "sub x9, x11, #4",
                    "mov sp, x9",
                    "ldr x10, [sp]",
                    "mov sp, x11",
                    out("x9") _, out("x10") _, out("x11") _,
                );
                return 3;
            }
            "stack-overflow" => {
                core::hint::black_box(recurse(0));
            }
            "bad-svc" => asm!("svc #0x42"),
            "exec-data" => {
                let f: extern "C" fn() = core::mem::transmute(DATA.as_ptr());
                f();
            }
            _ => {
                rt::println!("crashme: unknown kind {kind:?}");
                return 2;
            }
        }
    }
    rt::println!("crashme: {kind} did not fault");
    1
}
