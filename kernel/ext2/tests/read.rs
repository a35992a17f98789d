//! Reading images made by `mke2fs -d`: every file, directory and symlink
//! is compared with the source tree.

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use common::*;
use ext2::{Error, FileKind, Fs, MemDevice, ROOT_INO};

/// Compare the host tree at `host` with the directory `path` in `fs`.
fn compare_tree(fs: &mut Fs<MemDevice>, host: &Path, path: &str) {
    let dir = fs
        .resolve(if path.is_empty() { "/" } else { path })
        .unwrap();
    let mut host_names: Vec<String> = fs::read_dir(host)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    host_names.sort();
    let mut ours = names(fs, dir);
    if path.is_empty() {
        ours.retain(|n| n != "lost+found");
    }
    assert_eq!(ours, host_names, "listing of {path}/");
    let entries = fs.read_dir(dir).unwrap();
    for name in host_names {
        let hp = host.join(&name);
        let p = format!("{path}/{name}");
        let meta = fs::symlink_metadata(&hp).unwrap();
        let ino = fs.resolve_nofollow(&p).unwrap();
        let st = fs.stat(ino).unwrap();
        let kind = host_kind(&hp);
        assert_eq!(st.kind, kind, "{p}");
        let entry = entries
            .iter()
            .find(|e| e.name() == name.as_bytes())
            .unwrap();
        assert_eq!((entry.ino, entry.kind), (ino, kind), "{p}");
        assert_eq!(st.links as u64, meta.nlink(), "links of {p}");
        match kind {
            FileKind::Directory => compare_tree(fs, &hp, &p),
            FileKind::Regular => {
                assert_eq!(st.size, meta.len(), "size of {p}");
                assert_eq!(read_all(fs, ino), fs::read(&hp).unwrap(), "contents of {p}");
                assert_eq!(st.perm, (meta.mode() & 0o7777) as u16);
            }
            FileKind::Symlink => {
                let target = fs::read_link(&hp)
                    .unwrap()
                    .into_os_string()
                    .into_string()
                    .unwrap();
                assert_eq!(fs.readlink(ino).unwrap(), target.as_bytes(), "{p}");
                assert_eq!(st.size, target.len() as u64);
            }
            _ => unreachable!(),
        }
    }
}

fn check_image(bs: u32, size: &str) {
    let fx = fixture(&format!("read{bs}"), bs, size, true);
    // Precondition: the large directory really is indexed.
    let stat = String::from_utf8(debugfs(&fx.img, "stat /many")).unwrap();
    assert!(stat.contains("Flags: 0x1000"), "no htree: {stat}");
    let mut fs = mount(load(&fx.img));
    assert_eq!(fs.block_size(), bs);
    compare_tree(&mut fs, &fx.src, "");

    // Spot checks.
    let many = fs.resolve("/many").unwrap();
    assert_eq!(fs.read_dir(many).unwrap().len(), 1002);
    let f = fs.lookup(many, "file-0777").unwrap();
    assert_eq!(read_all(&mut fs, f), b"777\n");
    assert_eq!(fs.lookup(many, "nope"), Err(Error::NotFound));
    assert_eq!(fs.lookup(ROOT_INO, ".."), Ok(ROOT_INO));
    let hard = fs.resolve("/a/hard").unwrap();
    assert_eq!(hard, fs.resolve("/small.txt").unwrap());
    assert_eq!(fs.stat(hard).unwrap().links, 2);

    // Reads at awkward offsets, past the end, and across holes.
    let big = fs.resolve("/big.bin").unwrap();
    let want = fs::read(fx.src.join("big.bin")).unwrap();
    for &(off, len) in &[
        (0, 1),
        (1023, 2),
        (12 * 1024 - 5, 4096),
        (268 * 1024 - 1, 70_000),
        (want.len() - 10, 100),
    ] {
        let mut buf = vec![0; len];
        let n = fs.read(big, off as u64, &mut buf).unwrap();
        let end = (off + len).min(want.len());
        assert_eq!(n, end - off);
        assert_eq!(&buf[..n], &want[off..end]);
    }
    let mut buf = [1u8; 10];
    assert_eq!(fs.read(big, want.len() as u64 + 5, &mut buf), Ok(0));
    let sparse = fs.resolve("/sparse").unwrap();
    let st = fs.stat(sparse).unwrap();
    assert!(
        st.blocks * 512 < 64 * 1024,
        "sparse file is not sparse: {st:?}"
    );
    let mut buf = vec![7u8; 8192];
    fs.read(sparse, 2 * 1024 * 1024, &mut buf).unwrap();
    assert!(buf.iter().all(|&b| b == 0));

    // Path resolution through symlinks.
    assert_eq!(
        fs.resolve("/fast").unwrap(),
        fs.resolve("/small.txt").unwrap()
    );
    assert_eq!(
        fs.resolve("/slow").unwrap(),
        fs.resolve("/a/b/c/deep.txt").unwrap()
    );
    assert_eq!(
        fs.resolve("/abs/c/deep.txt").unwrap(),
        fs.resolve("/a/b/c/deep.txt").unwrap()
    );
    assert_eq!(
        fs.resolve("/a/b/../b/./c/").unwrap(),
        fs.resolve("/a/b/c").unwrap()
    );
    assert_eq!(fs.resolve("/small.txt/"), Err(Error::NotDir));
    assert_eq!(fs.resolve("/small.txt/x"), Err(Error::NotDir));
    assert_eq!(fs.resolve("relative"), Err(Error::InvalidArgument));
    assert_eq!(fs.read(many, 0, &mut buf), Err(Error::IsDir));
    assert_eq!(fs.readlink(big), Err(Error::InvalidArgument));

    let sf = fs.statfs();
    assert_eq!(sf.block_size, bs);
    assert!(sf.free_blocks > 0 && sf.free_blocks < sf.blocks);
    // Nothing was modified: the image is byte-identical after unmount.
    let dev = fs.unmount().unwrap();
    assert!(dev.as_slice() == fs::read(&fx.img).unwrap().as_slice());
}

#[test]
fn reads_1k_image() {
    check_image(1024, "16M");
}

#[test]
fn reads_4k_image() {
    check_image(4096, "64M");
}

#[test]
fn reads_2k_image() {
    check_image(2048, "32M");
}

#[test]
fn readdir_cookies_resume() {
    let fx = fixture("cookies", 1024, "16M", false);
    let mut fs = mount(load(&fx.img));
    let many = fs.resolve("/many").unwrap();
    let all = fs.read_dir(many).unwrap();
    let mut cookie = 0;
    let mut seen = Vec::new();
    while let Some((e, next)) = fs.readdir(many, cookie).unwrap() {
        assert!(next > cookie);
        seen.push(e);
        cookie = next;
    }
    assert_eq!(seen, all);
    assert_eq!(fs.readdir(many, u64::MAX / 2).unwrap(), None);
}

#[test]
fn rejects_unsupported_features_and_garbage() {
    let tmp = TempDir::new("features");
    let img = tmp.join("img");
    // Not a filesystem at all.
    assert!(matches!(
        Fs::mount(MemDevice::zeroed(1 << 20)),
        Err(Error::Corrupt(_))
    ));
    assert!(Fs::mount(MemDevice::zeroed(1024)).is_err());
    // ext4 features are refused with their bits.
    mkfs(&img, 1024, "8M", None, &["-O", "extents"]);
    assert_eq!(Fs::mount(load(&img)).unwrap_err(), Error::Unsupported(0x40));
    // meta_bg.
    mkfs(&img, 1024, "8M", None, &["-O", "meta_bg,^resize_inode"]);
    assert_eq!(Fs::mount(load(&img)).unwrap_err(), Error::Unsupported(0x10));
    // An unknown ro_compat feature (huge_file) mounts read-only.
    mkfs(&img, 1024, "8M", None, &["-O", "huge_file"]);
    let mut fs = Fs::mount(load(&img)).unwrap();
    assert!(fs.is_read_only());
    assert_eq!(fs.create(ROOT_INO, "x", 0o644), Err(Error::ReadOnly));
    // Revision 0.
    mkfs(&img, 1024, "8M", None, &["-r", "0"]);
    let mut fs = mount(load(&img));
    assert!(!fs.is_read_only());
    let d = fs.mkdir(ROOT_INO, "dir", 0o755).unwrap();
    let f = fs.create(d, "file", 0o644).unwrap();
    fs.write(f, 0, &data(100_000, 1)).unwrap();
    fs.symlink(d, "link", "file").unwrap();
    // Revision 0 cannot describe files of 2 GiB.
    assert_eq!(fs.truncate(f, 1 << 31), Err(Error::TooBig));
    let mut fs = cycle(fs, &img);
    assert_eq!(read_path(&mut fs, "/dir/link"), data(100_000, 1));
    // No FILETYPE feature.
    mkfs(&img, 4096, "8M", None, &["-O", "^filetype"]);
    let mut fs = mount(load(&img));
    let f = fs.create(ROOT_INO, "file", 0o600).unwrap();
    fs.mkdir(ROOT_INO, "dir", 0o700).unwrap();
    let e = fs.read_dir(ROOT_INO).unwrap();
    let file = e.iter().find(|e| e.name() == b"file").unwrap();
    assert_eq!((file.ino, file.kind), (f, FileKind::Regular));
    cycle(fs, &img);
}

#[test]
fn partition_window() {
    let fx = fixture("part", 1024, "16M", false);
    let image = fs::read(&fx.img).unwrap();
    let mut disk = vec![0u8; 1 << 20];
    disk.extend_from_slice(&image);
    disk.extend_from_slice(&[0u8; 4096]);
    let part = ext2::Partition::new(MemDevice::new(disk), 1 << 20, image.len() as u64).unwrap();
    let mut fs = Fs::mount(part).unwrap();
    fs.set_time(NOW);
    let ino = fs.resolve("/a/b/c/deep.txt").unwrap();
    let mut buf = [0u8; 64];
    let n = fs.read(ino, 0, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"deep inside\n");
    let f = fs.create(ROOT_INO, "new", 0o644).unwrap();
    fs.write(f, 0, b"written through a partition").unwrap();
    let disk = fs.unmount().unwrap().into_inner().into_inner();
    assert!(disk[..1 << 20].iter().all(|&b| b == 0));
    assert!(disk[disk.len() - 4096..].iter().all(|&b| b == 0));
    let img = fx.tmp.join("part-img");
    fs::write(&img, &disk[1 << 20..disk.len() - 4096]).unwrap();
    fsck(&img);
    assert_eq!(debugfs(&img, "cat /new"), b"written through a partition");
}
