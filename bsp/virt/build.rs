//! Link the board binary with its linker script, which includes the
//! kernel's shared layout (`kernel/kernel.ld`).
use std::path::PathBuf;

fn main() {
    let here =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let kernel_dir = here.join("../../kernel");
    println!("cargo:rustc-link-search={}", kernel_dir.display());
    println!(
        "cargo:rustc-link-arg-bins=-T{}",
        here.join("link.ld").display()
    );
    println!("cargo:rerun-if-changed=link.ld");
    println!("cargo:rerun-if-changed=../../kernel/kernel.ld");
}
