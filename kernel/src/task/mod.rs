//! Processes: the process table and scheduler ([`sched`]), the process
//! record ([`process`]), program loading ([`loader`]) and the initial
//! program archive ([`initrd`]).

pub mod initrd;
pub mod loader;
pub mod process;
pub mod sched;

pub use process::Pid;
