//! `host` steps: a command run with `sh -c` on the host, in the script's
//! directory, with the script's variables in its environment, stdin on
//! `/dev/null` and stdout captured; killed if it outlives its deadline.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How often a running host command is checked.
const POLL: Duration = Duration::from_millis(10);

/// Runs `command` and returns its stdout, or a message saying why it
/// failed (could not start, exited non-zero, was killed, ran too long).
pub fn run(
    command: &str,
    dir: &Path,
    env: &[(String, String)],
    deadline: Instant,
) -> Result<String, String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot run sh: {e}"))?;
    let (sender, receiver) = mpsc::channel();
    if let Some(mut stdout) = child.stdout.take() {
        // Not joined: a background process could hold the pipe open.
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let result = stdout.read_to_end(&mut bytes).map(|_| bytes);
            let _ = sender.send(result);
        });
    }
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err("timed out; killed it".into());
            }
            Ok(None) => thread::sleep(POLL),
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("cannot wait for it: {e}"));
            }
        }
    };
    if !status.success() {
        return Err(match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => format!("ended by a signal ({status})"),
        });
    }
    let left = deadline.saturating_duration_since(Instant::now());
    match receiver.recv_timeout(left) {
        Ok(Ok(bytes)) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Ok(Err(e)) => Err(format!("cannot read its output: {e}")),
        Err(_) => Err("its output was still open when the time ran out".into()),
    }
}

/// A command's output as a variable's value: without the trailing
/// newlines (as `$(...)` in a shell).
pub fn trim_output(output: &str) -> &str {
    output.trim_end_matches(['\n', '\r'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn soon(secs: u64) -> Instant {
        Instant::now() + Duration::from_secs(secs)
    }

    #[test]
    fn captures_stdout_with_env_and_dir() {
        let env = [("GREETING".to_string(), "hello there".to_string())];
        let out = run("echo \"$GREETING\"; pwd", Path::new("/"), &env, soon(10));
        assert_eq!(out.as_deref(), Ok("hello there\n/\n"));
    }

    #[test]
    fn failures_are_reported() {
        let err = run("exit 3", Path::new("/"), &[], soon(10)).unwrap_err();
        assert_eq!(err, "exited with status 3");
        let err = run("true", Path::new("/nonexistent-dir"), &[], soon(10)).unwrap_err();
        assert!(err.starts_with("cannot run sh"), "{err}");
    }

    #[test]
    fn slow_commands_are_killed() {
        let start = Instant::now();
        let err = run(
            "sleep 30",
            Path::new("/"),
            &[],
            Instant::now() + Duration::from_millis(200),
        )
        .unwrap_err();
        assert_eq!(err, "timed out; killed it");
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn trailing_newlines_are_trimmed() {
        assert_eq!(trim_output("abc  x\n\n"), "abc  x");
        assert_eq!(trim_output("a\nb\r\n"), "a\nb");
    }
}
