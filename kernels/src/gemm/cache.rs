//! Data-cache sizes as the CPU reports them through CPUID, read once.
//!
//! Intel: deterministic cache parameters, leaf 4 (Intel SDM vol. 2A, CPUID, "Deterministic
//! Cache Parameters Leaf"). AMD: the same layout in leaf 0x8000_001D when TOPOEXT
//! (0x8000_0001 ECX bit 22) is set (AMD APM vol. 3, appendix E.4.15). Each subleaf describes
//! one cache: type in EAX\[4:0\] (0 = no more caches, 1 = data, 3 = unified), level in EAX\[7:5\],
//! and size = ways (EBX\[31:22\] + 1) · partitions (EBX\[21:12\] + 1) · line (EBX\[11:0\] + 1) ·
//! sets (ECX + 1). Where neither leaf exists (or on hypervisors that hide them), the defaults
//! are 32 KiB / 512 KiB / 8 MiB, small enough for any x86-64 core of the last decade.

use std::sync::OnceLock;

/// Per-core data-cache sizes in bytes (L3: the whole cache as reported, shared or not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheSizes {
    /// L1 data cache.
    pub l1d: usize,
    /// L2 (unified).
    pub l2: usize,
    /// L3 (unified), 0 when there is none.
    pub l3: usize,
}

const DEFAULT: CacheSizes = CacheSizes {
    l1d: 32 << 10,
    l2: 512 << 10,
    l3: 8 << 20,
};

/// The cache sizes of this CPU (read with CPUID on the first call).
pub fn cache_sizes() -> CacheSizes {
    static SIZES: OnceLock<CacheSizes> = OnceLock::new();
    *SIZES.get_or_init(read)
}

#[cfg(target_arch = "x86_64")]
fn read() -> CacheSizes {
    use core::arch::x86_64::__cpuid_count;
    // SAFETY: CPUID exists on every x86-64 CPU. The intrinsic is an `unsafe fn` in the declared
    // rust-version (1.88) and safe in later releases, where this `unsafe` is unused.
    #[allow(unused_unsafe)]
    let cpuid = |leaf: u32, sub: u32| unsafe { __cpuid_count(leaf, sub) };
    let max_basic = cpuid(0, 0).eax;
    let max_ext = cpuid(0x8000_0000, 0).eax;
    let topoext = max_ext >= 0x8000_0001 && cpuid(0x8000_0001, 0).ecx & (1 << 22) != 0;
    let leaf = if topoext && max_ext >= 0x8000_001D {
        0x8000_001D
    } else if max_basic >= 4 {
        4
    } else {
        return DEFAULT;
    };
    let mut found = CacheSizes {
        l1d: 0,
        l2: 0,
        l3: 0,
    };
    for sub in 0..16 {
        // The leaf was checked against the maximum supported above.
        let r = cpuid(leaf, sub);
        let kind = r.eax & 0x1f;
        if kind == 0 {
            break;
        }
        if kind != 1 && kind != 3 {
            continue; // instruction cache
        }
        let ways = (r.ebx >> 22) as usize + 1;
        let partitions = ((r.ebx >> 12) & 0x3ff) as usize + 1;
        let line = (r.ebx & 0xfff) as usize + 1;
        let sets = r.ecx as usize + 1;
        let size = ways * partitions * line * sets;
        match (r.eax >> 5) & 7 {
            1 => found.l1d = size,
            2 => found.l2 = size,
            3 => found.l3 = size,
            _ => {}
        }
    }
    CacheSizes {
        l1d: if found.l1d == 0 {
            DEFAULT.l1d
        } else {
            found.l1d
        },
        l2: if found.l2 == 0 { DEFAULT.l2 } else { found.l2 },
        l3: found.l3,
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn read() -> CacheSizes {
    DEFAULT
}
