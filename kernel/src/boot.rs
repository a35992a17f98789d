//! The boot sequence once Rust runs: console, memory discovery, kernel page
//! tables, frame allocator, heap, interrupts and timer, then the banner and
//! either the test suite (test builds) or the first process, `init`.

use crate::arch::{cpu, mmu, timer};
use crate::mm::{frames, heap, layout::KernelImage, memmap};
use crate::{println, BOARD_RESERVED_MAX};
use bsp_api::Board;
use klib::frames::Range;

/// Frames kept out of the root account, for the kernel's own use.
const KERNEL_FRAME_RESERVE: usize = 1024;

/// Facts gathered during boot, for the banner and the tests.
pub struct BootInfo {
    pub ram_bytes: usize,
    pub free_frames_at_boot: usize,
    pub source: memmap::Source,
}

static BOOT_INFO: spin::Once<BootInfo> = spin::Once::new();

/// What boot found (after boot has run).
pub fn info() -> &'static BootInfo {
    BOOT_INFO
        .get()
        .expect("boot info read before boot finished")
}

static BOOTARGS: spin::Once<alloc::string::String> = spin::Once::new();

/// The kernel command line, if the boot loader passed one.
pub fn bootargs() -> &'static str {
    BOOTARGS.get().map(|s| s.as_str()).unwrap_or("")
}

pub fn start(board: &'static dyn Board, boot_x0: usize) -> ! {
    board.early_init();
    board.console().init();
    println!();
    println!(
        "[boot] kernel {} starting on {}",
        env!("CARGO_PKG_VERSION"),
        board.name()
    );

    let map = memmap::discover(board, boot_x0).unwrap_or_else(|e| panic!("no RAM: {e:?}"));
    let image = KernelImage::get();

    if let Err(e) = mmu::init(map.ram(), board.mmio(), &image) {
        panic!("building kernel page tables failed: {e:?}");
    }

    let mut reserved = [Range::new(0, 0); BOARD_RESERVED_MAX + 2];
    let mut n = 0;
    reserved[n] = image.whole();
    n += 1;
    if let Some(dtb) = map.dtb {
        reserved[n] = dtb;
        n += 1;
    }
    for r in board.reserved().iter().take(BOARD_RESERVED_MAX) {
        reserved[n] = Range::new(r.start, r.end());
        n += 1;
    }
    if let Err(e) = frames::init(map.ram(), &reserved[..n]) {
        panic!("frame allocator: {e:?}");
    }
    assert!(heap::init(), "no memory for the kernel heap");
    // Processes may use every free frame but a reserve for the kernel's own
    // later needs (kernel page tables); see crate::ipc for the other pools.
    crate::ipc::init_root(
        frames::free_count().saturating_sub(KERNEL_FRAME_RESERVE),
        crate::task::sched::MAX_PROCS,
    );
    BOOTARGS.call_once(|| map.bootargs().into());

    let pan = cpu::enable_pan();
    board.interrupts().init();
    crate::irq::start_timer();
    crate::block::init(board);
    crate::fs::mount_disks(&crate::block::disks());
    crate::console::enable_input();
    cpu::enable_irqs();

    BOOT_INFO.call_once(|| BootInfo {
        ram_bytes: map.total_ram(),
        free_frames_at_boot: frames::free_count(),
        source: map.source,
    });
    banner(board, &map, pan);

    #[cfg(feature = "ktest")]
    crate::ktest::run_all();
    #[cfg(not(feature = "ktest"))]
    run_init(board)
}

/// Start `init` from the boot archive and run processes for good; if it
/// ends, power off. Without an `init`, fall back to echoing the console.
#[cfg(not(feature = "ktest"))]
fn run_init(board: &dyn Board) -> ! {
    use crate::task::sched;
    let args: [&[u8]; 1] = [b"init"];
    let spec = sched::SpawnSpec {
        name: "init",
        args: &args,
        handles: &[],
        stdio: [0, 0],
        limits: None,
    };
    match sched::spawn(0, &spec) {
        Ok(_) => {
            sched::run_until(|| sched::count() == 0);
            println!(
                "[boot] init ended ({:?}); powering off",
                sched::last_kernel_child()
            );
            board.power().shutdown()
        }
        Err(e) => {
            println!("[boot] cannot start init: {e}");
            echo_loop()
        }
    }
}

fn banner(board: &dyn Board, map: &memmap::MemoryMap, pan: bool) {
    let freq = timer::frequency();
    println!("================================================================");
    println!(" board      {}", board.name());
    println!(
        " cpu        {} (entered at EL{}, running at EL1)",
        cpu::model(),
        cpu::boot_el()
    );
    println!(
        " ram        {} MiB in {} range(s), from the {}",
        map.total_ram() >> 20,
        map.ram_count,
        match map.source {
            memmap::Source::DeviceTree => "device tree",
            memmap::Source::Firmware => "firmware mailbox",
        }
    );
    for r in map.ram() {
        println!("            {:#012x}..{:#012x}", r.start, r.end);
    }
    println!(" free       {} KiB in frames", frames::free_count() * 4);
    println!(
        " timer      {}.{:03} MHz, tick {} Hz",
        freq / 1_000_000,
        (freq / 1000) % 1000,
        crate::irq::TICK_HZ
    );
    println!(" irq        {}", board.interrupts().name());
    println!(
        " pan        {}",
        if pan {
            "on"
        } else {
            "not implemented by this CPU"
        }
    );
    for d in crate::block::disks() {
        println!(
            " disk       {} ({} MiB)",
            d.name(),
            (d.sectors() * 512) >> 20
        );
    }
    if !map.bootargs().is_empty() {
        println!(" bootargs   {}", map.bootargs());
    }
    println!("================================================================");
}

#[cfg(not(feature = "ktest"))]
fn echo_loop() -> ! {
    println!("Typed characters are echoed. Ctrl-A X quits QEMU.");
    loop {
        match crate::console::wait_byte() {
            b'\r' | b'\n' => println!(),
            0x7f | 0x08 => crate::print!("\x08 \x08"),
            b => {
                let s = [b];
                if let Ok(text) = core::str::from_utf8(&s) {
                    crate::print!("{text}");
                }
            }
        }
    }
}
