//! Shared test helpers: temporary directories, deterministic data, running
//! the real e2fsprogs tools.
#![allow(dead_code)]

use std::fs;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use ext2::{FileKind, Fs, Ino, MemDevice};

/// The fixed clock used by the tests (Nov 2023: in the past for e2fsck).
pub const NOW: u32 = 1_700_000_000;

/// A directory under the system temp dir, removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("ext2-test-{}-{tag}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.path.join(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// xorshift64*: deterministic pseudo-random numbers.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

/// `len` deterministic pseudo-random bytes.
pub fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut v = vec![0; len];
    Rng::new(seed).fill(&mut v);
    v
}

/// Run a command, panicking with its output on failure.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{cmd:?} failed: {text}");
    text
}

/// Make an ext2 image at `img` with `mke2fs -t ext2 -b <bs> [-d src] [extra]`.
pub fn mkfs(img: &Path, bs: u32, size: &str, src: Option<&Path>, extra: &[&str]) {
    let mut cmd = Command::new("mke2fs");
    cmd.args(["-q", "-F", "-t", "ext2", "-b", &bs.to_string()]);
    cmd.args(["-E", "root_owner=0:0"]);
    if let Some(src) = src {
        cmd.arg("-d").arg(src);
    }
    cmd.args(extra).arg(img).arg(size);
    run(&mut cmd);
}

/// Build hashed indexes for large directories (`e2fsck -fyD`): `mke2fs -d`
/// leaves them linear.
pub fn build_htree(img: &Path) {
    let out = Command::new("e2fsck")
        .arg("-fyD")
        .arg(img)
        .output()
        .unwrap();
    // 0: clean, 1: errors corrected (the optimisation counts as a change).
    let code = out.status.code().unwrap_or(-1);
    assert!(code == 0 || code == 1, "e2fsck -fyD failed: {out:?}");
}

/// Run `e2fsck -fn` on `img` and panic with its report unless it is clean.
pub fn fsck(img: &Path) {
    let out = Command::new("e2fsck").arg("-fn").arg(img).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let problems = text.contains("? no") || text.contains("WARNING") || text.contains("ERROR");
    assert!(
        out.status.code() == Some(0) && !problems,
        "e2fsck -fn {} found problems (status {:?}):\n{text}",
        img.display(),
        out.status.code()
    );
}

/// Write `dev` to `img` and check it with `e2fsck -fn`.
pub fn fsck_dev(dev: &MemDevice, img: &Path) {
    fs::write(img, dev.as_slice()).unwrap();
    fsck(img);
}

pub fn load(img: &Path) -> MemDevice {
    MemDevice::new(fs::read(img).unwrap())
}

/// `debugfs -R <request> img` output.
pub fn debugfs(img: &Path, request: &str) -> Vec<u8> {
    let out = Command::new("debugfs")
        .arg("-R")
        .arg(request)
        .arg(img)
        .output()
        .unwrap();
    assert!(out.status.success(), "debugfs {request}: {out:?}");
    out.stdout
}

/// Mount `dev` with the test clock.
pub fn mount(dev: MemDevice) -> Fs<MemDevice> {
    let mut fs = Fs::mount(dev).expect("mount");
    fs.set_time(NOW);
    fs
}

/// Unmount (sync), check the image with e2fsck, and mount it again.
pub fn cycle(fs: Fs<MemDevice>, img: &Path) -> Fs<MemDevice> {
    let dev = fs.unmount().expect("unmount");
    fsck_dev(&dev, img);
    mount(dev)
}

/// The whole contents of regular file `ino`.
pub fn read_all(fs: &mut Fs<MemDevice>, ino: Ino) -> Vec<u8> {
    let size = fs.stat(ino).unwrap().size as usize;
    let mut buf = vec![0; size];
    let n = fs.read(ino, 0, &mut buf).unwrap();
    assert_eq!(n, size);
    buf
}

/// Contents of the file at `path`.
pub fn read_path(fs: &mut Fs<MemDevice>, path: &str) -> Vec<u8> {
    let ino = fs.resolve(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    read_all(fs, ino)
}

/// Sorted names in directory `dir`, without `.` and `..`.
pub fn names(fs: &mut Fs<MemDevice>, dir: Ino) -> Vec<String> {
    let mut v: Vec<String> = fs
        .read_dir(dir)
        .unwrap()
        .iter()
        .map(|e| String::from_utf8(e.name().to_vec()).unwrap())
        .filter(|n| n != "." && n != "..")
        .collect();
    v.sort();
    v
}

pub const SMALL: &[u8] = b"hello, ext2\n";
pub const FAST_TARGET: &str = "small.txt";
/// A symlink target of more than 60 bytes (stored in a data block).
pub fn slow_target() -> String {
    format!("{}/a/b/c/deep.txt", "./.".repeat(30))
}

/// The source tree the read tests compare against.
pub fn build_tree(root: &Path) {
    fs::create_dir_all(root.join("a/b/c")).unwrap();
    fs::create_dir_all(root.join("many")).unwrap();
    fs::create_dir_all(root.join("emptydir")).unwrap();
    fs::write(root.join("small.txt"), SMALL).unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    fs::write(root.join("a/b/c/deep.txt"), b"deep inside\n").unwrap();
    fs::write(root.join("a/one-block"), data(1024, 1)).unwrap();
    fs::write(root.join("a/odd"), data(12 * 1024 + 7, 2)).unwrap();
    // Direct + single + double indirect with 1 KiB blocks.
    fs::write(root.join("big.bin"), data(5 * 1024 * 1024 + 123, 3)).unwrap();
    // Sparse: data, a hole, data, a hole to the end.
    let mut f = fs::File::create(root.join("sparse")).unwrap();
    f.write_all(&data(1000, 4)).unwrap();
    f.seek(SeekFrom::Start(3 * 1024 * 1024 + 17)).unwrap();
    f.write_all(&data(5000, 5)).unwrap();
    f.set_len(6 * 1024 * 1024).unwrap();
    drop(f);
    for i in 0..1000 {
        fs::write(root.join(format!("many/file-{i:04}")), format!("{i}\n")).unwrap();
    }
    std::os::unix::fs::symlink(FAST_TARGET, root.join("fast")).unwrap();
    std::os::unix::fs::symlink(slow_target(), root.join("slow")).unwrap();
    std::os::unix::fs::symlink("/a/b", root.join("abs")).unwrap();
    fs::hard_link(root.join("small.txt"), root.join("a/hard")).unwrap();
}

/// A source tree and an image made from it.
pub struct Fixture {
    pub tmp: TempDir,
    pub src: PathBuf,
    pub img: PathBuf,
}

/// `mke2fs -d` an image of `size` with block size `bs` from the standard
/// tree; with `htree`, large directories get hashed indexes.
pub fn fixture(tag: &str, bs: u32, size: &str, htree: bool) -> Fixture {
    let tmp = TempDir::new(tag);
    let src = tmp.join("src");
    build_tree(&src);
    let img = tmp.join("img");
    mkfs(&img, bs, size, Some(&src), &[]);
    if htree {
        build_htree(&img);
    }
    Fixture { tmp, src, img }
}

/// An image with a few files, for write tests.
pub fn small_fixture(tag: &str, bs: u32, size: &str) -> Fixture {
    let tmp = TempDir::new(tag);
    let src = tmp.join("src");
    fs::create_dir_all(src.join("d")).unwrap();
    fs::write(src.join("small.txt"), SMALL).unwrap();
    fs::write(src.join("big.bin"), data(300 * 1024, 9)).unwrap();
    fs::write(src.join("d/inner"), b"inner\n").unwrap();
    let img = tmp.join("img");
    mkfs(&img, bs, size, Some(&src), &[]);
    Fixture { tmp, src, img }
}

/// Kind of a host path (not following symlinks).
pub fn host_kind(p: &Path) -> FileKind {
    let t = fs::symlink_metadata(p).unwrap().file_type();
    if t.is_symlink() {
        FileKind::Symlink
    } else if t.is_dir() {
        FileKind::Directory
    } else {
        FileKind::Regular
    }
}
