//! [`Child`]: a started process, owned through its process handle. The
//! handle is closed when the `Child` is dropped, so a program that starts
//! many processes never fills its handle table by forgetting them.

use crate::sys::{self, Handle, Pid};
use abi::{Error, ExitStatus};

/// A process this program holds a handle to (from `sys::spawn*` or
/// [`Child::open`]).
#[derive(Debug)]
pub struct Child {
    handle: Handle,
    pid: Pid,
}

impl Child {
    /// Take ownership of a process handle (closed on drop).
    pub fn from_handle(handle: Handle, pid: Pid) -> Self {
        Self { handle, pid }
    }

    /// A handle to `pid`, which must be a descendant of this process.
    pub fn open(pid: Pid) -> Result<Self, Error> {
        Ok(Self::from_handle(sys::process_open(pid)?, pid))
    }

    /// The process id (for display: calls take the handle).
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The process handle (still owned by `self`).
    pub fn handle(&self) -> Handle {
        self.handle
    }

    /// Give up ownership of the handle (e.g. to send it in a message).
    pub fn into_handle(self) -> Handle {
        let h = self.handle;
        core::mem::forget(self);
        h
    }

    /// Wait until the process ends; returns how. Everything it held is
    /// released by then. Waiting again returns the same status.
    pub fn wait(&self) -> Result<ExitStatus, Error> {
        sys::wait(self.handle)
    }

    /// The status if the process has ended, `WouldBlock` if it still runs.
    pub fn try_wait(&self) -> Result<ExitStatus, Error> {
        sys::try_wait(self.handle)
    }

    /// End the process (nothing happens if it has already ended).
    pub fn kill(&self) -> Result<(), Error> {
        sys::kill(self.handle)
    }
}

/// Two `Child`s are equal when they own the same handle (so tests can
/// compare `spawn` results).
impl PartialEq for Child {
    fn eq(&self, other: &Self) -> bool {
        self.handle == other.handle
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = sys::handle_close(self.handle);
    }
}
