//! The console commands every system shares: the task commands and `bench ipc`.
pub mod bench;
pub mod tasks;
