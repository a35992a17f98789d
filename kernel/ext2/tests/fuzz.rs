//! Damaged images: random corruption of the metadata area, truncated
//! images and failing devices must give errors, never panics or hangs.

mod common;

use std::collections::HashSet;
use std::fs;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;
use ext2::{BlockDevice, DeviceError, FileKind, Fs, Ino, MemDevice, ROOT_INO};

/// A small image with every kind of object, metadata packed at the start
/// (no resize inode, few inodes).
fn base_image(bs: u32) -> Vec<u8> {
    let tmp = TempDir::new("fuzzbase");
    let src = tmp.join("src");
    fs::create_dir_all(src.join("dir/sub")).unwrap();
    fs::write(src.join("small"), SMALL).unwrap();
    fs::write(src.join("empty"), b"").unwrap();
    fs::write(src.join("dir/indirect"), data(300 * 1024, 1)).unwrap();
    fs::write(src.join("dir/sub/leaf"), b"leaf").unwrap();
    for i in 0..60 {
        fs::write(src.join(format!("dir/f{i}")), format!("{i}")).unwrap();
    }
    std::os::unix::fs::symlink("small", src.join("fast")).unwrap();
    std::os::unix::fs::symlink(slow_target(), src.join("slow")).unwrap();
    std::os::unix::fs::symlink("dir/../fast", src.join("chain")).unwrap();
    let img = tmp.join("img");
    mkfs(
        &img,
        bs,
        "2M",
        Some(&src),
        &["-O", "^resize_inode", "-N", "128"],
    );
    fs::read(&img).unwrap()
}

/// Walk, read and modify everything reachable; errors are fine.
fn exercise<D: BlockDevice>(dev: D) {
    let Ok(mut fs) = Fs::mount(dev) else {
        return;
    };
    fs.set_time(NOW);
    let mut seen = HashSet::new();
    let mut files = Vec::new();
    walk(&mut fs, ROOT_INO, "", 0, &mut seen, &mut files);
    let _ = fs.statfs();
    // Modify: new objects, and the existing ones.
    let _ = fs
        .create(ROOT_INO, "fz", 0o644)
        .and_then(|f| fs.write(f, 100, &data(5000, 7)));
    let _ = fs
        .mkdir(ROOT_INO, "fzd", 0o755)
        .and_then(|d| fs.create(d, "in", 0o644));
    let _ = fs.symlink(ROOT_INO, "fzl", "x".repeat(100));
    for (i, (dir, name, ino, kind)) in files.iter().enumerate().take(40) {
        let _ = match (i % 5, kind) {
            (0, FileKind::Regular) => fs.write(*ino, 4000, b"more data").map(|_| ()),
            (1, FileKind::Regular) => fs.truncate(*ino, 10),
            (2, FileKind::Directory) => fs.create(*ino, "newfile", 0o600).map(|_| ()),
            (3, FileKind::Directory) => fs.rmdir(*dir, name),
            (3, _) => fs.unlink(*dir, name),
            (4, _) => fs.rename(*dir, name, ROOT_INO, "renamed"),
            _ => fs.link(*ino, ROOT_INO, format!("l{i}")),
        };
    }
    let _ = fs.unlink(ROOT_INO, "fz");
    let _ = fs.rename(ROOT_INO, "fzd", ROOT_INO, "fzd2");
    let _ = fs.sync();
    let _ = fs.resolve("/dir/sub/leaf");
    let _ = fs.resolve("/chain");
}

type Found = (Ino, Vec<u8>, Ino, FileKind);

fn walk<D: BlockDevice>(
    fs: &mut Fs<D>,
    dir: Ino,
    path: &str,
    depth: usize,
    seen: &mut HashSet<Ino>,
    out: &mut Vec<Found>,
) {
    if depth > 8 || !seen.insert(dir) {
        return;
    }
    let mut cookie = 0;
    for _ in 0..3000 {
        let Ok(Some((e, next))) = fs.readdir(dir, cookie) else {
            break;
        };
        cookie = next;
        let name = e.name().to_vec();
        if name == b"." || name == b".." {
            continue;
        }
        let Ok(st) = fs.stat(e.ino) else {
            continue;
        };
        let p = format!("{path}/{}", String::from_utf8_lossy(&name));
        let _ = fs.resolve(&p);
        out.push((dir, name, e.ino, st.kind));
        match st.kind {
            FileKind::Directory => walk(fs, e.ino, &p, depth + 1, seen, out),
            FileKind::Symlink => {
                let _ = fs.readlink(e.ino);
            }
            _ => {
                let mut buf = vec![0; 64 * 1024];
                let _ = fs.read(e.ino, 0, &mut buf);
                let _ = fs.read(e.ino, st.size.saturating_sub(1000), &mut buf[..3000]);
                let _ = fs.read(e.ino, 300_000, &mut buf[..100]);
            }
        }
    }
}

/// Corrupt a copy of `base` in one of several ways.
fn corrupt(base: &[u8], rng: &mut Rng, bs: usize) -> Vec<u8> {
    let mut img = base.to_vec();
    // The metadata area: superblock, descriptors, bitmaps, inode table and
    // the first directory and indirect blocks.
    let lo = 1024;
    let hi = img
        .len()
        .min(if bs == 1024 { 160 * 1024 } else { 200 * 1024 });
    let span = (hi - lo) as u64;
    match rng.below(4) {
        0 => {
            for _ in 0..1 + rng.below(16) {
                let at = lo + rng.below(span) as usize;
                img[at] ^= 1 << rng.below(8);
            }
        }
        1 => {
            for _ in 0..1 + rng.below(8) {
                let at = (lo + rng.below(span) as usize) & !3;
                let v: u32 = match rng.below(6) {
                    0 => 0,
                    1 => u32::MAX,
                    2 => rng.below(64) as u32,
                    3 => rng.below(4096) as u32,
                    4 => 0x8000_0000,
                    _ => rng.next_u64() as u32,
                };
                img[at..at + 4].copy_from_slice(&v.to_le_bytes());
            }
        }
        2 => {
            let blocks = (hi / bs) as u64;
            let b = 1 + rng.below(blocks - 1) as usize;
            let fill = rng.below(3);
            for (i, x) in img[b * bs..(b + 1) * bs].iter_mut().enumerate() {
                *x = match fill {
                    0 => 0,
                    1 => 0xFF,
                    _ => (rng.next_u64() >> (i % 8)) as u8,
                };
            }
        }
        _ => {
            let at = lo + rng.below(span) as usize;
            let len = (1 + rng.below(64) as usize).min(img.len() - at);
            rng.fill(&mut img[at..at + len]);
        }
    }
    img
}

/// Run `f` on another thread and fail if it takes longer than `limit`.
fn with_deadline(limit: Duration, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(r.is_ok());
    });
    match rx.recv_timeout(limit) {
        Ok(true) => {}
        Ok(false) => panic!("fuzz run panicked"),
        Err(_) => panic!("fuzz run took longer than {limit:?}: a hang?"),
    }
}

/// `EXT2_FUZZ_ITERS=<n>` runs `n` iterations instead of the default (for
/// longer soak runs, e.g. in release mode); `EXT2_FUZZ_SEED` changes the seed.
fn fuzz(bs: u32, iterations: u64, seed: u64) {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let iterations = env("EXT2_FUZZ_ITERS").unwrap_or(iterations);
    let seed = env("EXT2_FUZZ_SEED").map_or(seed, |s| s ^ seed);
    let limit = Duration::from_secs(120).max(Duration::from_millis(iterations * 50));
    let base = base_image(bs);
    // The undamaged image passes the walk, and stays clean.
    exercise(MemDevice::new(base.clone()));
    with_deadline(limit, move || {
        let start = Instant::now();
        let mut rng = Rng::new(seed);
        for i in 0..iterations {
            let img = corrupt(&base, &mut rng, bs as usize);
            let r = catch_unwind(AssertUnwindSafe(|| exercise(MemDevice::new(img.clone()))));
            if r.is_err() {
                let keep = std::env::temp_dir().join(format!("ext2-fuzz-{bs}-{seed}-{i}.img"));
                fs::write(&keep, &img).unwrap();
                panic!(
                    "iteration {i} (bs {bs}, seed {seed}) panicked; image kept in {}",
                    keep.display()
                );
            }
        }
        eprintln!(
            "{iterations} corrupted {bs}-byte-block images in {:?}",
            start.elapsed()
        );
    });
}

#[test]
fn corrupted_1k_images_do_not_panic() {
    fuzz(1024, 1000, 0xE2F5);
}

#[test]
fn corrupted_4k_images_do_not_panic() {
    fuzz(4096, 500, 0xC0FFEE);
}

#[test]
fn truncated_images_are_refused() {
    let base = base_image(1024);
    let mut len = 0;
    while len < base.len() {
        let r = catch_unwind(|| Fs::mount(MemDevice::new(base[..len].to_vec())).map(|_| ()));
        match r {
            Ok(res) => assert!(res.is_err(), "a {len}-byte prefix mounted"),
            Err(_) => panic!("a {len}-byte prefix panicked"),
        }
        len += 4099;
    }
    assert!(Fs::mount(MemDevice::new(base)).is_ok());
}

/// A device that reports its full size but fails beyond `cut`.
struct Failing {
    inner: MemDevice,
    cut: u64,
}

impl BlockDevice for Failing {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        if offset + buf.len() as u64 > self.cut {
            return Err(DeviceError::Failed);
        }
        self.inner.read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), DeviceError> {
        if offset + buf.len() as u64 > self.cut {
            return Err(DeviceError::Failed);
        }
        self.inner.write_at(offset, buf)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn size(&self) -> u64 {
        self.inner.size()
    }
}

#[test]
fn failing_devices_give_errors() {
    let base = base_image(1024);
    with_deadline(Duration::from_secs(60), move || {
        let mut cut = 0;
        while cut < base.len() as u64 {
            exercise(Failing {
                inner: MemDevice::new(base.clone()),
                cut,
            });
            cut += 8192 + 512;
        }
    });
}
