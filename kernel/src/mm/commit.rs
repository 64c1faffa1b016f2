//! Commit accounting: frames are promised when a lazy reservation's accessible part grows, not
//! when its pages are first touched. So the page-fault handler that maps a touched page never
//! runs out of frames (a `memory.fill` in the kernel, compiled code, an IPC copy: none can hit
//! an unmappable page), and a task that asks for more than there is learns it at `memory.grow`,
//! which returns -1. Pure logic, host-tested; `mm` keeps one [`Commit`] under its lock.
//!
//! Three kinds of frame users, in order of priority:
//! - the kernel heap may take any free frame not promised to a reservation;
//! - eager mappings made for tasks (thread and handler stacks, code pages, device windows) and
//!   promises to lazy reservations (linear memories) must leave [`Commit::reserve`] frames free
//!   besides the promises, so the heap — the console, the services, the table of tasks — keeps
//!   room when tasks have taken everything they could.

/// Pages covered by one last-level page table: a lazy page may need a new table too, so every
/// promise includes one table frame per this many pages.
const PAGES_PER_TABLE: u64 = 512;
/// Upper-level tables (directory and pointer table) a reservation may need besides.
const UPPER_TABLES: u64 = 2;

/// Frames promised to lazy reservations, and how many of those are mapped already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Commit {
    /// Frames promised to the accessible parts of lazy reservations (with their page tables).
    committed: u64,
    /// Pages of lazy reservations mapped so far (each one consumed a promised frame).
    mapped: u64,
    /// Frames kept for the kernel heap.
    reserve: u64,
}

impl Commit {
    /// No promises yet; `reserve` frames kept for the heap.
    pub const fn new(reserve: u64) -> Self {
        Self { committed: 0, mapped: 0, reserve }
    }

    /// Frames a lazy reservation with `bytes` accessible is promised: its pages and the page
    /// tables they may need.
    pub fn charge(bytes: u64) -> u64 {
        let pages = bytes.div_ceil(4096);
        if pages == 0 { 0 } else { pages + pages.div_ceil(PAGES_PER_TABLE) + UPPER_TABLES }
    }

    /// Frames promised and not yet mapped: the page-fault handler may still ask for them.
    pub fn outstanding(&self) -> u64 {
        self.committed.saturating_sub(self.mapped)
    }

    /// Frames kept for the heap.
    pub fn reserve(&self) -> u64 {
        self.reserve
    }

    /// Frames a task may still be promised or have mapped for it, with `free` frames free.
    pub fn available(&self, free: u64) -> u64 {
        free.saturating_sub(self.outstanding() + self.reserve)
    }

    /// Grows a lazy reservation's accessible part from `old` to `new` bytes, with `free` frames
    /// free: promises the difference, or refuses (nothing changed) when it would eat into the
    /// promises already made or the reserve.
    pub fn grow(&mut self, free: u64, old: u64, new: u64) -> bool {
        let more = Self::charge(new).saturating_sub(Self::charge(old));
        if more > self.available(free) {
            return false;
        }
        self.committed += more;
        true
    }

    /// Shrinks a lazy reservation's accessible part from `old` to `new` bytes (0: released),
    /// `unmapped` of its pages having been unmapped (their frames freed).
    pub fn shrink(&mut self, old: u64, new: u64, unmapped: u64) {
        self.committed -= Self::charge(old).saturating_sub(Self::charge(new)).min(self.committed);
        self.mapped -= unmapped.min(self.mapped);
    }

    /// The page-fault handler mapped one promised page.
    pub fn page_mapped(&mut self) {
        self.mapped += 1;
    }

    /// A promised page mapped earlier was unmapped (its frame freed) while its promise stands.
    pub fn page_unmapped(&mut self) {
        self.mapped = self.mapped.saturating_sub(1);
    }

    /// Whether an eager mapping of `frames` frames for a task fits (`free` frames free).
    pub fn may_map_for_task(&self, free: u64, frames: u64) -> bool {
        frames <= self.available(free)
    }

    /// Whether the heap may take `frames` more frames (`free` frames free): never one promised.
    pub fn may_map_for_heap(&self, free: u64, frames: u64) -> bool {
        frames <= free.saturating_sub(self.outstanding())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1 << 20;

    #[test]
    fn charge_covers_pages_and_tables() {
        assert_eq!(Commit::charge(0), 0);
        assert_eq!(Commit::charge(1), 1 + 1 + 2);
        assert_eq!(Commit::charge(64 * 1024), 16 + 1 + 2);
        assert_eq!(Commit::charge(2 * MIB), 512 + 1 + 2);
        assert_eq!(Commit::charge(2 * MIB + 4096), 513 + 2 + 2);
    }

    #[test]
    fn growth_is_refused_before_it_eats_promises_or_the_reserve() {
        let mut c = Commit::new(100);
        let free = 1000;
        assert!(c.grow(free, 0, 2 * MIB), "515 frames of 900");
        assert_eq!(c.outstanding(), 515);
        assert_eq!(c.available(free), 1000 - 515 - 100);
        assert!(!c.grow(free, 0, 2 * MIB), "another 515 does not fit");
        assert_eq!(c.outstanding(), 515, "a refusal promises nothing");
        assert!(c.grow(free, 0, 1024 * 1024), "259 of the 385 left");
        assert!(!c.may_map_for_task(free, 200), "only 126 left for tasks");
        assert!(c.may_map_for_heap(free, 200), "the heap may use the reserve");
        assert!(!c.may_map_for_heap(free, 300), "but no promised frame");
    }

    #[test]
    fn mapping_consumes_promises_and_release_returns_them() {
        let mut c = Commit::new(10);
        assert!(c.grow(100, 0, 16 * 4096));
        let promised = c.outstanding();
        // The fault handler maps 10 pages: 10 frames fewer free, 10 fewer outstanding.
        for _ in 0..10 {
            c.page_mapped();
        }
        assert_eq!(c.outstanding(), promised - 10);
        assert_eq!(c.available(90), 90 - (promised - 10) - 10, "what is free for others did not change");
        // Shrinking to 8 pages unmaps 4 of the mapped ones; releasing unmaps the other 6.
        c.shrink(16 * 4096, 8 * 4096, 4);
        assert_eq!(c.outstanding(), Commit::charge(8 * 4096) - 6);
        c.shrink(8 * 4096, 0, 6);
        assert_eq!(c, Commit::new(10), "back to nothing promised");
    }
}
