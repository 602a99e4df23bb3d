//! Function signatures of run-time code: the types a stencil's code expects in the System V
//! argument registers, a stable 64-bit fingerprint of them, and [`JitSig`], which ties a Rust
//! function-pointer type to its signature so that a typed callable can be checked against
//! the stencil (and a shipped blob) it came from.

use std::string::String;

/// An argument or return type as the System V AMD64 ABI passes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Ty {
    /// No value (returns only).
    Unit = 0,
    /// `i8`.
    I8 = 1,
    /// `i16`.
    I16 = 2,
    /// `i32`.
    I32 = 3,
    /// `i64` and `isize`.
    I64 = 4,
    /// `u8`.
    U8 = 5,
    /// `u16`.
    U16 = 6,
    /// `u32`.
    U32 = 7,
    /// `u64` and `usize`.
    U64 = 8,
    /// `f32` (in an xmm register).
    F32 = 9,
    /// `f64` (in an xmm register).
    F64 = 10,
    /// Any raw pointer.
    Ptr = 11,
}

impl Ty {
    /// The Rust spelling.
    pub const fn name(self) -> &'static str {
        match self {
            Ty::Unit => "()",
            Ty::I8 => "i8",
            Ty::I16 => "i16",
            Ty::I32 => "i32",
            Ty::I64 => "i64",
            Ty::U8 => "u8",
            Ty::U16 => "u16",
            Ty::U32 => "u32",
            Ty::U64 => "u64",
            Ty::F32 => "f32",
            Ty::F64 => "f64",
            Ty::Ptr => "ptr",
        }
    }
}

/// The parameter and return types of a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Signature<'a> {
    /// Parameter types in order.
    pub params: &'a [Ty],
    /// Return type.
    pub ret: Ty,
}

impl Signature<'_> {
    /// FNV-1a 64 over the arity, the parameter codes and the return code: equal for equal
    /// signatures on every machine and in every version of this crate.
    pub const fn fingerprint(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        h = fnv_step(h, self.params.len() as u8);
        let mut i = 0;
        while i < self.params.len() {
            h = fnv_step(h, self.params[i] as u8);
            i += 1;
        }
        fnv_step(h, 0x80 | self.ret as u8)
    }

    /// `fn(u64) -> u64` style text, for messages.
    pub fn describe(&self) -> String {
        let mut s = String::from("fn(");
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                s.push_str(", ");
            }
            s.push_str(p.name());
        }
        s.push(')');
        if self.ret != Ty::Unit {
            s.push_str(" -> ");
            s.push_str(self.ret.name());
        }
        s
    }
}

const fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
}

/// A type passed in one general-purpose or xmm register.
pub trait AbiType: Copy {
    /// Its [`Ty`].
    const TY: Ty;
}

macro_rules! abi_types {
    ($($t:ty => $ty:ident),* $(,)?) => { $(impl AbiType for $t { const TY: Ty = Ty::$ty; })* };
}
abi_types!(i8 => I8, i16 => I16, i32 => I32, i64 => I64, isize => I64, u8 => U8, u16 => U16,
    u32 => U32, u64 => U64, usize => U64, f32 => F32, f64 => F64);
impl<T> AbiType for *const T {
    const TY: Ty = Ty::Ptr;
}
impl<T> AbiType for *mut T {
    const TY: Ty = Ty::Ptr;
}

/// A return type: `()` or an [`AbiType`].
pub trait AbiRet {
    /// Its [`Ty`].
    const TY: Ty;
}
impl AbiRet for () {
    const TY: Ty = Ty::Unit;
}
impl<T: AbiType> AbiRet for T {
    const TY: Ty = <T as AbiType>::TY;
}

/// An `extern "sysv64" fn` pointer type (safe or `unsafe`) that run-time code can be called
/// through.
///
/// # Safety
///
/// Implementors must be function-pointer types whose calling convention and types match
/// [`JitSig::SIGNATURE`]; [`JitSig::from_addr`] transmutes a code address into `Self`.
pub unsafe trait JitSig: Copy {
    /// The signature the pointer type calls with.
    const SIGNATURE: Signature<'static>;

    /// The pointer type for code at `addr`.
    ///
    /// # Safety
    ///
    /// `addr` is the entry of code with this signature, executable while the result is used.
    unsafe fn from_addr(addr: *const u8) -> Self;
}

macro_rules! jit_sig {
    ($($a:ident),*) => {
        // SAFETY: a function pointer of the sysv64 ABI with exactly these types.
        unsafe impl<R: AbiRet, $($a: AbiType),*> JitSig for extern "sysv64" fn($($a),*) -> R {
            const SIGNATURE: Signature<'static> = Signature { params: &[$($a::TY),*], ret: R::TY };
            unsafe fn from_addr(addr: *const u8) -> Self {
                // SAFETY: the caller vouches for the code at `addr`.
                unsafe { core::mem::transmute::<*const u8, Self>(addr) }
            }
        }
        // SAFETY: as above.
        unsafe impl<R: AbiRet, $($a: AbiType),*> JitSig for unsafe extern "sysv64" fn($($a),*) -> R {
            const SIGNATURE: Signature<'static> = Signature { params: &[$($a::TY),*], ret: R::TY };
            unsafe fn from_addr(addr: *const u8) -> Self {
                // SAFETY: the caller vouches for the code at `addr`.
                unsafe { core::mem::transmute::<*const u8, Self>(addr) }
            }
        }
    };
}
jit_sig!();
jit_sig!(A);
jit_sig!(A, B);
jit_sig!(A, B, C);
jit_sig!(A, B, C, D);
jit_sig!(A, B, C, D, E);
jit_sig!(A, B, C, D, E, G);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_distinguish_signatures() {
        type F1 = extern "sysv64" fn(u64) -> u64;
        type F2 = extern "sysv64" fn(usize) -> u64;
        type F3 = extern "sysv64" fn(i64) -> u64;
        type F4 = extern "sysv64" fn(u64, u64) -> u64;
        type F5 = unsafe extern "sysv64" fn(*const f32, *mut f32, usize);
        assert_eq!(F1::SIGNATURE.fingerprint(), F2::SIGNATURE.fingerprint());
        assert_ne!(F1::SIGNATURE.fingerprint(), F3::SIGNATURE.fingerprint());
        assert_ne!(F1::SIGNATURE.fingerprint(), F4::SIGNATURE.fingerprint());
        assert_eq!(F5::SIGNATURE.describe(), "fn(ptr, ptr, u64)");
        assert_eq!(F1::SIGNATURE.describe(), "fn(u64) -> u64");
        // FNV-1a 64 of [arity 1, U64 = 8, 0x80 | U64]; stable across versions: blobs carry it.
        assert_eq!(F1::SIGNATURE.fingerprint(), 0xd088_df18_6710_e3ac);
    }
}
