//! Background write-back on a device that really overlaps transfers:
//! writes and read-ahead reads stay in flight until finished, and
//! finishing one applies every write in flight newest first (so two
//! overlapping writes in flight would leave the older data). Data read
//! back while writes are in flight is right, `sync` and unmount leave
//! nothing in flight and the image `e2fsck`-clean, and a write that fails
//! in the background is reported by the next `sync`.

mod common;

use common::*;
use ext2::{BlockDevice, DeviceError, Fs, MemDevice, MountOptions, Pending, ROOT_INO};
use std::cell::RefCell;
use std::rc::Rc;

struct Deferred {
    mem: MemDevice,
    /// Transfers in flight: id, write?, offset, buffer.
    flight: Vec<(u64, bool, u64, Vec<u8>)>,
    /// Ended transfers not yet finished by the caller.
    done: Vec<(u64, Vec<u8>, Result<(), DeviceError>)>,
    next: u64,
    /// Writes at or past this offset fail.
    fail_from: u64,
    /// Writes started in the background, and the most in flight at once.
    started: usize,
    most: usize,
}

impl Deferred {
    fn new(mem: MemDevice) -> Self {
        Deferred {
            mem,
            flight: Vec::new(),
            done: Vec::new(),
            next: 0,
            fail_from: u64::MAX,
            started: 0,
            most: 0,
        }
    }

    fn push(&mut self, write: bool, off: u64, buf: Vec<u8>) -> Pending {
        self.next += 1;
        self.flight.push((self.next, write, off, buf));
        let writes = self.flight.iter().filter(|f| f.1).count();
        self.most = self.most.max(writes);
        Pending::started(self.next)
    }
}

impl BlockDevice for Deferred {
    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        self.mem.read_at(off, buf)
    }
    fn write_at(&mut self, off: u64, buf: &[u8]) -> Result<(), DeviceError> {
        self.mem.write_at(off, buf)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn size(&self) -> u64 {
        self.mem.size()
    }
    fn start_read(&mut self, off: u64, buf: Vec<u8>) -> Pending {
        self.push(false, off, buf)
    }
    fn start_write(&mut self, off: u64, buf: Vec<u8>) -> Pending {
        self.started += 1;
        self.push(true, off, buf)
    }
    fn finish(&mut self, p: Pending) -> (Vec<u8>, Result<(), DeviceError>) {
        let id = p.into_state().expect("only started transfers");
        while let Some((id, write, off, mut buf)) = self.flight.pop() {
            let r = if !write {
                self.mem.read_at(off, &mut buf)
            } else if off + buf.len() as u64 > self.fail_from {
                Err(DeviceError::Failed)
            } else {
                self.mem.write_at(off, &buf)
            };
            self.done.push((id, buf, r));
        }
        let k = self.done.iter().position(|d| d.0 == id).expect("known id");
        let (_, buf, r) = self.done.remove(k);
        (buf, r)
    }
}

/// A [`Deferred`] the test can look into while an `Fs` uses it.
#[derive(Clone)]
struct Shared(Rc<RefCell<Deferred>>);

impl BlockDevice for Shared {
    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> Result<(), DeviceError> {
        self.0.borrow_mut().read_at(off, buf)
    }
    fn write_at(&mut self, off: u64, buf: &[u8]) -> Result<(), DeviceError> {
        self.0.borrow_mut().write_at(off, buf)
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        Ok(())
    }
    fn size(&self) -> u64 {
        self.0.borrow().size()
    }
    fn start_read(&mut self, off: u64, buf: Vec<u8>) -> Pending {
        self.0.borrow_mut().start_read(off, buf)
    }
    fn start_write(&mut self, off: u64, buf: Vec<u8>) -> Pending {
        self.0.borrow_mut().start_write(off, buf)
    }
    fn finish(&mut self, p: Pending) -> (Vec<u8>, Result<(), DeviceError>) {
        self.0.borrow_mut().finish(p)
    }
}

fn mount_small(dev: &Shared, bs: u32) -> Fs<Shared> {
    let dev = dev.clone();
    let opts = MountOptions {
        read_only: false,
        cache_bytes: 64 * bs as usize,
    };
    let mut fs = Fs::mount_with(dev, opts).unwrap();
    fs.set_time(NOW);
    fs
}

#[test]
fn reads_during_background_writes_see_the_new_data() {
    for bs in [1024u32, 4096] {
        let tmp = TempDir::new("wb");
        let img = tmp.join("img");
        mkfs(&img, bs, "32M", None, &[]);
        let shared = Shared(Rc::new(RefCell::new(Deferred::new(load(&img)))));
        let mut fs = mount_small(&shared, bs);
        // An old file, read once so that read-ahead holds some of it.
        let old = fs.create(ROOT_INO, "old", 0o644).unwrap();
        let mut old_body = data(1 << 20, 1);
        fs.write(old, 0, &old_body).unwrap();
        fs.sync().unwrap();
        let mut buf = vec![0u8; 1 << 20];
        fs.read(old, 0, &mut buf).unwrap();
        assert_eq!(buf, old_body);
        // A new file written in 4 KiB pieces; the old one rewritten in
        // places; both read back all along, random places and the tail.
        let f = fs.create(ROOT_INO, "new", 0o644).unwrap();
        let len = 6 << 20;
        let mut body = data(len, 2);
        let mut rng = Rng::new(5);
        for k in 0..len / 4096 {
            let piece = body[k * 4096..(k + 1) * 4096].to_vec();
            fs.write(f, (k * 4096) as u64, &piece).unwrap();
            if k % 13 == 6 {
                // A small change to data just written (still collected
                // for write-back, or being written).
                let at = k * 4096 - rng.below(8000) as usize;
                let patch = data(100, k as u64);
                fs.write(f, at as u64, &patch).unwrap();
                body[at..at + 100].copy_from_slice(&patch);
            }
            if k % 9 == 4 {
                // Push recent blocks (some still being written) out of the
                // cache by looking at inodes all over the inode tables,
                // then read them back (from the device).
                let inodes = fs.statfs().inodes;
                for _ in 0..48 {
                    let _ = fs.stat(1 + rng.below(u64::from(inodes)) as u32);
                }
                let end = (k + 1) * 4096;
                let at = end.saturating_sub(48 * bs as usize);
                let mut got = vec![0u8; end - at];
                assert_eq!(fs.read(f, at as u64, &mut got).unwrap(), end - at);
                assert_eq!(got, body[at..end], "bs {bs} write {k} tail at {at}");
            }
            if k % 128 == 100 {
                // The whole file so far, sequentially (read-ahead starts
                // reads of the next runs in the background).
                for _ in 0..48 {
                    let _ = fs.stat(1 + rng.below(u64::from(fs.statfs().inodes)) as u32);
                }
                let end = (k + 1) * 4096;
                let mut off = 0;
                while off < end {
                    let n = (end - off).min(16384);
                    let mut got = vec![0u8; n];
                    assert_eq!(fs.read(f, off as u64, &mut got).unwrap(), n);
                    assert_eq!(got, body[off..off + n], "bs {bs} write {k} seq at {off}");
                    off += n;
                }
            }
            if k % 7 == 3 {
                let at = rng.below(((k + 1) * 4096) as u64) as usize;
                let n = (1 + rng.below(20_000) as usize).min((k + 1) * 4096 - at);
                let mut got = vec![0u8; n];
                assert_eq!(fs.read(f, at as u64, &mut got).unwrap(), n);
                assert_eq!(got, body[at..at + n], "bs {bs} write {k} read at {at}");
            }
            if k % 50 == 10 {
                let at = rng.below((1 << 20) - 9000) as usize;
                let patch = data(9000, k as u64);
                fs.write(old, at as u64, &patch).unwrap();
                old_body[at..at + 9000].copy_from_slice(&patch);
                let r = rng.below((1 << 20) - 70_000) as usize;
                let mut got = vec![0u8; 70_000];
                fs.read(old, r as u64, &mut got).unwrap();
                assert_eq!(got, old_body[r..r + 70_000], "bs {bs} old at {r}");
            }
        }
        {
            let dev = shared.0.borrow();
            assert!(dev.started > 0, "no background write-back at bs {bs}");
            assert!(dev.most >= 2, "writes never overlapped at bs {bs}");
        }
        fs.sync().unwrap();
        assert!(
            shared.0.borrow().flight.is_empty(),
            "sync left writes in flight"
        );
        assert_eq!(read_all_of(&mut fs, f), body);
        assert_eq!(read_all_of(&mut fs, old), old_body);
        // Unmount without a sync of the last changes: nothing is lost.
        let tail = data(300_000, 9);
        fs.write(f, len as u64, &tail).unwrap();
        drop(fs.unmount().unwrap());
        let dev = Rc::try_unwrap(shared.0).ok().unwrap().into_inner();
        assert!(dev.flight.is_empty() && dev.done.is_empty());
        fsck_dev(&dev.mem, &img);
        let mut fs = mount(dev.mem);
        let mut want = body.clone();
        want.extend_from_slice(&tail);
        assert_eq!(read_path(&mut fs, "/new"), want);
        assert_eq!(read_path(&mut fs, "/old"), old_body);
    }
}

fn read_all_of(fs: &mut Fs<Shared>, ino: ext2::Ino) -> Vec<u8> {
    let size = fs.stat(ino).unwrap().size as usize;
    let mut buf = vec![0; size];
    assert_eq!(fs.read(ino, 0, &mut buf).unwrap(), size);
    buf
}

#[test]
fn a_failed_background_write_is_reported_by_the_next_sync() {
    let tmp = TempDir::new("wbfail");
    let img = tmp.join("img");
    mkfs(&img, 4096, "32M", None, &[]);
    let shared = Shared(Rc::new(RefCell::new(Deferred::new(load(&img)))));
    let mut fs = mount_small(&shared, 4096);
    let f = fs.create(ROOT_INO, "f", 0o644).unwrap();
    // Fill up to 20 MiB first (these writes succeed)...
    let filler = fs.create(ROOT_INO, "filler", 0o644).unwrap();
    let chunk = data(1 << 20, 3);
    let mut at = 0u64;
    while fs.statfs().free_blocks * 4096 > 13 << 20 {
        fs.write(filler, at, &chunk).unwrap();
        at += chunk.len() as u64;
    }
    fs.sync().unwrap();
    // Everything past here fails (the file's data lands there).
    shared.0.borrow_mut().fail_from = (32 << 20) - (12 << 20);
    // ... then write past it: the failures happen in the background,
    // while `write` itself succeeds.
    for k in 0..256u64 {
        fs.write(f, k * 4096, &chunk[..4096]).unwrap();
    }
    assert!(shared.0.borrow().started > 0);
    assert_eq!(fs.sync(), Err(ext2::Error::Io(DeviceError::Failed)));
    // Reported once; the device is sound again afterwards.
    shared.0.borrow_mut().fail_from = u64::MAX;
    assert_eq!(fs.sync(), Ok(()));
    assert!(shared.0.borrow().flight.is_empty());
}
