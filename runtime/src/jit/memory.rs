//! Page mappings that are writable or executable, never both (W^X).
//!
//! A [`Mapping`] is born read+write (`mmap` anonymous, private) and becomes read+execute
//! with one `mprotect`; there is no way back to writable, so code that was executable is
//! never rewritten in place. The pages are unmapped on drop.
//!
//! Through rustix: on Linux it issues the system calls itself (nothing between us and the
//! mmap/mprotect floor), with typed flags and `Errno`s, and it can protect any page range.

use core::ptr::NonNull;

use super::error::JitError;

/// The system page size.
pub(crate) fn page_size() -> usize {
    rustix::param::page_size()
}

/// Anonymous private pages, read+write until [`Mapping::seal`], then read+execute.
#[derive(Debug)]
pub(crate) struct Mapping {
    ptr: NonNull<u8>,
    len: usize,
    executable: bool,
}

// SAFETY: the mapping is owned memory; writes happen only through `&mut self` before
// sealing, and sealed code is immutable.
unsafe impl Send for Mapping {}
// SAFETY: as above.
unsafe impl Sync for Mapping {}

impl Mapping {
    /// Maps at least `len` bytes (rounded up to pages) read+write.
    pub(crate) fn new(len: usize) -> Result<Mapping, JitError> {
        let page = page_size();
        if len == 0 || len > 1 << 30 {
            return Err(JitError::BadSize(len));
        }
        let len = len.div_ceil(page) * page;
        // SAFETY: a fresh anonymous mapping at an address the kernel picks; no existing
        // memory is affected.
        let p = unsafe {
            rustix::mm::mmap_anonymous(
                core::ptr::null_mut(),
                len,
                rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
                rustix::mm::MapFlags::PRIVATE,
            )
        }
        .map_err(|e| JitError::MapFailed(e.into()))?;
        let ptr = NonNull::new(p.cast::<u8>()).ok_or(JitError::BadSize(len))?;
        Ok(Mapping {
            ptr,
            len,
            executable: false,
        })
    }

    /// The mapped length.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The start address.
    pub(crate) fn addr(&self) -> usize {
        self.ptr.as_ptr() as usize
    }

    /// The writable bytes (empty once sealed).
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        if self.executable {
            return &mut [];
        }
        // SAFETY: `len` bytes mapped read+write and owned by `self`.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }

    /// Makes the pages read+execute (and no longer writable).
    pub(crate) fn seal(&mut self) -> Result<(), JitError> {
        if self.executable {
            return Ok(());
        }
        // SAFETY: our own mapping; after this no writable view is handed out.
        unsafe {
            rustix::mm::mprotect(
                self.ptr.as_ptr().cast(),
                self.len,
                rustix::mm::MprotectFlags::READ | rustix::mm::MprotectFlags::EXEC,
            )
        }
        .map_err(|e| JitError::ProtectFailed(e.into()))?;
        self.executable = true;
        Ok(())
    }

    /// Whether [`Mapping::seal`] succeeded.
    pub(crate) fn is_executable(&self) -> bool {
        self.executable
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly what `new` mapped; callables borrowing it are gone (they
        // borrow the region that owns the mapping).
        let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.len) };
    }
}
