/*
 * A stand-in for Windows' bcryptprimitives.dll, for running Rust programs under wine < 8.13.
 *
 * Rust's standard library (1.78 and later) seeds its hash maps and `getrandom` through
 * `ProcessPrng`, which bcryptprimitives.dll exports since Windows 10. Wine added the DLL in
 * 8.13; Debian 12's wine 8.0 has none, so every Rust test binary exits with status 53
 * (DLL not found) before `main`. This DLL exports the one function, backed by
 * `RtlGenRandom` (advapi32's SystemFunction036), which wine has always had.
 *
 * Build: x86_64-w64-mingw32-gcc -O2 -shared -o bcryptprimitives.dll bcryptprimitives.c \
 *        bcryptprimitives.def -ladvapi32
 * Install: copy into "$WINEPREFIX/drive_c/windows/system32/" (.ci/windows does both).
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Fills `data` with `len` random bytes; always succeeds, as the real one does. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
