//! Trap handling: the Rust side of the exception vectors. Routes IRQs to the
//! kernel's interrupt dispatcher, resumes expected faults at their fixup, and
//! turns anything unexpected into a full report and a panic.

use super::fault;
use aarch64_cpu::registers::{ESR_EL1, FAR_EL1};
use abi::FaultKind;
use core::fmt;
use klib::esr::{ec, Esr};
use tock_registers::interfaces::Readable;

/// Registers saved on exception entry (layout shared with vectors.s).
#[repr(C)]
pub struct TrapFrame {
    pub x: [u64; 31],
    pub sp_el0: u64,
    pub elr: u64,
    pub spsr: u64,
}

const _: () = assert!(core::mem::size_of::<TrapFrame>() == 272);

/// Which of the 16 vectors was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vector {
    Sync,
    Irq,
    Fiq,
    SError,
}

fn describe_kind(kind: u64) -> (&'static str, Vector) {
    let origin = match kind / 4 {
        0 => "EL1 with SP_EL0",
        1 => "EL1",
        2 => "EL0 (AArch64)",
        _ => "EL0 (AArch32)",
    };
    let vector = match kind % 4 {
        0 => Vector::Sync,
        1 => Vector::Irq,
        2 => Vector::Fiq,
        _ => Vector::SError,
    };
    (origin, vector)
}

/// A synchronous exception from EL0 (vector 8), entered through
/// `el0_sync` in vectors.s: `frame.x[19..=29]` is not saved there (the
/// registers themselves keep the user's values), so nothing on this path
/// may read or write them.
#[no_mangle]
extern "C" fn el0_sync_dispatch(frame: &mut TrapFrame) {
    user_sync(frame);
    back_to_user();
}

#[no_mangle]
extern "C" fn exception_dispatch(frame: &mut TrapFrame, kind: u64) {
    let (origin, vector) = describe_kind(kind);
    match (kind / 4, vector) {
        (1, Vector::Irq) => crate::irq::handle(),
        (2, Vector::Irq) => {
            crate::irq::handle();
            back_to_user();
        }
        (2, Vector::Sync) => {
            user_sync(frame);
            back_to_user();
        }
        (1, Vector::Sync) => {
            let esr = ESR_EL1.get();
            let far = FAR_EL1.get();
            if Esr(esr).is_abort() {
                if let Some(resume) = fault::fixup_for(frame.elr as usize) {
                    fault::record(esr, far);
                    frame.elr = resume as u64;
                    return;
                }
            }
            unexpected(frame, origin, vector)
        }
        _ => unexpected(frame, origin, vector),
    }
}

/// Last stop before returning to EL0: end the process if it was killed,
/// switch away if its time slice is over (and check again after).
fn back_to_user() {
    if !crate::task::sched::work_pending() {
        return;
    }
    crate::task::sched::exit_if_killed();
    crate::task::sched::preempt_if_needed();
    crate::task::sched::exit_if_killed();
}

/// A synchronous exception from EL0: a system call, or a fault that ends
/// the process (reported on one console line).
#[inline(always)]
fn user_sync(frame: &mut TrapFrame) {
    let esr = Esr(ESR_EL1.get());
    if esr.class() == ec::SVC64 && esr.imm16() == 0 {
        crate::syscall::dispatch(frame);
        return;
    }
    if esr.class() == ec::FP_ACCESS {
        crate::task::sched::fp_trap();
        return;
    }
    user_fault(frame, esr);
}

/// A fault from EL0: report it and end the process.
#[cold]
#[inline(never)]
fn user_fault(frame: &TrapFrame, esr: Esr) -> ! {
    let far = FAR_EL1.get() as usize;
    let kind = classify_user_fault(esr, far);
    crate::println!(
        "[fault] pid {} ({}): {} - {} ELR {:#x} FAR {:#x}",
        crate::task::sched::current_pid(),
        crate::task::sched::current_name().as_str(),
        kind.name(),
        esr,
        frame.elr,
        far
    );
    crate::task::sched::exit_current(abi::ExitStatus::Faulted(kind));
}

fn classify_user_fault(esr: Esr, far: usize) -> FaultKind {
    use abi::layout::{PAGE_SIZE, STACK_SIZE, STACK_TOP};
    let guard = STACK_TOP - STACK_SIZE - PAGE_SIZE..STACK_TOP - STACK_SIZE;
    match esr.class() {
        ec::DATA_ABORT_LOWER | ec::INSN_ABORT_LOWER if guard.contains(&far) => {
            FaultKind::StackOverflow
        }
        ec::DATA_ABORT_LOWER | ec::INSN_ABORT_LOWER => FaultKind::BadAccess,
        ec::PC_ALIGNMENT => FaultKind::PcAlignment,
        ec::SP_ALIGNMENT => FaultKind::SpAlignment,
        ec::UNKNOWN | ec::ILLEGAL_STATE => FaultKind::UndefinedInstruction,
        ec::SVC64 | ec::HVC64 | ec::SYSREG => FaultKind::BadSyscall,
        _ => FaultKind::Other,
    }
}

fn unexpected(frame: &TrapFrame, origin: &str, vector: Vector) -> ! {
    let esr = Esr(ESR_EL1.get());
    let far = FAR_EL1.get();
    crate::console::emergency(|out| {
        let _ = writeln!(out, "\n*** unexpected {vector:?} exception from {origin}");
        let _ = writeln!(out, "{esr}");
        let _ = writeln!(
            out,
            "ELR {:#018x}  FAR {:#018x}  SPSR {:#010x}",
            frame.elr, far, frame.spsr
        );
        let _ = write!(out, "{frame}");
    });
    panic!(
        "unexpected {vector:?} exception from {origin} at {:#x}",
        frame.elr
    );
}

impl fmt::Display for TrapFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, chunk) in self.x.chunks(4).enumerate() {
            for (j, reg) in chunk.iter().enumerate() {
                let n = i * 4 + j;
                write!(f, "{}x{n:<2} {reg:#018x}", if j == 0 { "" } else { "  " })?;
            }
            writeln!(f)?;
        }
        writeln!(f, "SP_EL0 {:#018x}", self.sp_el0)
    }
}
