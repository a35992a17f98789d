//! The initial program archive the kernel carries (a newc cpio built from
//! the user programs by `kernel/build.rs`): where programs come from until
//! the filesystem exists.

use klib::cpio::{Archive, CpioError};

static INITRD: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/initrd.cpio"));

/// The program named `name`, if the archive has it.
pub fn find(name: &str) -> Result<Option<&'static [u8]>, CpioError> {
    Archive::find(INITRD, name)
}

/// Every program in the archive.
pub fn programs() -> impl Iterator<Item = &'static str> {
    Archive::new(INITRD).filter_map(|e| e.ok().map(|e| e.name))
}
