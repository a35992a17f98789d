//! `init`: the first process. Until the shell exists it greets, runs
//! `hello` and then echoes console input line by line.
#![no_std]
#![no_main]

use rt::{print, println, sys};

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    println!(
        "init: started (pid {})",
        sys::process_info(0).map(|p| p.pid).unwrap_or(0)
    );
    match sys::spawn("hello", &["from", "init"]) {
        Ok(pid) => match sys::wait(pid) {
            Ok(status) => println!("init: hello ended: {status:?}"),
            Err(e) => println!("init: wait failed: {e}"),
        },
        Err(e) => println!("init: cannot start hello: {e}"),
    }
    println!("init: no shell yet; typed characters are echoed (Ctrl-A X quits QEMU)");
    let mut buf = [0u8; 64];
    loop {
        match sys::console_read(&mut buf) {
            Ok(n) => {
                for &b in &buf[..n] {
                    match b {
                        b'\r' | b'\n' => println!(),
                        0x7f | 0x08 => print!("\x08 \x08"),
                        _ => {
                            let _ = sys::debug_write(&[b]);
                        }
                    }
                }
            }
            Err(e) => {
                println!("init: console read failed: {e}");
                return 1;
            }
        }
    }
}
