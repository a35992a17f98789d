//! Handles and channels as user space sees them.

/// Rights a handle carries (bit set).
pub mod rights {
    pub const READ: u32 = 1;
    pub const WRITE: u32 = 2;
    /// May be sent in a message or passed to a child at spawn.
    pub const TRANSFER: u32 = 4;
    /// May be duplicated with `handle_dup`.
    pub const DUPLICATE: u32 = 8;
    /// On a process handle: may end the process (`kill`) or make it the
    /// console's Ctrl-C target (`console_foreground`).
    pub const KILL: u32 = 16;
    /// Every right. A right that does not apply to an object's type (e.g.
    /// `KILL` on a channel endpoint) has no effect.
    pub const ALL: u32 = 31;
    /// What `spawn` gives the parent on its child: wait (`READ`), kill,
    /// pass on, duplicate.
    pub const PROCESS: u32 = READ | KILL | TRANSFER | DUPLICATE;
}

/// A set of [`rights`].
pub type Rights = u32;

/// Object types `handle_info` reports.
pub mod object_type {
    pub const CHANNEL_ENDPOINT: u64 = 1;
    /// An open file or directory.
    pub const FILE: u64 = 2;
    /// A process (from `spawn` or `process_open`).
    pub const PROCESS: u64 = 3;
}

/// Largest message: bytes and handles (more is `InvalidArgument`).
pub const MAX_MSG_BYTES: usize = 4096;
pub const MAX_MSG_HANDLES: usize = 8;
/// Bounds of one endpoint's queue (`QueueFull` beyond).
pub const QUEUE_MAX_MSGS: usize = 32;
pub const QUEUE_MAX_BYTES: usize = 64 * 1024;
/// Most handles one `wait_many` watches.
pub const MAX_WAIT_HANDLES: usize = 32;

/// The argument of `channel_call`: a message to send and where to put
/// the reply.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct CallArgs {
    pub send_data: u64,
    pub send_len: u64,
    pub send_handles: u64,
    pub send_handle_count: u64,
    pub recv_buf: u64,
    pub recv_len: u64,
    pub recv_handles: u64,
    pub recv_handle_cap: u64,
}
