//! `fpspin`: keeps every FP/SIMD register busy with junk, forever, so a
//! kernel that failed to switch FP state would corrupt other processes.
#![no_std]
#![no_main]

rt::entry!(main);

fn main(_args: rt::Args) -> i32 {
    loop {
        // SAFETY: writes only FP/SIMD registers, all declared clobbered.
        unsafe {
            core::arch::asm!(
                "movi v0.16b, #0xa5", "movi v1.16b, #0x5a", "movi v2.16b, #0xff", "movi v3.16b, #0x11",
                "movi v4.16b, #0x22", "movi v5.16b, #0x33", "movi v6.16b, #0x44", "movi v7.16b, #0x55",
                "movi v8.16b, #0x66", "movi v9.16b, #0x77", "movi v10.16b, #0x88", "movi v11.16b, #0x99",
                "movi v12.16b, #0xaa", "movi v13.16b, #0xbb", "movi v14.16b, #0xcc", "movi v15.16b, #0xdd",
                "movi v16.16b, #0xee", "movi v17.16b, #0x12", "movi v18.16b, #0x34", "movi v19.16b, #0x56",
                "movi v20.16b, #0x78", "movi v21.16b, #0x9a", "movi v22.16b, #0xbc", "movi v23.16b, #0xde",
                "movi v24.16b, #0xf0", "movi v25.16b, #0x0f", "movi v26.16b, #0x1e", "movi v27.16b, #0x2d",
                "movi v28.16b, #0x3c", "movi v29.16b, #0x4b", "movi v30.16b, #0x5a", "movi v31.16b, #0x69",
                out("v0") _, out("v1") _, out("v2") _, out("v3") _, out("v4") _, out("v5") _, out("v6") _, out("v7") _,
                out("v8") _, out("v9") _, out("v10") _, out("v11") _, out("v12") _, out("v13") _, out("v14") _, out("v15") _,
                out("v16") _, out("v17") _, out("v18") _, out("v19") _, out("v20") _, out("v21") _, out("v22") _, out("v23") _,
                out("v24") _, out("v25") _, out("v26") _, out("v27") _, out("v28") _, out("v29") _, out("v30") _, out("v31") _,
            );
        }
    }
}
