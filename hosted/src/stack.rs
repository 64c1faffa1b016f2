//! Handler stacks for the IPC direct path on Linux: a mapping with an inaccessible guard below
//! the usable part, unmapped when dropped.
use hayabusa_compiler_host::sys::Mapping;
use hayabusa_runtime::CallStack;

/// Inaccessible bytes below a handler stack.
const GUARD: usize = 64 * 1024;
/// Room kept below the deepest Wasm frame for the host code that runs there (imports, builtins),
/// as in the kernel. Signal handlers run on their own alternate stack.
const MARGIN: usize = 64 * 1024;

pub struct Stack {
    map: Mapping,
}

impl Stack {
    /// A stack of `size` usable bytes (a multiple of the page size), or `None`.
    pub fn new(size: usize) -> Option<Stack> {
        let map = Mapping::reserve(GUARD + size).ok()?;
        map.make_read_write(GUARD, size).ok()?;
        Some(Stack { map })
    }

    pub fn call_stack(&self) -> CallStack {
        let base = self.map.as_ptr() as usize;
        CallStack { top: base + self.map.len(), limit: base + GUARD + MARGIN }
    }
}
