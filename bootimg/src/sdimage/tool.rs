//! Running the external e2fsprogs tools (`mke2fs`, `debugfs`).
//!
//! They live in `/usr/sbin` on Debian, which is not on an ordinary user's
//! `PATH`, so that directory and `/sbin` are searched after `PATH`.

use std::env;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use super::error::SdImageError;

/// Directories searched after `PATH`.
const SBIN_DIRS: [&str; 2] = ["/usr/sbin", "/sbin"];

/// The full path of the program `name`, if it is installed.
pub fn find(name: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH").unwrap_or_default();
    env::split_paths(&path)
        .chain(SBIN_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A command for `tool` (from the Debian package `package`), or
/// [`SdImageError::ToolMissing`].
pub fn command(tool: &'static str, package: &'static str) -> Result<Command, SdImageError> {
    let program = find(tool).ok_or(SdImageError::ToolMissing { tool, package })?;
    let mut cmd = Command::new(program);
    // Sorting (mke2fs -d uses alphasort) and messages must not depend on the
    // user's locale.
    cmd.env("LC_ALL", "C").stdin(Stdio::null());
    Ok(cmd)
}

/// Runs `cmd` to completion, capturing its output; a non-zero exit is
/// [`SdImageError::ToolFailed`] with what the tool printed.
pub fn run(tool: &'static str, cmd: &mut Command) -> Result<Output, SdImageError> {
    let output = cmd
        .output()
        .map_err(SdImageError::io(format!("cannot run {tool}")))?;
    if output.status.success() {
        return Ok(output);
    }
    let mut detail = format!("{}", output.status);
    let printed = [&output.stderr, &output.stdout]
        .iter()
        .map(|bytes| String::from_utf8_lossy(bytes).trim().to_string())
        .filter(|text| !text.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    if !printed.is_empty() {
        detail.push_str(":\n");
        detail.push_str(&printed);
    }
    Err(SdImageError::ToolFailed { tool, detail })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sh_and_not_nonsense() {
        assert!(find("sh").is_some());
        assert!(find("no-such-tool-for-bootimg").is_none());
        assert!(matches!(
            command("no-such-tool-for-bootimg", "nothing"),
            Err(SdImageError::ToolMissing { .. })
        ));
    }

    #[test]
    fn failure_reports_the_output() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "echo oops >&2; exit 3"]);
        match run("sh", &mut cmd) {
            Err(SdImageError::ToolFailed { tool, detail }) => {
                assert_eq!(tool, "sh");
                assert!(detail.contains("3"), "{detail}");
                assert!(detail.contains("oops"), "{detail}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
