//! `utest`: the user-space test suite. Prints `test NAME ... ok|FAILED`
//! per test; in a kernel test build it hands its counts to the kernel's
//! summary (`ktest_report`), otherwise it prints `N passed, N failed`.
#![no_std]
#![no_main]

extern crate alloc;

mod fs;
mod ipc;
mod process;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use rt::{println, sys, Error};

rt::entry!(main);

/// Why a test did not pass: it failed, or it could not run here.
pub struct Fail(pub String, pub bool);

impl Fail {
    /// The test does not apply to this boot (e.g. no second disk).
    pub fn skip(why: &str) -> Fail {
        Fail(why.into(), true)
    }
}

impl From<String> for Fail {
    fn from(s: String) -> Self {
        Fail(s, false)
    }
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail(format!("unexpected error: {e}"), false)
    }
}

pub type TestResult = Result<(), Fail>;

#[macro_export]
macro_rules! check {
    ($cond:expr) => {
        if !$cond {
            return Err($crate::Fail::from(alloc::format!("check failed: {} (line {})", stringify!($cond), line!())));
        }
    };
    ($cond:expr, $($arg:tt)+) => {
        if !$cond {
            return Err($crate::Fail::from(alloc::format!("{} (line {})", alloc::format!($($arg)+), line!())));
        }
    };
}

#[macro_export]
macro_rules! check_eq {
    ($a:expr, $b:expr) => {{
        let (a, b) = (&$a, &$b);
        if a != b {
            return Err($crate::Fail::from(alloc::format!(
                "{} == {}: {:?} != {:?} (line {})",
                stringify!($a),
                stringify!($b),
                a,
                b,
                line!()
            )));
        }
    }};
}

/// A named test.
type Test = (&'static str, fn() -> TestResult);

/// Every test, in the order they run.
const TESTS: &[Test] = &[
    // processes
    (
        "spawn_wait_reports_exit_codes",
        process::spawn_wait_reports_exit_codes,
    ),
    (
        "spawn_exit_cycles_leave_no_leak",
        process::spawn_exit_cycles_leave_no_leak,
    ),
    (
        "process_handles_wait_and_kill",
        process::process_handles_wait_and_kill,
    ),
    (
        "process_open_only_reaches_descendants",
        process::process_open_only_reaches_descendants,
    ),
    (
        "process_handle_travels_in_a_message",
        process::process_handle_travels_in_a_message,
    ),
    (
        "spawn_needs_room_for_the_child_handle",
        process::spawn_needs_room_for_the_child_handle,
    ),
    (
        "closing_the_handle_detaches_the_child",
        process::closing_the_handle_detaches_the_child,
    ),
    (
        "each_fault_kills_only_the_child",
        process::each_fault_kills_only_the_child,
    ),
    (
        "preemption_lets_the_parent_run",
        process::preemption_lets_the_parent_run,
    ),
    ("sleep_wakes_on_time", process::sleep_wakes_on_time),
    (
        "children_quota_is_enforced",
        process::children_quota_is_enforced,
    ),
    (
        "fp_state_survives_context_switches",
        process::fp_state_survives_context_switches,
    ),
    (
        "bad_pointers_are_bad_address",
        process::bad_pointers_are_bad_address,
    ),
    (
        "unknown_and_malformed_calls_are_errors",
        process::unknown_and_malformed_calls_are_errors,
    ),
    ("map_unmap_round_trip", process::map_unmap_round_trip),
    (
        "memory_quota_exceeded_keeps_the_process_alive",
        process::memory_quota_exceeded_keeps_the_process_alive,
    ),
    ("heap_allocations_work", process::heap_allocations_work),
    // channels and handles
    (
        "round_trip_with_bytes_and_handles",
        ipc::round_trip_with_bytes_and_handles,
    ),
    (
        "order_preserved_across_handle_transfer",
        ipc::order_preserved_across_handle_transfer,
    ),
    ("empty_queue_would_block", ipc::empty_queue_would_block),
    (
        "send_to_closed_peer_keeps_handles",
        ipc::send_to_closed_peer_keeps_handles,
    ),
    (
        "peer_drains_then_sees_closed",
        ipc::peer_drains_then_sees_closed,
    ),
    ("nested_teardown_200_deep", ipc::nested_teardown_200_deep),
    (
        "oversized_messages_lose_nothing",
        ipc::oversized_messages_lose_nothing,
    ),
    (
        "buffer_too_small_keeps_the_message",
        ipc::buffer_too_small_keeps_the_message,
    ),
    (
        "faulting_copies_lose_nothing",
        ipc::faulting_copies_lose_nothing,
    ),
    ("queue_full_then_drained", ipc::queue_full_then_drained),
    (
        "endpoint_quota_is_32_and_per_process",
        ipc::endpoint_quota_is_32_and_per_process,
    ),
    (
        "a_family_hits_its_own_quota_only",
        ipc::a_family_hits_its_own_quota_only,
    ),
    (
        "send_away_then_close_loop_hits_a_limit",
        ipc::send_away_then_close_loop_hits_a_limit,
    ),
    (
        "channel_cycles_are_refused",
        ipc::channel_cycles_are_refused,
    ),
    ("blocked_receivers_wake", ipc::blocked_receivers_wake),
    (
        "invalid_and_stale_handles_fail_fast",
        ipc::invalid_and_stale_handles_fail_fast,
    ),
    (
        "spawn_exit_cycles_with_channels_leave_no_leak",
        ipc::spawn_exit_cycles_with_channels_leave_no_leak,
    ),
    ("dup_only_drops_rights", ipc::dup_only_drops_rights),
    ("no_transfer_right_no_send", ipc::no_transfer_right_no_send),
    ("bad_sends_keep_handles", ipc::bad_sends_keep_handles),
    (
        "spawn_delivers_exactly_the_given_handles",
        ipc::spawn_delivers_exactly_the_given_handles,
    ),
    (
        "call_round_trip_through_a_server",
        ipc::call_round_trip_through_a_server,
    ),
    ("wait_many_reports_which", ipc::wait_many_reports_which),
    (
        "process_info_reports_every_quota",
        ipc::process_info_reports_every_quota,
    ),
    (
        "killing_a_blocked_receiver_releases_everything",
        ipc::killing_a_blocked_receiver_releases_everything,
    ),
    (
        "parked_receiver_that_cannot_take_the_message_keeps_it",
        ipc::parked_receiver_that_cannot_take_the_message_keeps_it,
    ),
    (
        "handoff_never_overtakes_queued_messages",
        ipc::handoff_never_overtakes_queued_messages,
    ),
    (
        "killed_receiver_after_a_handoff_releases_the_handle",
        ipc::killed_receiver_after_a_handoff_releases_the_handle,
    ),
    (
        "faulting_send_to_a_parked_receiver_delivers_nothing",
        ipc::faulting_send_to_a_parked_receiver_delivers_nothing,
    ),
    (
        "system_calls_preserve_registers",
        ipc::system_calls_preserve_registers,
    ),
    (
        "handoff_copies_exactly_the_message",
        ipc::handoff_copies_exactly_the_message,
    ),
    // files
    ("file_round_trip_and_seek", fs::file_round_trip_and_seek),
    (
        "missing_and_wrong_kinds_are_errors",
        fs::missing_and_wrong_kinds_are_errors,
    ),
    ("directories_and_listing", fs::directories_and_listing),
    (
        "rename_link_symlink_edge_cases",
        fs::rename_link_symlink_edge_cases,
    ),
    (
        "unlinked_open_file_lives_until_closed",
        fs::unlinked_open_file_lives_until_closed,
    ),
    (
        "spawn_of_big_or_bad_files_is_an_error",
        fs::spawn_of_big_or_bad_files_is_an_error,
    ),
    ("big_file_round_trip_16m", fs::big_file_round_trip_16m),
    (
        "thousand_files_in_one_directory",
        fs::thousand_files_in_one_directory,
    ),
    (
        "full_disk_is_no_space_and_stays_consistent",
        fs::full_disk_is_no_space_and_stays_consistent,
    ),
    ("boot_partition_is_readable", fs::boot_partition_is_readable),
];

/// Tests run only when asked for by name (the two boots of the
/// persistence test: `utest persist-write`, then `utest persist-check`).
const PHASES: &[Test] = &[
    ("persist_write", fs::persist_write),
    ("persist_check", fs::persist_check),
];

fn main(args: rt::Args) -> i32 {
    let filter = args.get(1).map(|f| f.replace('-', "_"));
    let phase: Vec<&Test> = PHASES
        .iter()
        .filter(|(n, _)| filter.as_deref() == Some(*n))
        .collect();
    let selected: Vec<&Test> = if phase.is_empty() {
        TESTS
            .iter()
            .filter(|(n, _)| filter.as_deref().is_none_or(|f| n.contains(f)))
            .collect()
    } else {
        phase
    };
    let (mut passed, mut failed, mut skipped) = (0u64, 0u64, 0u64);
    for (name, test) in selected {
        match test() {
            Ok(()) => {
                println!("test user::{name} ... ok");
                passed += 1;
            }
            Err(Fail(why, true)) => {
                println!("test user::{name} ... skipped ({why})");
                skipped += 1;
            }
            Err(Fail(why, false)) => {
                println!("test user::{name} ... FAILED");
                println!("    {why}");
                failed += 1;
            }
        }
    }
    if sys::ktest_report(passed, failed, skipped).is_err() {
        println!("{passed} passed, {failed} failed, {skipped} skipped");
    }
    if failed == 0 {
        0
    } else {
        1
    }
}
