//! Decoding the Exception Syndrome Register (ESR_ELx) into words a person can
//! act on: the exception class and, for aborts, the fault status.

use core::fmt;

/// Exception classes (ESR bits 31:26) the kernel distinguishes.
pub mod ec {
    pub const UNKNOWN: u32 = 0x00;
    pub const WFX: u32 = 0x01;
    pub const FP_ACCESS: u32 = 0x07;
    pub const ILLEGAL_STATE: u32 = 0x0e;
    pub const SVC64: u32 = 0x15;
    pub const HVC64: u32 = 0x16;
    pub const SYSREG: u32 = 0x18;
    pub const INSN_ABORT_LOWER: u32 = 0x20;
    pub const INSN_ABORT_SAME: u32 = 0x21;
    pub const PC_ALIGNMENT: u32 = 0x22;
    pub const DATA_ABORT_LOWER: u32 = 0x24;
    pub const DATA_ABORT_SAME: u32 = 0x25;
    pub const SP_ALIGNMENT: u32 = 0x26;
    pub const FP_EXCEPTION: u32 = 0x2c;
    pub const SERROR: u32 = 0x2f;
    pub const BREAKPOINT_LOWER: u32 = 0x30;
    pub const BREAKPOINT_SAME: u32 = 0x31;
    pub const SOFTWARE_STEP_LOWER: u32 = 0x32;
    pub const SOFTWARE_STEP_SAME: u32 = 0x33;
    pub const WATCHPOINT_LOWER: u32 = 0x34;
    pub const WATCHPOINT_SAME: u32 = 0x35;
    pub const BRK64: u32 = 0x3c;
}

/// A decoded ESR value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Esr(pub u64);

impl Esr {
    pub const fn class(&self) -> u32 {
        ((self.0 >> 26) & 0x3f) as u32
    }

    /// Instruction-specific syndrome (bits 24:0).
    pub const fn iss(&self) -> u32 {
        (self.0 & 0x1ff_ffff) as u32
    }

    pub const fn is_data_abort(&self) -> bool {
        matches!(self.class(), ec::DATA_ABORT_LOWER | ec::DATA_ABORT_SAME)
    }

    pub const fn is_abort(&self) -> bool {
        matches!(
            self.class(),
            ec::DATA_ABORT_LOWER | ec::DATA_ABORT_SAME | ec::INSN_ABORT_LOWER | ec::INSN_ABORT_SAME
        )
    }

    /// For a data abort: the access was a write.
    pub const fn is_write(&self) -> bool {
        self.is_data_abort() && self.iss() & (1 << 6) != 0
    }

    /// Fault status code (DFSC/IFSC, bits 5:0) of an abort.
    pub const fn fault_status(&self) -> u32 {
        self.iss() & 0x3f
    }

    /// The `svc`/`hvc` immediate.
    pub const fn imm16(&self) -> u16 {
        (self.iss() & 0xffff) as u16
    }

    pub fn class_name(&self) -> &'static str {
        match self.class() {
            ec::UNKNOWN => "unknown reason (undefined instruction)",
            ec::WFX => "trapped WFI/WFE",
            ec::FP_ACCESS => "trapped FP/SIMD access",
            ec::ILLEGAL_STATE => "illegal execution state",
            ec::SVC64 => "SVC",
            ec::HVC64 => "HVC",
            ec::SYSREG => "trapped system register access",
            ec::INSN_ABORT_LOWER => "instruction abort from a lower EL",
            ec::INSN_ABORT_SAME => "instruction abort from the same EL",
            ec::PC_ALIGNMENT => "PC alignment fault",
            ec::DATA_ABORT_LOWER => "data abort from a lower EL",
            ec::DATA_ABORT_SAME => "data abort from the same EL",
            ec::SP_ALIGNMENT => "SP alignment fault",
            ec::FP_EXCEPTION => "floating-point exception",
            ec::SERROR => "SError",
            ec::BREAKPOINT_LOWER | ec::BREAKPOINT_SAME => "breakpoint",
            ec::SOFTWARE_STEP_LOWER | ec::SOFTWARE_STEP_SAME => "software step",
            ec::WATCHPOINT_LOWER | ec::WATCHPOINT_SAME => "watchpoint",
            ec::BRK64 => "BRK instruction",
            _ => "reserved/unhandled exception class",
        }
    }

    /// What the fault status code of an abort means.
    pub fn fault_name(&self) -> &'static str {
        match self.fault_status() {
            0b000000..=0b000011 => "address size fault",
            0b000100..=0b000111 => "translation fault",
            0b001001..=0b001011 => "access flag fault",
            0b001101..=0b001111 => "permission fault",
            0b010000 => "synchronous external abort",
            0b010100..=0b010111 => "external abort on table walk",
            0b100001 => "alignment fault",
            0b110000 => "TLB conflict abort",
            _ => "other fault",
        }
    }

    /// The translation level the fault happened at, where the code says.
    pub fn fault_level(&self) -> Option<u32> {
        match self.fault_status() {
            0b000000..=0b001111 | 0b010100..=0b010111 => Some(self.fault_status() & 0b11),
            _ => None,
        }
    }
}

impl fmt::Display for Esr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ESR {:#010x}: {} (EC {:#04x})",
            self.0,
            self.class_name(),
            self.class()
        )?;
        if self.is_abort() {
            write!(f, ", {}", self.fault_name())?;
            if let Some(level) = self.fault_level() {
                write!(f, " at level {level}")?;
            }
            if self.is_data_abort() {
                f.write_str(if self.is_write() { ", write" } else { ", read" })?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_kernel_translation_fault_on_read() {
        // EC 0x25, IL, DFSC 0b000110 (translation fault level 2).
        let e = Esr(0x9600_0006);
        assert_eq!(e.class(), ec::DATA_ABORT_SAME);
        assert!(!e.is_write());
        assert_eq!(e.fault_level(), Some(2));
        assert_eq!(
            e.to_string(),
            "ESR 0x96000006: data abort from the same EL (EC 0x25), translation fault at level 2, read"
        );
    }

    #[test]
    fn decodes_user_permission_fault_on_write() {
        let e = Esr(0x9200_004f);
        assert_eq!(e.class(), ec::DATA_ABORT_LOWER);
        assert!(e.is_write());
        assert_eq!(e.fault_name(), "permission fault");
        assert_eq!(e.fault_level(), Some(3));
    }

    #[test]
    fn decodes_svc_and_undefined() {
        let svc = Esr(0x5600_0000 | 0x1234);
        assert_eq!(svc.class(), ec::SVC64);
        assert_eq!(svc.imm16(), 0x1234);
        assert_eq!(svc.to_string(), "ESR 0x56001234: SVC (EC 0x15)");
        assert_eq!(
            Esr(0x0200_0000).class_name(),
            "unknown reason (undefined instruction)"
        );
        assert_eq!(Esr(0x8a00_0000).class_name(), "PC alignment fault");
        assert_eq!(Esr(0x9600_0021).fault_name(), "alignment fault");
    }
}
