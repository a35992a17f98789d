//! Path handling: joining with the working directory and normalising
//! `.` and `..` lexically (so `/a/b/../c` is `/a/c`).

use alloc::string::String;
use alloc::vec::Vec;

/// Longest path and name accepted (the ABI's limits).
pub const MAX_PATH: usize = 1024;
pub const MAX_NAME: usize = 255;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathError {
    Empty,
    TooLong,
}

/// The absolute, normalised form of `path` relative to `cwd`.
pub fn absolute(cwd: &str, path: &str) -> Result<String, PathError> {
    if path.is_empty() {
        return Err(PathError::Empty);
    }
    if path.len() > MAX_PATH {
        return Err(PathError::TooLong);
    }
    let mut parts: Vec<&str> = Vec::new();
    let joined = if path.starts_with('/') {
        [path, ""]
    } else {
        [cwd, path]
    };
    for piece in joined {
        for c in piece.split('/') {
            match c {
                "" | "." => {}
                ".." => {
                    parts.pop();
                }
                name if name.len() > MAX_NAME => return Err(PathError::TooLong),
                name => parts.push(name),
            }
        }
    }
    let mut out = String::with_capacity(path.len() + cwd.len() + 1);
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Split an absolute normalised path into (parent, last name); the root
/// has no last name.
pub fn split_last(path: &str) -> Option<(&str, &str)> {
    let i = path.rfind('/')?;
    let name = &path[i + 1..];
    if name.is_empty() {
        return None;
    }
    Some((if i == 0 { "/" } else { &path[..i] }, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_normalises() {
        assert_eq!(absolute("/", "a/b").unwrap(), "/a/b");
        assert_eq!(absolute("/x/y", "../z/./w").unwrap(), "/x/z/w");
        assert_eq!(absolute("/x", "/abs//path/").unwrap(), "/abs/path");
        assert_eq!(absolute("/", "../../..").unwrap(), "/");
        assert_eq!(absolute("/a", ".").unwrap(), "/a");
        assert_eq!(absolute("/", ""), Err(PathError::Empty));
        assert_eq!(absolute("/", &"x".repeat(300)), Err(PathError::TooLong));
        assert_eq!(absolute("/", &"a/".repeat(600)), Err(PathError::TooLong));
    }

    #[test]
    fn splits_the_last_name() {
        assert_eq!(split_last("/a/b"), Some(("/a", "b")));
        assert_eq!(split_last("/a"), Some(("/", "a")));
        assert_eq!(split_last("/"), None);
    }
}
