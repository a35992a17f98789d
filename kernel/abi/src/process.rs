//! Structures for processes: spawning, exit statuses, information.

/// One argument or name: a pointer and length (not NUL-terminated).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ArgSlice {
    pub ptr: u64,
    pub len: u64,
}

/// Limits on what `spawn` accepts.
pub const MAX_ARGS: usize = 32;
pub const MAX_ARG_BYTES: usize = 4096;
pub const MAX_NAME: usize = 64;

/// The argument of `spawn`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SpawnRequest {
    /// Program name in the boot archive (later: a path).
    pub name: ArgSlice,
    /// Pointer to `argc` [`ArgSlice`]s; by convention argv[0] is the name.
    pub argv: u64,
    pub argc: u64,
    /// Handles (u32 values) to move into the child; each needs the
    /// TRANSFER right. The child finds them in order in its start-up
    /// handle array.
    pub handles: u64,
    pub handle_count: u64,
    /// Resource limits lent to the child out of the caller's own, indexed
    /// by [`resource`]; 0 picks the default in [`DEFAULT_CHILD_LIMITS`].
    pub limits: [u64; RESOURCES],
    /// Handles (in the caller's table) that become the child's stdin and
    /// stdout; moved like `handles`. 0 means the console.
    pub stdio: [u32; 2],
}

/// Accounted resources (index into limits and usage arrays).
pub mod resource {
    /// 4 KiB pages: user memory, page tables, the kernel stack.
    pub const PAGES: usize = 0;
    /// Process-table slots: the process itself and all its descendants.
    pub const PROCESSES: usize = 1;
    /// Channel endpoints created and still alive.
    pub const ENDPOINTS: usize = 2;
    /// Messages sent and still queued.
    pub const MESSAGES: usize = 3;
    /// Bytes of messages sent and still queued.
    pub const MESSAGE_BYTES: usize = 4;
}

pub const RESOURCES: usize = 5;

/// Limits a child gets when `SpawnRequest::limits` leaves them 0.
/// A child may not spawn unless its parent lends it process slots.
pub const DEFAULT_CHILD_LIMITS: [u64; RESOURCES] = [4096, 1, 32, 64, 128 * 1024];

/// Why a process was killed by the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum FaultKind {
    /// Access to unmapped memory or against page permissions.
    BadAccess = 1,
    /// Ran into the guard page below its stack.
    StackOverflow = 2,
    UndefinedInstruction = 3,
    PcAlignment = 4,
    SpAlignment = 5,
    /// `svc` with a non-zero immediate, or another trapped instruction.
    BadSyscall = 6,
    /// Any other synchronous exception.
    Other = 7,
}

impl FaultKind {
    pub fn from_code(code: u64) -> Option<FaultKind> {
        use FaultKind::*;
        [
            BadAccess,
            StackOverflow,
            UndefinedInstruction,
            PcAlignment,
            SpAlignment,
            BadSyscall,
            Other,
        ]
        .into_iter()
        .find(|k| *k as u64 == code)
    }

    pub const fn name(self) -> &'static str {
        match self {
            FaultKind::BadAccess => "bad memory access",
            FaultKind::StackOverflow => "stack overflow",
            FaultKind::UndefinedInstruction => "undefined instruction",
            FaultKind::PcAlignment => "misaligned PC",
            FaultKind::SpAlignment => "misaligned SP",
            FaultKind::BadSyscall => "bad system call instruction",
            FaultKind::Other => "unhandled exception",
        }
    }
}

/// How a process ended, as `wait` reports it in `x1` (kind) and `x2`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Called `exit(code)`.
    Exited(i32),
    /// Killed by the kernel for a fault.
    Faulted(FaultKind),
    /// Killed by `kill`.
    Killed,
}

impl ExitStatus {
    pub const KIND_EXITED: u64 = 0;
    pub const KIND_FAULTED: u64 = 1;
    pub const KIND_KILLED: u64 = 2;

    /// The (kind, value) register pair.
    pub fn encode(self) -> (u64, u64) {
        match self {
            ExitStatus::Exited(code) => (Self::KIND_EXITED, code as u32 as u64),
            ExitStatus::Faulted(kind) => (Self::KIND_FAULTED, kind as u64),
            ExitStatus::Killed => (Self::KIND_KILLED, 0),
        }
    }

    pub fn decode(kind: u64, value: u64) -> Option<ExitStatus> {
        match kind {
            Self::KIND_EXITED => Some(ExitStatus::Exited(value as u32 as i32)),
            Self::KIND_FAULTED => FaultKind::from_code(value).map(ExitStatus::Faulted),
            Self::KIND_KILLED => Some(ExitStatus::Killed),
            _ => None,
        }
    }
}

/// Process states as reported by `process_info`.
pub mod state {
    pub const RUNNABLE: u32 = 0;
    pub const RUNNING: u32 = 1;
    pub const BLOCKED: u32 = 2;
    pub const ZOMBIE: u32 = 3;
}

/// `process_info` output: identity and quota usage.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessInfo {
    pub pid: u32,
    pub parent: u32,
    pub state: u32,
    pub name_len: u32,
    pub name: [u8; 32],
    /// Memory pages charged (user memory, page tables, kernel stack, and
    /// budgets lent to children), and the limit.
    pub pages_used: u64,
    pub pages_quota: u64,
    /// Children not yet collected by `wait`, and the limit.
    pub children_used: u64,
    pub children_quota: u64,
    /// Usage and limits per [`resource`] (pages repeated at index 0).
    pub used: [u64; RESOURCES],
    pub limits: [u64; RESOURCES],
    /// Handle-table slots in use, and the table size.
    pub handles_used: u64,
    pub handles_quota: u64,
}

/// `sys_info` output: global counters.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SysInfo {
    pub free_frames: u64,
    pub total_frames: u64,
    pub processes: u64,
    pub max_processes: u64,
    pub uptime_ns: u64,
    pub page_size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_round_trips() {
        for s in [
            ExitStatus::Exited(0),
            ExitStatus::Exited(-1),
            ExitStatus::Exited(i32::MAX),
            ExitStatus::Faulted(FaultKind::StackOverflow),
            ExitStatus::Faulted(FaultKind::Other),
            ExitStatus::Killed,
        ] {
            let (k, v) = s.encode();
            assert_eq!(ExitStatus::decode(k, v), Some(s));
        }
        assert_eq!(ExitStatus::decode(9, 0), None);
        assert_eq!(ExitStatus::decode(ExitStatus::KIND_FAULTED, 0), None);
    }
}
