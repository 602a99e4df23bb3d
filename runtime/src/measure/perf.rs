//! A hardware cycle counter through `perf_event_open(2)`.
//!
//! [`CycleCounter::open`] asks the kernel for `PERF_COUNT_HW_CPU_CYCLES` of this thread in
//! user mode (kernel and hypervisor excluded, so `perf_event_paranoid` ≤ 2 suffices). The
//! kernel refuses when there is no PMU (most VMs: `ENOENT`), when `perf_event_paranoid` is
//! 3 or more or a seccomp filter forbids the call (`EACCES`/`EPERM`), or when the kernel was
//! built without perf (`ENOSYS`); each becomes a [`PerfError`] that says which.
//!
//! The attribute layout is `PERF_ATTR_SIZE_VER0` (64 bytes) from `linux/perf_event.h`, which
//! every kernel since 2.6.31 accepts.

use std::io;

/// `struct perf_event_attr`, first version (64 bytes).
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    /// Bit field: disabled (bit 0), exclude_kernel (5), exclude_hv (6).
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
}

const PERF_TYPE_HARDWARE: u32 = 0;
const PERF_COUNT_HW_CPU_CYCLES: u64 = 0;
const PERF_COUNT_HW_INSTRUCTIONS: u64 = 1;
const FLAG_DISABLED: u64 = 1 << 0;
const FLAG_EXCLUDE_KERNEL: u64 = 1 << 5;
const FLAG_EXCLUDE_HV: u64 = 1 << 6;
const PERF_FLAG_FD_CLOEXEC: libc::c_ulong = 8;
// _IO('$', n)
const IOC_ENABLE: libc::c_ulong = 0x2400;
const IOC_DISABLE: libc::c_ulong = 0x2401;
const IOC_RESET: libc::c_ulong = 0x2403;

/// Why the kernel gave no counter.
#[derive(Debug)]
pub enum PerfError {
    /// `ENOENT`/`EOPNOTSUPP`/`ENODEV`: no hardware counter for this event (no PMU, as in most
    /// virtual machines).
    NoPmu(io::Error),
    /// `EACCES`/`EPERM`: refused by `/proc/sys/kernel/perf_event_paranoid` (its value is
    /// attached when readable) or a seccomp filter.
    Denied(io::Error, Option<i32>),
    /// `ENOSYS`: the kernel has no perf events.
    Unsupported(io::Error),
    /// Any other failure of the system call or of reading the counter.
    Other(io::Error),
}

impl core::fmt::Display for PerfError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PerfError::NoPmu(e) => write!(
                f,
                "no hardware cycle counter here (no PMU; a virtual machine?): {e}"
            ),
            PerfError::Denied(e, Some(p)) => {
                write!(f, "perf_event_open denied (perf_event_paranoid = {p}): {e}")
            }
            PerfError::Denied(e, None) => write!(f, "perf_event_open denied: {e}"),
            PerfError::Unsupported(e) => write!(f, "the kernel has no perf events: {e}"),
            PerfError::Other(e) => write!(f, "perf_event_open: {e}"),
        }
    }
}

impl std::error::Error for PerfError {}

impl PerfError {
    fn classify(e: io::Error) -> PerfError {
        match e.raw_os_error() {
            Some(libc::ENOENT | libc::EOPNOTSUPP | libc::ENODEV) => PerfError::NoPmu(e),
            Some(libc::EACCES | libc::EPERM) => {
                let level = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
                    .ok()
                    .and_then(|s| s.trim().parse().ok());
                PerfError::Denied(e, level)
            }
            Some(libc::ENOSYS) => PerfError::Unsupported(e),
            _ => PerfError::Other(e),
        }
    }
}

/// A counter of this thread's user-mode core cycles (or retired instructions).
#[derive(Debug)]
pub struct CycleCounter {
    fd: std::os::fd::OwnedFd,
}

impl CycleCounter {
    /// Opens a disabled cycle counter for the calling thread, on any CPU.
    ///
    /// # Errors
    ///
    /// A [`PerfError`] naming why the kernel refused.
    pub fn open() -> Result<CycleCounter, PerfError> {
        Self::open_hw(PERF_COUNT_HW_CPU_CYCLES)
    }

    /// Opens a disabled counter of retired instructions.
    ///
    /// # Errors
    ///
    /// As [`CycleCounter::open`].
    pub fn open_instructions() -> Result<CycleCounter, PerfError> {
        Self::open_hw(PERF_COUNT_HW_INSTRUCTIONS)
    }

    fn open_hw(config: u64) -> Result<CycleCounter, PerfError> {
        let attr = PerfEventAttr {
            kind: PERF_TYPE_HARDWARE,
            size: core::mem::size_of::<PerfEventAttr>() as u32,
            config,
            flags: FLAG_DISABLED | FLAG_EXCLUDE_KERNEL | FLAG_EXCLUDE_HV,
            ..Default::default()
        };
        // SAFETY: perf_event_open(attr, pid = 0 (this thread), cpu = -1 (any), group = -1,
        // flags) reads `attr` (valid, its `size` field says how much) and returns a new fd.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_perf_event_open,
                &attr as *const PerfEventAttr,
                0 as libc::pid_t,
                -1 as libc::c_int,
                -1 as libc::c_int,
                PERF_FLAG_FD_CLOEXEC,
            )
        };
        if ret < 0 {
            return Err(PerfError::classify(io::Error::last_os_error()));
        }
        // SAFETY: a non-negative return is a new file descriptor that nothing else owns.
        let fd =
            unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(ret as i32) };
        Ok(CycleCounter { fd })
    }

    fn ioctl(&self, request: libc::c_ulong) -> Result<(), PerfError> {
        use std::os::fd::AsRawFd;
        // SAFETY: a perf ioctl without argument on a perf fd we own.
        let r = unsafe { libc::ioctl(self.fd.as_raw_fd(), request, 0) };
        if r < 0 {
            Err(PerfError::Other(io::Error::last_os_error()))
        } else {
            Ok(())
        }
    }

    /// Zeroes the count and starts counting.
    ///
    /// # Errors
    ///
    /// [`PerfError::Other`] if an ioctl fails.
    pub fn start(&self) -> Result<(), PerfError> {
        self.ioctl(IOC_RESET)?;
        self.ioctl(IOC_ENABLE)
    }

    /// Stops counting and returns the count since [`CycleCounter::start`].
    ///
    /// # Errors
    ///
    /// [`PerfError::Other`] if the ioctl or the read fails.
    pub fn stop(&self) -> Result<u64, PerfError> {
        self.ioctl(IOC_DISABLE)?;
        self.read()
    }

    /// The current count.
    ///
    /// # Errors
    ///
    /// [`PerfError::Other`] if the read fails.
    pub fn read(&self) -> Result<u64, PerfError> {
        use std::os::fd::AsRawFd;
        let mut v = 0u64;
        // SAFETY: reads 8 bytes into `v`.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), (&mut v as *mut u64).cast(), 8) };
        if n != 8 {
            return Err(PerfError::Other(if n < 0 {
                io::Error::last_os_error()
            } else {
                io::Error::new(io::ErrorKind::UnexpectedEof, "short read of a perf counter")
            }));
        }
        Ok(v)
    }

    /// Cycles spent in `f`.
    ///
    /// # Errors
    ///
    /// As [`CycleCounter::start`] and [`CycleCounter::stop`].
    pub fn measure<R>(&self, f: impl FnOnce() -> R) -> Result<(u64, R), PerfError> {
        self.start()?;
        let r = f();
        Ok((self.stop()?, r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::println;
    use std::string::ToString;

    #[test]
    fn attr_is_version_zero_size() {
        assert_eq!(core::mem::size_of::<PerfEventAttr>(), 64);
    }

    /// Either a counter that counts, or a refusal naming a reason (this VM has no PMU).
    #[test]
    fn counts_or_explains() {
        match CycleCounter::open() {
            Ok(c) => {
                let (small, _) = c.measure(|| core::hint::black_box(1)).unwrap();
                let (big, _) = c
                    .measure(|| (0..1_000_000u64).fold(0u64, |a, i| core::hint::black_box(a ^ i)))
                    .unwrap();
                assert!(
                    big > small,
                    "{big} cycles for a million iterations vs {small}"
                );
                assert!(big >= 1_000_000);
            }
            Err(e) => {
                let msg = e.to_string();
                println!("perf: {msg}");
                assert!(
                    !matches!(e, PerfError::Other(_)),
                    "unclassified refusal: {msg}"
                );
                assert!(msg.contains("perf") || msg.contains("PMU"), "{msg}");
            }
        }
    }
}
