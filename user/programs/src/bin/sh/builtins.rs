//! Commands the shell runs itself: `cd`, `pwd`, `exit`, `help`, `kill`,
//! `history`. Their output goes into a string the caller sends on (to the
//! console, a file or a pipe); errors go to the console.

use crate::Shell;
use alloc::string::String;
use core::fmt::Write;

/// Run `argv` if it is a builtin; its `$?`, or `None` if it is not one.
pub fn run(shell: &mut Shell, argv: &[String], out: &mut String) -> Option<i32> {
    let args: alloc::vec::Vec<&str> = argv[1..].iter().map(String::as_str).collect();
    Some(match argv[0].as_str() {
        "cd" => cd(&args),
        "pwd" => pwd(out),
        "exit" => exit(shell, &args),
        "help" => help(out),
        "kill" => kill(&args),
        "history" => history(shell, out),
        _ => return None,
    })
}

fn cd(args: &[&str]) -> i32 {
    let dir = args.first().copied().unwrap_or("/");
    if args.len() > 1 {
        rt::eprintln!("sh: cd: too many arguments");
        return 1;
    }
    match rt::fs::set_current_dir(dir) {
        Ok(()) => 0,
        Err(e) => {
            rt::eprintln!("sh: cd: {dir}: {e}");
            1
        }
    }
}

fn pwd(out: &mut String) -> i32 {
    match rt::fs::current_dir() {
        Ok(dir) => {
            let _ = writeln!(out, "{dir}");
            0
        }
        Err(e) => {
            rt::eprintln!("sh: pwd: {e}");
            1
        }
    }
}

fn exit(shell: &mut Shell, args: &[&str]) -> i32 {
    let code = match args.first() {
        None => shell.last_status,
        Some(n) => match n.parse::<i32>() {
            Ok(code) => code,
            Err(_) => {
                rt::eprintln!("sh: exit: {n}: numeric argument required");
                return 2;
            }
        },
    };
    shell.exit_request = Some(code);
    code
}

fn kill(args: &[&str]) -> i32 {
    if args.is_empty() {
        rt::eprintln!("usage: kill PID...");
        return userprogs::EXIT_USAGE;
    }
    let mut status = 0;
    for arg in args {
        if let Err(e) = userprogs::kill_pid(arg) {
            rt::eprintln!("sh: kill: {arg}: {e}");
            status = 1;
        }
    }
    status
}

fn history(shell: &Shell, out: &mut String) -> i32 {
    for (i, line) in shell.editor.history().enumerate() {
        let _ = writeln!(out, "{:5}  {line}", i + 1);
    }
    0
}

const SHELL_HELP: &str = "\
Shell syntax:
  cmd args...          run a program from /bin ('...' and \"...\" quote; $? is the last status)
  cmd < in > out       redirect stdin / stdout (>> appends)
  a | b | c            pipeline
  a ; b    a &         sequence; run in the background
  sh FILE, sh -c CMD   run a script or one command line
Keys: Left/Right/Home/End move, Up/Down history, Ctrl-U/Ctrl-W/Ctrl-K kill,
  Ctrl-C stops the running program, Ctrl-D on an empty line logs out.

Commands:
";

fn help(out: &mut String) -> i32 {
    out.push_str(SHELL_HELP);
    userprogs::write_commands(out, "  ");
    0
}
