//! Thin safe wrappers over `mmap`, `mprotect` and `munmap` for page-aligned regions we own.

use std::io;

pub const PAGE: usize = 4096;

/// An owned anonymous mapping, unmapped on drop.
pub struct Mapping {
    ptr: *mut u8,
    len: usize,
}

// SAFETY: a mapping is an address range owned by this value, not by a thread: `mprotect` and
// `munmap` work on it from any thread, and the methods taking `&self` only change protections
// (a system call the kernel serialises), never Rust-visible state.
unsafe impl Send for Mapping {}
// SAFETY: see `Send` above.
unsafe impl Sync for Mapping {}

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
        assert!(offset.is_multiple_of(PAGE) && offset + len <= self.len, "range inside the mapping");
        // SAFETY: the range lies inside our own mapping (asserted above); changing its rights
        // cannot affect memory we do not own.
        let r = unsafe { libc::mprotect(self.ptr.add(offset).cast(), len.div_ceil(PAGE) * PAGE, prot) };
        if r != 0 { Err(io::Error::last_os_error()) } else { Ok(()) }
    }

    pub fn make_read_write(&self, offset: usize, len: usize) -> io::Result<()> {
        self.protect(offset, len, libc::PROT_READ | libc::PROT_WRITE)
    }

    pub fn make_inaccessible(&self, offset: usize, len: usize) -> io::Result<()> {
        self.protect(offset, len, libc::PROT_NONE)
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

/// Lowest address of the current thread's stack, if the C library can tell.
pub fn current_stack_low() -> Option<usize> {
    // SAFETY: pthread_getattr_np fills a zero-initialised attribute object for the calling
    // thread; we read the stack range from it and destroy it before returning.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let r = libc::pthread_attr_getstack(&attr, &mut addr, &mut size);
        libc::pthread_attr_destroy(&mut attr);
        if r != 0 { None } else { Some(addr as usize) }
    }
}
