//! Finding the lines of a module file that may hold a key, without visiting every line.
//!
//! A go.mod of 50,000 `require` lines is 2.3 MB, and the proxy scans it on every `go` call
//! in that module. Visiting each line costs a call and a few unpredictable branches (module
//! paths begin with `g` about as often as not); this search looks at 16 bytes (SSE2, which
//! every x86_64 has) or 32 bytes (AVX2, for large files when the CPU has it) at a time and
//! flags only bytes that can begin `go `, `toolchain` or a Unicode space right after a blank,
//! so most blocks cost a dozen vector instructions and no branch.

/// The ASCII blanks before a line's first word (not `\n`, which ends a line).
pub(crate) fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c)
}

/// A byte that can begin a key or a Unicode space.
fn may_start(b: u8) -> bool {
    matches!(b, b'g' | b't' | 0x80..=0xff)
}

/// From this size on, the AVX2 search is worth the one-time CPU feature check (a few CPUID
/// instructions, each a VM exit on a virtual machine: 13 to 16 µs here).
const WIDE_FROM: usize = 256 * 1024;

/// Whether a file of `len` bytes (or `len` read so far) is worth the wide search.
pub(crate) fn worth_wide(len: usize) -> bool {
    len >= WIDE_FROM
}

/// Calls `f(p)`, in order, for every `p` where `bytes[p]` can start a key or a Unicode space
/// (`g`, `t`, a byte from 0x80) and the byte before it is a blank, a newline or nothing, until
/// `f` returns true (`wide`: the file is large enough for the wide search, see
/// [`worth_wide`]). Returns whether it did, and, when it did not, the number of newlines in
/// `bytes` (0 when it did: the caller keeps its own count then).
///
/// The block search is looser and stricter at once: it may also flag a byte after any other
/// control byte, and leaves out a `p` where neither `go` and a space or control byte nor `too`
/// follows, which cannot begin a key. `f` checks what it is given.
pub(crate) fn each_start(
    bytes: &[u8],
    wide: bool,
    f: &mut impl FnMut(usize) -> bool,
) -> (bool, usize) {
    let mut i = 0;
    let mut newlines = 0;
    // The first byte has no byte before it: it is a line start.
    if let Some(&b) = bytes.first() {
        if may_start(b) && f(0) {
            return (true, 0);
        }
        newlines += usize::from(b == b'\n');
        i = 1;
    }
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        if wide && std::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            if unsafe { x86::blocks_avx2(bytes, &mut i, &mut newlines, f) } {
                return (true, 0);
            }
        }
        // SAFETY: SSE2 is enabled for this build (the cfg above).
        if unsafe { x86::blocks_sse2(bytes, &mut i, &mut newlines, f) } {
            return (true, 0);
        }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    let _ = wide;
    while i < bytes.len() {
        let b = bytes[i];
        let prev = bytes[i - 1];
        if may_start(b) && (prev == b'\n' || is_blank(prev)) && f(i) {
            return (true, 0);
        }
        newlines += usize::from(b == b'\n');
        i += 1;
    }
    (false, newlines)
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod x86 {
    use std::arch::x86_64::*;

    /// The vector operations the block search needs, at one width.
    trait Lanes: Copy {
        const WIDTH: usize;
        /// # Safety
        /// `p` points to `WIDTH` readable bytes; the CPU has the lanes' instructions.
        unsafe fn load(p: *const u8) -> Self;
        unsafe fn splat(b: u8) -> Self;
        unsafe fn eq(self, other: Self) -> Self;
        unsafe fn min(self, other: Self) -> Self;
        unsafe fn and(self, other: Self) -> Self;
        unsafe fn or(self, other: Self) -> Self;
        unsafe fn sub(self, other: Self) -> Self;
        /// The sign bit of every byte.
        unsafe fn mask(self) -> u32;
        /// The sum of all bytes (as unsigned).
        unsafe fn sum(self) -> usize;
    }

    impl Lanes for __m128i {
        const WIDTH: usize = 16;
        #[inline(always)]
        unsafe fn load(p: *const u8) -> Self {
            unsafe { _mm_loadu_si128(p.cast()) }
        }
        #[inline(always)]
        unsafe fn splat(b: u8) -> Self {
            unsafe { _mm_set1_epi8(b as i8) }
        }
        #[inline(always)]
        unsafe fn eq(self, o: Self) -> Self {
            unsafe { _mm_cmpeq_epi8(self, o) }
        }
        #[inline(always)]
        unsafe fn min(self, o: Self) -> Self {
            unsafe { _mm_min_epu8(self, o) }
        }
        #[inline(always)]
        unsafe fn and(self, o: Self) -> Self {
            unsafe { _mm_and_si128(self, o) }
        }
        #[inline(always)]
        unsafe fn or(self, o: Self) -> Self {
            unsafe { _mm_or_si128(self, o) }
        }
        #[inline(always)]
        unsafe fn sub(self, o: Self) -> Self {
            unsafe { _mm_sub_epi8(self, o) }
        }
        #[inline(always)]
        unsafe fn mask(self) -> u32 {
            unsafe { _mm_movemask_epi8(self) as u32 }
        }
        #[inline(always)]
        unsafe fn sum(self) -> usize {
            unsafe {
                let s = _mm_sad_epu8(self, _mm_setzero_si128());
                (_mm_cvtsi128_si64(s) + _mm_cvtsi128_si64(_mm_srli_si128::<8>(s))) as usize
            }
        }
    }

    impl Lanes for __m256i {
        const WIDTH: usize = 32;
        #[inline(always)]
        unsafe fn load(p: *const u8) -> Self {
            unsafe { _mm256_loadu_si256(p.cast()) }
        }
        #[inline(always)]
        unsafe fn splat(b: u8) -> Self {
            unsafe { _mm256_set1_epi8(b as i8) }
        }
        #[inline(always)]
        unsafe fn eq(self, o: Self) -> Self {
            unsafe { _mm256_cmpeq_epi8(self, o) }
        }
        #[inline(always)]
        unsafe fn min(self, o: Self) -> Self {
            unsafe { _mm256_min_epu8(self, o) }
        }
        #[inline(always)]
        unsafe fn and(self, o: Self) -> Self {
            unsafe { _mm256_and_si256(self, o) }
        }
        #[inline(always)]
        unsafe fn or(self, o: Self) -> Self {
            unsafe { _mm256_or_si256(self, o) }
        }
        #[inline(always)]
        unsafe fn sub(self, o: Self) -> Self {
            unsafe { _mm256_sub_epi8(self, o) }
        }
        #[inline(always)]
        unsafe fn mask(self) -> u32 {
            unsafe { _mm256_movemask_epi8(self) as u32 }
        }
        #[inline(always)]
        unsafe fn sum(self) -> usize {
            unsafe {
                let s = _mm256_sad_epu8(self, _mm256_setzero_si256());
                let lo = _mm256_castsi256_si128(s);
                let hi = _mm256_extracti128_si256::<1>(s);
                (_mm_cvtsi128_si64(lo)
                    + _mm_cvtsi128_si64(_mm_srli_si128::<8>(lo))
                    + _mm_cvtsi128_si64(hi)
                    + _mm_cvtsi128_si64(_mm_srli_si128::<8>(hi))) as usize
            }
        }
    }

    /// The block search from `*i` (at least 1) while a whole block and the two bytes after it
    /// fit, adding the newlines it passes to `*newlines`; true when `f` said so.
    ///
    /// # Safety
    /// The CPU has `L`'s instructions.
    #[inline(always)]
    unsafe fn blocks<L: Lanes>(
        bytes: &[u8],
        i: &mut usize,
        newlines: &mut usize,
        f: &mut impl FnMut(usize) -> bool,
    ) -> bool {
        if *i == 0 {
            return false; // an empty slice: nothing before the first block to compare with
        }
        loop {
            // SAFETY: the caller guarantees the instructions.
            let (at, mut mask) = unsafe { next_flagged::<L>(bytes, *i, newlines) };
            *i = at;
            if mask == 0 {
                return false;
            }
            while mask != 0 {
                if f(at + mask.trailing_zeros() as usize) {
                    return true;
                }
                mask &= mask - 1;
            }
            *i += L::WIDTH;
        }
    }

    /// From block `i` on, the first block with a flagged byte: its start and its mask (the
    /// bits of the flagged bytes), or where the blocks end and 0. Adds the newlines of every
    /// block it looked at to `*newlines`, the flagged one included. No call in the loop, so
    /// everything stays in registers.
    ///
    /// # Safety
    /// The CPU has `L`'s instructions; `i >= 1`.
    #[inline(always)]
    unsafe fn next_flagged<L: Lanes>(
        bytes: &[u8],
        mut i: usize,
        newlines: &mut usize,
    ) -> (usize, u32) {
        // SAFETY (every lane operation): the caller guarantees the instructions; each load
        // is in bounds (below).
        unsafe {
            let (nl, space, g, t, o) = (
                L::splat(b'\n'),
                L::splat(b' '),
                L::splat(b'g'),
                L::splat(b't'),
                L::splat(b'o'),
            );
            let zero = L::splat(0);
            // Byte-sized newline counters, added up every 255 blocks (before they wrap).
            let mut acc = zero;
            let mut left = 255;
            let mut mask = 0;
            // Two bytes after the block are read too (`go` and `to` need what follows them).
            while i + L::WIDTH + 2 <= bytes.len() {
                // In bounds: `1 <= i` and `i + WIDTH + 2 <= len`, so the loads at `i - 1` to
                // `i + 2` read inside `bytes`; they are unaligned loads.
                let at = |d: usize| L::load(bytes.as_ptr().add(i - 1 + d));
                let (prev, cur, next, next2) = (at(0), at(1), at(2), at(3));
                // A control byte or a space before (a superset of the blanks and the newline:
                // `f` looks again), and `g`+`o`+(the same), `too`, or a byte from 0x80 (its
                // sign bit, which the `or` keeps).
                let after_blank = prev.min(space).eq(prev);
                let go = cur.eq(g).and(next2.min(space).eq(next2));
                let too = cur.eq(t).and(next2.eq(o));
                let key = go.or(too).and(next.eq(o)).or(cur);
                acc = acc.sub(cur.eq(nl));
                mask = key.and(after_blank).mask();
                if mask != 0 {
                    break;
                }
                i += L::WIDTH;
                left -= 1;
                if left == 0 {
                    *newlines += acc.sum();
                    acc = zero;
                    left = 255;
                }
            }
            *newlines += acc.sum();
            (i, mask)
        }
    }

    /// [`blocks`] 16 bytes at a time.
    ///
    /// # Safety
    /// The CPU has SSE2 (every x86_64 does).
    pub(super) unsafe fn blocks_sse2(
        bytes: &[u8],
        i: &mut usize,
        newlines: &mut usize,
        f: &mut impl FnMut(usize) -> bool,
    ) -> bool {
        // SAFETY: the caller guarantees SSE2.
        unsafe { blocks::<__m128i>(bytes, i, newlines, f) }
    }

    /// [`blocks`] 32 bytes at a time.
    ///
    /// # Safety
    /// The CPU has AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn blocks_avx2(
        bytes: &[u8],
        i: &mut usize,
        newlines: &mut usize,
        f: &mut impl FnMut(usize) -> bool,
    ) -> bool {
        // SAFETY: the caller guarantees AVX2.
        unsafe { blocks::<__m256i>(bytes, i, newlines, f) }
    }
}

/// A fixed xorshift sequence for the tests: the same cases on every run.
#[cfg(test)]
pub(crate) fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every flagged byte may start a key after a control byte or a space; every one after a
    /// blank or a newline that can begin a key is flagged; newlines are counted; the search
    /// stops when told to. Wherever the bytes fall: across blocks, in the tail, and (one long
    /// text) past the counters' 255 blocks and on the wide path.
    #[test]
    fn line_starts_are_found_in_every_position() {
        const BYTES: &[u8] = b"\n\n \tgtoox\r\x0b\x0c\x01\xc2a";
        let mut next = xorshift(0x2545_f491_4f6c_dd1d);
        for round in 0..6000 {
            let len = match round {
                0 => 255 * 16 * 3 + 7,
                1 => 255 * 32 * 2 + 33,
                _ => round % 300,
            };
            let text: Vec<u8> = (0..len)
                .map(|_| BYTES[(next() % BYTES.len() as u64) as usize])
                .collect();
            let loose: Vec<usize> = (0..len)
                .filter(|&p| may_start(text[p]) && (p == 0 || text[p - 1] <= b' '))
                .collect();
            let can_begin = |p: usize| {
                let r = &text[p..];
                r[0] >= 0x80
                    || r.starts_with(b"go ")
                    || r.starts_with(b"go\t")
                    || r.starts_with(b"too")
            };
            let after_blank = |p: usize| p == 0 || text[p - 1] == b'\n' || is_blank(text[p - 1]);
            let needed: Vec<usize> = (0..len)
                .filter(|&p| may_start(text[p]) && can_begin(p) && after_blank(p))
                .collect();
            let total = text.iter().filter(|&&b| b == b'\n').count();
            let mut got = Vec::new();
            let (stopped, newlines) = each_start(&text, round % 2 == 1, &mut |p| {
                got.push(p);
                false
            });
            assert!(!stopped);
            assert!(got.iter().all(|p| loose.contains(p)), "{text:?}");
            assert!(needed.iter().all(|p| got.contains(p)), "{text:?}: {got:?}");
            assert!(got.windows(2).all(|w| w[0] < w[1]), "in order");
            assert_eq!(newlines, total, "{text:?}");
            if let Some(&p) = got.get(got.len() / 2) {
                let mut seen = 0;
                let (stopped, _) = each_start(&text, round % 2 == 1, &mut |q| {
                    seen += 1;
                    q == p
                });
                assert!(stopped);
                assert_eq!(seen, got.len() / 2 + 1, "stops there");
            }
        }
    }
}
