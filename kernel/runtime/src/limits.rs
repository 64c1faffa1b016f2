//! Resource limits of a [`crate::Store`]: how far its instances' linear memories and tables may
//! grow. Instantiation past a limit fails with a reason; `memory.grow` and `table.grow` past it
//! return -1, as the spec allows.

use core::sync::atomic::{AtomicU64, Ordering};

use crate::memory::MAX_PAGES;
use crate::table::MAX_ELEMENTS;

/// What the instances of one store may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceLimits {
    /// Pages (64 KiB) any one linear memory may have.
    pub memory_pages: u64,
    /// Elements all the store's own tables may hold together (8 bytes each).
    pub table_elements: u64,
}

impl ResourceLimits {
    /// Only the spec's and the runtime's own limits (what the host tools use).
    pub const UNLIMITED: ResourceLimits = ResourceLimits { memory_pages: MAX_PAGES, table_elements: u64::MAX };
}

impl Default for ResourceLimits {
    fn default() -> Self {
        Self::UNLIMITED
    }
}

/// Table elements a store may still create: taken by table creation and growth, given back when
/// a table is dropped.
#[derive(Debug)]
pub struct TableBudget(AtomicU64);

impl TableBudget {
    pub fn new(elements: u64) -> TableBudget {
        TableBudget(AtomicU64::new(elements))
    }

    /// Takes `n` elements; false (nothing taken) if fewer are left, or `n` exceeds what one table
    /// may have anyway.
    pub fn take(&self, n: u64) -> bool {
        n <= MAX_ELEMENTS && self.0.try_update(Ordering::AcqRel, Ordering::Acquire, |left| left.checked_sub(n)).is_ok()
    }

    /// Gives `n` elements back.
    pub fn give(&self, n: u64) {
        self.0.fetch_add(n, Ordering::AcqRel);
    }

    /// Elements left.
    pub fn left(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }
}
