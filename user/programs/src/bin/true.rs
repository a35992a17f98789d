//! `true`: do nothing, successfully.
#![no_std]
#![no_main]

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    0
}
