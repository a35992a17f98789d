//! End-to-end tests of `bootimg sdimage`: images built from small fake
//! inputs (firmware files with known bytes, a tiny kernel, a small root
//! tree) and checked with the real tools: `sfdisk` (fdisk), `fsck.fat`
//! (dosfstools), `mdir`/`mtype` (mtools), `e2fsck`/`debugfs` (e2fsprogs).

use std::fs::{self, File};
use std::io::Read;
use std::os::unix::fs::{symlink, FileExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const MIB: u64 = 1 << 20;
/// Where the partitions must be (bytes).
const BOOT_START: u64 = MIB;
const BOOT_SIZE: u64 = 64 * MIB;
const ROOT_START: u64 = 65 * MIB;

/// A scratch directory with fake inputs, removed on drop.
struct Inputs {
    dir: PathBuf,
}

impl Inputs {
    fn new(name: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "bootimg-sdimage-{}-{}-{name}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("fw")).unwrap();
        let inputs = Inputs { dir };
        for name in FIRMWARE_FILES {
            fs::write(inputs.firmware().join(name), fake_bytes(name, 3000)).unwrap();
        }
        fs::write(inputs.kernel(), fake_bytes("kernel", 70_000)).unwrap();
        inputs.make_root("root");
        inputs
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn firmware(&self) -> PathBuf {
        self.path("fw")
    }

    fn kernel(&self) -> PathBuf {
        self.path("kernel8.img")
    }

    fn root(&self) -> PathBuf {
        self.path("root")
    }

    /// A small root tree: /bin with three programs and a symlink, /etc/motd,
    /// /README.
    fn make_root(&self, name: &str) -> PathBuf {
        let root = self.path(name);
        fs::create_dir_all(root.join("bin")).unwrap();
        fs::create_dir_all(root.join("etc")).unwrap();
        for prog in PROGRAMS {
            let path = root.join("bin").join(prog);
            fs::write(&path, fake_bytes(prog, 20_000)).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        }
        symlink("sh", root.join("bin/shell")).unwrap();
        fs::write(root.join("etc/motd"), MOTD).unwrap();
        fs::write(root.join("README"), "read me\n").unwrap();
        root
    }

    /// Runs `bootimg sdimage` for `board` with the standard inputs plus
    /// `extra` arguments; the image goes to `out`.
    fn build(&self, board: &str, root: &Path, out: &Path, extra: &[&str]) -> Output {
        let mut args: Vec<String> = vec![
            "sdimage".into(),
            "--board".into(),
            board.into(),
            "--kernel".into(),
            path_str(&self.kernel()),
            "--firmware".into(),
            path_str(&self.firmware()),
            "--root".into(),
            path_str(root),
            "--out".into(),
            path_str(out),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        bootimg(&args)
    }
}

impl Drop for Inputs {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

const FIRMWARE_FILES: [&str; 8] = [
    "bootcode.bin",
    "start.elf",
    "fixup.dat",
    "start4.elf",
    "fixup4.dat",
    "bcm2710-rpi-3-b.dtb",
    "bcm2710-rpi-3-b-plus.dtb",
    "bcm2711-rpi-4-b.dtb",
];
const PROGRAMS: [&str; 3] = ["init", "sh", "ls"];
const MOTD: &str = "Welcome.\n";

/// `len` bytes that depend on `seed`, so every fake file is different.
fn fake_bytes(seed: &str, len: usize) -> Vec<u8> {
    let mut state = seed
        .bytes()
        .fold(0x9e37_79b9_u32, |h, b| h.rotate_left(5) ^ u32::from(b));
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect()
}

fn path_str(path: &Path) -> String {
    path.to_str().unwrap().to_string()
}

fn bootimg(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bootimg"))
        .args(args)
        .output()
        .unwrap()
}

/// The path of an installed tool (e2fsprogs and friends live in /usr/sbin,
/// which an ordinary user's PATH may lack).
fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{name} is not installed (scripts/setup.sh installs fdisk, dosfstools, mtools, e2fsprogs)")
        })
}

/// Runs a tool; returns its output (stdout and stderr) and exit code.
fn run(name: &str, args: &[&str]) -> (String, String, Option<i32>) {
    let output = Command::new(tool(name))
        .args(args)
        .env("LC_ALL", "C")
        .env("MTOOLS_SKIP_CHECK", "1")
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        output.status.code(),
    )
}

/// Runs a tool that must succeed; returns its stdout.
fn run_ok(name: &str, args: &[&str]) -> String {
    let (stdout, stderr, code) = run(name, args);
    assert_eq!(code, Some(0), "{name} {args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

/// Copies `len` bytes at `offset` of `image` to a new file `dest`, keeping
/// zero chunks as holes.
fn extract(image: &Path, offset: u64, len: u64, dest: &Path) {
    let input = File::open(image).unwrap();
    let output = File::create(dest).unwrap();
    output.set_len(len).unwrap();
    let mut buf = vec![0u8; 1 << 16];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(buf.len() as u64) as usize;
        input.read_exact_at(&mut buf[..n], offset + done).unwrap();
        if buf[..n].iter().any(|&b| b != 0) {
            output.write_all_at(&buf[..n], done).unwrap();
        }
        done += n as u64;
    }
}

/// `sfdisk -d` output as (start sector, size in sectors, type) per partition.
fn partitions(image: &Path) -> Vec<(u64, u64, String)> {
    let dump = run_ok("sfdisk", &["-d", &path_str(image)]);
    assert!(dump.contains("label: dos"), "{dump}");
    assert!(dump.contains("label-id: 0xb0071a6e"), "{dump}");
    dump.lines()
        .filter_map(|line| line.split_once(" : "))
        .map(|(_, fields)| {
            let field = |key: &str| {
                fields
                    .split(',')
                    .map(str::trim)
                    .find_map(|f| f.strip_prefix(key))
                    .unwrap_or_else(|| panic!("no {key} in {fields}"))
                    .trim()
                    .to_string()
            };
            (
                field("start=").parse().unwrap(),
                field("size=").parse().unwrap(),
                field("type="),
            )
        })
        .collect()
}

/// Checks the partition table; returns the root partition's size in bytes.
fn check_partition_table(image: &Path) -> u64 {
    let total = fs::metadata(image).unwrap().len();
    assert!(
        total.is_power_of_two(),
        "image size {total} is not a power of two"
    );
    let parts = partitions(image);
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[0], (2048, BOOT_SIZE / 512, "c".to_string()));
    assert_eq!(parts[1].0, ROOT_START / 512);
    assert_eq!(parts[1].2, "83");
    assert_eq!(
        (parts[1].0 + parts[1].1) * 512,
        total,
        "root reaches the end"
    );
    parts[1].1 * 512
}

/// Extracts the FAT partition and checks it with fsck.fat; returns its path.
fn check_fat(image: &Path, scratch: &Path) -> PathBuf {
    let fat = scratch.join("boot.fat");
    extract(image, BOOT_START, BOOT_SIZE, &fat);
    let (stdout, stderr, code) = run("fsck.fat", &["-n", &path_str(&fat)]);
    assert_eq!(code, Some(0), "fsck.fat:\n{stdout}\n{stderr}");
    // A clean volume: the version banner and the summary line, nothing else.
    let lines: Vec<&str> = stdout.lines().chain(stderr.lines()).collect();
    assert_eq!(
        lines.len(),
        2,
        "fsck.fat reported something:\n{stdout}\n{stderr}"
    );
    assert!(lines[1].contains(" files, "), "{stdout}");
    fat
}

/// The long names in the FAT root directory.
fn fat_names(fat: &Path) -> Vec<String> {
    let listing = run_ok("mdir", &["-i", &path_str(fat), "::"]);
    // Lines with a long name end in it: "KERNEL8  IMG  70000 2024-01-01 0:00  kernel8.img".
    listing
        .lines()
        .filter(|l| l.contains("2024-01-01"))
        .filter_map(|l| l.split_whitespace().last())
        .map(String::from)
        .collect()
}

fn fat_file(fat: &Path, name: &str) -> Vec<u8> {
    let output = Command::new(tool("mtype"))
        .args(["-i", &path_str(fat), &format!("::{name}")])
        .env("MTOOLS_SKIP_CHECK", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "mtype {name} failed");
    output.stdout
}

/// Extracts the ext2 partition and checks it with e2fsck; returns its path.
fn check_ext2(image: &Path, root_size: u64, scratch: &Path) -> PathBuf {
    let ext2 = scratch.join("root.ext2");
    extract(image, ROOT_START, root_size, &ext2);
    run_ok("e2fsck", &["-fn", &path_str(&ext2)]);
    ext2
}

fn debugfs(ext2: &Path, request: &str) -> String {
    run_ok("debugfs", &["-R", request, &path_str(ext2)])
}

fn build_ok(inputs: &Inputs, board: &str, root: &Path, out: &Path, extra: &[&str]) {
    let output = inputs.build(board, root, out, extra);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "sdimage failed: {stderr}");
    // stdout is the image's path and nothing else.
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("{}\n", out.display())
    );
}

#[test]
fn rpi4_image_passes_the_real_tools() {
    let inputs = Inputs::new("rpi4");
    let out = inputs.path("out/rpi4-sd.img");
    build_ok(&inputs, "rpi4", &inputs.root(), &out, &[]);
    assert_eq!(fs::metadata(&out).unwrap().len(), 256 * MIB);
    let root_size = check_partition_table(&out);

    let fat = check_fat(&out, &inputs.dir);
    assert_eq!(
        fat_names(&fat),
        [
            "start4.elf",
            "fixup4.dat",
            "bcm2711-rpi-4-b.dtb",
            "kernel8.img",
            "config.txt",
            "README.txt"
        ]
    );
    for name in ["start4.elf", "fixup4.dat", "bcm2711-rpi-4-b.dtb"] {
        assert_eq!(fat_file(&fat, name), fake_bytes(name, 3000), "{name}");
    }
    assert_eq!(fat_file(&fat, "kernel8.img"), fake_bytes("kernel", 70_000));
    let config = String::from_utf8(fat_file(&fat, "config.txt")).unwrap();
    for setting in [
        "\narm_64bit=1\n",
        "\nkernel=kernel8.img\n",
        "\nkernel_address=0x80000\n",
        "\nenable_uart=1\n",
        "\ninit_uart_clock=48000000\n",
        "\nenable_gic=1\n",
    ] {
        assert!(
            config.contains(setting),
            "{setting:?} missing from\n{config}"
        );
    }

    let ext2 = check_ext2(&out, root_size, &inputs.dir);
    let listing = debugfs(&ext2, "ls -l /bin");
    for prog in PROGRAMS {
        assert!(
            listing.contains(&format!(" {prog}\n")),
            "{prog} in\n{listing}"
        );
    }
    assert!(listing.contains(" shell\n"), "{listing}");
    assert_eq!(debugfs(&ext2, "cat /etc/motd"), MOTD);
    let init = debugfs(&ext2, "stat /bin/init");
    assert!(init.contains("Mode:  0755"), "{init}");
    assert!(init.contains("User:     0   Group:     0"), "{init}");
    assert!(init.contains("Size: 20000"), "{init}");
    let dumped = inputs.path("init.out");
    debugfs(&ext2, &format!("dump /bin/init {}", dumped.display()));
    assert_eq!(fs::read(&dumped).unwrap(), fake_bytes("init", 20_000));
    let summary = run_ok("dumpe2fs", &["-h", &path_str(&ext2)]);
    assert!(
        summary.contains("Filesystem volume name:   root"),
        "{summary}"
    );
    assert!(
        summary.contains("Filesystem UUID:          b0071a6e-5d3c-4a7e-8f21-4b6a9c0d2e1f"),
        "{summary}"
    );

    // Nothing but the image is left beside it.
    let left: Vec<_> = fs::read_dir(inputs.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["rpi4-sd.img"]);
}

#[test]
fn rpi3_image_has_the_pi3_firmware_dtbs_and_extras() {
    let inputs = Inputs::new("rpi3");
    let extra = inputs.path("extra");
    fs::create_dir(&extra).unwrap();
    fs::write(extra.join("cmdline.txt"), "console=serial0\n").unwrap();
    let out = inputs.path("rpi3-sd.img");
    build_ok(
        &inputs,
        "rpi3",
        &inputs.root(),
        &out,
        &["--boot-extra", &path_str(&extra)],
    );
    let root_size = check_partition_table(&out);
    let fat = check_fat(&out, &inputs.dir);
    assert_eq!(
        fat_names(&fat),
        [
            "bootcode.bin",
            "start.elf",
            "fixup.dat",
            "bcm2710-rpi-3-b.dtb",
            "bcm2710-rpi-3-b-plus.dtb",
            "kernel8.img",
            "config.txt",
            "README.txt",
            "cmdline.txt"
        ]
    );
    assert_eq!(
        fat_file(&fat, "bootcode.bin"),
        fake_bytes("bootcode.bin", 3000)
    );
    assert_eq!(fat_file(&fat, "cmdline.txt"), b"console=serial0\n");
    let config = String::from_utf8(fat_file(&fat, "config.txt")).unwrap();
    assert!(config.contains("0x3F201000"), "{config}");
    assert!(!config.contains("enable_gic"), "{config}");
    check_ext2(&out, root_size, &inputs.dir);
}

#[test]
fn building_twice_gives_identical_bytes() {
    let inputs = Inputs::new("twice");
    let first = inputs.path("first.img");
    build_ok(&inputs, "rpi3", &inputs.root(), &first, &[]);

    // The same content made later, with other times and modes: none of it
    // may reach the image.
    std::thread::sleep(Duration::from_millis(1100));
    let other = inputs.make_root("root-again");
    fs::set_permissions(other.join("bin/init"), fs::Permissions::from_mode(0o775)).unwrap();
    fs::set_permissions(other.join("README"), fs::Permissions::from_mode(0o600)).unwrap();
    let second = inputs.path("second.img");
    build_ok(&inputs, "rpi3", &other, &second, &[]);

    let (a, b) = (fs::read(&first).unwrap(), fs::read(&second).unwrap());
    assert_eq!(a.len(), b.len());
    if a != b {
        let at = a.chunks(4096).zip(b.chunks(4096)).position(|(x, y)| x != y);
        panic!("the images differ, first in the 4 KiB block {at:?}");
    }
}

#[test]
fn a_bigger_root_gets_a_bigger_image() {
    let inputs = Inputs::new("big");
    // 100 MiB (a sparse file, so cheap): the root partition must be at
    // least twice that, so the image grows to 512 MiB.
    let big = File::create(inputs.root().join("big.dat")).unwrap();
    big.set_len(100 * MIB).unwrap();
    big.write_all_at(b"end", 100 * MIB - 3).unwrap();
    drop(big);
    let out = inputs.path("big.img");
    build_ok(&inputs, "rpi4", &inputs.root(), &out, &[]);
    assert_eq!(fs::metadata(&out).unwrap().len(), 512 * MIB);
    let root_size = check_partition_table(&out);
    assert!(root_size >= 200 * MIB);
    let ext2 = check_ext2(&out, root_size, &inputs.dir);
    assert!(debugfs(&ext2, "stat /big.dat").contains("Size: 104857600"));
}

/// Runs a failing build; returns its stderr after checking the exit code
/// and that no image was written.
fn build_fails(inputs: &Inputs, board: &str, root: &Path, extra: &[&str], code: i32) -> String {
    let out = inputs.path("out/bad.img");
    let output = inputs.build(board, root, &out, extra);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(!out.exists(), "an image was written");
    if let Ok(dir) = fs::read_dir(inputs.path("out")) {
        assert_eq!(dir.count(), 0, "scratch files were left behind");
    }
    stderr
}

#[test]
fn bad_inputs_give_clear_errors() {
    let inputs = Inputs::new("bad");

    fs::remove_file(inputs.firmware().join("fixup4.dat")).unwrap();
    let err = build_fails(&inputs, "rpi4", &inputs.root(), &[], 1);
    assert!(err.contains("firmware file fixup4.dat"), "{err}");
    assert!(err.contains("FIRMWARE_DIR="), "{err}");

    // DTBs are optional: the Pi 3 image builds without them.
    for dtb in ["bcm2710-rpi-3-b.dtb", "bcm2710-rpi-3-b-plus.dtb"] {
        fs::remove_file(inputs.firmware().join(dtb)).unwrap();
    }
    build_ok(&inputs, "rpi3", &inputs.root(), &inputs.path("ok.img"), &[]);
    fs::remove_file(inputs.path("ok.img")).unwrap();

    fs::remove_file(inputs.firmware().join("bootcode.bin")).unwrap();
    let err = build_fails(&inputs, "rpi3", &inputs.root(), &[], 1);
    assert!(err.contains("firmware file bootcode.bin"), "{err}");

    let err = build_fails(
        &inputs,
        "rpi4",
        &inputs.root(),
        &["--firmware", "/nonexistent-firmware"],
        2,
    );
    assert!(err.contains("--firmware given more than once"), "{err}");

    fs::remove_file(inputs.kernel()).unwrap();
    let err = build_fails(&inputs, "rpi3", &inputs.root(), &[], 1);
    assert!(err.contains("kernel image"), "{err}");
    assert!(err.contains("not found"), "{err}");
    fs::write(inputs.kernel(), b"").unwrap();
    let err = build_fails(&inputs, "rpi3", &inputs.root(), &[], 1);
    assert!(err.contains("is empty"), "{err}");
    fs::write(inputs.kernel(), b"kernel").unwrap();
    fs::write(inputs.firmware().join("bootcode.bin"), b"boot").unwrap();

    let err = build_fails(&inputs, "rpi3", &inputs.path("no-root"), &[], 1);
    assert!(err.contains("is not a directory"), "{err}");

    let extra = inputs.path("extra");
    fs::create_dir_all(extra.join("overlays")).unwrap();
    let err = build_fails(
        &inputs,
        "rpi3",
        &inputs.root(),
        &["--boot-extra", &path_str(&extra)],
        1,
    );
    assert!(err.contains("is a directory"), "{err}");

    let err = build_fails(&inputs, "virt", &inputs.root(), &[], 2);
    assert!(err.contains("rpi3 and rpi4"), "{err}");
}

#[test]
fn usage_mentions_sdimage() {
    let output = bootimg(&["--help".to_string()]);
    let mut text = String::new();
    output.stdout.as_slice().read_to_string(&mut text).unwrap();
    assert!(
        text.contains("bootimg sdimage --board <rpi3|rpi4>"),
        "{text}"
    );
}
