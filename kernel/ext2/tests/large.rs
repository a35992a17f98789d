//! A 5 GiB sparse file made by `mke2fs -d` in a 4 KiB-block image: triple
//! indirect blocks and `i_size_high`.

mod common;

use std::fs;
use std::io::{Seek, SeekFrom, Write};

use common::*;

const GIB: u64 = 1024 * 1024 * 1024;

#[test]
fn reads_a_5_gib_sparse_file() {
    let tmp = TempDir::new("huge");
    let src = tmp.join("src");
    fs::create_dir_all(&src).unwrap();
    let pieces = [
        (0u64, 100usize, 1u64),
        (GIB + 4096 * 3 + 5, 9000, 2),
        (5 * GIB / 2, 4096, 3),
        (5 * GIB - 5000, 5000, 4),
    ];
    let mut f = fs::File::create(src.join("huge")).unwrap();
    for &(off, len, seed) in &pieces {
        f.seek(SeekFrom::Start(off)).unwrap();
        f.write_all(&data(len, seed)).unwrap();
    }
    drop(f);
    let img = tmp.join("img");
    mkfs(&img, 4096, "64M", Some(&src), &[]);
    // The host file is gone once the image is made.
    fs::remove_dir_all(&src).unwrap();

    let mut fs = mount(load(&img));
    let ino = fs.resolve("/huge").unwrap();
    let st = fs.stat(ino).unwrap();
    assert_eq!(st.size, 5 * GIB);
    assert!(st.blocks < 2000, "{st:?}");
    for &(off, len, seed) in &pieces {
        let mut buf = vec![0xAA; len + 8192];
        let start = off.saturating_sub(4096);
        let n = fs.read(ino, start, &mut buf).unwrap();
        assert_eq!(n as u64, (len as u64 + 8192).min(5 * GIB - start));
        let lead = (off - start) as usize;
        assert!(buf[..lead].iter().all(|&b| b == 0));
        assert_eq!(&buf[lead..lead + len], data(len, seed));
        assert!(buf[lead + len..n].iter().all(|&b| b == 0));
    }
    // The tail, byte by byte.
    let mut last = [0u8; 1];
    assert_eq!(fs.read(ino, 5 * GIB - 1, &mut last), Ok(1));
    assert_eq!(last[0], *data(5000, 4).last().unwrap());
    assert_eq!(fs.read(ino, 5 * GIB, &mut last), Ok(0));

    // Write beyond 4 GiB, shrink below, and check with e2fsck.
    let more = data(10_000, 9);
    fs.write(ino, 6 * GIB, &more).unwrap();
    let mut fs = cycle(fs, &img);
    let mut buf = vec![0; 10_000];
    assert_eq!(fs.read(ino, 6 * GIB, &mut buf), Ok(10_000));
    assert_eq!(buf, more);
    fs.truncate(ino, 3 * GIB).unwrap();
    let mut fs = cycle(fs, &img);
    fs.truncate(ino, GIB + 4096 * 3 + 100).unwrap();
    let mut fs = cycle(fs, &img);
    let mut buf = vec![0; 95];
    fs.read(ino, GIB + 4096 * 3 + 5, &mut buf).unwrap();
    assert_eq!(buf, &data(9000, 2)[..95]);
    fs.unlink(ext2::ROOT_INO, "huge").unwrap();
    cycle(fs, &img);
}
