//! Command-line parsing: turns the arguments into a [`Command`], or a
//! [`UsageError`] that the caller reports together with [`USAGE`].

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::board::Board;
use crate::sdimage::SdImageOptions;

/// The usage message.
pub const USAGE: &str = "\
usage:
  bootimg objcopy <in.elf> <out.bin>
      Turn the kernel ELF into a flat binary (kernel8.img).
  bootimg run --board <virt|rpi3|rpi4> --kernel <path> [--timeout <secs>]
              [--expect-fail | --expect-crash] [--require <text>]...
              [--append <bootargs>] [--disk <img>]... [--log <file>] [--symbols <elf>]
      Boot a test build under QEMU and judge its test output.
      --expect-fail   pass only if the suite reports a failed test
      --expect-crash  pass only if the kernel panics with a backtrace before
                      the summary and QEMU exits nonzero by itself
      --require       text that must occur in the log (repeatable)
      --symbols       ELF with the kernel's symbols, for symbolizing a
                      backtrace (default: --kernel, if it is an ELF)
  bootimg shell-test --board <board> --kernel <path> --script <file> [--disk <img>]...
                     [--timeout <secs>] [--log <file>] [--append <bootargs>]
      Boot with the console on a pipe and play the script: type into the
      shell and wait for its output, like expect (steps: send, type, expect,
      expect-re, prompt, ctrl-c, ctrl-d, host, exit-status, boot, timeout;
      see tests/shell/README.md). Passes iff every step passes.
      --timeout       limit for the whole run (default 300)
      --log           where to write the console transcript
  bootimg symbolize <elf>
      Copy stdin to stdout, annotating each 0x<16 hex digits> address that
      lies in a function of <elf> as `0x... <function+0xoffset>`.
  bootimg qemu --board <board> --kernel <path> [--append <bootargs>] [--disk <img>]...
              [-- <qemu args>...]
      Boot interactively (Ctrl-A X quits, Ctrl-A C toggles the monitor).
  bootimg qemu-cmd --board <board> --kernel <path> [--test] [--append <bootargs>]
      Print the QEMU command line `qemu` (or, with --test, `run`) would use.
  bootimg sdimage --board <rpi3|rpi4> --kernel <kernel8.img> --firmware <dir>
                  --root <dir> --out <img> [--boot-extra <dir>]
      Write a flashable Raspberry Pi SD card image and print its path: an MBR,
      a FAT32 boot partition (the board's firmware files and DTBs from
      <firmware>, config.txt, the kernel as kernel8.img, the files of
      --boot-extra) and an ext2 root partition made from <root> by mke2fs.
      The same inputs give the same bytes.

environment:
  BOOTIMG_QEMU   QEMU binary to run (default: qemu-system-aarch64)";

/// The default `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The default `--timeout` of `shell-test` (the whole script, every boot).
pub const DEFAULT_SHELL_TEST_TIMEOUT: Duration = Duration::from_secs(300);

/// The largest `--timeout` accepted, in seconds (one day).
pub const MAX_TIMEOUT_SECS: u64 = 24 * 60 * 60;

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `bootimg help`, `-h` or `--help`.
    Help,
    /// `bootimg objcopy <in.elf> <out.bin>`.
    Objcopy { input: PathBuf, output: PathBuf },
    /// `bootimg symbolize <elf>`: annotate addresses on stdin.
    Symbolize { elf: PathBuf },
    /// `bootimg run ...`.
    Run(RunOptions),
    /// `bootimg qemu ...`: boot interactively, with extra QEMU arguments.
    Qemu {
        boot: BootOptions,
        extra: Vec<String>,
    },
    /// `bootimg qemu-cmd ...`: print the command line for test or
    /// interactive mode.
    QemuCmd { boot: BootOptions, test: bool },
    /// `bootimg sdimage ...`: write a Raspberry Pi SD card image.
    SdImage(SdImageOptions),
    /// `bootimg shell-test ...`: play a script on the console.
    ShellTest(ShellTestOptions),
}

/// What to boot, common to `run`, `qemu` and `qemu-cmd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BootOptions {
    pub board: Board,
    pub kernel: PathBuf,
    /// Kernel command line, passed with `-append`.
    pub append: Option<String>,
    /// Disk images to attach, root disk first (`--disk`, repeatable).
    pub disks: Vec<PathBuf>,
}

/// The options of `bootimg run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    pub boot: BootOptions,
    pub timeout: Duration,
    pub expect_fail: bool,
    /// Pass only on a clean crash (panic with backtrace, no summary).
    pub expect_crash: bool,
    /// Texts that must all occur in the log.
    pub require: Vec<String>,
    /// Where to write the full console log.
    pub log: Option<PathBuf>,
    /// ELF to read symbols from, if not the kernel itself.
    pub symbols: Option<PathBuf>,
}

/// The options of `bootimg shell-test`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShellTestOptions {
    pub boot: BootOptions,
    /// The script of steps.
    pub script: PathBuf,
    /// Limit for the whole run.
    pub timeout: Duration,
    /// Where to write the console transcript.
    pub log: Option<PathBuf>,
}

/// A command line that does not make sense; the message says why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

fn usage(message: impl Into<String>) -> UsageError {
    UsageError(message.into())
}

/// Parses the arguments after the program name.
pub fn parse_args(args: &[String]) -> Result<Command, UsageError> {
    let Some((subcommand, rest)) = args.split_first() else {
        return Err(usage("missing subcommand"));
    };
    match subcommand.as_str() {
        "help" | "-h" | "--help" => Ok(Command::Help),
        "objcopy" => match rest {
            [input, output] if !input.starts_with('-') && !output.starts_with('-') => {
                Ok(Command::Objcopy {
                    input: input.into(),
                    output: output.into(),
                })
            }
            _ => Err(usage(
                "objcopy takes exactly two arguments: <in.elf> <out.bin>",
            )),
        },
        "symbolize" => match rest {
            [elf] if !elf.starts_with('-') => Ok(Command::Symbolize { elf: elf.into() }),
            _ => Err(usage("symbolize takes exactly one argument: <elf>")),
        },
        "run" => {
            let opts = Options::parse(
                rest,
                &[
                    "--board",
                    "--kernel",
                    "--append",
                    "--disk",
                    "--timeout",
                    "--log",
                    "--expect-fail",
                    "--expect-crash",
                    "--require",
                    "--symbols",
                ],
            )?;
            if opts.expect_fail && opts.expect_crash {
                return Err(usage(
                    "--expect-fail and --expect-crash cannot be used together",
                ));
            }
            Ok(Command::Run(RunOptions {
                boot: opts.boot()?,
                timeout: opts.timeout.unwrap_or(DEFAULT_TIMEOUT),
                expect_fail: opts.expect_fail,
                expect_crash: opts.expect_crash,
                require: opts.require,
                log: opts.log,
                symbols: opts.symbols,
            }))
        }
        "qemu" => {
            let opts = Options::parse(rest, &["--board", "--kernel", "--append", "--disk", "--"])?;
            let boot = opts.boot()?;
            Ok(Command::Qemu {
                boot,
                extra: opts.extra,
            })
        }
        "qemu-cmd" => {
            let opts = Options::parse(
                rest,
                &["--board", "--kernel", "--append", "--disk", "--test"],
            )?;
            let test = opts.test;
            Ok(Command::QemuCmd {
                boot: opts.boot()?,
                test,
            })
        }
        "shell-test" => {
            let opts = Options::parse(
                rest,
                &[
                    "--board",
                    "--kernel",
                    "--append",
                    "--disk",
                    "--script",
                    "--timeout",
                    "--log",
                ],
            )?;
            let boot = opts.boot()?;
            let script = opts.script.ok_or_else(|| usage("missing --script"))?;
            Ok(Command::ShellTest(ShellTestOptions {
                boot,
                script,
                timeout: opts.timeout.unwrap_or(DEFAULT_SHELL_TEST_TIMEOUT),
                log: opts.log,
            }))
        }
        "sdimage" => {
            let opts = Options::parse(
                rest,
                &[
                    "--board",
                    "--kernel",
                    "--firmware",
                    "--root",
                    "--out",
                    "--boot-extra",
                ],
            )?;
            Ok(Command::SdImage(opts.sdimage()?))
        }
        other => Err(usage(format!("unknown subcommand `{other}`"))),
    }
}

/// Every option any subcommand takes; each subcommand allows a subset.
#[derive(Default)]
struct Options {
    board: Option<Board>,
    kernel: Option<PathBuf>,
    append: Option<String>,
    disks: Vec<PathBuf>,
    timeout: Option<Duration>,
    log: Option<PathBuf>,
    symbols: Option<PathBuf>,
    firmware: Option<PathBuf>,
    root: Option<PathBuf>,
    out: Option<PathBuf>,
    boot_extra: Option<PathBuf>,
    script: Option<PathBuf>,
    require: Vec<String>,
    expect_fail: bool,
    expect_crash: bool,
    test: bool,
    /// Arguments after `--`.
    extra: Vec<String>,
}

impl Options {
    /// Parses `--name value`, `--name=value` and flags named in `allowed`
    /// (`"--"` allows passing the remaining arguments through).
    fn parse(args: &[String], allowed: &[&str]) -> Result<Self, UsageError> {
        let mut opts = Options::default();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            if arg == "--" && allowed.contains(&"--") {
                opts.extra = args.by_ref().cloned().collect();
                break;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
                _ => (arg.as_str(), None),
            };
            if !name.starts_with("--") || !allowed.contains(&name) {
                return Err(usage(format!("unexpected argument `{arg}`")));
            }
            let mut value = || match inline.clone() {
                Some(value) => Ok(value),
                None => args
                    .next()
                    .cloned()
                    .ok_or_else(|| usage(format!("{name} needs a value"))),
            };
            match name {
                "--board" => set_once(
                    &mut opts.board,
                    name,
                    value()?.parse().map_err(|e| usage(format!("{e}")))?,
                )?,
                "--kernel" => set_once(&mut opts.kernel, name, PathBuf::from(value()?))?,
                "--append" => set_once(&mut opts.append, name, value()?)?,
                "--disk" => opts.disks.push(path_value(name, value()?)?),
                "--timeout" => set_once(&mut opts.timeout, name, parse_timeout(&value()?)?)?,
                "--log" => set_once(&mut opts.log, name, PathBuf::from(value()?))?,
                "--symbols" => set_once(&mut opts.symbols, name, PathBuf::from(value()?))?,
                "--firmware" => set_once(&mut opts.firmware, name, path_value(name, value()?)?)?,
                "--root" => set_once(&mut opts.root, name, path_value(name, value()?)?)?,
                "--out" => set_once(&mut opts.out, name, path_value(name, value()?)?)?,
                "--script" => set_once(&mut opts.script, name, path_value(name, value()?)?)?,
                "--boot-extra" => {
                    set_once(&mut opts.boot_extra, name, path_value(name, value()?)?)?
                }
                "--require" => {
                    let text = value()?;
                    if text.is_empty() {
                        return Err(usage("--require needs a non-empty text"));
                    }
                    opts.require.push(text);
                }
                "--expect-fail" => opts.expect_fail = flag(name, &inline)?,
                "--expect-crash" => opts.expect_crash = flag(name, &inline)?,
                "--test" => opts.test = flag(name, &inline)?,
                _ => return Err(usage(format!("unexpected argument `{arg}`"))),
            }
        }
        Ok(opts)
    }

    /// The board, kernel and bootargs; `--board` and `--kernel` are required.
    fn boot(&self) -> Result<BootOptions, UsageError> {
        let board = self.board.ok_or_else(|| usage("missing --board"))?;
        let kernel = self
            .kernel
            .clone()
            .ok_or_else(|| usage("missing --kernel"))?;
        if kernel.as_os_str().is_empty() {
            return Err(usage("--kernel must not be empty"));
        }
        Ok(BootOptions {
            board,
            kernel,
            append: self.append.clone(),
            disks: self.disks.clone(),
        })
    }
}

impl Options {
    /// The options of `sdimage`: all but `--boot-extra` are required, and
    /// the board must be a Pi.
    fn sdimage(self) -> Result<SdImageOptions, UsageError> {
        let boot = self.boot()?;
        if boot.board == Board::Virt {
            return Err(usage(
                "sdimage makes images for rpi3 and rpi4 (virt boots without an SD card)",
            ));
        }
        let required = |value: Option<PathBuf>, name: &str| {
            value.ok_or_else(|| usage(format!("missing {name}")))
        };
        Ok(SdImageOptions {
            board: boot.board,
            kernel: boot.kernel,
            firmware: required(self.firmware, "--firmware")?,
            root: required(self.root, "--root")?,
            out: required(self.out, "--out")?,
            boot_extra: self.boot_extra,
        })
    }
}

/// A path option's value, which must not be empty.
fn path_value(name: &str, value: String) -> Result<PathBuf, UsageError> {
    if value.is_empty() {
        return Err(usage(format!("{name} must not be empty")));
    }
    Ok(PathBuf::from(value))
}

/// A flag's value (always true); `--flag=value` is an error.
fn flag(name: &str, inline: &Option<String>) -> Result<bool, UsageError> {
    match inline {
        Some(_) => Err(usage(format!("{name} takes no value"))),
        None => Ok(true),
    }
}

fn set_once<T>(slot: &mut Option<T>, name: &str, value: T) -> Result<(), UsageError> {
    if slot.is_some() {
        return Err(usage(format!("{name} given more than once")));
    }
    *slot = Some(value);
    Ok(())
}

fn parse_timeout(value: &str) -> Result<Duration, UsageError> {
    match value.parse::<u64>() {
        Ok(secs) if (1..=MAX_TIMEOUT_SECS).contains(&secs) => Ok(Duration::from_secs(secs)),
        _ => Err(usage(format!(
            "--timeout takes whole seconds from 1 to {MAX_TIMEOUT_SECS}, not `{value}`"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, UsageError> {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        parse_args(&args)
    }

    fn boot(board: Board, kernel: &str) -> BootOptions {
        BootOptions {
            board,
            kernel: kernel.into(),
            append: None,
            disks: Vec::new(),
        }
    }

    #[test]
    fn run_with_defaults() {
        assert_eq!(
            parse(&["run", "--board", "virt", "--kernel", "k.elf"]),
            Ok(Command::Run(RunOptions {
                boot: boot(Board::Virt, "k.elf"),
                timeout: DEFAULT_TIMEOUT,
                expect_fail: false,
                expect_crash: false,
                require: Vec::new(),
                log: None,
                symbols: None,
            }))
        );
    }

    #[test]
    fn run_with_every_option() {
        let parsed = parse(&[
            "run",
            "--kernel=k.elf",
            "--board=rpi4",
            "--timeout",
            "5",
            "--expect-fail",
            "--append",
            "a=b c",
            "--disk",
            "sd.img",
            "--log",
            "out.log",
        ]);
        let mut expected_boot = boot(Board::Rpi4, "k.elf");
        expected_boot.append = Some("a=b c".into());
        expected_boot.disks = vec!["sd.img".into()];
        assert_eq!(
            parsed,
            Ok(Command::Run(RunOptions {
                boot: expected_boot,
                timeout: Duration::from_secs(5),
                expect_fail: true,
                expect_crash: false,
                require: Vec::new(),
                log: Some("out.log".into()),
                symbols: None,
            }))
        );
    }

    #[test]
    fn run_expecting_a_crash() {
        let parsed = parse(&[
            "run",
            "--board",
            "rpi3",
            "--kernel",
            "kernel8.img",
            "--expect-crash",
            "--require",
            "FAR 0x10",
            "--symbols=k.elf",
            "--require=kernel panic",
        ]);
        assert_eq!(
            parsed,
            Ok(Command::Run(RunOptions {
                boot: boot(Board::Rpi3, "kernel8.img"),
                timeout: DEFAULT_TIMEOUT,
                expect_fail: false,
                expect_crash: true,
                require: vec!["FAR 0x10".into(), "kernel panic".into()],
                log: None,
                symbols: Some("k.elf".into()),
            }))
        );
    }

    #[test]
    fn shell_test_options() {
        let parsed = parse(&[
            "shell-test",
            "--board",
            "virt",
            "--kernel",
            "k.elf",
            "--disk",
            "root.img",
            "--disk=mnt.img",
            "--script",
            "basic.script",
            "--log=t.log",
        ]);
        let mut expected_boot = boot(Board::Virt, "k.elf");
        expected_boot.disks = vec!["root.img".into(), "mnt.img".into()];
        assert_eq!(
            parsed,
            Ok(Command::ShellTest(ShellTestOptions {
                boot: expected_boot,
                script: "basic.script".into(),
                timeout: DEFAULT_SHELL_TEST_TIMEOUT,
                log: Some("t.log".into()),
            }))
        );
        let parsed = parse(&[
            "shell-test",
            "--board=virt",
            "--kernel=k",
            "--script=s",
            "--timeout=7",
        ]);
        let Ok(Command::ShellTest(opts)) = parsed else {
            panic!("{parsed:?}");
        };
        assert_eq!(opts.timeout, Duration::from_secs(7));
        assert!(opts.boot.disks.is_empty());
    }

    #[test]
    fn symbolize() {
        assert_eq!(
            parse(&["symbolize", "k.elf"]),
            Ok(Command::Symbolize {
                elf: "k.elf".into()
            })
        );
    }

    #[test]
    fn qemu_passes_extra_arguments_through() {
        assert_eq!(
            parse(&["qemu", "--board", "rpi3", "--kernel", "k", "--", "-d", "int", "--board"]),
            Ok(Command::Qemu {
                boot: boot(Board::Rpi3, "k"),
                extra: vec!["-d".into(), "int".into(), "--board".into()],
            })
        );
    }

    #[test]
    fn qemu_cmd_test_flag() {
        assert_eq!(
            parse(&["qemu-cmd", "--test", "--board", "virt", "--kernel", "k"]),
            Ok(Command::QemuCmd {
                boot: boot(Board::Virt, "k"),
                test: true,
            })
        );
    }

    #[test]
    fn objcopy_and_help() {
        assert_eq!(
            parse(&["objcopy", "a.elf", "b.bin"]),
            Ok(Command::Objcopy {
                input: "a.elf".into(),
                output: "b.bin".into(),
            })
        );
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
    }

    #[test]
    fn sdimage_options() {
        let parsed = parse(&[
            "sdimage",
            "--board",
            "rpi4",
            "--kernel",
            "k.img",
            "--firmware=fw",
            "--root",
            "root",
            "--out",
            "sd.img",
        ]);
        let mut expected = SdImageOptions {
            board: Board::Rpi4,
            kernel: "k.img".into(),
            firmware: "fw".into(),
            root: "root".into(),
            out: "sd.img".into(),
            boot_extra: None,
        };
        assert_eq!(parsed, Ok(Command::SdImage(expected.clone())));
        let parsed = parse(&[
            "sdimage",
            "--board=rpi3",
            "--kernel=k.img",
            "--firmware=fw",
            "--root=root",
            "--out=sd.img",
            "--boot-extra=extra",
        ]);
        expected.board = Board::Rpi3;
        expected.boot_extra = Some("extra".into());
        assert_eq!(parsed, Ok(Command::SdImage(expected)));
    }

    #[test]
    fn usage_errors() {
        let cases: &[&[&str]] = &[
            &[],
            &["frobnicate"],
            &["objcopy", "a.elf"],
            &["objcopy", "a", "b", "c"],
            &["run", "--kernel", "k"],
            &["run", "--board", "virt"],
            &["run", "--board", "pi", "--kernel", "k"],
            &["run", "--board", "virt", "--kernel", "k", "--timeout", "0"],
            &[
                "run",
                "--board",
                "virt",
                "--kernel",
                "k",
                "--timeout",
                "soon",
            ],
            &["run", "--board", "virt", "--kernel", "k", "--timeout"],
            &["run", "--board", "virt", "--board", "rpi3", "--kernel", "k"],
            &["run", "--board", "virt", "--kernel", "k", "--test"],
            &["run", "--board", "virt", "--kernel", "k", "--", "-s"],
            &[
                "run",
                "--board",
                "virt",
                "--kernel",
                "k",
                "--expect-fail=yes",
            ],
            &["run", "--board", "virt", "--kernel", "k", "stray"],
            &[
                "run",
                "--board",
                "virt",
                "--kernel",
                "k",
                "--expect-crash",
                "--expect-fail",
            ],
            &["run", "--board", "virt", "--kernel", "k", "--require"],
            &["run", "--board", "virt", "--kernel", "k", "--require", ""],
            &[
                "run",
                "--board",
                "virt",
                "--kernel",
                "k",
                "--expect-crash=1",
            ],
            &[
                "run",
                "--board",
                "virt",
                "--kernel",
                "k",
                "--symbols",
                "a",
                "--symbols",
                "b",
            ],
            &["qemu", "--board", "virt", "--kernel", "k", "--expect-crash"],
            &["symbolize"],
            &["symbolize", "a", "b"],
            &["symbolize", "--help"],
            &["qemu", "--board", "virt", "--kernel", "k", "--timeout", "3"],
            &["qemu-cmd", "--board", "virt", "--kernel", ""],
            &[
                "sdimage",
                "--board",
                "rpi3",
                "--kernel",
                "k",
                "--firmware",
                "f",
                "--root",
                "r",
            ],
            &[
                "sdimage",
                "--board",
                "rpi3",
                "--kernel",
                "k",
                "--firmware",
                "f",
                "--out",
                "o",
            ],
            &[
                "sdimage", "--board", "rpi3", "--kernel", "k", "--root", "r", "--out", "o",
            ],
            &[
                "sdimage",
                "--board",
                "rpi3",
                "--firmware",
                "f",
                "--root",
                "r",
                "--out",
                "o",
            ],
            &[
                "sdimage",
                "--board",
                "virt",
                "--kernel",
                "k",
                "--firmware",
                "f",
                "--root",
                "r",
                "--out",
                "o",
            ],
            &[
                "sdimage",
                "--board",
                "rpi4",
                "--kernel",
                "k",
                "--firmware",
                "f",
                "--root",
                "r",
                "--out",
                "",
            ],
            &[
                "sdimage",
                "--board",
                "rpi4",
                "--kernel",
                "k",
                "--firmware",
                "f",
                "--root",
                "r",
                "--out",
                "o",
                "--timeout",
                "3",
            ],
            &["run", "--board", "virt", "--kernel", "k", "--root", "r"],
            &["shell-test", "--board", "virt", "--kernel", "k"],
            &[
                "shell-test",
                "--board",
                "virt",
                "--kernel",
                "k",
                "--script",
                "",
            ],
            &["shell-test", "--board", "virt", "--script", "s"],
            &[
                "shell-test",
                "--board",
                "virt",
                "--kernel",
                "k",
                "--script",
                "s",
                "--script",
                "t",
            ],
            &[
                "shell-test",
                "--board",
                "virt",
                "--kernel",
                "k",
                "--script",
                "s",
                "--expect-fail",
            ],
            &["run", "--board", "virt", "--kernel", "k", "--script", "s"],
        ];
        for case in cases {
            assert!(parse(case).is_err(), "{case:?} should be a usage error");
        }
    }
}
