//! Kernel metadata and dispatch.
//!
//! Generated code builds one `static` [`KernelInfo`] per kernel, listing its variants best
//! first, and one `static` [`Dispatch`] that holds the entry point in use. Contract:
//!
//! * [`Dispatch::get`] never returns the entry of a variant whose `features` the CPU lacks.
//! * The first call resolves; concurrent first calls may both resolve, but they store the same
//!   pointer (resolution is a pure function of the CPU), so the race is benign.
//! * Later calls are one `Relaxed` load and a null check.

use core::fmt;
use core::sync::atomic::{AtomicPtr, Ordering};

use crate::Feature;
use crate::detect;

/// A kernel variant's entry point ([`VariantInfo::entry`]), type-erased: the kernel's generated
/// module knows its real type and calls it (`k::call(variant, args...)`); here it is an
/// address to compare, print or hand to a profiler.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryPoint(
    /// The address of the variant's first instruction (null on targets that are not x86-64,
    /// where no kernel code is emitted).
    pub *const (),
);

impl EntryPoint {
    /// The address of the variant's first instruction.
    pub const fn as_ptr(self) -> *const () {
        self.0
    }
}

// SAFETY: an entry point is the address of immutable machine code in the binary's text.
unsafe impl Sync for EntryPoint {}
unsafe impl Send for EntryPoint {}

/// Maps a byte offset in a variant's code to the line of the DSL source that produced it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SourceLine {
    /// Offset of the instruction's first byte from the start of the variant's code.
    pub offset: u32,
    /// 1-based line in the source file, or 0 for code the compiler added (prologue, epilogue).
    pub line: u32,
}

/// The (offset, line) map of a variant, packed as little-endian `u32` pairs so that generated
/// code carries it as one byte-string token rather than thousands of struct literals.
#[derive(Clone, Copy, Debug)]
pub struct LineTable(&'static [u8]);

impl LineTable {
    /// A table from packed bytes: for each instruction, `offset` then `line`, each a `u32` LE.
    pub const fn from_packed(bytes: &'static [u8]) -> Self {
        LineTable(bytes)
    }

    /// The entries in offset order.
    pub fn iter(&self) -> impl Iterator<Item = SourceLine> + '_ {
        self.0.chunks_exact(8).map(|c| SourceLine {
            offset: u32::from_le_bytes([c[0], c[1], c[2], c[3]]),
            line: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
        })
    }

    /// The line of the instruction at `offset`, if one starts there.
    pub fn line_at(&self, offset: u32) -> Option<u32> {
        self.iter().find(|l| l.offset == offset).map(|l| l.line)
    }
}

/// The calling convention of a variant's entry point (`#[kernel(abi = "...")]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallingConvention {
    /// System V AMD64 (`extern "sysv64"`), the default on every OS.
    SysV,
    /// Windows x64 (`extern "win64"`), from `abi = "win64"`.
    Win64,
}

impl fmt::Display for CallingConvention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallingConvention::SysV => "System V (extern \"sysv64\")",
            CallingConvention::Win64 => "Win64 (extern \"win64\")",
        })
    }
}

/// One compiled variant of a kernel.
#[derive(Debug)]
pub struct VariantInfo {
    /// Variant name, e.g. `"baseline"` or `"avx2+fma"`.
    pub name: &'static str,
    /// The function symbol in the binary's text, demangled: the path of the naked function
    /// that holds the code, `crate::module::kernel::__asmforge_<variant>` (what `nm -C`,
    /// `perf` and `gdb` show; for a kernel inside a function body the symbol also names that
    /// function, which `module_path!()` does not).
    pub symbol: &'static str,
    /// The calling convention of `entry`.
    pub convention: CallingConvention,
    /// The address of the code.
    pub entry: EntryPoint,
    /// Features the variant was declared for.
    pub declared: &'static [Feature],
    /// Features its instructions actually require (the union of iced-x86's `cpuid_features`).
    pub used: &'static [Feature],
    /// Code followed by the aligned constant pool, exactly as placed in the binary.
    pub bytes: &'static [u8],
    /// Bytes of code (the pool starts at or after this offset, aligned).
    pub code_size: u32,
    /// Bytes of constant pool at the end of `bytes`.
    pub pool_size: u32,
    /// Source line of each instruction, by offset.
    pub lines: LineTable,
    /// Callee-saved registers the prologue saves and the epilogue restores (e.g. `"rbx"`).
    pub saved: &'static [&'static str],
    /// Distinct physical registers the code uses: general-purpose, vector, mask.
    pub registers: [u8; 3],
}

/// Everything known about one kernel.
#[derive(Debug)]
pub struct KernelInfo {
    /// The Rust name of the kernel function.
    pub name: &'static str,
    /// Path of the source file that defines it.
    pub file: &'static str,
    /// Variants, best first: dispatch takes the first one the CPU supports.
    pub variants: &'static [VariantInfo],
    /// The Rust fallback named in the attribute (`fallback = path`), called through an
    /// `extern "sysv64"` shim when no variant can run.
    pub fallback: Option<EntryPoint>,
}

impl VariantInfo {
    /// The features in `declared` or `used` that dispatch may not use here: the CPU (or OS)
    /// lacks them, or an ISA cap ([`crate::isa`]) masks them.
    pub fn missing_features(&self) -> MissingFeatures {
        MissingFeatures::of_pair(self.declared, self.used, crate::isa::is_usable)
    }

    /// Whether this CPU can run the variant.
    pub fn is_supported(&self) -> bool {
        self.missing_features().is_empty()
    }

    /// The entry point if the CPU can run the variant, or the features it lacks.
    ///
    /// # Errors
    ///
    /// Returns the missing features when the CPU cannot run the variant.
    pub fn checked_entry(&self) -> Result<EntryPoint, MissingFeatures> {
        let missing = self.missing_features();
        if missing.is_empty() {
            Ok(self.entry)
        } else {
            Err(missing)
        }
    }
}

impl KernelInfo {
    /// The variant dispatch picks on this CPU: the first whose features are all present.
    pub fn best_supported(&self) -> Option<&'static VariantInfo> {
        self.variants.iter().find(|v| v.is_supported())
    }

    /// The variant with this name.
    pub fn variant(&self, name: &str) -> Option<&'static VariantInfo> {
        self.variants.iter().find(|v| v.name == name)
    }
}

/// A set of features this CPU lacks (at most [`MissingFeatures::CAPACITY`] are recorded).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MissingFeatures {
    items: [Option<Feature>; Self::CAPACITY],
    len: usize,
    overflow: bool,
}

impl MissingFeatures {
    /// How many missing features are recorded by name.
    pub const CAPACITY: usize = 16;

    /// The features of `required` that [`detect::is_detected`] reports absent.
    pub fn of(required: &[Feature]) -> Self {
        Self::of_pair(required, &[], detect::is_detected)
    }

    /// The features of `a` and `b` (each once) for which `present` is false.
    fn of_pair(a: &[Feature], b: &[Feature], present: fn(Feature) -> bool) -> Self {
        let mut out = MissingFeatures {
            items: [None; Self::CAPACITY],
            len: 0,
            overflow: false,
        };
        for (i, &f) in a.iter().chain(b).enumerate() {
            if present(f) || a.iter().chain(b).take(i).any(|g| *g == f) {
                continue;
            }
            if out.len < Self::CAPACITY {
                out.items[out.len] = Some(f);
                out.len += 1;
            } else {
                out.overflow = true;
            }
        }
        out
    }

    /// True when nothing is missing.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The missing features.
    pub fn iter(&self) -> impl Iterator<Item = Feature> + '_ {
        self.items[..self.len].iter().flatten().copied()
    }
}

impl fmt::Display for MissingFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, feat) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(feat.name())?;
        }
        if self.overflow {
            f.write_str(", ...")?;
        }
        Ok(())
    }
}

impl fmt::Debug for MissingFeatures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MissingFeatures[{self}]")
    }
}

/// The entry point a kernel's wrapper calls through.
pub struct Dispatch {
    ptr: AtomicPtr<()>,
    kernel: &'static KernelInfo,
    /// For a group (`#[asmforge::dispatch(a, b, c)]`): the member kernels, best first, whose
    /// variants are tried in turn; `kernel` then names the group and holds its fallback.
    members: &'static [&'static KernelInfo],
}

impl Dispatch {
    /// A dispatcher that resolves `kernel` on first use. For generated code (`k::DISPATCH`).
    #[doc(hidden)]
    pub const fn new(kernel: &'static KernelInfo) -> Self {
        Dispatch {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
            kernel,
            members: &[],
        }
    }

    /// A dispatcher over separately written kernels with one signature: the first variant, in
    /// `members` order (best first), that the CPU supports. For generated code.
    #[doc(hidden)]
    pub const fn group(
        group: &'static KernelInfo,
        members: &'static [&'static KernelInfo],
    ) -> Self {
        Dispatch {
            ptr: AtomicPtr::new(core::ptr::null_mut()),
            kernel: group,
            members,
        }
    }

    /// Every variant this dispatcher chooses among, best first.
    pub fn variants(&self) -> impl Iterator<Item = &'static VariantInfo> + '_ {
        let own: &'static [VariantInfo] = self.kernel.variants;
        own.iter()
            .chain(self.members.iter().flat_map(|k| k.variants.iter()))
    }

    /// The entry point of the best variant this CPU supports.
    ///
    /// # Panics
    ///
    /// When the CPU supports none of the variants; the message names the kernel and, for
    /// each variant, the features this CPU lacks.
    #[inline(always)]
    pub fn get(&self) -> *const () {
        let p = self.ptr.load(Ordering::Relaxed);
        if p.is_null() { self.resolve() } else { p }
    }

    /// The variant [`Dispatch::get`] calls (resolving it now if needed); `None` when the
    /// fallback runs instead.
    pub fn selected(&self) -> Option<&'static VariantInfo> {
        let p = self.get();
        self.variants().find(|v| v.entry.0 == p)
    }

    #[cold]
    #[inline(never)]
    fn resolve(&self) -> *const () {
        if let Some((level, missing)) = crate::isa::forced_but_missing() {
            panic!(
                "asmforge: ASMFORGE_ISA forces {level:?} but this CPU lacks {missing} (kernel `{}`)",
                self.kernel.name
            );
        }
        let best = self.variants().find(|v| v.is_supported());
        let entry = match (best, self.kernel.fallback) {
            (Some(v), _) => v.entry.0,
            (None, Some(fallback)) => fallback.0,
            (None, None) => unsupported(self),
        };
        self.ptr.store(entry as *mut (), Ordering::Relaxed);
        entry
    }
}

#[cold]
fn unsupported(dispatch: &Dispatch) -> ! {
    struct Why<'a>(&'a Dispatch);
    impl fmt::Display for Why<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            for (i, v) in self.0.variants().enumerate() {
                if i > 0 {
                    f.write_str("; ")?;
                }
                write!(f, "variant `{}` needs {}", v.name, v.missing_features())?;
            }
            Ok(())
        }
    }
    panic!(
        "asmforge: kernel `{}` cannot run on this CPU: {}",
        dispatch.kernel.name,
        Why(dispatch)
    )
}
