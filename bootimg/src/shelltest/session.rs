//! One QEMU run driven like a terminal: its stdin is a pipe we type into,
//! its stdout (the serial console) is read by a thread and handed over in
//! chunks as they arrive. Dropping the session kills and reaps QEMU if it
//! is still running.

use std::ffi::OsStr;
use std::io::{self, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

/// How often the process is checked while the console is quiet.
const POLL: Duration = Duration::from_millis(20);

/// How long to keep reading the console once QEMU has exited.
const DRAIN_GRACE: Duration = Duration::from_secs(2);

/// What waiting for console output gave.
#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    /// Bytes from the console.
    Chunk(Vec<u8>),
    /// The deadline passed first.
    Timeout,
    /// The console was closed: QEMU has exited (or is exiting).
    Closed,
}

/// A running QEMU.
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    chunks: Receiver<Vec<u8>>,
    open: bool,
    status: Option<ExitStatus>,
}

impl Session {
    /// Starts `program` with `args`, stdin and stdout piped, stderr ours.
    pub fn start(program: &OsStr, args: &[String]) -> io::Result<Session> {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take();
        let (sender, chunks) = mpsc::channel();
        let Some(mut stdout) = child.stdout.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("QEMU's stdout was not captured"));
        };
        // Not joined: if something else kept the pipe open, the reader
        // could block for as long as it lives; it ends when we are gone.
        thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match stdout.read(&mut buf) {
                    Ok(0) => return,
                    Ok(n) => {
                        if sender.send(buf[..n].to_vec()).is_err() {
                            return;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return,
                }
            }
        });
        Ok(Session {
            child,
            stdin,
            chunks,
            open: true,
            status: None,
        })
    }

    /// Types `bytes` (all at once).
    pub fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "QEMU's input is closed",
            ));
        };
        stdin.write_all(bytes)?;
        stdin.flush()
    }

    /// Waits until `deadline` for the next chunk of console output.
    pub fn next_output(&mut self, deadline: Instant) -> Output {
        if !self.open {
            return Output::Closed;
        }
        let wait = deadline.saturating_duration_since(Instant::now());
        match self.chunks.recv_timeout(wait) {
            Ok(chunk) => Output::Chunk(chunk),
            Err(RecvTimeoutError::Timeout) => Output::Timeout,
            Err(RecvTimeoutError::Disconnected) => {
                self.open = false;
                Output::Closed
            }
        }
    }

    /// QEMU's exit status, if it has exited.
    pub fn try_status(&mut self) -> io::Result<Option<ExitStatus>> {
        if self.status.is_none() {
            self.status = self.child.try_wait()?;
        }
        Ok(self.status)
    }

    /// Waits until `deadline` for QEMU to exit, passing console output to
    /// `sink` meanwhile and, once it has exited, what is left of it
    /// (briefly). `None` if it was still running at the deadline.
    pub fn wait_exit(
        &mut self,
        deadline: Instant,
        sink: &mut dyn FnMut(&[u8]),
    ) -> io::Result<Option<ExitStatus>> {
        loop {
            if let Some(status) = self.try_status()? {
                self.drain(sink);
                return Ok(Some(status));
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let step = deadline.min(now + POLL);
            match self.next_output(step) {
                Output::Chunk(chunk) => sink(&chunk),
                Output::Timeout => {}
                Output::Closed => thread::sleep(step.saturating_duration_since(Instant::now())),
            }
        }
    }

    /// Passes on the console output still in flight after QEMU exited.
    fn drain(&mut self, sink: &mut dyn FnMut(&[u8])) {
        let give_up = Instant::now() + DRAIN_GRACE;
        while let Output::Chunk(chunk) = self.next_output(give_up) {
            sink(&chunk);
        }
    }

    /// Kills QEMU if it is still running, and reaps it. Returns its exit
    /// status if it had exited by itself.
    pub fn stop(&mut self) -> Option<ExitStatus> {
        self.stdin = None;
        if let Ok(Some(status)) = self.try_status() {
            return Some(status);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(10)
    }

    fn sh(script: &str) -> Session {
        let args = ["-c".to_string(), script.to_string()];
        Session::start(OsStr::new("sh"), &args).unwrap()
    }

    #[test]
    fn typed_input_reaches_the_program() {
        let mut session = sh("read line; echo \"got $line\"; exit 4");
        session.write(b"hello\n").unwrap();
        let mut out = Vec::new();
        let status = session
            .wait_exit(soon(), &mut |chunk| out.extend_from_slice(chunk))
            .unwrap();
        assert_eq!(status.and_then(|s| s.code()), Some(4));
        assert_eq!(out, b"got hello\n");
        assert_eq!(session.next_output(soon()), Output::Closed);
    }

    #[test]
    fn quiet_program_times_out_and_is_killed() {
        let mut session = sh("sleep 30");
        let start = Instant::now();
        let deadline = start + Duration::from_millis(100);
        assert_eq!(session.next_output(deadline), Output::Timeout);
        assert_eq!(session.wait_exit(deadline, &mut |_| {}).unwrap(), None);
        assert_eq!(session.stop(), None);
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn missing_program_is_an_error() {
        assert!(Session::start(OsStr::new("/nonexistent/bootimg/qemu"), &[]).is_err());
    }
}
