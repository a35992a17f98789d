//! Read-ahead stays coherent with writes: data read (and read ahead) before
//! a file is rewritten, truncated, or its blocks freed and reused is never
//! served afterwards, through a small cache that forces write-backs and
//! evictions, with sequential 4 KiB reads and with random ones.

mod common;

use common::*;
use ext2::{Fs, MountOptions, ROOT_INO};

fn read_seq(fs: &mut Fs<ext2::MemDevice>, ino: ext2::Ino, len: usize, step: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    let mut off = 0;
    while off < len {
        let end = (off + step).min(len);
        let n = fs.read(ino, off as u64, &mut out[off..end]).unwrap();
        assert!(n > 0);
        off += n;
    }
    out
}

#[test]
fn reads_see_every_write_despite_read_ahead() {
    for bs in [1024u32, 4096] {
        let tmp = TempDir::new("ra");
        let img = tmp.join("img");
        mkfs(&img, bs, "16M", None, &[]);
        let opts = MountOptions {
            read_only: false,
            cache_bytes: 16 * bs as usize,
        };
        let mut fs = Fs::mount_with(load(&img), opts).unwrap();
        fs.set_time(NOW);
        let len = 3 << 20;
        let mut body = data(len, 7);
        let f = fs.create(ROOT_INO, "f", 0o644).unwrap();
        fs.write(f, 0, &body).unwrap();
        fs.sync().unwrap();
        // Sequential reads fill segments and start the next ones.
        assert_eq!(read_seq(&mut fs, f, len, 4096), body);
        // Read a region (into a segment), rewrite a piece of it, push the
        // piece out of the cache (write-back, then eviction by reading
        // other data), and read the region again.
        for round in 0..8u64 {
            let at = (round as usize * 300_000) % (len - 70_000);
            let mut buf = vec![0u8; 65536];
            fs.read(f, at as u64, &mut buf).unwrap();
            let piece = data(5000, 100 + round);
            fs.write(f, at as u64 + 1000, &piece).unwrap();
            body[at + 1000..at + 6000].copy_from_slice(&piece);
            fs.sync().unwrap();
            let scratch = fs.create(ROOT_INO, "scratch", 0o644).unwrap();
            fs.write(scratch, 0, &data(32 * bs as usize, round))
                .unwrap();
            fs.sync().unwrap();
            fs.unlink(ROOT_INO, "scratch").unwrap();
            fs.read(f, at as u64, &mut buf).unwrap();
            assert_eq!(buf, body[at..at + 65536], "round {round}");
        }
        // Rewrite scattered pieces (some in segments now), through a
        // cache small enough that they are written back and evicted.
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let at = rng.below(len as u64 - 5000) as usize;
            let n = 1 + rng.below(5000) as usize;
            let piece = data(n, rng.next_u64());
            fs.write(f, at as u64, &piece).unwrap();
            body[at..at + n].copy_from_slice(&piece);
            if rng.below(4) == 0 {
                // A random read in the middle of it all.
                let r = rng.below(len as u64 - 9000) as usize;
                let mut buf = vec![0u8; 9000];
                fs.read(f, r as u64, &mut buf).unwrap();
                assert_eq!(buf, body[r..r + 9000]);
            }
        }
        assert_eq!(read_seq(&mut fs, f, len, 4096), body);
        fs.sync().unwrap();
        assert_eq!(read_seq(&mut fs, f, len, 65536), body);
        // Free the blocks and reuse them for another file: the old
        // contents must not come back.
        fs.unlink(ROOT_INO, "f").unwrap();
        let g = fs.create(ROOT_INO, "g", 0o644).unwrap();
        let other = data(len, 8);
        fs.write(g, 0, &other).unwrap();
        assert_eq!(read_seq(&mut fs, g, len, 4096), other);
        fs.sync().unwrap();
        assert_eq!(read_seq(&mut fs, g, len, 4096), other);
        // Shrink, then grow past a hole: zeros, not old data.
        fs.truncate(g, 10_000).unwrap();
        fs.write(g, 2 << 20, b"end").unwrap();
        fs.sync().unwrap();
        let back = read_seq(&mut fs, g, (2 << 20) + 3, 4096);
        assert_eq!(back[..10_000], other[..10_000]);
        assert!(back[10_000..2 << 20].iter().all(|&b| b == 0));
        assert_eq!(&back[2 << 20..], b"end");
        let dev = fs.unmount().unwrap();
        fsck_dev(&dev, &tmp.join("out"));
    }
}
