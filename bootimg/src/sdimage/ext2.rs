//! The ext2 root partition, made by the real `mke2fs -d` from a copy of the
//! root tree, then normalised with `debugfs` so that nothing of the host
//! leaks in.
//!
//! Reproducibility, piece by piece:
//! - The tree is copied ("staged") first: modes become 0755 (directories and
//!   executables) or 0644, extended attributes are dropped, hard links
//!   become separate files.
//! - `mke2fs` gets a fixed UUID, hash seed and label, `root_owner=0:0`,
//!   explicit block and inode sizes, `E2FSPROGS_FAKE_TIME` for the
//!   superblock and its own inodes, and `LC_ALL=C` (it adds entries in
//!   `alphasort` order).
//! - `mke2fs -d` copies each file's owner and access/change times from the
//!   host, so `debugfs` then sets every inode's owner to 0:0 and its four
//!   timestamps to [`EPOCH`].

use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::{Path, PathBuf};

use super::error::SdImageError;
use super::tool;
use super::EPOCH;

/// The file system UUID (also used as the directory hash seed).
pub const UUID: &str = "b0071a6e-5d3c-4a7e-8f21-4b6a9c0d2e1f";
/// The volume label.
pub const LABEL: &str = "root";
/// Inode size: 256 bytes, which has room for the creation time.
pub const INODE_SIZE: u32 = 256;
/// Below this size 1 KiB blocks, from it on 4 KiB (as `mke2fs` would pick).
const LARGE_FS: u64 = 512 << 20;

/// How much room the tree at `root` needs, roughly: each file rounded up to
/// 4 KiB plus 4 KiB for its inode and directory entry. Also checks that the
/// tree holds only directories, regular files and symlinks with usable
/// names.
pub fn content_size(root: &Path) -> Result<u64, SdImageError> {
    let mut total = 0u64;
    walk(root, &mut |entry| {
        let extra = match entry.kind {
            Kind::File { len, .. } => len.div_ceil(4096) * 4096,
            Kind::Dir | Kind::Symlink => 0,
        };
        total = total.saturating_add(extra + 4096);
        Ok(())
    })?;
    Ok(total)
}

/// The block size for a file system of `size` bytes.
pub fn block_size(size: u64) -> u32 {
    if size < LARGE_FS {
        1024
    } else {
        4096
    }
}

/// Makes an ext2 image of `size` bytes from the tree at `root`, working in
/// `scratch`; returns the image file's path.
pub fn build(root: &Path, scratch: &Path, size: u64) -> Result<PathBuf, SdImageError> {
    let stage = scratch.join("root");
    let paths = stage_tree(root, &stage)?;
    let image = scratch.join("root.ext2");
    let mut mke2fs = tool::command("mke2fs", "e2fsprogs")?;
    mke2fs
        .env("E2FSPROGS_FAKE_TIME", EPOCH.to_string())
        .args(mke2fs_args(&stage, &image, size));
    tool::run("mke2fs", &mut mke2fs)?;
    normalise(&image, &paths)?;
    Ok(image)
}

/// The `mke2fs` command line (after the program name).
pub fn mke2fs_args(stage: &Path, image: &Path, size: u64) -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = [
        "-q",
        "-F",
        "-t",
        "ext2",
        "-b",
        &block_size(size).to_string(),
        "-I",
        &INODE_SIZE.to_string(),
        "-L",
        LABEL,
        "-U",
        UUID,
        "-E",
        &format!("hash_seed={UUID},root_owner=0:0"),
        "-d",
    ]
    .iter()
    .map(Into::into)
    .collect();
    args.push(stage.into());
    args.push(image.into());
    args.push(format!("{}k", size / 1024).into());
    args
}

/// Sets owner 0:0 and all timestamps to [`EPOCH`] on `/`, `/lost+found`
/// and every staged path, with one `debugfs -w` run.
fn normalise(image: &Path, paths: &[String]) -> Result<(), SdImageError> {
    let script_path = image.with_extension("debugfs");
    fs::write(&script_path, debugfs_script(paths)).map_err(SdImageError::io(format!(
        "writing {}",
        script_path.display()
    )))?;
    let mut debugfs = tool::command("debugfs", "e2fsprogs")?;
    debugfs
        .env("E2FSPROGS_FAKE_TIME", EPOCH.to_string())
        .arg("-w")
        .arg("-f")
        .arg(&script_path)
        .arg(image);
    let output = tool::run("debugfs", &mut debugfs)?;
    // debugfs exits 0 even when a command fails; it says so on stderr,
    // where otherwise only its version banner appears.
    let errors: Vec<String> = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with("debugfs "))
        .map(String::from)
        .collect();
    if !errors.is_empty() {
        return Err(SdImageError::ToolFailed {
            tool: "debugfs",
            detail: errors.join("\n"),
        });
    }
    Ok(())
}

/// The `debugfs` commands that normalise owners and times.
pub fn debugfs_script(paths: &[String]) -> String {
    let mut script = String::new();
    let all = ["/".to_string(), "/lost+found".to_string()];
    for path in all.iter().chain(paths) {
        for field in ["uid 0", "gid 0"] {
            script.push_str(&format!("sif \"{path}\" {field}\n"));
        }
        for field in ["atime", "ctime", "mtime", "crtime"] {
            script.push_str(&format!("sif \"{path}\" {field} @{EPOCH}\n"));
        }
    }
    script
}

/// Copies the tree at `src` to `dst` (which must not exist), normalising
/// modes; returns the copied paths as seen in the image (`/bin/init`), in
/// walk order.
pub fn stage_tree(src: &Path, dst: &Path) -> Result<Vec<String>, SdImageError> {
    if !src.is_dir() {
        return Err(SdImageError::NotADirectory {
            what: "--root",
            path: src.to_path_buf(),
        });
    }
    fs::create_dir(dst).map_err(SdImageError::io(format!("creating {}", dst.display())))?;
    set_mode(dst, 0o755)?;
    let mut paths = Vec::new();
    walk(src, &mut |entry| {
        let target = dst.join(&entry.relative);
        let io = |what: &str| SdImageError::io(format!("{what} {}", target.display()));
        match &entry.kind {
            Kind::Dir => {
                fs::create_dir(&target).map_err(io("creating"))?;
                set_mode(&target, 0o755)?;
            }
            Kind::File { executable, .. } => {
                fs::copy(&entry.source, &target).map_err(io("copying to"))?;
                set_mode(&target, if *executable { 0o755 } else { 0o644 })?;
            }
            Kind::Symlink => {
                let link = fs::read_link(&entry.source).map_err(SdImageError::io(format!(
                    "reading link {}",
                    entry.source.display()
                )))?;
                symlink(&link, &target).map_err(io("creating symlink"))?;
            }
        }
        paths.push(entry.image_path.clone());
        Ok(())
    })?;
    Ok(paths)
}

fn set_mode(path: &Path, mode: u32) -> Result<(), SdImageError> {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(SdImageError::io(format!(
        "setting the mode of {}",
        path.display()
    )))
}

/// What a tree entry is.
enum Kind {
    Dir,
    File { len: u64, executable: bool },
    Symlink,
}

/// One entry of the root tree.
struct Entry {
    /// Where it is on the host.
    source: PathBuf,
    /// Its path relative to the tree's root.
    relative: PathBuf,
    /// Its path in the image, from `/`.
    image_path: String,
    kind: Kind,
}

/// Calls `visit` for every entry under `root` (not `root` itself), parents
/// before children, names sorted bytewise. Symlinks are not followed.
fn walk(
    root: &Path,
    visit: &mut dyn FnMut(&Entry) -> Result<(), SdImageError>,
) -> Result<(), SdImageError> {
    if !root.is_dir() {
        return Err(SdImageError::NotADirectory {
            what: "--root",
            path: root.to_path_buf(),
        });
    }
    // Depth-first with an explicit stack of directories still to list.
    let mut pending = vec![(root.to_path_buf(), PathBuf::new())];
    while let Some((dir, relative_dir)) = pending.pop() {
        let context = format!("reading directory {}", dir.display());
        let mut names = fs::read_dir(&dir)
            .map_err(SdImageError::io(context.clone()))?
            .map(|entry| entry.map(|e| e.file_name()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(SdImageError::io(context))?;
        names.sort();
        let mut subdirs = Vec::new();
        for name in names {
            let source = dir.join(&name);
            let relative = relative_dir.join(&name);
            let bad = |reason: &str| SdImageError::RootTree {
                path: source.clone(),
                reason: reason.to_string(),
            };
            let name = name
                .to_str()
                .ok_or_else(|| bad("the name is not valid UTF-8"))?;
            if name
                .chars()
                .any(|c| c.is_control() || c == '"' || c == '\\')
            {
                return Err(bad(
                    "the name has a control character, a quote or a backslash",
                ));
            }
            let meta = fs::symlink_metadata(&source)
                .map_err(SdImageError::io(format!("reading {}", source.display())))?;
            let file_type = meta.file_type();
            let kind = if file_type.is_symlink() {
                Kind::Symlink
            } else if file_type.is_dir() {
                Kind::Dir
            } else if file_type.is_file() {
                Kind::File {
                    len: meta.len(),
                    executable: meta.permissions().mode() & 0o111 != 0,
                }
            } else {
                return Err(bad(
                    "is not a directory, regular file or symlink (devices, FIFOs and sockets are not supported)",
                ));
            };
            let image_path = format!("/{}", relative.to_string_lossy());
            let entry = Entry {
                source: source.clone(),
                relative: relative.clone(),
                image_path,
                kind,
            };
            visit(&entry)?;
            if matches!(entry.kind, Kind::Dir) {
                subdirs.push((source, relative));
            }
        }
        // Reversed, so the stack pops them in name order.
        pending.extend(subdirs.into_iter().rev());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("bootimg-ext2-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn stages_with_normal_modes_and_lists_paths_in_order() {
        let dir = scratch("stage");
        let src = dir.join("src");
        fs::create_dir_all(src.join("bin")).unwrap();
        fs::create_dir_all(src.join("etc")).unwrap();
        fs::write(src.join("bin/b"), "b").unwrap();
        fs::write(src.join("bin/a"), "a").unwrap();
        fs::set_permissions(src.join("bin/a"), fs::Permissions::from_mode(0o700)).unwrap();
        fs::set_permissions(src.join("bin/b"), fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(src.join("etc/motd"), "hi").unwrap();
        symlink("a", src.join("bin/link")).unwrap();
        fs::write(src.join("README"), "r").unwrap();

        let size = content_size(&src).unwrap();
        assert_eq!(size, 7 * 4096 + 4 * 4096);

        let paths = stage_tree(&src, &dir.join("stage")).unwrap();
        assert_eq!(
            paths,
            [
                "/README",
                "/bin",
                "/etc",
                "/bin/a",
                "/bin/b",
                "/bin/link",
                "/etc/motd"
            ]
        );
        let mode = |p: &str| {
            fs::symlink_metadata(dir.join("stage").join(p))
                .unwrap()
                .permissions()
                .mode()
                & 0o7777
        };
        assert_eq!(mode("bin/a"), 0o755);
        assert_eq!(mode("bin/b"), 0o644);
        assert_eq!(mode("bin"), 0o755);
        assert_eq!(
            fs::read_link(dir.join("stage/bin/link")).unwrap(),
            PathBuf::from("a")
        );
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn odd_names_and_missing_roots_are_refused() {
        let dir = scratch("odd");
        fs::write(dir.join("a\"b"), "").unwrap();
        assert!(matches!(
            content_size(&dir),
            Err(SdImageError::RootTree { .. })
        ));
        assert!(matches!(
            content_size(&dir.join("missing")),
            Err(SdImageError::NotADirectory { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn debugfs_script_covers_root_lost_found_and_paths() {
        let script = debugfs_script(&["/bin/a b".to_string()]);
        assert!(script.contains("sif \"/\" uid 0\n"));
        assert!(script.contains(&format!("sif \"/lost+found\" crtime @{EPOCH}\n")));
        assert!(script.contains(&format!("sif \"/bin/a b\" mtime @{EPOCH}\n")));
        assert_eq!(script.lines().count(), 3 * 6);
    }

    #[test]
    fn block_sizes() {
        assert_eq!(block_size(191 << 20), 1024);
        assert_eq!(block_size(512 << 20), 4096);
    }
}
