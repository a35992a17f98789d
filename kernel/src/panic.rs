//! The panic handler: message, location and a backtrace on the console, then
//! a failure exit under QEMU in test builds (so the host runner sees it), or
//! a halt on a real board.

use core::panic::PanicInfo;

#[panic_handler]
fn panic(info: &PanicInfo) -> ! {
    crate::console::emergency(|out| {
        let _ = write!(out, "\n*** kernel panic");
        if let Some(loc) = info.location() {
            let _ = write!(out, " at {}:{}:{}", loc.file(), loc.line(), loc.column());
        }
        let _ = writeln!(out, ": {}", info.message());
        crate::arch::backtrace::print(out);
    });
    if cfg!(feature = "ktest") {
        crate::arch::semihosting::exit(101)
    }
    crate::arch::cpu::halt()
}
