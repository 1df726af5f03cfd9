/* Wine 8 has no bcryptprimitives.dll, which Rust's std (1.78+) imports ProcessPrng from: every
 * Rust program dies at start without it. `cargo xtask windows` builds this one-function DLL and
 * puts it in the test prefix's system32. Wine 10 ships the real one. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x10000000 ? 0x10000000 : (ULONG)len;
        if (!SystemFunction036(data, chunk)) return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
