//! Write operations on copies of `mke2fs` images: each test ends with
//! `sync`, a clean `e2fsck -fn`, and a remount that checks the data.

mod common;

use common::*;
use ext2::{Error, FileKind, Fs, MemDevice, MountOptions, SetAttr, ROOT_INO};

#[test]
fn create_write_read() {
    for bs in [1024, 2048, 4096] {
        let fx = small_fixture("create", bs, "8M");
        let mut fs = mount(load(&fx.img));
        let before = fs.statfs();
        let f = fs.create(ROOT_INO, "new.txt", 0o640).unwrap();
        let st = fs.stat(f).unwrap();
        assert_eq!(
            (st.kind, st.perm, st.size, st.links),
            (FileKind::Regular, 0o640, 0, 1)
        );
        assert_eq!((st.mtime, st.ctime, st.atime), (NOW, NOW, NOW));
        assert_eq!(fs.create(ROOT_INO, "new.txt", 0o640), Err(Error::Exists));
        let body = data(10_000, 11);
        assert_eq!(fs.write(f, 0, &body), Ok(body.len()));
        assert_eq!(read_all(&mut fs, f), body);
        let after = fs.statfs();
        assert_eq!(after.free_inodes, before.free_inodes - 1);
        assert!(after.free_blocks < before.free_blocks);
        let mut fs = cycle(fs, &fx.img);
        assert_eq!(read_path(&mut fs, "/new.txt"), body);
        assert_eq!(debugfs(&fx.img, "cat /new.txt"), body);
        let st = fs.stat(f).unwrap();
        assert_eq!(st.blocks, (10_000u64.div_ceil(bs as u64)) * bs as u64 / 512);
    }
}

#[test]
fn append_and_overwrite() {
    let fx = small_fixture("append", 1024, "8M");
    let mut fs = mount(load(&fx.img));
    let f = fs.resolve("/big.bin").unwrap();
    let mut model = read_all(&mut fs, f);
    // Appends of odd sizes.
    for i in 0..20 {
        let chunk = data(777 * (i + 1), 100 + i as u64);
        let at = model.len() as u64;
        assert_eq!(fs.write(f, at, &chunk), Ok(chunk.len()));
        model.extend_from_slice(&chunk);
    }
    // Overwrites straddling block and indirect boundaries.
    let mut rng = Rng::new(5);
    for i in 0..50 {
        let off = rng.below(model.len() as u64) as usize;
        let len = (rng.below(5000) as usize + 1).min(model.len() - off);
        let chunk = data(len, 200 + i);
        assert_eq!(fs.write(f, off as u64, &chunk), Ok(len));
        model[off..off + len].copy_from_slice(&chunk);
    }
    assert_eq!(read_all(&mut fs, f), model);
    let mut fs = cycle(fs, &fx.img);
    assert_eq!(read_path(&mut fs, "/big.bin"), model);
    assert_eq!(debugfs(&fx.img, "cat /big.bin"), model);
}

#[test]
fn truncate_shrink_and_grow() {
    for bs in [1024, 4096] {
        let fx = small_fixture("trunc", bs, "16M");
        let mut fs = mount(load(&fx.img));
        let f = fs.create(ROOT_INO, "t", 0o644).unwrap();
        let body = data(5 * 1024 * 1024, 7);
        fs.write(f, 0, &body).unwrap();
        let full = fs.statfs().free_blocks;
        let mut fs = cycle(fs, &fx.img);
        for &size in &[
            4_000_000u64,
            300_000,
            270 * 1024,
            268 * 1024,
            12 * 1024 + 1,
            5000,
            1,
        ] {
            fs.truncate(f, size).unwrap();
            assert_eq!(fs.stat(f).unwrap().size, size);
            assert_eq!(read_all(&mut fs, f), &body[..size as usize]);
            fs = cycle(fs, &fx.img);
        }
        // Grow: the old tail must read as zeros, not stale data.
        fs.truncate(f, 3 * 1024 * 1024).unwrap();
        let got = read_all(&mut fs, f);
        assert_eq!(got[0], body[0]);
        assert!(got[1..].iter().all(|&b| b == 0));
        // Write past the end after a hole.
        fs.write(f, 4 * 1024 * 1024, b"tail").unwrap();
        assert_eq!(fs.stat(f).unwrap().size, 4 * 1024 * 1024 + 4);
        let mut fs = cycle(fs, &fx.img);
        fs.truncate(f, 0).unwrap();
        assert_eq!(fs.stat(f).unwrap().blocks, 0);
        assert!(fs.statfs().free_blocks > full);
        cycle(fs, &fx.img);
    }
}

#[test]
fn unlink_frees_everything() {
    let fx = small_fixture("unlink", 1024, "16M");
    let mut fs = mount(load(&fx.img));
    let before = fs.statfs();
    let f = fs.create(ROOT_INO, "victim", 0o644).unwrap();
    fs.write(f, 0, &data(3 * 1024 * 1024, 1)).unwrap();
    fs.write(f, 200 * 1024 * 1024, b"far away").unwrap();
    let mut fs = cycle(fs, &fx.img);
    fs.unlink(ROOT_INO, "victim").unwrap();
    assert_eq!(fs.statfs(), before);
    assert_eq!(fs.stat(f), Err(Error::NotFound));
    assert_eq!(fs.unlink(ROOT_INO, "victim"), Err(Error::NotFound));
    // mke2fs-made files too.
    fs.unlink(ROOT_INO, "big.bin").unwrap();
    let d = fs.resolve("/d").unwrap();
    assert_eq!(fs.unlink(ROOT_INO, "d"), Err(Error::IsDir));
    assert_eq!(fs.unlink(d, "."), Err(Error::InvalidArgument));
    fs.unlink(d, "inner").unwrap();
    let mut fs = cycle(fs, &fx.img);
    assert_eq!(names(&mut fs, ROOT_INO), ["d", "lost+found", "small.txt"]);
    assert!(names(&mut fs, d).is_empty());
}

#[test]
fn pinned_inode_outlives_its_last_name() {
    let fx = small_fixture("pinned", 1024, "16M");
    let mut fs = mount(load(&fx.img));
    let before = fs.statfs();
    let f = fs.create(ROOT_INO, "open-file", 0o644).unwrap();
    let body = data(200 * 1024, 3);
    fs.write(f, 0, &body).unwrap();
    fs.pin(f);
    fs.pin(f); // two holders
    fs.unlink(ROOT_INO, "open-file").unwrap();
    // Gone from the directory, still readable and writable by number.
    assert_eq!(fs.resolve("/open-file"), Err(Error::NotFound));
    assert_eq!(fs.stat(f).unwrap().links, 0);
    assert_eq!(read_all(&mut fs, f), body);
    fs.write(f, body.len() as u64, b"more").unwrap();
    fs.unpin(f).unwrap();
    // One holder left: still there.
    assert_eq!(fs.stat(f).unwrap().size, body.len() as u64 + 4);
    fs.unpin(f).unwrap();
    // The last holder let go: freed, as if unlinked while closed.
    assert_eq!(fs.stat(f), Err(Error::NotFound));
    assert_eq!(fs.statfs(), before);
    assert_eq!(fs.unpin(f), Err(Error::InvalidArgument));
    let mut fs = cycle(fs, &fx.img);

    // Renamed over and removed directories too; unmount frees what is
    // still held (the holders are going away), and e2fsck finds it clean.
    let a = fs.create(ROOT_INO, "a", 0o644).unwrap();
    fs.write(a, 0, b"old contents").unwrap();
    let b = fs.create(ROOT_INO, "b", 0o644).unwrap();
    fs.pin(a);
    fs.rename(ROOT_INO, "b", ROOT_INO, "a").unwrap();
    assert_eq!(fs.resolve("/a"), Ok(b));
    assert_eq!(read_all(&mut fs, a), b"old contents");
    let d = fs.mkdir(ROOT_INO, "gone", 0o755).unwrap();
    fs.pin(d);
    fs.rmdir(ROOT_INO, "gone").unwrap();
    assert_eq!(fs.stat(d).unwrap().links, 0);
    // A pin of a file that keeps its name frees nothing.
    fs.pin(b);
    let dev = fs.unmount().unwrap();
    fsck_dev(&dev, &fx.img);
    let mut fs = mount(dev);
    assert_eq!(fs.stat(a), Err(Error::NotFound));
    assert_eq!(fs.stat(d), Err(Error::NotFound));
    assert!(fs.stat(b).is_ok());
}

#[test]
fn readdir_continues_correctly_across_changes() {
    let fx = small_fixture("readdir", 1024, "16M");
    let mut fs = mount(load(&fx.img));
    let d = fs.mkdir(ROOT_INO, "many", 0o755).unwrap();
    let all: Vec<String> = (0..120).map(|i| format!("entry-{i:03}")).collect();
    for n in &all {
        fs.create(d, n, 0o644).unwrap();
    }
    // Read 40 entries (`.` and `..` first), then remove the last one seen
    // (its space merges into the entry before it, so the cookie no longer
    // follows a live entry) and one not yet seen, and add a new one.
    let mut seen = Vec::new();
    let mut cookie = 0;
    for _ in 0..40 {
        let (e, next) = fs.readdir(d, cookie).unwrap().unwrap();
        seen.push(String::from_utf8(e.name().to_vec()).unwrap());
        cookie = next;
    }
    let last = seen.last().unwrap().clone();
    let (upcoming, _) = fs.readdir(d, cookie).unwrap().unwrap();
    let upcoming = String::from_utf8(upcoming.name().to_vec()).unwrap();
    fs.unlink(d, &last).unwrap();
    // The entry the cookie points at goes too, and a longer name can take
    // the merged space around the cookie.
    fs.unlink(d, &upcoming).unwrap();
    fs.unlink(d, "entry-100").unwrap();
    fs.create(d, "a-late-arrival-with-a-longer-name", 0o644)
        .unwrap();
    while let Some((e, next)) = fs.readdir(d, cookie).unwrap() {
        seen.push(String::from_utf8(e.name().to_vec()).unwrap());
        cookie = next;
    }
    // Every name that existed throughout is listed exactly once; the one
    // removed before it was reached is not.
    for n in all.iter().filter(|n| **n != upcoming && *n != "entry-100") {
        assert_eq!(seen.iter().filter(|s| *s == n).count(), 1, "{n}");
    }
    assert!(!seen.iter().any(|s| *s == upcoming || s == "entry-100"));
    assert!(seen
        .iter()
        .all(|s| s.starts_with("entry-") || s.starts_with('.') || s.starts_with("a-late")));
    // And an uninterrupted listing matches the directory.
    let names = names(&mut fs, d);
    assert_eq!(names.len(), 118);
    cycle(fs, &fx.img);
}

#[test]
fn mkdir_rmdir() {
    for bs in [1024, 4096] {
        let fx = small_fixture("mkdir", bs, "8M");
        let mut fs = mount(load(&fx.img));
        let before = fs.statfs();
        let root_links = fs.stat(ROOT_INO).unwrap().links;
        let a = fs.mkdir(ROOT_INO, "a", 0o755).unwrap();
        let b = fs.mkdir(a, "b", 0o700).unwrap();
        let c = fs.mkdir(b, "c", 0o755).unwrap();
        fs.create(c, "file", 0o644).unwrap();
        assert_eq!(fs.stat(ROOT_INO).unwrap().links, root_links + 1);
        assert_eq!(fs.stat(a).unwrap().links, 3);
        assert_eq!(fs.stat(c).unwrap().links, 2);
        assert_eq!(fs.stat(b).unwrap().perm, 0o700);
        assert_eq!(fs.lookup(c, ".."), Ok(b));
        assert_eq!(fs.mkdir(a, "b", 0o755), Err(Error::Exists));
        assert_eq!(fs.mkdir(a, ".", 0o755), Err(Error::Exists));
        let mut fs = cycle(fs, &fx.img);
        assert_eq!(
            fs.resolve("/a/b/c/file").unwrap(),
            fs.lookup(c, "file").unwrap()
        );
        assert_eq!(fs.rmdir(b, "c"), Err(Error::NotEmpty));
        assert_eq!(fs.rmdir(c, "file"), Err(Error::NotDir));
        assert_eq!(fs.rmdir(b, ".."), Err(Error::InvalidArgument));
        fs.unlink(c, "file").unwrap();
        fs.rmdir(b, "c").unwrap();
        assert_eq!(fs.stat(b).unwrap().links, 2);
        let mut fs = cycle(fs, &fx.img);
        fs.rmdir(a, "b").unwrap();
        fs.rmdir(ROOT_INO, "a").unwrap();
        assert_eq!(fs.stat(ROOT_INO).unwrap().links, root_links);
        assert_eq!(fs.statfs(), before);
        cycle(fs, &fx.img);
    }
}

#[test]
fn rename_variants() {
    let fx = small_fixture("rename", 1024, "8M");
    let mut fs = mount(load(&fx.img));
    let d = fs.resolve("/d").unwrap();
    let small = fs.resolve("/small.txt").unwrap();
    // Within a directory.
    fs.rename(ROOT_INO, "small.txt", ROOT_INO, "renamed.txt")
        .unwrap();
    assert_eq!(fs.resolve("/renamed.txt"), Ok(small));
    assert_eq!(fs.resolve("/small.txt"), Err(Error::NotFound));
    // Across directories.
    fs.rename(ROOT_INO, "renamed.txt", d, "moved.txt").unwrap();
    assert_eq!(fs.resolve("/d/moved.txt"), Ok(small));
    // Over an existing file: the old target is freed.
    let free = fs.statfs();
    let big = fs.resolve("/big.bin").unwrap();
    fs.rename(d, "moved.txt", ROOT_INO, "big.bin").unwrap();
    assert_eq!(fs.resolve("/big.bin"), Ok(small));
    assert_eq!(fs.stat(big), Err(Error::NotFound));
    assert_eq!(fs.statfs().free_inodes, free.free_inodes + 1);
    assert!(fs.statfs().free_blocks > free.free_blocks + 290);
    let mut fs = cycle(fs, &fx.img);
    assert_eq!(read_path(&mut fs, "/big.bin"), SMALL);

    // Directories across parents: `..` and link counts.
    let x = fs.mkdir(ROOT_INO, "x", 0o755).unwrap();
    let y = fs.mkdir(ROOT_INO, "y", 0o755).unwrap();
    let sub = fs.mkdir(x, "sub", 0o755).unwrap();
    fs.create(sub, "f", 0o644).unwrap();
    fs.rename(x, "sub", y, "sub2").unwrap();
    assert_eq!(fs.lookup(sub, ".."), Ok(y));
    assert_eq!(fs.stat(x).unwrap().links, 2);
    assert_eq!(fs.stat(y).unwrap().links, 3);
    // Into its own subtree.
    assert_eq!(
        fs.rename(ROOT_INO, "y", sub, "loop"),
        Err(Error::InvalidArgument)
    );
    assert_eq!(
        fs.rename(ROOT_INO, "y", y, "loop"),
        Err(Error::InvalidArgument)
    );
    // Over a non-empty directory, over a file, file over directory.
    let z = fs.mkdir(ROOT_INO, "z", 0o755).unwrap();
    assert_eq!(
        fs.rename(ROOT_INO, "z", ROOT_INO, "y"),
        Err(Error::NotEmpty)
    );
    assert_eq!(
        fs.rename(ROOT_INO, "z", ROOT_INO, "big.bin"),
        Err(Error::NotDir)
    );
    assert_eq!(
        fs.rename(ROOT_INO, "big.bin", ROOT_INO, "z"),
        Err(Error::IsDir)
    );
    assert_eq!(
        fs.rename(ROOT_INO, "nope", ROOT_INO, "z"),
        Err(Error::NotFound)
    );
    assert_eq!(
        fs.rename(ROOT_INO, "z", ROOT_INO, ".."),
        Err(Error::InvalidArgument)
    );
    // A directory over an empty directory in another parent.
    let e = fs.mkdir(y, "empty", 0o755).unwrap();
    let root_links = fs.stat(ROOT_INO).unwrap().links;
    fs.rename(ROOT_INO, "z", y, "empty").unwrap();
    assert_eq!(fs.stat(e), Err(Error::NotFound));
    assert_eq!(fs.lookup(y, "empty"), Ok(z));
    assert_eq!(fs.lookup(z, ".."), Ok(y));
    assert_eq!(fs.stat(ROOT_INO).unwrap().links, root_links - 1);
    assert_eq!(fs.stat(y).unwrap().links, 4);
    // A directory over an empty directory in the same parent.
    fs.mkdir(y, "e2", 0o755).unwrap();
    assert_eq!(fs.stat(y).unwrap().links, 5);
    fs.rename(y, "empty", y, "e2").unwrap();
    assert_eq!(fs.stat(y).unwrap().links, 4);
    // Two names of the same inode: nothing happens.
    fs.link(small, y, "alias").unwrap();
    fs.rename(y, "alias", ROOT_INO, "big.bin").unwrap();
    assert_eq!(fs.lookup(y, "alias"), Ok(small));
    assert_eq!(fs.stat(small).unwrap().links, 2);
    let mut fs = cycle(fs, &fx.img);
    assert_eq!(names(&mut fs, y), ["alias", "e2", "sub2"]);
    assert_eq!(
        fs.resolve("/y/sub2/f").unwrap(),
        fs.lookup(sub, "f").unwrap()
    );
}

#[test]
fn hard_links() {
    let fx = small_fixture("link", 1024, "8M");
    let mut fs = mount(load(&fx.img));
    let f = fs.resolve("/small.txt").unwrap();
    let d = fs.resolve("/d").unwrap();
    fs.link(f, d, "l1").unwrap();
    fs.link(f, ROOT_INO, "l2").unwrap();
    assert_eq!(fs.link(f, ROOT_INO, "l2"), Err(Error::Exists));
    assert_eq!(fs.link(d, ROOT_INO, "dlink"), Err(Error::IsDir));
    assert_eq!(fs.stat(f).unwrap().links, 3);
    let mut fs = cycle(fs, &fx.img);
    fs.unlink(ROOT_INO, "small.txt").unwrap();
    fs.unlink(ROOT_INO, "l2").unwrap();
    assert_eq!(fs.stat(f).unwrap().links, 1);
    let mut fs = cycle(fs, &fx.img);
    assert_eq!(read_path(&mut fs, "/d/l1"), SMALL);
}

#[test]
fn symlinks_fast_and_slow() {
    for bs in [1024, 4096] {
        let fx = small_fixture("symlink", bs, "8M");
        let mut fs = mount(load(&fx.img));
        let d = fs.resolve("/d").unwrap();
        let fast = fs.symlink(ROOT_INO, "fast", "d/inner").unwrap();
        let long = format!("{}d/inner", "./".repeat(40));
        let slow = fs.symlink(ROOT_INO, "slow", &long).unwrap();
        let edge = "x".repeat(59);
        let e59 = fs.symlink(d, "e59", &edge).unwrap();
        let e60 = fs.symlink(d, "e60", "y".repeat(60)).unwrap();
        assert_eq!(fs.stat(fast).unwrap().blocks, 0);
        assert_eq!(fs.stat(e59).unwrap().blocks, 0);
        assert_eq!(fs.stat(e60).unwrap().blocks, bs as u64 / 512);
        assert_eq!(fs.stat(slow).unwrap().kind, FileKind::Symlink);
        assert_eq!(fs.symlink(d, "bad", ""), Err(Error::InvalidArgument));
        assert_eq!(
            fs.symlink(d, "bad", "z".repeat(bs as usize)),
            Err(Error::NameTooLong)
        );
        let inner = fs.resolve("/d/inner").unwrap();
        assert_eq!(fs.resolve("/fast"), Ok(inner));
        assert_eq!(fs.resolve("/slow"), Ok(inner));
        assert_eq!(fs.resolve_nofollow("/slow"), Ok(slow));
        // Loops.
        fs.symlink(ROOT_INO, "loop1", "/loop2").unwrap();
        fs.symlink(ROOT_INO, "loop2", "loop1").unwrap();
        assert_eq!(fs.resolve("/loop1"), Err(Error::Loop));
        assert_eq!(fs.resolve("/loop1/x"), Err(Error::Loop));
        // A chain of 8 links resolves, 9 do not.
        fs.symlink(ROOT_INO, "c0", "d/inner").unwrap();
        for i in 1..=8 {
            fs.symlink(ROOT_INO, format!("c{i}"), format!("c{}", i - 1))
                .unwrap();
        }
        assert_eq!(fs.resolve("/c7"), Ok(inner));
        assert_eq!(fs.resolve("/c8"), Err(Error::Loop));
        let mut fs = cycle(fs, &fx.img);
        assert_eq!(fs.readlink(fast).unwrap(), b"d/inner");
        assert_eq!(fs.readlink(slow).unwrap(), long.as_bytes());
        assert_eq!(fs.readlink(e59).unwrap(), edge.as_bytes());
        let dbg = String::from_utf8(debugfs(&fx.img, "stat /slow")).unwrap();
        assert!(dbg.contains(&format!("Size: {}", long.len())), "{dbg}");
        fs.unlink(ROOT_INO, "slow").unwrap();
        fs.unlink(d, "e60").unwrap();
        fs.unlink(ROOT_INO, "fast").unwrap();
        cycle(fs, &fx.img);
    }
}

#[test]
fn large_writes_through_every_indirect_level() {
    let fx = small_fixture("indirect", 1024, "16M");
    let mut fs = mount(load(&fx.img));
    let f = fs.create(ROOT_INO, "big", 0o644).unwrap();
    // Dense through direct, single and double indirect.
    let body = data(6 * 1024 * 1024, 21);
    for (i, chunk) in body.chunks(100_000).enumerate() {
        assert_eq!(fs.write(f, (i * 100_000) as u64, chunk), Ok(chunk.len()));
    }
    // Sparse pieces deep in double and triple indirect range.
    let far = [
        (60 * 1024 * 1024u64, 3000usize),
        (65 * 1024 * 1024, 5000),
        (2_000_000_000, 4096),
        (5 * 1024 * 1024 * 1024, 10),
    ];
    for (i, &(off, len)) in far.iter().enumerate() {
        let d = data(len, 30 + i as u64);
        assert_eq!(fs.write(f, off, &d), Ok(len));
    }
    let mut fs = cycle(fs, &fx.img);
    assert_eq!(fs.features().2 & ext2::feature::RO_COMPAT_LARGE_FILE, 2);
    let mut buf = vec![0u8; body.len()];
    fs.read(f, 0, &mut buf).unwrap();
    assert_eq!(buf, body);
    for (i, &(off, len)) in far.iter().enumerate() {
        let mut b = vec![0; len + 100];
        let n = fs.read(f, off - 50, &mut b).unwrap();
        assert_eq!(
            n,
            (len + 100).min((5 * 1024 * 1024 * 1024 + 10 - (off - 50)) as usize)
        );
        assert!(b[..50].iter().all(|&x| x == 0));
        assert_eq!(&b[50..50 + len], data(len, 30 + i as u64));
    }
    assert_eq!(fs.stat(f).unwrap().size, 5 * 1024 * 1024 * 1024 + 10);
    // Shrink step by step through the levels.
    for size in [
        3_000_000_000u64,
        66 * 1024 * 1024,
        61 * 1024 * 1024,
        1_000_000,
    ] {
        fs.truncate(f, size).unwrap();
        fs = cycle(fs, &fx.img);
    }
    assert_eq!(read_all(&mut fs, f), &body[..1_000_000]);
    // Beyond the largest file: TooBig.
    let max = fs.max_file_size();
    assert_eq!(fs.write(f, max, b"x"), Err(Error::TooBig));
    assert_eq!(fs.truncate(f, max + 1), Err(Error::TooBig));
    assert_eq!(fs.write(f, max - 1, b"xy"), Ok(1));
    assert_eq!(fs.stat(f).unwrap().size, max);
    cycle(fs, &fx.img);
}

#[test]
fn large_file_flag_is_set_when_needed() {
    let tmp = TempDir::new("largefile");
    let img = tmp.join("img");
    // mke2fs always sets large_file; clear it (and drop the resize inode,
    // whose size needs it). 1 KiB blocks: two groups, so a backup
    // superblock exists.
    mkfs(&img, 1024, "16M", None, &["-O", "^resize_inode"]);
    run(std::process::Command::new("debugfs")
        .args(["-w", "-R", "feature -large_file"])
        .arg(&img));
    fsck(&img);
    let mut fs = mount(load(&img));
    assert_eq!(fs.features().2 & ext2::feature::RO_COMPAT_LARGE_FILE, 0);
    let f = fs.create(ROOT_INO, "f", 0o644).unwrap();
    fs.write(f, (1 << 31) - 11, b"0123456789").unwrap();
    assert_eq!(fs.features().2 & ext2::feature::RO_COMPAT_LARGE_FILE, 0);
    fs.write(f, 1 << 31, b"!").unwrap();
    assert_ne!(fs.features().2 & ext2::feature::RO_COMPAT_LARGE_FILE, 0);
    let mut fs = cycle(fs, &img);
    assert_eq!(fs.stat(f).unwrap().size, (1 << 31) + 1);
}

#[test]
fn fill_the_disk() {
    for bs in [1024, 4096] {
        let fx = small_fixture("full", bs, "8M");
        let mut fs = mount(load(&fx.img));
        let before = fs.statfs();
        let f = fs.create(ROOT_INO, "filler", 0o644).unwrap();
        let chunk = data(64 * 1024, 3);
        let mut total = 0u64;
        loop {
            match fs.write(f, total, &chunk) {
                Ok(n) => {
                    total += n as u64;
                    if n < chunk.len() {
                        break;
                    }
                }
                Err(e) => {
                    assert_eq!(e, Error::NoSpace);
                    break;
                }
            }
        }
        assert_eq!(fs.statfs().free_blocks, 0);
        assert_eq!(fs.write(f, total, b"more"), Err(Error::NoSpace));
        assert_eq!(fs.stat(f).unwrap().size, total);
        // No room for a new directory's block either; nothing leaks.
        let inodes = fs.statfs().free_inodes;
        assert_eq!(fs.mkdir(ROOT_INO, "nope", 0o755), Err(Error::NoSpace));
        assert_eq!(fs.statfs().free_inodes, inodes);
        // Empty files still fit (inodes are free) until an entry needs a block.
        let mut made = 0;
        loop {
            match fs.create(
                ROOT_INO,
                format!("empty-{made:05}-with-a-longish-name"),
                0o644,
            ) {
                Ok(_) => made += 1,
                Err(e) => {
                    assert_eq!(e, Error::NoSpace);
                    break;
                }
            }
        }
        let mut fs = cycle(fs, &fx.img);
        let mut buf = vec![0u8; chunk.len()];
        let n = fs.read(f, total - 1000, &mut buf).unwrap();
        assert_eq!(n, 1000);
        fs.unlink(ROOT_INO, "filler").unwrap();
        for i in 0..made {
            fs.unlink(ROOT_INO, format!("empty-{i:05}-with-a-longish-name"))
                .unwrap();
        }
        let after = fs.statfs();
        assert_eq!(after.free_inodes, before.free_inodes);
        // The root directory may have grown by a few blocks.
        assert!(after.free_blocks + 8 >= before.free_blocks);
        cycle(fs, &fx.img);
    }
}

#[test]
fn run_out_of_inodes() {
    let tmp = TempDir::new("inodes");
    let img = tmp.join("img");
    mkfs(&img, 1024, "4M", None, &["-N", "64"]);
    let mut fs = mount(load(&img));
    let d = fs.mkdir(ROOT_INO, "d", 0o755).unwrap();
    let mut n = 0;
    let err = loop {
        match fs.create(d, format!("f{n}"), 0o644) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Error::NoSpace);
    assert_eq!(fs.statfs().free_inodes, 0);
    let mut fs = cycle(fs, &img);
    for i in 0..n {
        fs.unlink(d, format!("f{i}")).unwrap();
    }
    fs.rmdir(ROOT_INO, "d").unwrap();
    cycle(fs, &img);
}

#[test]
fn thousand_files_in_one_directory() {
    let fx = small_fixture("thousand", 1024, "16M");
    let mut fs = mount(load(&fx.img));
    let before = fs.statfs();
    let d = fs.mkdir(ROOT_INO, "many", 0o755).unwrap();
    for i in 0..1000 {
        let f = fs.create(d, format!("file-number-{i}"), 0o644).unwrap();
        fs.write(f, 0, format!("{i}").as_bytes()).unwrap();
    }
    let mut fs = cycle(fs, &fx.img);
    assert_eq!(names(&mut fs, d).len(), 1000);
    let f = fs.resolve("/many/file-number-999").unwrap();
    assert_eq!(read_all(&mut fs, f), b"999");
    // Delete odd ones, check, then the rest.
    for i in (1..1000).step_by(2) {
        fs.unlink(d, format!("file-number-{i}")).unwrap();
    }
    let mut fs = cycle(fs, &fx.img);
    assert_eq!(names(&mut fs, d).len(), 500);
    // Freed entry space is reused: refilling does not grow the directory.
    let size = fs.stat(d).unwrap().size;
    for i in (1..1000).step_by(2) {
        fs.create(d, format!("file-number-{i}"), 0o644).unwrap();
    }
    assert_eq!(fs.stat(d).unwrap().size, size);
    for i in 0..1000 {
        fs.unlink(d, format!("file-number-{i}")).unwrap();
    }
    fs.rmdir(ROOT_INO, "many").unwrap();
    assert_eq!(fs.statfs(), before);
    cycle(fs, &fx.img);
}

#[test]
fn modifying_an_htree_directory() {
    let fx = fixture("htree", 1024, "16M", true);
    let mut fs = mount(load(&fx.img));
    let many = fs.resolve("/many").unwrap();
    for i in 0..300 {
        fs.create(many, format!("added-{i}"), 0o644).unwrap();
    }
    for i in (0..1000).step_by(3) {
        fs.unlink(many, format!("file-{i:04}")).unwrap();
    }
    fs.rename(many, "file-0001", many, "renamed").unwrap();
    fs.mkdir(many, "subdir", 0o755).unwrap();
    let mut fs = cycle(fs, &fx.img);
    let stat = String::from_utf8(debugfs(&fx.img, "stat /many")).unwrap();
    assert!(stat.contains("Flags: 0x0"), "{stat}");
    let list = names(&mut fs, many);
    assert_eq!(list.len(), 1000 - 334 + 300 + 1);
    assert!(list.contains(&"renamed".to_string()));
    assert!(!list.contains(&"file-0003".to_string()));
    let f = fs.resolve("/many/renamed").unwrap();
    assert_eq!(read_all(&mut fs, f), b"1\n");
    // Mutating another index-less directory leaves it alone.
    let stat = String::from_utf8(debugfs(&fx.img, "stat /a")).unwrap();
    assert!(stat.contains("Flags: 0x0"));
}

#[test]
fn errors_and_attributes() {
    let fx = small_fixture("errors", 1024, "8M");
    let mut fs = mount(load(&fx.img));
    let small = fs.resolve("/small.txt").unwrap();
    let long = "n".repeat(256);
    assert_eq!(fs.create(ROOT_INO, &long, 0o644), Err(Error::NameTooLong));
    assert_eq!(fs.lookup(ROOT_INO, &long), Err(Error::NameTooLong));
    let max = "m".repeat(255);
    let m = fs.create(ROOT_INO, &max, 0o644).unwrap();
    assert_eq!(fs.lookup(ROOT_INO, &max), Ok(m));
    assert_eq!(
        fs.create(ROOT_INO, "a/b", 0o644),
        Err(Error::InvalidArgument)
    );
    assert_eq!(fs.create(ROOT_INO, "", 0o644), Err(Error::InvalidArgument));
    assert_eq!(fs.create(small, "x", 0o644), Err(Error::NotDir));
    assert_eq!(fs.lookup(small, "x"), Err(Error::NotDir));
    assert_eq!(fs.write(ROOT_INO, 0, b"x"), Err(Error::IsDir));
    assert_eq!(fs.truncate(ROOT_INO, 0), Err(Error::IsDir));
    assert_eq!(fs.stat(0), Err(Error::InvalidArgument));
    assert_eq!(fs.stat(u32::MAX), Err(Error::InvalidArgument));
    assert_eq!(fs.stat(fs.statfs().inodes), Err(Error::NotFound));
    let st = fs
        .setattr(
            small,
            &SetAttr {
                perm: Some(0o4711),
                uid: Some(70_000),
                gid: Some(5),
                mtime: Some(42),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        (st.perm, st.uid, st.gid, st.mtime, st.ctime),
        (0o4711, 70_000, 5, 42, NOW)
    );
    let (p, name) = fs.resolve_parent(b"/d/inner/").unwrap();
    assert_eq!((p, name), (fs.resolve("/d").unwrap(), &b"inner"[..]));
    assert_eq!(fs.resolve_parent(b"/"), Err(Error::InvalidArgument));
    assert_eq!(fs.resolve_parent(b"/small.txt/x"), Err(Error::NotDir));
    let mut fs = cycle(fs, &fx.img);
    assert_eq!(fs.stat(small).unwrap().uid, 70_000);
    // Read-only mounts refuse changes and never write.
    let dev = fs.unmount().unwrap();
    let copy = dev.clone();
    let mut ro = Fs::mount_with(
        dev,
        MountOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(ro.create(ROOT_INO, "x", 0o644), Err(Error::ReadOnly));
    assert_eq!(ro.write(small, 0, b"x"), Err(Error::ReadOnly));
    assert_eq!(ro.unlink(ROOT_INO, "small.txt"), Err(Error::ReadOnly));
    assert_eq!(read_all(&mut ro, small), SMALL);
    assert_eq!(ro.unmount().unwrap(), copy);
}

#[test]
fn tiny_cache_under_pressure() {
    let fx = small_fixture("tinycache", 1024, "16M");
    let dev = load(&fx.img);
    let mut fs = Fs::mount_with(
        dev,
        MountOptions {
            cache_bytes: 16 * 1024,
            ..Default::default()
        },
    )
    .unwrap();
    fs.set_time(NOW);
    let d = fs.mkdir(ROOT_INO, "d2", 0o755).unwrap();
    let mut files = Vec::new();
    for i in 0..200 {
        let f = fs.create(d, format!("f{i}"), 0o644).unwrap();
        fs.write(f, 0, &data(3000 + i * 37, i as u64)).unwrap();
        files.push(f);
    }
    let big = fs.create(ROOT_INO, "big", 0o644).unwrap();
    fs.write(big, 0, &data(2_000_000, 99)).unwrap();
    for i in (0..200).step_by(2) {
        fs.unlink(d, format!("f{i}")).unwrap();
    }
    let mut fs = cycle(fs, &fx.img);
    for i in (1..200).step_by(2) {
        assert_eq!(read_all(&mut fs, files[i]), data(3000 + i * 37, i as u64));
    }
    assert_eq!(read_all(&mut fs, big), data(2_000_000, 99));
}

/// A random mix of operations checked against an in-memory model.
#[test]
fn random_operations_match_a_model() {
    use std::collections::BTreeMap;
    for (bs, seed) in [(1024u32, 1u64), (4096, 2), (1024, 3)] {
        let fx = small_fixture("model", bs, "16M");
        let mut fs = mount(load(&fx.img));
        let dirs = [
            ROOT_INO,
            fs.mkdir(ROOT_INO, "m1", 0o755).unwrap(),
            fs.mkdir(ROOT_INO, "m2", 0o755).unwrap(),
        ];
        let mut model: BTreeMap<(usize, String), Vec<u8>> = BTreeMap::new();
        let mut rng = Rng::new(seed);
        for step in 0..1500 {
            let di = rng.below(3) as usize;
            let name = format!("f{}", rng.below(40));
            let key = (di, name.clone());
            match rng.below(10) {
                0 | 1 => {
                    let r = fs.create(dirs[di], &name, 0o644);
                    if let std::collections::btree_map::Entry::Vacant(e) = model.entry(key) {
                        r.unwrap();
                        e.insert(Vec::new());
                    } else {
                        assert_eq!(r, Err(Error::Exists));
                    }
                }
                2..=4 => {
                    if let Some(content) = model.get_mut(&key) {
                        let ino = fs.lookup(dirs[di], &name).unwrap();
                        let off = rng.below(content.len() as u64 + 5000) as usize;
                        let max = if rng.below(10) == 0 { 300_000 } else { 5000 };
                        let len = rng.below(max) as usize;
                        let d = data(len, step);
                        assert_eq!(fs.write(ino, off as u64, &d).unwrap(), len);
                        if content.len() < off + len {
                            content.resize(off + len, 0);
                        }
                        content[off..off + len].copy_from_slice(&d);
                    }
                }
                5 => {
                    if let Some(content) = model.get_mut(&key) {
                        let ino = fs.lookup(dirs[di], &name).unwrap();
                        let size = rng.below(content.len() as u64 * 2 + 10) as usize;
                        fs.truncate(ino, size as u64).unwrap();
                        content.resize(size, 0);
                    }
                }
                6 => {
                    let r = fs.unlink(dirs[di], &name);
                    if model.remove(&key).is_some() {
                        r.unwrap();
                    } else {
                        assert_eq!(r, Err(Error::NotFound));
                    }
                }
                7 => {
                    let dj = rng.below(3) as usize;
                    let to = format!("f{}", rng.below(40));
                    let r = fs.rename(dirs[di], &name, dirs[dj], &to);
                    if let Some(content) = model.remove(&key) {
                        r.unwrap();
                        model.insert((dj, to), content);
                    } else {
                        assert_eq!(r, Err(Error::NotFound));
                    }
                }
                8 => {
                    if let Some(content) = model.get(&key) {
                        let ino = fs.lookup(dirs[di], &name).unwrap();
                        assert_eq!(&read_all(&mut fs, ino), content);
                    }
                }
                _ => {
                    if step % 100 == 9 {
                        fs = cycle(fs, &fx.img);
                    }
                }
            }
        }
        let mut fs = cycle(fs, &fx.img);
        for ((di, name), content) in &model {
            let ino = fs.lookup(dirs[*di], name).unwrap();
            assert_eq!(&read_all(&mut fs, ino), content, "{di}/{name}");
        }
        for (di, &d) in dirs.iter().enumerate() {
            let listed: Vec<String> = names(&mut fs, d)
                .into_iter()
                .filter(|n| n.starts_with('f'))
                .collect();
            let want: Vec<String> = model
                .keys()
                .filter(|k| k.0 == di)
                .map(|k| k.1.clone())
                .collect();
            assert_eq!(listed, want);
        }
    }
}

#[test]
fn mem_device_image_round_trip_is_stable() {
    // Mount, sync without changes: the image does not change.
    let fx = small_fixture("stable", 4096, "8M");
    let orig = std::fs::read(&fx.img).unwrap();
    let mut fs = mount(MemDevice::new(orig.clone()));
    fs.sync().unwrap();
    assert!(fs.unmount().unwrap().as_slice() == orig.as_slice());
}

#[test]
fn extended_attribute_blocks_are_kept_and_released() {
    let fx = small_fixture("xattr", 1024, "8M");
    let mut fs = mount(load(&fx.img));
    let before = fs.statfs();
    let d = fs.mkdir(ROOT_INO, "xd", 0o755).unwrap();
    let f = fs.create(ROOT_INO, "xf", 0o644).unwrap();
    fs.write(f, 0, b"data").unwrap();
    let fs = cycle(fs, &fx.img);
    drop(fs);
    // A value too big for the inode goes to an attribute block.
    let value = "v".repeat(600);
    for p in ["/xf", "/xd"] {
        run(std::process::Command::new("debugfs")
            .arg("-w")
            .arg("-R")
            .arg(format!("ea_set {p} user.big {value}"))
            .arg(&fx.img));
    }
    fsck(&fx.img);
    let mut fs = mount(load(&fx.img));
    assert_eq!(fs.stat(f).unwrap().blocks, 4);
    // Growing and shrinking keeps the attribute block counted.
    fs.write(f, 0, &data(50_000, 1)).unwrap();
    fs.truncate(f, 10).unwrap();
    assert_eq!(fs.stat(f).unwrap().blocks, 4);
    fs.create(d, "inside", 0o644).unwrap();
    let mut fs = cycle(fs, &fx.img);
    fs.unlink(d, "inside").unwrap();
    fs.rmdir(ROOT_INO, "xd").unwrap();
    fs.unlink(ROOT_INO, "xf").unwrap();
    assert_eq!(fs.statfs(), before);
    cycle(fs, &fx.img);
}
