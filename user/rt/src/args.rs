//! Program arguments, as the kernel placed them on the stack: an array of
//! (pointer, length) pairs. argv[0] is the program name.

use abi::ArgSlice;

/// The program's arguments.
#[derive(Clone, Copy)]
pub struct Args {
    argv: &'static [ArgSlice],
}

impl Args {
    /// # Safety
    /// `argv` must point to `argc` valid `ArgSlice`s whose bytes stay
    /// mapped for the life of the program (the kernel's stack layout).
    pub(crate) unsafe fn from_raw(argc: usize, argv: *const ArgSlice) -> Self {
        let argv = if argc == 0 || argv.is_null() {
            &[][..]
        } else {
            // SAFETY: forwarded from this function's contract.
            unsafe { core::slice::from_raw_parts(argv, argc) }
        };
        Self { argv }
    }

    pub fn len(&self) -> usize {
        self.argv.len()
    }

    pub fn is_empty(&self) -> bool {
        self.argv.is_empty()
    }

    /// Argument `i` as bytes.
    pub fn get_bytes(&self, i: usize) -> Option<&'static [u8]> {
        let a = self.argv.get(i)?;
        // SAFETY: the kernel wrote these pointers and lengths; the strings
        // live on the stack for the whole program.
        Some(unsafe { core::slice::from_raw_parts(a.ptr as *const u8, a.len as usize) })
    }

    /// Argument `i` as text ("" if it is not UTF-8).
    pub fn get(&self, i: usize) -> Option<&'static str> {
        self.get_bytes(i)
            .map(|b| core::str::from_utf8(b).unwrap_or(""))
    }

    /// All arguments as text.
    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }
}
