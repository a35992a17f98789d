//! What goes on the FAT boot partition for each Pi: the firmware files, the
//! board's device trees, the kernel as `kernel8.img`, a generated
//! `config.txt` and a `README.txt`, all in the root directory (see
//! [`super::fat`] for why there are no subdirectories).
//!
//! The console choice (see `bootimg/CONSOLE.md`): the kernel drives the
//! PL011 (UART0) and routes it to GPIO 14/15 itself; `config.txt` pins the
//! UART clock it relies on. No `dtoverlay=disable-bt`: overlays live in
//! `overlays/`, and Debian's firmware package ships none.

use std::fs;
use std::path::Path;

use super::error::SdImageError;
use crate::board::Board;

/// File name of the kernel on the boot partition.
pub const KERNEL_NAME: &str = "kernel8.img";
/// File name of the firmware configuration.
pub const CONFIG_NAME: &str = "config.txt";
/// File name of the note for the user.
pub const README_NAME: &str = "README.txt";

/// The facts about one Pi model that the boot partition depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PiModel {
    pub board: Board,
    /// For people: "Raspberry Pi 3 Model B / B+".
    pub name: &'static str,
    /// Firmware files that must be present.
    pub firmware: &'static [&'static str],
    /// Device trees copied if the firmware directory has them, under the
    /// Raspberry Pi kernel's names (what the firmware looks for by default).
    pub dtbs: &'static [&'static str],
    /// The same device trees under mainline Linux's names, where those
    /// differ (Debian ships these); also copied if present, and then
    /// `config.txt` gets `upstream_kernel=1` so the firmware looks for them.
    pub upstream_dtbs: &'static [&'static str],
    /// Physical address of the peripherals (low-peripheral mode on the Pi 4).
    pub peripherals: u32,
}

/// The Raspberry Pi 3 Model B and B+ (BCM2837).
pub const RPI3: PiModel = PiModel {
    board: Board::Rpi3,
    name: "Raspberry Pi 3 Model B / B+",
    firmware: &["bootcode.bin", "start.elf", "fixup.dat"],
    dtbs: &["bcm2710-rpi-3-b.dtb", "bcm2710-rpi-3-b-plus.dtb"],
    upstream_dtbs: &["bcm2837-rpi-3-b.dtb", "bcm2837-rpi-3-b-plus.dtb"],
    peripherals: 0x3F00_0000,
};

/// The Raspberry Pi 4 Model B (BCM2711). Its first-stage boot loader is in
/// EEPROM, so it needs no `bootcode.bin`.
pub const RPI4: PiModel = PiModel {
    board: Board::Rpi4,
    name: "Raspberry Pi 4 Model B",
    firmware: &["start4.elf", "fixup4.dat"],
    dtbs: &["bcm2711-rpi-4-b.dtb"],
    // Mainline uses the same name.
    upstream_dtbs: &[],
    peripherals: 0xFE00_0000,
};

impl PiModel {
    /// The model for `board`, or [`SdImageError::NotAPi`].
    pub fn for_board(board: Board) -> Result<PiModel, SdImageError> {
        match board {
            Board::Rpi3 => Ok(RPI3),
            Board::Rpi4 => Ok(RPI4),
            Board::Virt => Err(SdImageError::NotAPi(board)),
        }
    }

    /// The PL011 (UART0), the console.
    pub fn pl011(&self) -> u32 {
        self.peripherals + 0x20_1000
    }

    /// The GPIO block (function select, pulls).
    pub fn gpio(&self) -> u32 {
        self.peripherals + 0x20_0000
    }

    /// The mini UART (AUX_MU_IO), not used by the kernel.
    pub fn mini_uart(&self) -> u32 {
        self.peripherals + 0x21_5040
    }
}

/// One file for the root directory of the boot partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootFile {
    pub name: String,
    pub data: Vec<u8>,
}

impl BootFile {
    fn new(name: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        BootFile {
            name: name.into(),
            data: data.into(),
        }
    }
}

/// Gathers the boot partition's files in the order they are written:
/// firmware, device trees, kernel, `config.txt`, `README.txt`, then the
/// files of `extra` sorted by name.
pub fn collect(
    model: &PiModel,
    firmware_dir: &Path,
    kernel: Vec<u8>,
    extra: Option<&Path>,
) -> Result<Vec<BootFile>, SdImageError> {
    if !firmware_dir.is_dir() {
        return Err(SdImageError::FirmwareDir(firmware_dir.to_path_buf()));
    }
    let mut files = Vec::new();
    for &name in model.firmware {
        let path = firmware_dir.join(name);
        if !path.is_file() {
            return Err(SdImageError::MissingFirmware {
                board: model.board,
                dir: firmware_dir.to_path_buf(),
                file: name,
                needed: model.firmware,
            });
        }
        let data =
            fs::read(&path).map_err(SdImageError::io(format!("reading {}", path.display())))?;
        files.push(BootFile::new(name, data));
    }
    let mut upstream = false;
    for &name in model.dtbs.iter().chain(model.upstream_dtbs) {
        let path = firmware_dir.join(name);
        if path.is_file() {
            let data =
                fs::read(&path).map_err(SdImageError::io(format!("reading {}", path.display())))?;
            files.push(BootFile::new(name, data));
            upstream |= model.upstream_dtbs.contains(&name);
        }
    }
    let has_dtb = files.iter().any(|f| f.name.ends_with(".dtb"));
    files.push(BootFile::new(KERNEL_NAME, kernel));
    files.push(BootFile::new(CONFIG_NAME, config_txt(model, upstream)));
    files.push(BootFile::new(README_NAME, readme_txt(model, has_dtb)));
    if let Some(dir) = extra {
        add_extra(&mut files, dir)?;
    }
    Ok(files)
}

/// Adds the regular files of `dir` (sorted; symlinks followed). A
/// subdirectory, or a name the image already has (FAT names ignore case),
/// is an error.
fn add_extra(files: &mut Vec<BootFile>, dir: &Path) -> Result<(), SdImageError> {
    if !dir.is_dir() {
        return Err(SdImageError::NotADirectory {
            what: "--boot-extra",
            path: dir.to_path_buf(),
        });
    }
    let context = format!("reading directory {}", dir.display());
    let mut entries = fs::read_dir(dir)
        .map_err(SdImageError::io(context.clone()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(SdImageError::io(context))?;
    entries.sort();
    for path in entries {
        let bad = |reason: &str| SdImageError::BootExtra {
            path: path.clone(),
            reason: reason.to_string(),
        };
        if path.is_dir() {
            return Err(bad(
                "is a directory; only files are supported (everything goes in the root \
                 directory of the boot partition)",
            ));
        }
        if !path.is_file() {
            return Err(bad("is not a regular file"));
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| bad("the name is not valid UTF-8"))?
            .to_string();
        if files.iter().any(|f| f.name.eq_ignore_ascii_case(&name)) {
            return Err(bad(&format!(
                "the boot partition already has a file named {name}"
            )));
        }
        let data =
            fs::read(&path).map_err(SdImageError::io(format!("reading {}", path.display())))?;
        files.push(BootFile::new(name, data));
    }
    Ok(())
}

/// The firmware configuration for `model`, commented; `upstream_dtbs` if
/// the card has device trees under mainline Linux names.
pub fn config_txt(model: &PiModel, upstream_dtbs: bool) -> String {
    let board = model.board;
    let pl011 = model.pl011();
    let mut text = format!(
        "\
# config.txt: read by the Raspberry Pi firmware at power-on.
# Written by `bootimg sdimage --board {board}` for the {name}.
# Options: https://www.raspberrypi.com/documentation/computers/config_txt.html

# Start the ARM cores in AArch64 state and load our kernel. It is a flat
# image linked to run at 0x80000; current firmware loads 64-bit kernels at
# 0x200000 unless kernel_address says otherwise.
arm_64bit=1
kernel={KERNEL_NAME}
kernel_address=0x80000

# Console: the kernel drives the PL011 UART (UART0, {pl011:#010X}) at
# 115200 8N1 and itself routes it to GPIO 14 (TXD, header pin 8) and
# GPIO 15 (RXD, header pin 10) by selecting function ALT0 for both pins.
# That takes the PL011 away from Bluetooth without dtoverlay=disable-bt,
# which would need overlays/disable-bt.dtbo: this image has no overlays/
# directory. enable_uart=1 has the firmware set up the serial pins (for the
# mini UART, which the kernel does not use). init_uart_clock fixes the
# PL011's reference clock at the 48 MHz the kernel computes its baud rate
# divisor from. See bootimg/CONSOLE.md in the source tree.
enable_uart=1
init_uart_clock=48000000

# If nothing appears on the console: uncomment this to have the firmware
# print its own boot messages on the same pins first (115200 8N1).
#uart_2ndstage=1
",
        name = model.name,
    );
    if upstream_dtbs {
        text.push_str(
            "
# The device trees on this card are mainline Linux ones (from Debian), named
# as mainline names them (bcm2837-*): make the firmware look for those names.
# It falls back to the Raspberry Pi names (bcm2710-*) if they are missing.
upstream_kernel=1
",
        );
    }
    if board == Board::Rpi4 {
        text.push_str(
            "
# The kernel drives the GIC-400 interrupt controller (GICv2): have the
# firmware enable it and route interrupts through it (the default on the
# Pi 4, stated because the kernel depends on it).
enable_gic=1
",
        );
    }
    text
}

/// The note for whoever looks at the card from another computer.
pub fn readme_txt(model: &PiModel, has_dtb: bool) -> String {
    let dtb_note = if has_dtb {
        "*.dtb         device trees: the firmware passes one to the kernel"
    } else {
        "(no device trees: the kernel does without)"
    };
    let firmware = model.firmware.join(", ");
    format!(
        "\
This SD card boots a small Rust kernel for AArch64 on the
{name}.

Partition 1 (this one, FAT32) is read by the Raspberry Pi firmware:
  {firmware}
                the Raspberry Pi firmware
  {dtb_note}
  kernel8.img   the kernel
  config.txt    firmware settings (see the comments in it)
Partition 2 (ext2) is the root filesystem: /bin holds the programs.

The console is the serial port on the GPIO header, 115200 baud, 8N1, no
flow control. Connect a 3.3 V USB-serial adapter (never 5 V):
  header pin 6  (GND)            -> adapter GND
  header pin 8  (GPIO 14, TXD)   -> adapter RX
  header pin 10 (GPIO 15, RXD)   -> adapter TX
then, on the other computer: screen /dev/ttyUSB0 115200 (or picocom,
minicom, PuTTY). Nothing appears on HDMI.

To write this image to a card: dd if={board}-sd.img of=/dev/sdX bs=4M
conv=fsync (check the device name first: everything on it is lost), or
Raspberry Pi Imager: Choose OS -> Use custom.
",
        name = model.name,
        board = model.board,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("bootimg-bootfiles-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn models_and_addresses() {
        assert_eq!(
            PiModel::for_board(Board::Rpi3).unwrap().pl011(),
            0x3F20_1000
        );
        assert_eq!(
            PiModel::for_board(Board::Rpi4).unwrap().pl011(),
            0xFE20_1000
        );
        assert_eq!(RPI3.mini_uart(), 0x3F21_5040);
        assert_eq!(RPI4.mini_uart(), 0xFE21_5040);
        assert_eq!(RPI4.gpio(), 0xFE20_0000);
        assert!(matches!(
            PiModel::for_board(Board::Virt),
            Err(SdImageError::NotAPi(Board::Virt))
        ));
    }

    #[test]
    fn config_has_the_settings_the_kernel_relies_on() {
        for model in [RPI3, RPI4] {
            let text = config_txt(&model, false);
            let settings: Vec<&str> = text
                .lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .collect();
            for wanted in [
                "arm_64bit=1",
                "kernel=kernel8.img",
                "kernel_address=0x80000",
                "enable_uart=1",
                "init_uart_clock=48000000",
            ] {
                assert!(settings.contains(&wanted), "{wanted} in {text}");
            }
            assert!(!text.contains("\ndtoverlay"), "{text}");
            assert_eq!(
                settings.contains(&"enable_gic=1"),
                model.board == Board::Rpi4
            );
        }
        assert!(config_txt(&RPI3, false).contains("0x3F201000"));
        assert!(config_txt(&RPI4, false).contains("0xFE201000"));
        assert!(config_txt(&RPI3, true).contains("\nupstream_kernel=1\n"));
        assert!(!config_txt(&RPI3, false).contains("upstream_kernel"));
    }

    #[test]
    fn collects_firmware_dtbs_kernel_and_extras_in_order() {
        let dir = scratch("collect");
        let fw = dir.join("fw");
        fs::create_dir(&fw).unwrap();
        for name in [
            "start4.elf",
            "fixup4.dat",
            "bcm2711-rpi-4-b.dtb",
            "bootcode.bin",
        ] {
            fs::write(fw.join(name), name).unwrap();
        }
        let extra = dir.join("extra");
        fs::create_dir(&extra).unwrap();
        fs::write(extra.join("b.txt"), "b").unwrap();
        fs::write(extra.join("a.txt"), "a").unwrap();
        let files = collect(&RPI4, &fw, b"kernel".to_vec(), Some(&extra)).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "start4.elf",
                "fixup4.dat",
                "bcm2711-rpi-4-b.dtb",
                "kernel8.img",
                "config.txt",
                "README.txt",
                "a.txt",
                "b.txt"
            ]
        );
        assert_eq!(files[0].data, b"start4.elf");
        assert_eq!(files[3].data, b"kernel");

        // The Pi 4 card has no upstream_kernel=1: mainline's name is ours.
        let config = &files[4].data;
        assert!(!String::from_utf8_lossy(config).contains("upstream_kernel"));

        // A Pi 3 with Debian's (mainline-named) device tree.
        for name in ["start.elf", "fixup.dat", "bcm2837-rpi-3-b.dtb"] {
            fs::write(fw.join(name), name).unwrap();
        }
        let files = collect(&RPI3, &fw, b"kernel".to_vec(), None).unwrap();
        let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "bootcode.bin",
                "start.elf",
                "fixup.dat",
                "bcm2837-rpi-3-b.dtb",
                "kernel8.img",
                "config.txt",
                "README.txt"
            ]
        );
        assert!(String::from_utf8_lossy(&files[5].data).contains("\nupstream_kernel=1\n"));
        for name in ["start.elf", "fixup.dat"] {
            fs::remove_file(fw.join(name)).unwrap();
        }

        // A Pi 3 needs bootcode.bin, start.elf and fixup.dat.
        match collect(&RPI3, &fw, Vec::new(), None) {
            Err(SdImageError::MissingFirmware { file, .. }) => assert_eq!(file, "start.elf"),
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            collect(&RPI4, &dir.join("nope"), Vec::new(), None),
            Err(SdImageError::FirmwareDir(_))
        ));

        // Clashing names (case-insensitively) and subdirectories are refused.
        fs::write(extra.join("CONFIG.TXT"), "mine").unwrap();
        assert!(matches!(
            collect(&RPI4, &fw, Vec::new(), Some(&extra)),
            Err(SdImageError::BootExtra { .. })
        ));
        fs::remove_file(extra.join("CONFIG.TXT")).unwrap();
        fs::create_dir(extra.join("overlays")).unwrap();
        assert!(matches!(
            collect(&RPI4, &fw, Vec::new(), Some(&extra)),
            Err(SdImageError::BootExtra { .. })
        ));
        fs::remove_dir_all(&dir).unwrap();
    }
}
