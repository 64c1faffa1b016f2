//! Layout of the per-instance context (`vmctx`) passed as the first argument to every function.
//!
//! All fields are 8 bytes. Compiled code only reads them; the embedder owns and fills them.
//!
//! | offset | field | meaning |
//! |---|---|---|
//! | 0  | `heap_base` | base address of linear memory 0 (fixed for the instance's life) |
//! | 8  | `memory` | `*const VMMemory` of memory 0 (shared with importers) |
//! | 16 | `limits` | `*const VMLimits` (the stack limit, shared by all instances of a thread) |
//! | 24 | `funcs` | `*const *const VMFuncRef`, one per function index (imports included) |
//! | 32 | `globals` | `*const *mut u64`, one cell per global index (imports point at the exporter's) |
//! | 40 | `tables` | `*const *mut VMTable`, one per table index |
//! | 48 | `type_ids` | `*const u32`: canonical signature id of each module type index |
//! | 56 | `builtins` | `*const usize`: builtin function addresses, indexed by [`super::builtins::Builtin`] |
//! | 64 | `instance` | opaque pointer for the embedder's builtins |
//! | 72 | `memories` | `*const *const VMMemory`, one per memory index (imports first; entry 0 is `memory`) |

pub const HEAP_BASE: i32 = 0;
pub const MEMORY: i32 = 8;
pub const LIMITS: i32 = 16;
pub const FUNCS: i32 = 24;
pub const GLOBALS: i32 = 32;
pub const TABLES: i32 = 40;
pub const TYPE_IDS: i32 = 48;
pub const BUILTINS: i32 = 56;
pub const INSTANCE: i32 = 64;
pub const MEMORIES: i32 = 72;
/// Size of the vmctx header.
pub const SIZE: usize = 80;

/// `VMMemory { base: *mut u8, length_bytes: u64 }`. `base` is fixed for the memory's life (it
/// sits in a reservation that never moves), so compiled code may load it once.
pub mod memory {
    pub const BASE: i32 = 0;
    pub const LENGTH: i32 = 8;
}

/// `VMLimits { stack_limit: usize }`: functions trap with stack overflow when their frame would
/// go below `stack_limit`.
pub mod limits {
    pub const STACK_LIMIT: i32 = 0;
}

/// `VMFuncRef { code: usize, vmctx: usize, type_id: u32 }`. A `funcref` value is a pointer to
/// one of these (0 for null); an `externref` value is an opaque non-zero word (0 for null).
pub mod funcref {
    pub const CODE: i32 = 0;
    pub const VMCTX: i32 = 8;
    pub const TYPE_ID: i32 = 16;
    pub const SIZE: usize = 24;
}

/// `VMTable { elements: *mut u64, length: u64 }`: each element is a reference value.
pub mod table {
    pub const ELEMENTS: i32 = 0;
    pub const LENGTH: i32 = 8;
}

/// Host-call context used by host trampolines: `HostCtx { callback: usize, .. }` where
/// `callback(host_ctx, values)` reads arguments from and writes results to `values` (u64 slots).
pub mod host {
    pub const CALLBACK: i32 = 0;
}
