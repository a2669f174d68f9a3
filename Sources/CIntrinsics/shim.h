#ifndef STREAMQ_CINTRINSICS_SHIM_H
#define STREAMQ_CINTRINSICS_SHIM_H
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// CPU instructions Swift has no portable spelling for, as inline functions the compiler inlines
/// into Swift callers.

/// Asks the core to start loading the cache line at `address` for a read soon, without waiting
/// for it (a hint: it never faults and may be ignored).
static inline void streamq_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// For the 64 bytes at `bytes`: a bit for each quote (`"`) in `*quotes` and for each backslash in
/// `*backslashes`, bit i for byte i. Compares 16 bytes an instruction where SSE2 is there (every
/// x86-64), byte by byte elsewhere.
static inline void streamq_quote_masks64(const void *bytes, uint64_t *quotes, uint64_t *backslashes) {
    const unsigned char *p = (const unsigned char *)bytes;
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    uint64_t q = 0, b = 0;
    for (int part = 0; part < 4; part++) {
        const __m128i chunk = _mm_loadu_si128((const __m128i *)(p + 16 * part));
        q |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, quote)) << (16 * part);
        b |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(chunk, backslash)) << (16 * part);
    }
    *quotes = q;
    *backslashes = b;
#else
    uint64_t q = 0, b = 0;
    for (int index = 0; index < 64; index++) {
        q |= (uint64_t)(p[index] == '"') << index;
        b |= (uint64_t)(p[index] == '\\') << index;
    }
    *quotes = q;
    *backslashes = b;
#endif
}
#endif
