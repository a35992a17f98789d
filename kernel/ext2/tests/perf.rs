//! Request counts for the benchmark workloads: large files are laid out
//! contiguously and move in large requests; metadata is cached.

mod common;

use std::time::Instant;

use common::*;
use ext2::{BlockDevice, DeviceError, Fs, MemDevice, ROOT_INO};

/// Counts requests.
struct Counting {
    inner: MemDevice,
    reads: usize,
    writes: usize,
}

impl BlockDevice for Counting {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        self.reads += 1;
        self.inner.read_at(offset, buf)
    }
    fn write_at(&mut self, offset: u64, buf: &[u8]) -> Result<(), DeviceError> {
        self.writes += 1;
        self.inner.write_at(offset, buf)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn size(&self) -> u64 {
        self.inner.size()
    }
}

impl Counting {
    /// (reads, writes) since the last call.
    fn take(&mut self) -> (usize, usize) {
        let r = (self.reads, self.writes);
        (self.reads, self.writes) = (0, 0);
        r
    }
}

fn mount(dev: &mut Counting) -> Fs<&mut Counting> {
    let mut fs = Fs::mount(dev).unwrap();
    fs.set_time(NOW);
    fs
}

#[test]
fn benchmark_workloads_use_few_large_requests() {
    for bs in [1024u32, 4096] {
        let tmp = TempDir::new("perf");
        let img = tmp.join("img");
        mkfs(&img, bs, "64M", None, &[]);
        let mut dev = Counting {
            inner: load(&img),
            reads: 0,
            writes: 0,
        };
        let body = data(16 << 20, 1);
        let indirect = (16 << 20) / bs as usize / (bs as usize / 4);

        // Write 16 MiB in 64 KiB chunks, then sync.
        let mut fs = mount(&mut dev);
        let t = Instant::now();
        let f = fs.create(ROOT_INO, "big", 0o644).unwrap();
        for (i, c) in body.chunks(64 << 10).enumerate() {
            fs.write(f, (i << 16) as u64, c).unwrap();
        }
        fs.sync().unwrap();
        let elapsed = t.elapsed();
        fs.unmount().unwrap();
        let (r, w) = dev.take();
        eprintln!("bs {bs}: write 16 MiB + sync: {r} reads, {w} writes, {elapsed:?}");
        // 128 KiB data requests, plus the bitmap, inode and indirect blocks
        // written again at each write-back under cache pressure (1 MiB).
        assert!(w <= 128 + 2 * indirect + 4 * 16 + 20, "{w} writes");

        // Cold read.
        let mut fs = mount(&mut dev);
        let t = Instant::now();
        let mut buf = vec![0u8; 1 << 20];
        let mut off = 0;
        while off < body.len() {
            let n = fs.read(f, off as u64, &mut buf).unwrap();
            assert_eq!(buf[..n], body[off..off + n]);
            off += n;
        }
        let elapsed = t.elapsed();
        fs.unmount().unwrap();
        let (r, w) = dev.take();
        eprintln!("bs {bs}: cold read 16 MiB: {r} reads, {w} writes, {elapsed:?}");
        // Read-ahead moves 256 KiB per request; runs also break at
        // indirect blocks.
        assert!(r <= 2 * indirect + 64 + 20, "{r} reads");
        assert_eq!(w, 0);

        // Create 1000 small files, then sync.
        let mut fs = mount(&mut dev);
        let t = Instant::now();
        let d = fs.mkdir(ROOT_INO, "d", 0o755).unwrap();
        for i in 0..1000 {
            let f = fs.create(d, format!("file{i}"), 0o644).unwrap();
            fs.write(f, 0, b"x").unwrap();
        }
        fs.sync().unwrap();
        let elapsed = t.elapsed();
        fs.unmount().unwrap();
        let (r, w) = dev.take();
        eprintln!("bs {bs}: create 1000: {r} reads, {w} writes, {elapsed:?}");
        assert!(w <= 400, "{w} writes");

        // Stat them all, cold.
        let mut fs = mount(&mut dev);
        let t = Instant::now();
        for i in 0..1000 {
            let ino = fs.resolve(format!("/d/file{i}")).unwrap();
            assert_eq!(fs.stat(ino).unwrap().size, 1);
        }
        let elapsed = t.elapsed();
        fs.unmount().unwrap();
        let (r, w) = dev.take();
        eprintln!("bs {bs}: stat 1000: {r} reads, {w} writes, {elapsed:?}");
        assert!(r <= 300, "{r} reads");
        assert_eq!(w, 0);
        let out = tmp.join("out");
        fsck_dev(&dev.inner, &out);
    }
}
