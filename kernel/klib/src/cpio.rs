//! Reading the initial program archive: the `newc` cpio format (what
//! `cpio -H newc` and `bootimg` write), file entries only.

/// One file in the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpioError {
    BadMagic,
    Truncated,
    BadHeader,
}

const HEADER: usize = 110;
const TRAILER: &str = "TRAILER!!!";

fn hex(field: &[u8]) -> Result<usize, CpioError> {
    let s = core::str::from_utf8(field).map_err(|_| CpioError::BadHeader)?;
    usize::from_str_radix(s, 16).map_err(|_| CpioError::BadHeader)
}

fn pad4(n: usize) -> usize {
    (n + 3) & !3
}

/// Iterate over the archive's entries; stops at the trailer or an error.
pub struct Archive<'a> {
    data: &'a [u8],
    at: usize,
    done: bool,
}

impl<'a> Archive<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Self {
            data,
            at: 0,
            done: data.is_empty(),
        }
    }

    /// Find a file by name.
    pub fn find(data: &'a [u8], name: &str) -> Result<Option<&'a [u8]>, CpioError> {
        for entry in Archive::new(data) {
            let entry = entry?;
            if entry.name == name {
                return Ok(Some(entry.data));
            }
        }
        Ok(None)
    }

    fn next_entry(&mut self) -> Result<Option<Entry<'a>>, CpioError> {
        let d = self.data;
        let h = d
            .get(self.at..self.at + HEADER)
            .ok_or(CpioError::Truncated)?;
        if &h[0..6] != b"070701" && &h[0..6] != b"070702" {
            return Err(CpioError::BadMagic);
        }
        let file_size = hex(&h[54..62])?;
        let name_size = hex(&h[94..102])?;
        if name_size == 0 {
            return Err(CpioError::BadHeader);
        }
        let name_start = self.at + HEADER;
        let name_bytes = d
            .get(name_start..name_start + name_size - 1)
            .ok_or(CpioError::Truncated)?;
        let name = core::str::from_utf8(name_bytes).map_err(|_| CpioError::BadHeader)?;
        let data_start = pad4(name_start + name_size);
        let data_end = data_start
            .checked_add(file_size)
            .ok_or(CpioError::BadHeader)?;
        let data = d.get(data_start..data_end).ok_or(CpioError::Truncated)?;
        self.at = pad4(data_end);
        if name == TRAILER {
            return Ok(None);
        }
        Ok(Some(Entry { name, data }))
    }
}

impl<'a> Iterator for Archive<'a> {
    type Item = Result<Entry<'a>, CpioError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.next_entry() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Write a newc archive (used by the kernel's build script and the tests).
#[cfg(any(test, feature = "alloc"))]
pub fn write(files: &[(&str, &[u8])]) -> alloc::vec::Vec<u8> {
    use alloc::format;
    let mut out = alloc::vec::Vec::new();
    let mut put = |name: &str, data: &[u8], ino: usize| {
        let header =
            format!(
            "070701{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}{:08x}",
            ino, 0o100644, 0, 0, 1, 0, data.len(), 0, 0, 0, 0, name.len() + 1, 0
        );
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(name.as_bytes());
        out.push(0);
        while out.len() % 4 != 0 {
            out.push(0);
        }
        out.extend_from_slice(data);
        while out.len() % 4 != 0 {
            out.push(0);
        }
    };
    for (i, (name, data)) in files.iter().enumerate() {
        put(name, data, i + 1);
    }
    put(TRAILER, &[], 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes() {
        let a = write(&[("hello", b"hi there"), ("init", b"x"), ("empty", b"")]);
        let names: Vec<_> = Archive::new(&a).map(|e| e.unwrap().name).collect();
        assert_eq!(names, ["hello", "init", "empty"]);
        assert_eq!(Archive::find(&a, "hello"), Ok(Some(&b"hi there"[..])));
        assert_eq!(Archive::find(&a, "empty"), Ok(Some(&b""[..])));
        assert_eq!(Archive::find(&a, "nope"), Ok(None));
        assert_eq!(Archive::new(&[]).count(), 0);
    }

    #[test]
    fn corrupt_archives_are_errors_not_panics() {
        let a = write(&[("hello", b"hi there")]);
        for len in 0..a.len() {
            // Every prefix either errors or ends early; none panics.
            let _ = Archive::new(&a[..len]).count();
        }
        let mut bad = a.clone();
        bad[0] = b'9';
        assert_eq!(Archive::find(&bad, "hello"), Err(CpioError::BadMagic));
        let mut bad = a.clone();
        bad[54..62].copy_from_slice(b"7fffffff");
        assert_eq!(Archive::find(&bad, "hello"), Err(CpioError::Truncated));
        let mut bad = a;
        bad[60] = b'g';
        assert_eq!(Archive::find(&bad, "hello"), Err(CpioError::BadHeader));
    }
}
