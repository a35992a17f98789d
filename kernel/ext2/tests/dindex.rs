//! The in-memory directory name index: lookups stay right across creates,
//! unlinks, renames, rmdir and inode reuse, in big directories, in more
//! directories than the index keeps, in htree directories, and after a
//! remount (which starts without an index); every image stays e2fsck-clean.

mod common;

use std::collections::BTreeMap;

use common::*;
use ext2::{Error, FileKind, Fs, Ino, MemDevice, ROOT_INO};

/// Check that every name of `model` is found in `dir` with its inode, that
/// a few absent names are not, and that the listing matches.
fn check(fs: &mut Fs<MemDevice>, dir: Ino, model: &BTreeMap<String, Ino>, gone: &[String]) {
    for (name, &ino) in model {
        assert_eq!(fs.lookup(dir, name), Ok(ino), "{name}");
    }
    for name in gone {
        if !model.contains_key(name) {
            assert_eq!(fs.lookup(dir, name), Err(Error::NotFound), "{name}");
        }
    }
    let listed: Vec<String> = names(fs, dir);
    let want: Vec<String> = model.keys().cloned().collect();
    assert_eq!(listed, want);
}

#[test]
fn big_directory_stays_coherent() {
    for bs in [1024u32, 4096] {
        let fx = small_fixture("dindex-big", bs, "32M");
        let mut fs = mount(load(&fx.img));
        let d = fs.mkdir(ROOT_INO, "big", 0o755).unwrap();
        let other = fs.mkdir(ROOT_INO, "other", 0o755).unwrap();
        let mut model = BTreeMap::new();
        let mut gone = Vec::new();
        // Names of varied lengths, so entries of every size are split.
        let name = |i: usize| format!("{}{i}", "n".repeat(1 + i % 37));
        for i in 0..3000 {
            let ino = fs.create(d, name(i), 0o644).unwrap();
            model.insert(name(i), ino);
        }
        assert_eq!(fs.create(d, name(17), 0o644), Err(Error::Exists));
        check(&mut fs, d, &model, &gone);
        // Unlink every third; renames within and out of the directory;
        // replace an existing name by rename; hard links.
        for i in (0..3000).step_by(3) {
            fs.unlink(d, name(i)).unwrap();
            model.remove(&name(i)).unwrap();
            gone.push(name(i));
        }
        for i in (1..3000).step_by(30) {
            let ino = model.remove(&name(i)).unwrap();
            fs.rename(d, name(i), d, format!("renamed-{i}")).unwrap();
            model.insert(format!("renamed-{i}"), ino);
            gone.push(name(i));
        }
        for i in (2..3000).step_by(90) {
            let ino = model.remove(&name(i)).unwrap();
            fs.rename(d, name(i), other, name(i)).unwrap();
            assert_eq!(fs.lookup(other, name(i)), Ok(ino));
            gone.push(name(i));
        }
        let (a, b) = (name(4), name(5));
        let ino_b = model.remove(&b).unwrap();
        fs.rename(d, &b, d, &a).unwrap();
        model.insert(a.clone(), ino_b);
        gone.push(b);
        fs.link(ino_b, d, "hard").unwrap();
        model.insert("hard".into(), ino_b);
        check(&mut fs, d, &model, &gone);
        // Refill the freed room (no growth), then add more.
        let size = fs.stat(d).unwrap().size;
        for i in (0..3000).step_by(3).take(500) {
            let ino = fs.create(d, name(i), 0o644).unwrap();
            model.insert(name(i), ino);
        }
        assert_eq!(fs.stat(d).unwrap().size, size);
        for i in 3000..3300 {
            let ino = fs.create(d, name(i), 0o644).unwrap();
            model.insert(name(i), ino);
        }
        check(&mut fs, d, &model, &gone);
        // After a remount the index is rebuilt from the disk.
        let mut fs = cycle(fs, &fx.img);
        check(&mut fs, d, &model, &gone);
        for (i, n) in model.keys().cloned().collect::<Vec<_>>().iter().enumerate() {
            if i % 2 == 0 {
                fs.unlink(d, n).unwrap();
                model.remove(n);
                gone.push(n.clone());
            }
        }
        check(&mut fs, d, &model, &gone);
        cycle(fs, &fx.img);
    }
}

#[test]
fn directories_are_reused_and_evicted() {
    let fx = small_fixture("dindex-many", 1024, "16M");
    let mut fs = mount(load(&fx.img));
    // More directories than the index keeps, used round-robin.
    let mut dirs = Vec::new();
    for k in 0..50 {
        let d = fs.mkdir(ROOT_INO, format!("d{k}"), 0o755).unwrap();
        dirs.push((d, BTreeMap::new()));
    }
    for round in 0..30 {
        for (k, (d, model)) in dirs.iter_mut().enumerate() {
            let n = format!("f{round}-{k}");
            let ino = fs.create(*d, &n, 0o644).unwrap();
            model.insert(n, ino);
            if round % 4 == 3 {
                let victim = format!("f{}-{k}", round - 2);
                fs.unlink(*d, &victim).unwrap();
                model.remove(&victim);
            }
        }
    }
    for (d, model) in &dirs {
        check(&mut fs, *d, model, &["f1-0".into(), "nothing".into()]);
    }
    // A removed directory's inode is reused by a new one: none of the old
    // names or blocks may show through. Grow d0 over several blocks, empty
    // and remove it, let a file take its blocks, then reuse its inode.
    let (d0, m0) = &dirs[0];
    let d0 = *d0;
    for n in m0.keys() {
        fs.unlink(d0, n).unwrap();
    }
    for i in 0..100 {
        fs.create(d0, format!("{}-{i}", "x".repeat(40)), 0o644)
            .unwrap();
    }
    assert!(fs.stat(d0).unwrap().size >= 4096);
    for i in 0..100 {
        fs.unlink(d0, format!("{}-{i}", "x".repeat(40))).unwrap();
    }
    assert_eq!(fs.lookup(d0, "f0-0"), Err(Error::NotFound));
    let filler = fs.create(ROOT_INO, "filler", 0o644).unwrap();
    fs.rmdir(ROOT_INO, "d0").unwrap();
    assert_eq!(fs.lookup(d0, "f0-0"), Err(Error::NotFound));
    let body = data(8192, 3);
    fs.write(filler, 0, &body).unwrap();
    let again = fs.mkdir(ROOT_INO, "again", 0o755).unwrap();
    assert_eq!(again, d0, "the freed inode is reused");
    // (A create first: a lookup that hit stale data would drop the index.)
    let f = fs.create(again, "f0-0", 0o644).unwrap();
    assert_eq!(fs.lookup(again, "f0-0"), Ok(f));
    assert_eq!(fs.lookup(again, ".."), Ok(ROOT_INO));
    assert_eq!(read_all(&mut fs, filler), body);
    // Replacing a directory by rename drops its index too.
    let (d1, _) = dirs[1].clone();
    let (d2, m2) = dirs[2].clone();
    for n in m2.keys() {
        fs.unlink(d2, n).unwrap();
    }
    fs.rmdir(ROOT_INO, "d1").unwrap_err();
    let victim = fs.lookup(ROOT_INO, "d2").unwrap();
    assert_eq!(victim, d2);
    fs.rename(ROOT_INO, "d1", ROOT_INO, "d2").unwrap();
    assert_eq!(fs.lookup(ROOT_INO, "d2"), Ok(d1));
    assert_eq!(fs.lookup(ROOT_INO, "d1"), Err(Error::NotFound));
    let fresh = fs.mkdir(ROOT_INO, "fresh", 0o755).unwrap();
    assert_eq!(fresh, d2, "the replaced directory's inode is reused");
    assert_eq!(
        fs.lookup(fresh, m2.keys().next().unwrap()),
        Err(Error::NotFound)
    );
    // Moving a directory updates its `..`.
    let (d3, _) = dirs[3].clone();
    fs.rename(ROOT_INO, "d3", fresh, "moved").unwrap();
    assert_eq!(fs.lookup(d3, ".."), Ok(fresh));
    assert_eq!(fs.resolve("/fresh/moved/.."), Ok(fresh));
    cycle(fs, &fx.img);
}

#[test]
fn lookup_entry_reports_kinds() {
    let fx = small_fixture("dindex-kind", 1024, "8M");
    let mut fs = mount(load(&fx.img));
    let d = fs.resolve("/d").unwrap();
    fs.symlink(d, "link", "/small.txt").unwrap();
    fs.mkdir(d, "sub", 0o755).unwrap();
    assert_eq!(fs.lookup_entry(d, "inner").unwrap().1, FileKind::Regular);
    assert_eq!(fs.lookup_entry(d, "link").unwrap().1, FileKind::Symlink);
    assert_eq!(fs.lookup_entry(d, "sub").unwrap().1, FileKind::Directory);
    assert_eq!(
        fs.lookup_entry(d, "..").unwrap(),
        (ROOT_INO, FileKind::Directory)
    );
    assert_eq!(fs.lookup_entry(d, "none"), Err(Error::NotFound));
    let small = fs.resolve("/small.txt").unwrap();
    assert_eq!(fs.lookup_entry(small, "x"), Err(Error::NotDir));
    assert_eq!(fs.lookup_entry(d, "x".repeat(300)), Err(Error::NameTooLong));
    // Renaming a directory over a file's name is refused; a file over a
    // file changes the entry's type in place.
    fs.rename(d, "link", d, "inner").unwrap();
    assert_eq!(fs.lookup_entry(d, "inner").unwrap().1, FileKind::Symlink);
    cycle(fs, &fx.img);
}

#[test]
fn htree_directory_lookups_and_changes() {
    let fx = fixture("dindex-htree", 1024, "16M", true);
    let mut fs = mount(load(&fx.img));
    let many = fs.resolve("/many").unwrap();
    let all: Vec<String> = names(&mut fs, many);
    assert!(all.len() >= 1000);
    let mut fs = mount(fs.into_device());
    // Lookups first (the index is built from the htree blocks).
    let mut model = BTreeMap::new();
    for n in &all {
        model.insert(n.clone(), fs.lookup(many, n).unwrap());
    }
    assert_eq!(fs.lookup(many, "file-9999"), Err(Error::NotFound));
    for i in 0..200 {
        let n = format!("new-{i}");
        model.insert(n.clone(), fs.create(many, &n, 0o644).unwrap());
    }
    for n in all.iter().step_by(7) {
        fs.unlink(many, n).unwrap();
        model.remove(n);
    }
    check(&mut fs, many, &model, &all);
    let mut fs = cycle(fs, &fx.img);
    check(&mut fs, many, &model, &all);
}
