//! QEMU command lines: which binary to run and the arguments for each board,
//! in test mode (used by `bootimg run`) and interactive mode (`bootimg qemu`).

use std::ffi::OsString;
use std::path::Path;

use crate::board::Board;

/// The QEMU binary used when `BOOTIMG_QEMU` is not set.
pub const DEFAULT_QEMU: &str = "qemu-system-aarch64";

/// The environment variable that overrides the QEMU binary.
pub const QEMU_ENV: &str = "BOOTIMG_QEMU";

/// How QEMU is going to be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Automated test boot: serial console on stdio, no monitor.
    Test,
    /// A person at the terminal: serial multiplexed with the monitor (Ctrl-A C).
    Interactive,
}

/// The QEMU binary to run: `$BOOTIMG_QEMU` if set and non-empty, else
/// [`DEFAULT_QEMU`].
pub fn qemu_program() -> OsString {
    std::env::var_os(QEMU_ENV)
        .filter(|value| !value.is_empty())
        .unwrap_or_else(|| OsString::from(DEFAULT_QEMU))
}

/// The QEMU arguments that boot `kernel` on `board`, with `-append <bootargs>`
/// at the end when `append` is given.
/// Arguments attaching disk images: VirtIO block devices on virt (the first
/// is the root disk: QEMU puts the first `-device` in the highest slot,
/// where the kernel looks first), the SD card on a Pi (only one).
pub fn disk_args(board: Board, disks: &[std::path::PathBuf]) -> Vec<String> {
    let mut args = Vec::new();
    for (i, disk) in disks.iter().enumerate() {
        let file = disk.to_string_lossy();
        match board {
            Board::Virt => {
                args.push("-drive".into());
                args.push(format!("file={file},if=none,format=raw,id=disk{i}"));
                args.push("-device".into());
                args.push(format!("virtio-blk-device,drive=disk{i}"));
            }
            Board::Rpi3 | Board::Rpi4 => {
                args.push("-drive".into());
                args.push(format!("file={file},if=sd,format=raw"));
            }
        }
    }
    args
}

pub fn qemu_args(board: Board, kernel: &Path, mode: Mode, append: Option<&str>) -> Vec<String> {
    let machine: &[&str] = match board {
        Board::Virt => &[
            "-M",
            "virt,gic-version=3",
            "-cpu",
            "cortex-a72",
            "-smp",
            "1",
            "-m",
            "1G",
            "-nographic",
        ],
        Board::Rpi3 => &["-M", "raspi3b", "-m", "1G", "-display", "none"],
        Board::Rpi4 => &["-M", "raspi4b", "-m", "2G", "-display", "none"],
    };
    let console: &[&str] = match mode {
        Mode::Test => &["-monitor", "none", "-serial", "stdio"],
        Mode::Interactive => &["-serial", "mon:stdio"],
    };
    let devices: &[&str] = match board {
        Board::Virt => &["-nic", "none"],
        Board::Rpi3 | Board::Rpi4 => &[],
    };
    let common: &[&str] = &["-semihosting", "-no-reboot"];
    let virtio: &[&str] = match board {
        Board::Virt => &["-global", "virtio-mmio.force-legacy=false"],
        Board::Rpi3 | Board::Rpi4 => &[],
    };

    let mut args: Vec<String> = [machine, console, devices, common, virtio]
        .concat()
        .into_iter()
        .map(String::from)
        .collect();
    args.push("-kernel".into());
    args.push(kernel.to_string_lossy().into_owned());
    if let Some(bootargs) = append {
        args.push("-append".into());
        args.push(bootargs.into());
    }
    args
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(board: Board, mode: Mode, append: Option<&str>) -> String {
        qemu_args(board, Path::new("k.elf"), mode, append).join(" ")
    }

    #[test]
    fn virt_test_mode() {
        assert_eq!(
            line(Board::Virt, Mode::Test, None),
            "-M virt,gic-version=3 -cpu cortex-a72 -smp 1 -m 1G -nographic -monitor none \
             -serial stdio -nic none -semihosting -no-reboot \
             -global virtio-mmio.force-legacy=false -kernel k.elf"
        );
    }

    #[test]
    fn rpi3_test_mode() {
        assert_eq!(
            line(Board::Rpi3, Mode::Test, None),
            "-M raspi3b -m 1G -display none -monitor none -serial stdio -semihosting \
             -no-reboot -kernel k.elf"
        );
    }

    #[test]
    fn rpi4_test_mode_with_bootargs() {
        let args = qemu_args(Board::Rpi4, Path::new("k.elf"), Mode::Test, Some("a b"));
        assert_eq!(
            args,
            [
                "-M",
                "raspi4b",
                "-m",
                "2G",
                "-display",
                "none",
                "-monitor",
                "none",
                "-serial",
                "stdio",
                "-semihosting",
                "-no-reboot",
                "-kernel",
                "k.elf",
                "-append",
                "a b"
            ]
        );
    }

    #[test]
    fn interactive_mode_multiplexes_the_monitor() {
        assert_eq!(
            line(Board::Virt, Mode::Interactive, Some("x")),
            "-M virt,gic-version=3 -cpu cortex-a72 -smp 1 -m 1G -nographic -serial mon:stdio \
             -nic none -semihosting -no-reboot -global virtio-mmio.force-legacy=false \
             -kernel k.elf -append x"
        );
        assert_eq!(
            line(Board::Rpi3, Mode::Interactive, None),
            "-M raspi3b -m 1G -display none -serial mon:stdio -semihosting -no-reboot -kernel k.elf"
        );
    }
}
