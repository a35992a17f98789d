//! Random namespace operations (mkdir, rmdir, create, unlink, rename of
//! files and directories, symlinks) checked against a tree model, with
//! `e2fsck -fn` along the way.

mod common;

use std::collections::BTreeMap;

use common::*;
use ext2::{FileKind, Fs, Ino, MemDevice, ROOT_INO};

#[derive(Debug, Clone, PartialEq)]
enum Node {
    File(u64),
    Dir(BTreeMap<String, Node>),
    Link(String),
}

fn get<'a>(root: &'a Node, path: &[String]) -> Option<&'a Node> {
    let mut n = root;
    for c in path {
        match n {
            Node::Dir(m) => n = m.get(c)?,
            _ => return None,
        }
    }
    Some(n)
}

fn get_mut<'a>(root: &'a mut Node, path: &[String]) -> Option<&'a mut Node> {
    let mut n = root;
    for c in path {
        match n {
            Node::Dir(m) => n = m.get_mut(c)?,
            _ => return None,
        }
    }
    Some(n)
}

fn dirs(n: &Node, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    if let Node::Dir(m) = n {
        out.push(prefix.clone());
        for (k, v) in m {
            prefix.push(k.clone());
            dirs(v, prefix, out);
            prefix.pop();
        }
    }
}

fn path_str(p: &[String]) -> String {
    format!("/{}", p.join("/"))
}

/// Resolve a model directory path in `fs`.
fn dir_ino(fs: &mut Fs<MemDevice>, p: &[String]) -> Ino {
    fs.resolve(path_str(p)).unwrap()
}

/// Compare the whole tree.
fn compare(fs: &mut Fs<MemDevice>, ino: Ino, node: &Node, path: &str) {
    let Node::Dir(m) = node else { unreachable!() };
    let mut listed = names(fs, ino);
    if ino == ROOT_INO {
        listed.retain(|n| n != "lost+found");
    }
    let want: Vec<String> = m.keys().cloned().collect();
    assert_eq!(listed, want, "listing of {path}");
    for (name, child) in m {
        let c = fs.lookup(ino, name).unwrap();
        let st = fs.stat(c).unwrap();
        let p = format!("{path}/{name}");
        match child {
            Node::File(id) => {
                assert_eq!(st.kind, FileKind::Regular, "{p}");
                assert_eq!(read_all(fs, c), id.to_string().as_bytes(), "{p}");
            }
            Node::Link(t) => assert_eq!(fs.readlink(c).unwrap(), t.as_bytes(), "{p}"),
            Node::Dir(sub) => {
                let subdirs = sub.values().filter(|n| matches!(n, Node::Dir(_))).count();
                assert_eq!(st.links as usize, 2 + subdirs, "links of {p}");
                assert_eq!(fs.lookup(c, "..").unwrap(), ino);
                compare(fs, c, child, &p);
            }
        }
    }
}

#[test]
fn namespace_churn_matches_a_model() {
    for (bs, seed) in [(1024u32, 11u64), (4096, 12)] {
        let tmp = TempDir::new("churn");
        let img = tmp.join("img");
        mkfs(&img, bs, "8M", None, &[]);
        let mut fs = mount(load(&img));
        let mut model = Node::Dir(BTreeMap::new());
        let mut rng = Rng::new(seed);
        let pool = [
            "a",
            "b",
            "c",
            "d",
            "e",
            "long-name-to-fill-directory-blocks-faster-0123456789",
        ];
        let mut next_id = 0u64;
        for step in 0..2500 {
            let mut all = Vec::new();
            dirs(&model, &mut Vec::new(), &mut all);
            let pd = all[rng.below(all.len() as u64) as usize].clone();
            let name = pool[rng.below(pool.len() as u64) as usize].to_string();
            let dir = dir_ino(&mut fs, &pd);
            let Some(Node::Dir(entries)) = get(&model, &pd) else {
                unreachable!()
            };
            let existing = entries.get(&name).cloned();
            let what = rng.below(12);
            match what {
                0..=2 => {
                    let r = fs.mkdir(dir, &name, 0o755);
                    assert_eq!(
                        r.is_ok(),
                        existing.is_none(),
                        "mkdir {} {name}: {r:?}",
                        path_str(&pd)
                    );
                    if r.is_ok() {
                        let Some(Node::Dir(m)) = get_mut(&mut model, &pd) else {
                            unreachable!()
                        };
                        m.insert(name, Node::Dir(BTreeMap::new()));
                    }
                }
                3..=4 => {
                    let r = fs.create(dir, &name, 0o644);
                    assert_eq!(r.is_ok(), existing.is_none(), "create: {r:?}");
                    if let Ok(f) = r {
                        next_id += 1;
                        fs.write(f, 0, next_id.to_string().as_bytes()).unwrap();
                        let Some(Node::Dir(m)) = get_mut(&mut model, &pd) else {
                            unreachable!()
                        };
                        m.insert(name, Node::File(next_id));
                    }
                }
                5 => {
                    let target = format!("{}{}", "t".repeat(rng.below(80) as usize), step);
                    let r = fs.symlink(dir, &name, &target);
                    assert_eq!(r.is_ok(), existing.is_none(), "symlink: {r:?}");
                    if r.is_ok() {
                        let Some(Node::Dir(m)) = get_mut(&mut model, &pd) else {
                            unreachable!()
                        };
                        m.insert(name, Node::Link(target));
                    }
                }
                6 => {
                    let r = fs.rmdir(dir, &name);
                    let ok = matches!(&existing, Some(Node::Dir(m)) if m.is_empty());
                    assert_eq!(r.is_ok(), ok, "rmdir {} {name}: {r:?}", path_str(&pd));
                    if ok {
                        let Some(Node::Dir(m)) = get_mut(&mut model, &pd) else {
                            unreachable!()
                        };
                        m.remove(&name);
                    }
                }
                7 => {
                    let r = fs.unlink(dir, &name);
                    let ok = matches!(&existing, Some(Node::File(_) | Node::Link(_)));
                    assert_eq!(r.is_ok(), ok, "unlink: {r:?}");
                    if ok {
                        let Some(Node::Dir(m)) = get_mut(&mut model, &pd) else {
                            unreachable!()
                        };
                        m.remove(&name);
                    }
                }
                _ => {
                    // Rename to a random directory and name.
                    let qd = all[rng.below(all.len() as u64) as usize].clone();
                    let to = pool[rng.below(pool.len() as u64) as usize].to_string();
                    let qdir = dir_ino(&mut fs, &qd);
                    let r = fs.rename(dir, &name, qdir, &to);
                    let Some(Node::Dir(qm)) = get(&model, &qd) else {
                        unreachable!()
                    };
                    let dst = qm.get(&to).cloned();
                    let mut src_path = pd.clone();
                    src_path.push(name.clone());
                    let same = pd == qd && name == to;
                    let ok = match (&existing, &dst) {
                        (None, _) => false,
                        _ if same => true,
                        (Some(Node::Dir(_)), _) if qd.starts_with(&src_path) => false,
                        (Some(Node::Dir(_)), None) => true,
                        (Some(Node::Dir(_)), Some(Node::Dir(m))) => m.is_empty(),
                        (Some(Node::Dir(_)), Some(_)) => false,
                        (Some(_), Some(Node::Dir(_))) => false,
                        (Some(_), _) => true,
                    };
                    assert_eq!(
                        r.is_ok(),
                        ok,
                        "rename {} {name} -> {} {to}: {r:?}",
                        path_str(&pd),
                        path_str(&qd)
                    );
                    if ok && !same {
                        let Some(Node::Dir(m)) = get_mut(&mut model, &pd) else {
                            unreachable!()
                        };
                        let node = m.remove(&name).unwrap();
                        let Some(Node::Dir(m)) = get_mut(&mut model, &qd) else {
                            unreachable!()
                        };
                        m.insert(to, node);
                    }
                }
            }
            if step % 500 == 499 {
                compare(&mut fs, ROOT_INO, &model, "");
                fs = cycle(fs, &img);
            }
        }
        let mut fs = cycle(fs, &img);
        compare(&mut fs, ROOT_INO, &model, "");
    }
}
