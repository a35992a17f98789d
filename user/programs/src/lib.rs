//! Shared by the user programs: nothing yet.
#![no_std]
