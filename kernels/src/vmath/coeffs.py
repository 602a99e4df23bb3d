#!/usr/bin/env python3
"""Regenerates the polynomial coefficients and the 2/pi table used by `vmath` (mpmath, 100 digits).

Near-minimax (Chebyshev) fits of the smooth remainders each function's reduction leaves; the
kernels round them to f32/f64, and `--example ulp` verifies the result, so this script is a
record of where the numbers came from, not a proof. Run: python3 coeffs.py
"""
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


main()
