//! What every system's console shares: the task commands, `bench ipc`, the log line.
pub mod bench;
pub mod log;
pub mod tasks;
