//! Packs the user programs into the initial archive the kernel embeds.
//! `KERNEL_INITRD_DIR` names a directory of program files (the Makefile
//! points it at the user build output); without it the archive is empty.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=KERNEL_INITRD_DIR");
    let out =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("initrd.cpio");
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if let Ok(dir) = std::env::var("KERNEL_INITRD_DIR") {
        println!("cargo:rerun-if-changed={dir}");
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("KERNEL_INITRD_DIR={dir}: {e}"))
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            println!("cargo:rerun-if-changed={}", path.display());
            let data =
                std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            files.push((e.file_name().to_string_lossy().into_owned(), data));
        }
    }
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(n, d)| (n.as_str(), d.as_slice()))
        .collect();
    std::fs::write(&out, klib::cpio::write(&refs)).expect("writing the initrd");
}
