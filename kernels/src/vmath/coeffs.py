#!/usr/bin/env python3
"""Regenerates the polynomial coefficients and the 2/pi table used by `vmath` (mpmath, 100 digits).

Near-minimax (Chebyshev) fits of the smooth remainders each function's reduction leaves; the
kernels round them to f32/f64, and `--example ulp` verifies the result, so this script is a
record of where the numbers came from, not a proof. Run: python3 coeffs.py
"""
import struct

import mpmath as mp

mp.mp.dps = 600


def fit(name, f, a, b, deg, ty):
    poly, err = mp.chebyfit(f, [a, b], deg + 1, error=True)
    # chebyfit gives the highest degree first
    cs = ", ".join(mp.nstr(c, 20, min_fixed=-1000, max_fixed=1000) for c in poly)
    print(f"// {name}: degree {deg} on [{mp.nstr(a, 6)}, {mp.nstr(b, 6)}], fit error {mp.nstr(err, 3)}")
    print(f"const {name}: [{ty}; {deg + 1}] = [{cs}];")


def main():
    ln2 = mp.log(2)
    # f32: exp(r) = 1 + r + r^2 q(r), |r| <= ln2/2 (+ margin for the rounded n)
    fit("EXPF_Q", lambda r: (mp.exp(r) - 1 - r) / r**2 if r != 0 else mp.mpf(1) / 2, -0.35, 0.35, 5, "f32")
    # f32: 2^r = 1 + r p(r), |r| <= 1/2
    fit("EXP2F_P", lambda r: (mp.power(2, r) - 1) / r if r != 0 else ln2, -0.5, 0.5, 5, "f32")
    # f32: log(1+f) = f - f^2/2 + f^3 P(f), f in [sqrt(1/2)-1, sqrt(2)-1]
    a, b = mp.sqrt(0.5) - 1, mp.sqrt(2) - 1
    for deg in (8,):
        fit("LOGF_P", lambda f: (mp.log1p(f) - f + f**2 / 2) / f**3 if f != 0 else mp.mpf(1) / 3, a, b, deg, "f32")
    # f32: sin r = r + r^3 S(r^2), cos r = 1 - r^2/2 + r^4 C(r^2), |r| <= pi/4
    z1 = (mp.pi / 4) ** 2 * 1.01
    fit("SINF_S", lambda z: (mp.sin(mp.sqrt(z)) - mp.sqrt(z)) / z**1.5 if z != 0 else -mp.mpf(1) / 6, 0, z1, 3, "f32")
    fit("COSF_C", lambda z: (mp.cos(mp.sqrt(z)) - 1 + z / 2) / z**2 if z != 0 else mp.mpf(1) / 24, 0, z1, 3, "f32")
    # f64 versions
    fit("EXP_Q", lambda r: (mp.exp(r) - 1 - r) / r**2 if r != 0 else mp.mpf(1) / 2, -0.35, 0.35, 10, "f64")
    fit("EXP2_P", lambda r: (mp.power(2, r) - 1) / r if r != 0 else ln2, -0.5, 0.5, 12, "f64")
    # f64 log: s = f/(2+f), log(1+f) = 2s + s^3 R(s^2), s^2 <= ((sqrt2-1)/(sqrt2+1))^2
    s2 = ((mp.sqrt(2) - 1) / (mp.sqrt(2) + 1)) ** 2 * 1.01
    fit("LOG_R", lambda w: (2 * mp.atanh(mp.sqrt(w)) - 2 * mp.sqrt(w)) / w**1.5 if w != 0 else mp.mpf(2) / 3, 0, s2, 8, "f64")
    fit("SIN_S", lambda z: (mp.sin(mp.sqrt(z)) - mp.sqrt(z)) / z**1.5 if z != 0 else -mp.mpf(1) / 6, 0, z1, 6, "f64")
    fit("COS_C", lambda z: (mp.cos(mp.sqrt(z)) - 1 + z / 2) / z**2 if z != 0 else mp.mpf(1) / 24, 0, z1, 6, "f64")
    # f32 SSE2 bodies (evaluated in f64): Taylor coefficients, highest degree first
    taylor = lambda name, cs: print(f"// {name}: " + ", ".join(repr(float(c)) for c in cs))
    taylor("SSE2 expf e^r", [1 / mp.factorial(k) for k in range(8, -1, -1)])
    taylor("SSE2 exp2f 2^r", [ln2**k / mp.factorial(k) for k in range(8, -1, -1)])
    taylor("SSE2 logf 2 atanh(s)/s in s^2", [mp.mpf(2) / (2 * k + 1) for k in range(6, -1, -1)])
    taylor("SSE2 sinf S(z)", [(-1) ** k / mp.factorial(2 * k + 1) for k in range(5, 0, -1)])
    taylor("SSE2 cosf C(z)", [(-1) ** k / mp.factorial(2 * k) for k in range(6, 0, -1)])
    p1 = mp.mpf(float(mp.pi / 2))
    p1 = mp.floor(p1 * mp.mpf(2) ** 32) / mp.mpf(2) ** 32  # 33 significant bits
    print(f"// SSE2 sinf/cosf pi/2 = p1 + p2: {float(p1)!r}, {float(mp.pi / 2 - p1)!r}")
    # 2/pi, 24 bits per entry, for the Payne-Hanek reduction
    bits = int(mp.floor(2 / mp.pi * mp.mpf(2) ** (24 * 60)))
    words = [(bits >> (24 * (59 - i))) & 0xFFFFFF for i in range(60)]
    print("const TWO_OVER_PI_24: [u32; 60] = [" + ", ".join(f"0x{w:06X}" for w in words) + "];")


def f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def tables():
    """The table-driven AVX kernels: expf (2^(j/K), K = 16 and 8) and logf/log2f (AVX-512)."""
    ln2 = mp.log(2)
    for k, deg in ((16, 3), (8, 4)):
        t = [mp.power(2, mp.mpf(j) / k) for j in range(k)]
        hi = [f32(v) for v in t]
        print(f"// expf K={k}: 2^(j/K) hi: " + ", ".join(repr(h) for h in hi))
        print(f"// expf K={k}: 2^(j/K) lo: " + ", ".join(repr(f32(v - mp.mpf(h))) for v, h in zip(t, hi)))
        # e^r - 1 = r + r^2 q(r), |r| <= ln2/(2K) (+2%)
        fit(f"EXPF_Q{k}", lambda r: (mp.exp(r) - 1 - r) / r**2 if r != 0 else mp.mpf(1) / 2,
            -ln2 / (2 * k) * 1.02, ln2 / (2 * k) * 1.02, deg - 2, "f32")
    c1 = mp.floor(ln2 * 4096) / 4096  # 12 bits: n C1 exact for the 12-bit m + j/K
    print(f"// expf ln2 = C1 + C2: {float(c1)!r}, {f32(ln2 - c1)!r}")
    # logf/log2f: z in [1, 2), bucket j = [1 + j/16, 1 + (j+1)/16); 1/c_j with the fewest bits
    # that keep r = z/c_j - 1 exact (|r| < 2^(1-q) for q fraction bits), c_0 = 1, c_15 = 2
    invc = []
    for j in range(16):
        lo, hi = 1 + mp.mpf(j) / 16, 1 + mp.mpf(j + 1) / 16 - mp.mpf(2) ** -23
        if j in (0, 15):
            invc.append(mp.mpf(1) if j == 0 else mp.mpf(1) / 2)
            continue
        best = None
        for q in range(3, 10):
            m0 = int(mp.floor(2 / (lo + hi) * 2**q))
            for m in range(m0 - 1, m0 + 3):
                c = mp.mpf(m) / 2**q
                e = max(abs(lo * c - 1), abs(hi * c - 1))
                if e < mp.mpf(2) ** (1 - q) and (best is None or e < best[0]):
                    best = (e, c)
        invc.append(best[1])
    print("// logf 1/c_j: " + ", ".join(repr(float(c)) for c in invc))
    for name, f, quantum in (("logf", lambda c: -mp.log(c), 17), ("log2f", lambda c: -mp.log(c) / ln2, 16)):
        # hi a multiple of 2^-quantum (so k ln2_hi + hi, or k + hi, is exact); c_15's logf parts
        # are ln2_hi and ln2_lo themselves
        his = [float(mp.nint(f(c) * 2**quantum) / 2**quantum) for c in invc]
        los = [f32(f(c) - mp.mpf(h)) for c, h in zip(invc, his)]
        if name == "logf":
            his[15], los[15] = 0.693359375, f32(ln2 - mp.mpf(0.693359375))
        print(f"// {name} log c_j hi: " + ", ".join(repr(h) for h in his))
        print(f"// {name} log c_j lo: " + ", ".join(repr(v) for v in los))
    a = mp.mpf(1) / 16 * 1.001
    fit("LOGF_T", lambda r: (mp.log1p(r) - r) / r**2 if r != 0 else -mp.mpf(1) / 2, -a, a, 4, "f32")
    fit("LOG2F_T", lambda r: (mp.log1p(r) - r) / r**2 / ln2 if r != 0 else -1 / (2 * ln2), -a, a, 4, "f32")


main()
tables()
