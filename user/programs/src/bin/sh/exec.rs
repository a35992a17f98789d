//! Running pipelines: redirections, channels between the commands,
//! spawning, waiting with the console's Ctrl-C aimed at the program being
//! waited for, and background jobs.

use crate::parse::{Command, Pipeline};
use crate::{builtins, Shell};
use alloc::string::String;
use alloc::vec::Vec;
use rt::abi::process::{resource, DEFAULT_CHILD_LIMITS, RESOURCES};
use rt::abi::ExitStatus;
use rt::fs::File;
use rt::sys;
use rt::Child;
use rt::Error;

/// `$?` of a program that was killed (Ctrl-C or `kill`).
pub const STATUS_KILLED: i32 = 137;
/// `$?` of a program the kernel ended for a fault.
pub const STATUS_FAULT: i32 = 139;
/// `$?` when a program could not be started.
pub const STATUS_NOT_STARTED: i32 = 127;

/// A started program.
pub struct Job {
    pub child: Child,
    pub name: String,
}

/// A handle the shell owns until a child takes it; closed if dropped.
struct Owned(u32);

impl Owned {
    fn from_file(f: File) -> Owned {
        Owned(f.into_handle())
    }

    fn raw(this: &Option<Owned>) -> u32 {
        this.as_ref().map_or(0, |h| h.0)
    }

    /// A duplicate of this shell's own stdin or stdout handle (for a child
    /// that inherits it), or `None` when that is the console.
    fn inherited(own: Option<u32>) -> Option<Owned> {
        let h = own?;
        let (_, rights) = sys::handle_info(h).ok()?;
        sys::handle_dup(h, rights).ok().map(Owned)
    }

    /// The handle (if any) was moved to a child: forget it.
    fn given(this: Option<Owned>) {
        core::mem::forget(this);
    }
}

impl Drop for Owned {
    fn drop(&mut self) {
        let _ = sys::handle_close(self.0);
    }
}

/// The shell's number for an exit status.
pub fn status_code(status: ExitStatus) -> i32 {
    match status {
        ExitStatus::Exited(code) => code,
        ExitStatus::Killed => STATUS_KILLED,
        ExitStatus::Faulted(_) => STATUS_FAULT,
    }
}

/// Print a status worth showing: `[exit N]`, `[killed]`, `[fault: why]`.
fn show_status(status: ExitStatus, faults_only: bool) {
    match status {
        ExitStatus::Exited(0) => {}
        ExitStatus::Exited(code) if !faults_only => rt::eprintln!("[exit {code}]"),
        ExitStatus::Killed if !faults_only => rt::eprintln!("[killed]"),
        ExitStatus::Faulted(kind) => rt::eprintln!("[fault: {}]", kind.name()),
        _ => {}
    }
}

/// Limits for a program: half of what this shell has spare of each
/// resource, or the default where that is more. A program can then start
/// programs of its own (a script, `utest`, `bench`), while the shell keeps
/// the other half, so no command can take the shell's whole budget.
fn limits_for(program: &str) -> [u64; RESOURCES] {
    let mut limits = [0; RESOURCES];
    let Ok(me) = sys::process_info(0) else {
        return limits;
    };
    for r in 0..RESOURCES {
        let half = me.limits[r].saturating_sub(me.used[r]) / 2;
        if half > DEFAULT_CHILD_LIMITS[r] {
            limits[r] = half;
        }
    }
    if userprogs::path::basename(program) == "sh" && limits[resource::PROCESSES] == 0 {
        rt::eprintln!("sh: note: no process slots to lend; {program} cannot start programs");
    }
    limits
}

fn open_out(path: &str, append: bool) -> Result<File, Error> {
    use rt::abi::fs::open;
    let mode = if append {
        open::WRITE | open::CREATE | open::APPEND
    } else {
        open::WRITE | open::CREATE | open::TRUNCATE
    };
    File::open_with(path, mode, 0o644)
}

/// What starting one command of a pipeline gave.
enum Started {
    /// A child is running.
    Running(Job),
    /// It finished at once (a builtin, or it could not start): `$?`.
    Done(i32),
}

impl Shell {
    /// Run a pipeline to completion (or in the background) and set `$?`.
    pub fn run_pipeline(&mut self, pipeline: &Pipeline) {
        let status = self.last_status;
        let n = pipeline.commands.len();
        let mut running = Vec::new();
        let mut last_done = None;
        let mut pipe_in: Option<Owned> = None;
        for (i, command) in pipeline.commands.iter().enumerate() {
            let (pipe_out, next_in) = if i + 1 < n {
                match sys::channel_create() {
                    Ok((w, r)) => (Some(Owned(w)), Some(Owned(r))),
                    Err(e) => {
                        rt::eprintln!("sh: pipe: {e}");
                        last_done = Some(1);
                        break;
                    }
                }
            } else {
                (None, None)
            };
            match self.start(command, status, pipe_in.take(), pipe_out) {
                Started::Running(job) => running.push(job),
                Started::Done(status) if i + 1 == n => last_done = Some(status),
                Started::Done(_) => {}
            }
            pipe_in = next_in;
        }
        drop(pipe_in);
        if pipeline.background {
            for job in &running {
                rt::eprintln!("[{}] {}", job.child.pid(), job.name);
            }
            self.jobs.extend(running);
            self.last_status = last_done.unwrap_or(0);
            return;
        }
        let waited = self.wait_all(&running, last_done.is_none());
        self.last_status = last_done.or(waited).unwrap_or(0);
    }

    /// Open the redirections and start one command (or run a builtin),
    /// with `$?` = `status`.
    fn start(
        &mut self,
        command: &Command,
        status: i32,
        pipe_in: Option<Owned>,
        pipe_out: Option<Owned>,
    ) -> Started {
        let stdin = match &command.stdin {
            None => pipe_in.or_else(|| Owned::inherited(rt::stdin_handle())),
            Some(word) => {
                let path = word.expand(status);
                match File::open(&path) {
                    Ok(f) => Some(Owned::from_file(f)),
                    Err(e) => {
                        rt::eprintln!("sh: {path}: {e}");
                        return Started::Done(1);
                    }
                }
            }
        };
        let stdout = match &command.stdout {
            None => pipe_out.or_else(|| Owned::inherited(rt::stdout_handle())),
            Some(out) => {
                let path = out.path.expand(status);
                match open_out(&path, out.append) {
                    Ok(f) => Some(Owned::from_file(f)),
                    Err(e) => {
                        rt::eprintln!("sh: {path}: {e}");
                        return Started::Done(1);
                    }
                }
            }
        };
        let argv: Vec<String> = command.argv.iter().map(|w| w.expand(status)).collect();
        let Some(name) = argv.first() else {
            return Started::Done(0);
        };
        if let Some(status) = self.builtin(&argv, stdout.as_ref().map(|h| h.0)) {
            return Started::Done(status);
        }
        let args: Vec<&str> = argv[1..].iter().map(String::as_str).collect();
        let stdio = [Owned::raw(&stdin), Owned::raw(&stdout)];
        match sys::spawn_full(name, &args, &[], limits_for(name), stdio) {
            Ok(child) => {
                Owned::given(stdin);
                Owned::given(stdout);
                Started::Running(Job {
                    child,
                    name: name.clone(),
                })
            }
            Err(Error::NotFound) => {
                rt::eprintln!("sh: {name}: not found");
                Started::Done(STATUS_NOT_STARTED)
            }
            Err(e) => {
                rt::eprintln!("sh: {name}: {e}");
                Started::Done(STATUS_NOT_STARTED)
            }
        }
    }

    /// Run `argv` if it names a builtin, with its output to `stdout` (the
    /// console if `None`); `None` if it is not a builtin.
    fn builtin(&mut self, argv: &[String], stdout: Option<u32>) -> Option<i32> {
        let mut out = String::new();
        let status = builtins::run(self, argv, &mut out)?;
        match stdout {
            None => userprogs::write_console(out.as_bytes()),
            Some(h) => {
                if let Err(e) = userprogs::write_all(h, out.as_bytes()) {
                    rt::eprintln!("sh: {}: write error: {e}", argv[0]);
                    return Some(1);
                }
            }
        }
        Some(status)
    }

    /// Wait for a pipeline's programs, last first, each in turn the
    /// console's foreground (Ctrl-C kills it). Once one was killed, the
    /// rest are killed too, and a script stops (as it would on Ctrl-C).
    /// Returns the last program's `$?` and shows its status if
    /// `show_last`.
    fn wait_all(&mut self, jobs: &[Job], show_last: bool) -> Option<i32> {
        let mut last = None;
        let mut kill_rest = false;
        for (i, job) in jobs.iter().enumerate().rev() {
            let is_last = i + 1 == jobs.len();
            if kill_rest {
                let _ = job.child.kill();
            }
            let _ = sys::console_foreground(job.child.handle());
            let status = match job.child.wait() {
                Ok(status) => status,
                Err(e) => {
                    rt::eprintln!("sh: wait for {}: {e}", job.name);
                    ExitStatus::Exited(1)
                }
            };
            kill_rest |= status == ExitStatus::Killed;
            show_status(status, !(is_last && show_last));
            if is_last {
                last = Some(status_code(status));
            }
        }
        if kill_rest && !self.interactive {
            self.exit_request = Some(STATUS_KILLED);
        }
        self.release_console();
        last
    }

    /// Between commands, Ctrl-C goes to the interactive shell itself (as a
    /// byte it reads) or ends a script.
    fn release_console(&self) {
        let target = match &self.this {
            Some(this) if !self.interactive => this.handle(),
            _ => 0,
        };
        let _ = sys::console_foreground(target);
    }

    /// Collect background programs that ended, and say so.
    pub fn reap_jobs(&mut self) {
        self.jobs.retain(|job| match job.child.try_wait() {
            Err(Error::WouldBlock) => true,
            Ok(status) => {
                rt::eprintln!("[{}] done: {}", job.child.pid(), job.name);
                show_status(status, false);
                false
            }
            Err(_) => false,
        });
    }
}
