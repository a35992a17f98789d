//! File-system tests (need the root disk; skipped when there is none):
//! file round trips, directories, rename/link/symlink edge cases, big
//! files, many files, a full disk, persistence across boots.

use crate::{check, check_eq, Fail, TestResult};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rt::fs::{self, kind, File, SeekFrom};
use rt::Error;

/// Where the tests work; removed again by each test.
const DIR: &str = "/utest-tmp";

/// Whether a file system is mounted (the test boot attaches a disk).
pub fn available() -> bool {
    fs::metadata("/").is_ok()
}

fn fresh_dir() -> Result<(), Fail> {
    let _ = remove_tree(DIR);
    fs::create_dir(DIR)?;
    Ok(())
}

/// Remove a directory tree (files, symlinks, subdirectories).
pub fn remove_tree(path: &str) -> Result<(), Error> {
    for e in fs::read_dir(path)? {
        if e.name == "." || e.name == ".." {
            continue;
        }
        let p = format!("{path}/{}", e.name);
        if e.kind == kind::DIRECTORY {
            remove_tree(&p)?;
        } else {
            fs::remove_file(&p)?;
        }
    }
    fs::remove_dir(path)
}

fn names(path: &str) -> Result<Vec<String>, Fail> {
    let mut v: Vec<String> = fs::read_dir(path)?
        .into_iter()
        .map(|e| e.name)
        .filter(|n| n != "." && n != "..")
        .collect();
    v.sort();
    Ok(v)
}

/// A deterministic pseudo-random byte stream.
fn pattern(seed: u32, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

/// FNV-1a, for comparing big files without keeping two copies.
fn fnv(data: &[u8], mut h: u64) -> u64 {
    for &b in data {
        h ^= b as u64;
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    h
}

fn with_dir(body: impl FnOnce() -> TestResult) -> TestResult {
    if !available() {
        return Err(Fail::skip("no file system mounted"));
    }
    fresh_dir()?;
    let result = body();
    let cleanup = remove_tree(DIR);
    result?;
    cleanup?;
    Ok(())
}

pub fn file_round_trip_and_seek() -> TestResult {
    with_dir(|| {
        let p = format!("{DIR}/a.txt");
        fs::write(&p, b"hello, disk")?;
        check_eq!(fs::read(&p)?, b"hello, disk".to_vec());
        let mut f = File::open_with(&p, rt::abi::fs::open::READ | rt::abi::fs::open::WRITE, 0)?;
        check_eq!(f.seek(SeekFrom::Start(7))?, 7);
        f.write_all(b"DISK!")?;
        check_eq!(f.seek(SeekFrom::End(0))?, 12);
        check_eq!(f.seek(SeekFrom::Current(-12))?, 0);
        let mut buf = [0u8; 32];
        let n = f.read(&mut buf)?;
        check_eq!(&buf[..n], b"hello, DISK!");
        check_eq!(f.read(&mut buf)?, 0);
        check_eq!(
            f.seek(SeekFrom::Current(-100)).err(),
            Some(Error::InvalidArgument)
        );
        f.set_len(5)?;
        drop(f);
        check_eq!(fs::read(&p)?, b"hello".to_vec());
        let mut app = File::open_with(&p, rt::abi::fs::open::WRITE | rt::abi::fs::open::APPEND, 0)?;
        app.write_all(b" again")?;
        drop(app);
        check_eq!(fs::read_to_string(&p)?, "hello again");
        check_eq!(fs::metadata(&p)?.size, 11);
        check_eq!(fs::metadata(&p)?.kind, kind::FILE);
        Ok(())
    })
}

pub fn missing_and_wrong_kinds_are_errors() -> TestResult {
    with_dir(|| {
        check_eq!(
            File::open(&format!("{DIR}/nope")).err(),
            Some(Error::NotFound)
        );
        check_eq!(fs::create_dir(DIR).err(), Some(Error::AlreadyExists));
        fs::write(&format!("{DIR}/f"), b"x")?;
        check_eq!(
            fs::read_dir(&format!("{DIR}/f")).err(),
            Some(Error::NotADirectory)
        );
        check_eq!(
            fs::write(&format!("{DIR}/f/child"), b"x").err(),
            Some(Error::NotADirectory)
        );
        check_eq!(File::create(DIR).err(), Some(Error::IsADirectory));
        fs::create_dir(&format!("{DIR}/d"))?;
        fs::write(&format!("{DIR}/d/x"), b"x")?;
        check_eq!(
            fs::remove_dir(&format!("{DIR}/d")).err(),
            Some(Error::DirectoryNotEmpty)
        );
        check_eq!(
            fs::remove_file(&format!("{DIR}/d")).err(),
            Some(Error::IsADirectory)
        );
        check_eq!(
            fs::remove_dir(&format!("{DIR}/f")).err(),
            Some(Error::NotADirectory)
        );
        let long = "n".repeat(300);
        check_eq!(
            fs::write(&format!("{DIR}/{long}"), b"x").err(),
            Some(Error::NameTooLong)
        );
        Ok(())
    })
}

pub fn directories_and_listing() -> TestResult {
    with_dir(|| {
        fs::create_dir(&format!("{DIR}/sub"))?;
        fs::create_dir(&format!("{DIR}/sub/deeper"))?;
        fs::write(&format!("{DIR}/sub/one"), b"1")?;
        fs::write(&format!("{DIR}/two"), b"22")?;
        check_eq!(names(DIR)?, ["sub", "two"]);
        check_eq!(names(&format!("{DIR}/sub"))?, ["deeper", "one"]);
        let all = fs::read_dir(DIR)?;
        check!(all
            .iter()
            .any(|e| e.name == "." && e.kind == kind::DIRECTORY));
        check!(all.iter().any(|e| e.name == ".."));
        // Relative paths resolve against the working directory.
        let old = fs::current_dir()?;
        fs::set_current_dir(&format!("{DIR}/sub"))?;
        check_eq!(fs::current_dir()?, format!("{DIR}/sub"));
        check_eq!(fs::read("one")?, b"1".to_vec());
        check_eq!(fs::read("../two")?, b"22".to_vec());
        fs::set_current_dir(&old)?;
        check_eq!(
            fs::set_current_dir(&format!("{DIR}/two")).err(),
            Some(Error::NotADirectory)
        );
        fs::remove_dir(&format!("{DIR}/sub/deeper"))?;
        Ok(())
    })
}

pub fn rename_link_symlink_edge_cases() -> TestResult {
    with_dir(|| {
        let p = |n: &str| format!("{DIR}/{n}");
        fs::write(&p("a"), b"A")?;
        fs::write(&p("b"), b"B")?;
        // Over an existing file.
        fs::rename(&p("a"), &p("b"))?;
        check_eq!(fs::read(&p("b"))?, b"A".to_vec());
        check_eq!(fs::metadata(&p("a")).err(), Some(Error::NotFound));
        // Across directories, and a directory with contents.
        fs::create_dir(&p("d1"))?;
        fs::create_dir(&p("d2"))?;
        fs::write(&p("d1/f"), b"F")?;
        fs::rename(&p("d1/f"), &p("d2/g"))?;
        check_eq!(fs::read(&p("d2/g"))?, b"F".to_vec());
        fs::rename(&p("d2"), &p("d1/d2"))?;
        check_eq!(fs::read(&p("d1/d2/g"))?, b"F".to_vec());
        // A directory cannot move into itself.
        check!(
            fs::rename(&p("d1"), &p("d1/d2/x")).is_err(),
            "moved a directory into itself"
        );
        // Hard links share data and count.
        fs::hard_link(&p("b"), &p("b2"))?;
        check_eq!(fs::metadata(&p("b"))?.links, 2);
        fs::write(&p("b2"), b"changed")?;
        check_eq!(fs::read(&p("b"))?, b"changed".to_vec());
        fs::remove_file(&p("b"))?;
        check_eq!(fs::metadata(&p("b2"))?.links, 1);
        check!(
            fs::hard_link(&p("d1"), &p("dl")).is_err(),
            "hard link to a directory"
        );
        // Symlinks, fast and slow, relative and absolute.
        fs::soft_link("b2", &p("short"))?;
        let long_target = format!("{}/b2", "./".repeat(40));
        fs::soft_link(&long_target, &p("long"))?;
        check_eq!(fs::read(&p("short"))?, b"changed".to_vec());
        check_eq!(fs::read(&p("long"))?, b"changed".to_vec());
        check_eq!(fs::read_link(&p("long"))?, long_target);
        check_eq!(fs::symlink_metadata(&p("short"))?.kind, kind::SYMLINK);
        check_eq!(fs::metadata(&p("short"))?.kind, kind::FILE);
        fs::soft_link("loop2", &p("loop1"))?;
        fs::soft_link("loop1", &p("loop2"))?;
        check_eq!(fs::read(&p("loop1")).err(), Some(Error::Loop));
        fs::soft_link("missing", &p("dangling"))?;
        check_eq!(fs::read(&p("dangling")).err(), Some(Error::NotFound));
        Ok(())
    })
}

pub fn unlinked_open_file_lives_until_closed() -> TestResult {
    with_dir(|| {
        let p = format!("{DIR}/open-then-unlinked");
        let body = pattern(7, 64 * 1024);
        let free_before = fs::statfs(DIR)?.free_blocks;
        let mut f = File::create(&p)?;
        f.write_all(&body)?;
        let mut again = File::open(&p)?;
        fs::remove_file(&p)?;
        // The name is gone; both open files still work.
        check_eq!(fs::metadata(&p).map(|_| ()), Err(Error::NotFound));
        check_eq!(f.metadata().map(|m| m.links), Ok(0));
        f.write_all(b"tail")?;
        let mut back = Vec::new();
        again.read_to_end(&mut back)?;
        check_eq!(back.len(), body.len() + 4);
        check!(back[..body.len()] == body[..], "contents changed");
        drop(f);
        // One open left: the blocks are still held.
        check!(
            fs::statfs(DIR)?.free_blocks < free_before,
            "freed too early"
        );
        drop(again);
        check_eq!(fs::statfs(DIR)?.free_blocks, free_before);
        Ok(())
    })
}

pub fn spawn_of_big_or_bad_files_is_an_error() -> TestResult {
    with_dir(|| {
        // Larger than spawn reads (4 MiB): refused before any allocation
        // (a sparse file, so the test writes almost nothing).
        let big = format!("{DIR}/big-program");
        File::create(&big)?.set_len(5 << 20)?;
        check_eq!(
            rt::sys::spawn(&big, &[]).map(|_| ()),
            Err(Error::QuotaExceeded)
        );
        // Small but not an ELF program.
        let text = format!("{DIR}/not-a-program");
        fs::write(&text, b"echo hello\n")?;
        check_eq!(
            rt::sys::spawn(&text, &[]).map(|_| ()),
            Err(Error::InvalidArgument)
        );
        fs::remove_file(&big)?;
        fs::remove_file(&text)?;
        Ok(())
    })
}

pub fn big_file_round_trip_16m() -> TestResult {
    with_dir(|| {
        let p = format!("{DIR}/big");
        let chunk = 64 * 1024;
        let total = 16 << 20;
        let mut f = File::create(&p)?;
        let mut h = 0xcbf2_9ce4_8422_2325;
        for i in 0..total / chunk {
            let data = pattern(i as u32 + 1, chunk);
            h = fnv(&data, h);
            f.write_all(&data)?;
        }
        drop(f);
        fs::sync()?;
        check_eq!(fs::metadata(&p)?.size, total as u64);
        let mut f = File::open(&p)?;
        let mut back = 0xcbf2_9ce4_8422_2325;
        let mut buf = alloc::vec![0u8; chunk];
        let mut read = 0;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            back = fnv(&buf[..n], back);
            read += n;
        }
        check_eq!(read, total);
        check_eq!(back, h);
        Ok(())
    })
}

pub fn thousand_files_in_one_directory() -> TestResult {
    with_dir(|| {
        let d = format!("{DIR}/many");
        fs::create_dir(&d)?;
        for i in 0..1000 {
            fs::write(&format!("{d}/file-{i:04}"), format!("{i}").as_bytes())?;
        }
        let listed = names(&d)?;
        check_eq!(listed.len(), 1000);
        check_eq!(listed[0], "file-0000");
        check_eq!(listed[999], "file-0999");
        check_eq!(fs::read_to_string(&format!("{d}/file-0567"))?, "567");
        for i in (0..1000).step_by(2) {
            fs::remove_file(&format!("{d}/file-{i:04}"))?;
        }
        check_eq!(names(&d)?.len(), 500);
        Ok(())
    })
}

pub fn full_disk_is_no_space_and_stays_consistent() -> TestResult {
    // The second disk (/mnt) is small: fill it.
    if !fs::mounts()?.lines().any(|l| l.starts_with("/mnt ")) {
        return Err(Fail::skip("no second disk at /mnt"));
    }
    let d = "/mnt/fill";
    let _ = remove_tree(d);
    fs::sync()?;
    let before = fs::statfs("/mnt")?;
    fs::create_dir(d)?;
    let chunk = pattern(7, 64 * 1024);
    let mut f = File::create(&format!("{d}/big"))?;
    let mut written = 0u64;
    let err = loop {
        match f.write(&chunk) {
            Ok(0) => break Error::NoSpace,
            Ok(n) => written += n as u64,
            Err(e) => break e,
        }
        check!(written < 1 << 30, "no end to the disk");
    };
    drop(f);
    check_eq!(err, Error::NoSpace);
    check!(written > 0);
    check_eq!(fs::metadata(&format!("{d}/big"))?.size, written);
    // Small creations fail cleanly too, and the disk works after freeing.
    let _ = fs::write(&format!("{d}/small"), &[0u8; 8192]);
    fs::remove_file(&format!("{d}/big"))?;
    let _ = fs::remove_file(&format!("{d}/small"));
    fs::remove_dir(d)?;
    fs::sync()?;
    let after = fs::statfs("/mnt")?;
    check_eq!(after.free_blocks, before.free_blocks);
    check_eq!(after.free_inodes, before.free_inodes);
    Ok(())
}

/// `utest persist-write`: first boot of the persistence test.
pub fn persist_write() -> TestResult {
    let data = pattern(42, 100_000);
    let _ = remove_tree("/persist");
    fs::create_dir("/persist")?;
    fs::write("/persist/data", &data)?;
    fs::soft_link("data", "/persist/link")?;
    fs::sync()?;
    Ok(())
}

/// `utest persist-check`: second boot, same disk.
pub fn persist_check() -> TestResult {
    check_eq!(fs::read("/persist/link")?, pattern(42, 100_000));
    remove_tree("/persist")?;
    fs::sync()?;
    Ok(())
}

/// On a Pi SD card: the FAT boot partition is readable at /boot.
pub fn boot_partition_is_readable() -> TestResult {
    if !fs::mounts()?.lines().any(|l| l.starts_with("/boot ")) {
        return Err(Fail::skip("no boot partition at /boot"));
    }
    let config = fs::read_to_string("/boot/config.txt")?;
    check!(config.contains("arm_64bit=1"), "config.txt: {config}");
    let names: Vec<String> = fs::read_dir("/boot")?.into_iter().map(|e| e.name).collect();
    check!(
        names.iter().any(|n| n == "kernel8.img"),
        "listing: {names:?}"
    );
    check_eq!(fs::write("/boot/new", b"x").err(), Some(Error::ReadOnly));
    Ok(())
}
