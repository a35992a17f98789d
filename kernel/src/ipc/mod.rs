//! Capability IPC: the kernel objects handles name ([`Object`]), each
//! process's handle table, channels (the portable core is `klib::ipc`),
//! and the root resource account from which every process's quotas are
//! lent (`klib::account`; see `docs/bugs/0001-global-channel-exhaustion.md`).

use alloc::sync::Arc;
use klib::account::{Account, Amounts, RESOURCES};
use klib::ipc::Payload;
use spin::Once;

pub use klib::handles::{HandleValue, Rights};

// The kernel's rights are the ABI's.
const _: () = assert!(
    Rights::ALL.0 == abi::ipc::rights::ALL && Rights::PROCESS.0 == abi::ipc::rights::PROCESS
);

/// Handle-table slots per process (the handle quota).
pub const HANDLES_PER_PROCESS: usize = 64;

/// A channel endpoint; its messages carry [`InFlight`] handles.
pub type Endpoint = klib::ipc::Endpoint<InFlight>;

/// A process's handle table.
pub type HandleTable = klib::handles::HandleTable<Object, HANDLES_PER_PROCESS>;

/// What a handle can name.
pub enum Object {
    Endpoint(Arc<Endpoint>),
    File(Arc<crate::fs::file::OpenFile>),
    Process(Arc<crate::task::process::ProcessRef>),
}

impl Object {
    /// The type code `handle_info` reports.
    pub fn type_code(&self) -> u64 {
        match self {
            Object::Endpoint(_) => abi::ipc::object_type::CHANNEL_ENDPOINT,
            Object::File(_) => abi::ipc::object_type::FILE,
            Object::Process(_) => abi::ipc::object_type::PROCESS,
        }
    }

    /// Another reference to the same object.
    pub fn duplicate(&self) -> Object {
        match self {
            Object::Endpoint(e) => Object::Endpoint(e.clone()),
            Object::File(f) => Object::File(f.clone()),
            Object::Process(p) => Object::Process(p.clone()),
        }
    }
}

/// The object behind handle `h` in `table`, as `pick` takes it: an
/// invalid handle is `InvalidHandle`, an object `pick` refuses (`None`) is
/// `WrongType`, a handle without every right in `need` is `AccessDenied`.
/// Every system call that takes a handle starts here.
#[inline(always)]
pub fn object_in<'t, T>(
    table: &'t HandleTable,
    h: HandleValue,
    need: Rights,
    pick: impl FnOnce(&'t Object) -> Option<T>,
) -> Result<T, abi::Error> {
    let (object, rights) = table.get(h).map_err(|_| abi::Error::InvalidHandle)?;
    let found = pick(object).ok_or(abi::Error::WrongType)?;
    if !rights.contains(need) {
        return Err(abi::Error::AccessDenied);
    }
    Ok(found)
}

/// A handle travelling in a message (or to a child at spawn): the object
/// and the rights it had, removed from the sender's table.
pub struct InFlight {
    pub object: Object,
    pub rights: Rights,
}

impl Payload for InFlight {
    fn into_endpoint(self) -> Result<Arc<Endpoint>, InFlight> {
        match self.object {
            Object::Endpoint(e) => Ok(e),
            object => Err(InFlight {
                object,
                rights: self.rights,
            }),
        }
    }

    fn as_endpoint(&self) -> Option<&Arc<Endpoint>> {
        match &self.object {
            Object::Endpoint(e) => Some(e),
            _ => None,
        }
    }
}

/// Wake a thread blocked on IPC (the endpoints' wake hook).
pub fn wake(pid: u32) {
    crate::task::sched::wake_ipc(pid);
}

/// Global pools the root account holds, besides process slots and pages:
/// endpoints, messages and message bytes. Every process's limits are lent
/// out of these, so the kernel heap needs at most [`worst_case_heap`].
pub const ROOT_ENDPOINTS: usize = 2048;
pub const ROOT_MESSAGES: usize = 4096;
pub const ROOT_MESSAGE_BYTES: usize = 4 << 20;

/// Heap bytes IPC can use with every pool full: endpoints and messages
/// (with their allocator overhead) plus the message bytes.
pub const fn worst_case_heap() -> usize {
    const ENDPOINT_BYTES: usize = 256;
    const MESSAGE_BYTES: usize = core::mem::size_of::<klib::ipc::Message<InFlight>>()
        + core::mem::size_of::<InFlight>() * klib::ipc::MAX_MSG_HANDLES
        + 32;
    ROOT_ENDPOINTS * ENDPOINT_BYTES + ROOT_MESSAGES * MESSAGE_BYTES + ROOT_MESSAGE_BYTES
}

static ROOT: Once<Arc<Account>> = Once::new();

/// Create the root account once, holding `pages` frames and `processes`
/// process slots plus the IPC pools.
pub fn init_root(pages: usize, processes: usize) {
    ROOT.call_once(|| {
        let mut limits: Amounts = [0; RESOURCES];
        limits[abi::process::resource::PAGES] = pages;
        limits[abi::process::resource::PROCESSES] = processes;
        limits[abi::process::resource::ENDPOINTS] = ROOT_ENDPOINTS;
        limits[abi::process::resource::MESSAGES] = ROOT_MESSAGES;
        limits[abi::process::resource::MESSAGE_BYTES] = ROOT_MESSAGE_BYTES;
        Account::root(limits)
    });
}

/// The kernel's root account.
pub fn root() -> &'static Arc<Account> {
    ROOT.get()
        .expect("root account used before boot created it")
}
