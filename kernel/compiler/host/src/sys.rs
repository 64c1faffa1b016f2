//! Thin safe wrappers over `mmap`, `mprotect` and `munmap` for page-aligned regions we own.

use std::io;

pub const PAGE: usize = 4096;

/// An owned anonymous mapping, unmapped on drop.
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

impl Mapping {
    /// Reserves `len` bytes (rounded up to pages) with no access rights.
    pub fn reserve(len: usize) -> io::Result<Mapping> {
        let len = len.div_ceil(PAGE) * PAGE;
        // SAFETY: an anonymous private mapping at an address the kernel picks touches no
        // existing memory; failure is reported as MAP_FAILED and checked.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Mapping { ptr: ptr.cast(), len })
    }

    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn protect(&self, offset: usize, len: usize, prot: libc::c_int) -> io::Result<()> {
        if len == 0 {
            return Ok(());
        }
        assert!(offset % PAGE == 0 && offset + len <= self.len, "range inside the mapping");
        // SAFETY: the range lies inside our own mapping (asserted above); changing its rights
        // cannot affect memory we do not own.
        let r = unsafe { libc::mprotect(self.ptr.add(offset).cast(), len.div_ceil(PAGE) * PAGE, prot) };
        if r != 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
    }

    pub fn make_read_write(&self, offset: usize, len: usize) -> io::Result<()> {
        self.protect(offset, len, libc::PROT_READ | libc::PROT_WRITE)
    }

    pub fn make_read_exec(&self, offset: usize, len: usize) -> io::Result<()> {
        self.protect(offset, len, libc::PROT_READ | libc::PROT_EXEC)
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: we created this mapping and nothing refers to it once its owner drops it.
        unsafe { libc::munmap(self.ptr.cast(), self.len) };
    }
}
