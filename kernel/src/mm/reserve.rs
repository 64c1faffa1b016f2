//! Bookkeeping of lazily mapped virtual reservations. Reserving a range costs one map insert
//! and no page-table work; pages are mapped by the page-fault handler on first touch, and only
//! inside a reservation's *accessible* prefix (the rest is guard). Pure logic, host-tested.
use alloc::collections::BTreeMap;

const PAGE: u64 = 4096;
const GIB: u64 = 1 << 30;

/// One reservation: `[start, start + len)`, of which `[start + low_guard, start + accessible)`
/// may be touched. (A Wasm memory has no low guard; a stack has one, since it grows down.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub len: u64,
    pub low_guard: u64,
    pub accessible: u64,
}

/// Why a reservation request failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReserveError {
    /// Zero or unaligned length, or an accessible prefix longer than the reservation.
    BadSize,
    /// No gap large enough is left in the reservation area.
    NoSpace,
    /// No reservation starts at that address.
    NotFound(u64),
    /// No physical memory left to back pages that must be mapped at once.
    OutOfMemory,
}

impl core::fmt::Display for ReserveError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ReserveError::BadSize => write!(f, "bad size"),
            ReserveError::NoSpace => write!(f, "no virtual address space left"),
            ReserveError::NotFound(at) => write!(f, "no reservation at {at:#x}"),
            ReserveError::OutOfMemory => write!(f, "out of memory"),
        }
    }
}

/// The set of reservations inside one virtual area.
pub struct Reservations {
    area_start: u64,
    area_end: u64,
    regions: BTreeMap<u64, Region>,
}

impl Reservations {
    /// An empty set over the virtual area `[area_start, area_end)`.
    pub const fn new(area_start: u64, area_end: u64) -> Self {
        Self { area_start, area_end, regions: BTreeMap::new() }
    }

    /// Reserves `len` bytes (a multiple of 4 KiB), the first `accessible` of them touchable.
    /// Returns the start address. First fit, lowest address first.
    pub fn reserve(&mut self, len: u64, accessible: u64) -> Result<u64, ReserveError> {
        self.reserve_guarded(len, 0, accessible)
    }

    /// Like [`Self::reserve`], with the first `low_guard` bytes (a multiple of 4 KiB) never
    /// touchable.
    pub fn reserve_guarded(&mut self, len: u64, low_guard: u64, accessible: u64) -> Result<u64, ReserveError> {
        if len == 0 || !len.is_multiple_of(PAGE) || accessible > len || !low_guard.is_multiple_of(PAGE) || low_guard > len {
            return Err(ReserveError::BadSize);
        }
        // Large reservations start on a 1 GiB boundary, so they share no page table with their
        // neighbours and tearing one down never walks another's tables.
        let align = if len >= GIB { GIB } else { PAGE };
        let mut cursor = self.area_start.next_multiple_of(align);
        for region in self.regions.values() {
            if region.start >= cursor && region.start - cursor >= len {
                break;
            }
            cursor = cursor.max(region.start + region.len).next_multiple_of(align);
        }
        if self.area_end.saturating_sub(cursor) < len {
            return Err(ReserveError::NoSpace);
        }
        self.regions.insert(cursor, Region { start: cursor, len, low_guard, accessible });
        Ok(cursor)
    }

    /// Removes the reservation starting at `start` and returns it.
    pub fn release(&mut self, start: u64) -> Result<Region, ReserveError> {
        self.regions.remove(&start).ok_or(ReserveError::NotFound(start))
    }

    /// Changes how much of the reservation at `start` may be touched. Returns the old value.
    pub fn set_accessible(&mut self, start: u64, accessible: u64) -> Result<u64, ReserveError> {
        let region = self.regions.get_mut(&start).ok_or(ReserveError::NotFound(start))?;
        if accessible > region.len {
            return Err(ReserveError::BadSize);
        }
        Ok(core::mem::replace(&mut region.accessible, accessible))
    }

    /// The reservation containing `addr`, if any.
    pub fn find(&self, addr: u64) -> Option<Region> {
        let (_, region) = self.regions.range(..=addr).next_back()?;
        (addr < region.start + region.len).then_some(*region)
    }

    /// The page to map for a fault at `addr`: `Some` when `addr` falls in an accessible part.
    pub fn lazy_page(&self, addr: u64) -> Option<u64> {
        let region = self.find(addr)?;
        (addr >= region.start + region.low_guard && addr < region.start + region.accessible).then_some(addr & !(PAGE - 1))
    }

    /// Number of reservations.
    pub fn count(&self) -> usize {
        self.regions.len()
    }

    /// Total bytes reserved.
    pub fn reserved_bytes(&self) -> u64 {
        self.regions.values().map(|r| r.len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_fit_reuses_gaps() {
        let mut r = Reservations::new(0x1000_0000_0000, 0x1000_0000_0000 + 40 * GIB);
        let a = r.reserve(8 * GIB, 4 * GIB).unwrap();
        let b = r.reserve(8 * GIB, 0).unwrap();
        let c = r.reserve(8 * GIB, 0).unwrap();
        assert_eq!((b - a, c - b), (8 * GIB, 8 * GIB));
        assert_eq!(r.release(b).unwrap().len, 8 * GIB);
        assert_eq!(r.reserve(4 * GIB, 0).unwrap(), b, "the gap is reused");
        assert_eq!(r.reserve(4 * GIB, 0).unwrap(), b + 4 * GIB);
        assert_eq!(r.reserve(24 * GIB, 0), Err(ReserveError::NoSpace));
        assert_eq!(r.reserve(8 * GIB, 0).unwrap(), c + 8 * GIB);
        assert_eq!(r.count(), 5);
        assert_eq!(r.reserved_bytes(), 32 * GIB);
    }

    #[test]
    fn large_reservations_are_gib_aligned() {
        let mut r = Reservations::new(0x1000_0000_0000, 0x1000_0000_0000 + 64 * GIB);
        let small = r.reserve(3 * PAGE, 0).unwrap();
        assert_eq!(small, 0x1000_0000_0000);
        let big = r.reserve(GIB + PAGE, 0).unwrap();
        assert_eq!(big, 0x1000_0000_0000 + GIB, "skips to the next GiB boundary");
        let small2 = r.reserve(PAGE, 0).unwrap();
        assert_eq!(small2, small + 3 * PAGE, "small ones fill the gap below");
        let big2 = r.reserve(2 * GIB, 0).unwrap();
        assert_eq!(big2, big + 2 * GIB);
    }

    #[test]
    fn low_guard_is_never_touchable() {
        let mut r = Reservations::new(0x10000, 0x10000 + GIB);
        let s = r.reserve_guarded(8 * PAGE, 2 * PAGE, 8 * PAGE).unwrap();
        assert_eq!(r.lazy_page(s), None);
        assert_eq!(r.lazy_page(s + 2 * PAGE - 1), None);
        assert_eq!(r.lazy_page(s + 2 * PAGE), Some(s + 2 * PAGE));
        assert_eq!(r.lazy_page(s + 8 * PAGE - 1), Some(s + 7 * PAGE));
        assert_eq!(r.reserve_guarded(8 * PAGE, 100, 8 * PAGE), Err(ReserveError::BadSize));
        assert_eq!(r.reserve_guarded(8 * PAGE, 9 * PAGE, 8 * PAGE), Err(ReserveError::BadSize));
    }

    #[test]
    fn rejects_bad_sizes_and_unknown_starts() {
        let mut r = Reservations::new(0x10000, 0x10000 + GIB);
        assert_eq!(r.reserve(0, 0), Err(ReserveError::BadSize));
        assert_eq!(r.reserve(4097, 0), Err(ReserveError::BadSize));
        assert_eq!(r.reserve(4096, 8192), Err(ReserveError::BadSize));
        assert_eq!(r.release(0x10000), Err(ReserveError::NotFound(0x10000)));
        assert_eq!(r.set_accessible(0x10000, 0), Err(ReserveError::NotFound(0x10000)));
        assert_eq!(r.reserve(2 * GIB, 0), Err(ReserveError::NoSpace));
    }

    #[test]
    fn lazy_pages_only_inside_the_accessible_prefix() {
        let mut r = Reservations::new(0x10000, 0x10000 + GIB);
        let a = r.reserve(16 * PAGE, 2 * PAGE).unwrap();
        assert_eq!(r.lazy_page(a), Some(a));
        assert_eq!(r.lazy_page(a + PAGE + 17), Some(a + PAGE));
        assert_eq!(r.lazy_page(a + 2 * PAGE), None, "guard part");
        assert_eq!(r.find(a + 2 * PAGE).map(|x| x.start), Some(a));
        assert_eq!(r.lazy_page(a + 16 * PAGE), None, "past the end");
        assert_eq!(r.find(a + 16 * PAGE), None);
        assert_eq!(r.lazy_page(a - 1), None);
        assert_eq!(r.set_accessible(a, 4 * PAGE), Ok(2 * PAGE));
        assert_eq!(r.lazy_page(a + 3 * PAGE), Some(a + 3 * PAGE));
        assert_eq!(r.set_accessible(a, 17 * PAGE), Err(ReserveError::BadSize));
    }
}
