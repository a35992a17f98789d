//! `spin`: loops forever without system calls (a preemption test subject).
#![no_std]
#![no_main]

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    let mut x: u64 = 0;
    loop {
        x = core::hint::black_box(x.wrapping_add(1));
    }
}
