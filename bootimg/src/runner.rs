//! Running QEMU for a test boot: spawns it with stdin on `/dev/null`, echoes
//! and records every console line as it arrives, enforces the timeout, and
//! always reaps the process.

use std::ffi::OsStr;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread;
use std::time::{Duration, Instant};

/// How often the process is checked while the console is quiet.
const POLL: Duration = Duration::from_millis(50);

/// How long to keep collecting console output after QEMU is gone. Output
/// normally ends at once; this only matters if something else still holds
/// the pipe open.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// What a captured run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutcome {
    /// The whole console log, one `\n`-terminated line per console line
    /// (with `\r` endings removed).
    pub log: String,
    /// QEMU's exit status; `None` if it was killed (timeout or signal).
    pub exit: Option<i32>,
    /// Whether the timeout expired and QEMU was killed.
    pub timed_out: bool,
}

/// Runs `program` with `args`, stdin on `/dev/null` and stdout captured: each
/// console line is written to `echo` as it arrives and kept in the log. QEMU
/// is killed and reaped if it runs longer than `timeout`. Its stderr goes
/// straight to ours.
pub fn run_captured(
    program: &OsStr,
    args: &[String],
    timeout: Duration,
    echo: &mut dyn Write,
) -> io::Result<RunOutcome> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let Some(stdout) = child.stdout.take() else {
        kill_and_reap(&mut child)?;
        return Err(io::Error::other("QEMU's stdout was not captured"));
    };
    let (sender, receiver) = mpsc::channel();
    // Not joined: if a grandchild kept the pipe open, the reader could block
    // for as long as it lives. Dropping the receiver lets it end on its own.
    thread::spawn(move || forward_lines(stdout, sender));
    let mut console = Console {
        lines: receiver,
        log: String::new(),
        echo,
        open: true,
    };

    let deadline = Instant::now().checked_add(timeout);
    let mut timed_out = false;
    let exit = loop {
        if let Some(status) = child.try_wait()? {
            break status.code();
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            kill_and_reap(&mut child)?;
            timed_out = true;
            break None;
        }
        console.pump(POLL);
    };
    console.drain(DRAIN_GRACE);
    Ok(RunOutcome {
        log: console.log,
        exit,
        timed_out,
    })
}

/// The last `n` lines of `log`.
pub fn tail(log: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// Kills the child (if it is still running) and waits for it.
fn kill_and_reap(child: &mut Child) -> io::Result<()> {
    child.kill()?;
    child.wait()?;
    Ok(())
}

/// Reads `source` line by line and sends each line, without its line ending,
/// until end of file, a read error, or the receiver is gone.
fn forward_lines(source: impl Read, sender: Sender<String>) {
    let mut reader = BufReader::new(source);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let line = String::from_utf8_lossy(&buf);
                let line = line.trim_end_matches(['\n', '\r']).to_string();
                if sender.send(line).is_err() {
                    return;
                }
            }
        }
    }
}

/// The receiving end of the console: echoes and records lines.
struct Console<'a> {
    lines: Receiver<String>,
    log: String,
    echo: &'a mut dyn Write,
    /// False once the reader has finished (end of file).
    open: bool,
}

impl Console<'_> {
    /// Waits up to `wait` for console output and takes all that has arrived.
    fn pump(&mut self, wait: Duration) {
        if !self.open {
            thread::sleep(wait);
            return;
        }
        match self.lines.recv_timeout(wait) {
            Ok(line) => self.record(&line),
            Err(RecvTimeoutError::Timeout) => return,
            Err(RecvTimeoutError::Disconnected) => {
                self.open = false;
                return;
            }
        }
        while let Ok(line) = self.lines.try_recv() {
            self.record(&line);
        }
    }

    /// Takes the remaining output until the reader finishes or `grace` runs out.
    fn drain(&mut self, grace: Duration) {
        let give_up = Instant::now() + grace;
        while self.open {
            let left = give_up.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.record(&line),
                Err(_) => self.open = false,
            }
        }
    }

    fn record(&mut self, line: &str) {
        // Echo failures (say, a closed pipe) must not stop the run.
        let _ = writeln!(self.echo, "{line}");
        let _ = self.echo.flush();
        self.log.push_str(line);
        self.log.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), ["b", "c"]);
        assert_eq!(tail("a\nb\n", 5), ["a", "b"]);
        assert!(tail("", 3).is_empty());
    }

    #[test]
    fn forward_lines_strips_line_endings() {
        let (sender, receiver) = mpsc::channel();
        forward_lines(&b"one\r\ntwo\n\nthree"[..], sender);
        let lines: Vec<String> = receiver.iter().collect();
        assert_eq!(lines, ["one", "two", "", "three"]);
    }

    #[test]
    fn forward_lines_tolerates_invalid_utf8() {
        let (sender, receiver) = mpsc::channel();
        forward_lines(&b"ok \xff\n"[..], sender);
        assert_eq!(receiver.recv().unwrap(), "ok \u{fffd}");
    }

    #[test]
    fn missing_program_is_an_error() {
        let mut sink = Vec::new();
        let result = run_captured(
            OsStr::new("/nonexistent/bootimg-test/qemu"),
            &[],
            Duration::from_secs(1),
            &mut sink,
        );
        assert!(result.is_err());
    }
}
