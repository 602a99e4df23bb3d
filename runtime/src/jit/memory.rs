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

/// How far (in bytes, either way) code mapped near a target (`Builder::near`) lies from it:
/// 1 GiB, so that a target anywhere in the same executable image (up to 1 GiB of it) stays
/// within a rel32's ±2 GiB.
pub const NEAR: usize = 1 << 30;

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

    /// Maps at least `len` bytes read+write so that every byte lies within [`NEAR`] of
    /// `target`: `mmap` with address hints below, then above, `target` (the kernel takes a
    /// hint when the range is free, and the result is checked either way).
    pub(crate) fn new_near(len: usize, target: usize) -> Result<Mapping, JitError> {
        let page = page_size();
        if len == 0 || len > 1 << 30 {
            return Err(JitError::BadSize(len));
        }
        let len = len.div_ceil(page) * page;
        let fits = |a: usize| a.abs_diff(target).max((a + len).abs_diff(target)) <= NEAR;
        const STEP: usize = 64 << 20;
        for k in 1..=(NEAR / STEP) {
            for hint in [
                target.checked_sub(k * STEP + len),
                target.checked_add(k * STEP),
            ] {
                let Some(hint) = hint.map(|h| h / page * page) else {
                    continue;
                };
                if hint < 1 << 16 {
                    continue;
                }
                // SAFETY: a fresh anonymous mapping; the address is a hint (no MAP_FIXED), so
                // no existing mapping is replaced.
                let p = unsafe {
                    rustix::mm::mmap_anonymous(
                        hint as *mut core::ffi::c_void,
                        len,
                        rustix::mm::ProtFlags::READ | rustix::mm::ProtFlags::WRITE,
                        rustix::mm::MapFlags::PRIVATE,
                    )
                }
                .map_err(|e| JitError::MapFailed(e.into()))?;
                let Some(ptr) = NonNull::new(p.cast::<u8>()) else {
                    continue;
                };
                let m = Mapping {
                    ptr,
                    len,
                    executable: false,
                };
                if fits(m.addr()) {
                    return Ok(m);
                }
                drop(m);
            }
        }
        Err(JitError::NoMemoryNear(target))
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

#[cfg(test)]
mod tests {
    use super::*;

    const CHILD: &str = "ASMFORGE_TEST_MAP_FAILURE_CHILD";

    /// With the address space capped at what is in use, mapping fails with a typed error.
    /// Runs in a child process so the cap does not reach the other tests.
    #[test]
    fn map_failure_is_an_error() {
        if std::env::var_os(CHILD).is_some() {
            let status = std::fs::read_to_string("/proc/self/status").unwrap();
            let kb: u64 = status
                .lines()
                .find_map(|l| l.strip_prefix("VmSize:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                .unwrap();
            let lim = libc::rlimit {
                rlim_cur: kb * 1024,
                rlim_max: libc::RLIM_INFINITY,
            };
            // SAFETY: sets this (child) process's limit.
            assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &lim) }, 0);
            let e = Mapping::new(1 << 20).unwrap_err();
            assert!(matches!(e, JitError::MapFailed(_)), "{e}");
            std::println!("child: {e}");
            return;
        }
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "jit::memory::tests::map_failure_is_an_error",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = std::string::String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}");
        assert!(stdout.contains("child: mapping memory failed"), "{stdout}");
    }

    #[test]
    fn seal_is_read_execute_and_sizes_are_checked() {
        assert!(matches!(Mapping::new(0), Err(JitError::BadSize(0))));
        assert!(matches!(
            Mapping::new(usize::MAX),
            Err(JitError::BadSize(_))
        ));
        let mut m = Mapping::new(100).unwrap();
        assert_eq!(m.len(), page_size());
        m.bytes_mut()[0] = 0xC3;
        m.seal().unwrap();
        assert!(m.is_executable());
        assert!(m.bytes_mut().is_empty(), "no writable view after sealing");
    }
}
