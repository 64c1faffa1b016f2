//! Inter-task communication: the semantics behind `ipc_lookup`, `ipc_call`, `ipc_recv` and
//! `ipc_reply` (see `docs/abi.md`), as pure logic over linear-memory byte slices and task ids, so
//! every rule is tested on the host. The task layer supplies the memories and blocks and wakes
//! threads as the state machine says. A crate of its own so that the kernel and the hosted
//! runner (Linux) share one implementation of the rules.

#![cfg_attr(not(test), no_std)]
#![forbid(unsafe_code)]

extern crate alloc;
pub mod message;
pub mod registry;
pub mod rendezvous;
pub mod taskmap;

/// Task ids as the ABI has them: `> 0`; 1 is the kernel.
pub type TaskId = i32;

/// The kernel's own task id.
pub const KERNEL_TASK: TaskId = 1;
