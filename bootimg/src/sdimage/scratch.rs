//! A scratch directory beside the output image, removed when dropped.
//!
//! It sits next to the output (not in `/tmp`, which may be a small tmpfs)
//! so the finished image can be renamed into place: a failed build never
//! leaves a half-written image under the output's name.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A directory that is removed, with its contents, on drop.
#[derive(Debug)]
pub struct Scratch {
    path: PathBuf,
}

impl Scratch {
    /// Creates `.<name>.tmp-<pid>` in the directory of `out` (creating that
    /// directory if needed).
    pub fn beside(out: &Path) -> io::Result<Scratch> {
        let parent = match out.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent)?;
        let name = out
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "sdimage".into());
        let path = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if path.exists() {
            fs::remove_dir_all(&path)?;
        }
        fs::create_dir(&path)?;
        Ok(Scratch { path })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // Nothing useful to do if it fails: the name says what it is.
        let _ = fs::remove_dir_all(&self.path);
    }
}
