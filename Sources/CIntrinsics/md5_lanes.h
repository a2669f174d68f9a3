#ifndef STREAMQ_MD5_LANES_H
#define STREAMQ_MD5_LANES_H
#include <stdint.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// MD5 (RFC 1321) of eight one-block messages side by side, one per lane: what routing a batch of
/// records to shards runs per partition key. `blocks` holds the padded blocks transposed, word w of
/// lane l at `blocks[w * 8 + l]`; the digest's word w of lane l goes to `digest[w * 8 + l]` (each
/// word in the CPU's byte order, as MD5 adds them).
///
/// With SSE2 (every x86-64) each step runs on four lanes an instruction, two halves interleaved
/// (two independent chains keep the core busy); its rotations are shift pairs by immediates.
/// Elsewhere the lanes run one after another in plain C.
static inline void streamq_md5_lanes8(const uint32_t *blocks, uint32_t *digest);

#if defined(__SSE2__)
#define SQ_MD5_F(x, y, z) _mm_or_si128(_mm_and_si128(x, y), _mm_andnot_si128(x, z))
#define SQ_MD5_G(x, y, z) _mm_or_si128(_mm_and_si128(x, z), _mm_andnot_si128(z, y))
#define SQ_MD5_H(x, y, z) _mm_xor_si128(_mm_xor_si128(x, y), z)
#define SQ_MD5_I(x, y, z) _mm_xor_si128(y, _mm_or_si128(x, _mm_xor_si128(z, ones)))
#define SQ_MD5_HALF_STEP(F, a, b, c, d, w, k, s, m)                                                  \
    a = _mm_add_epi32(_mm_add_epi32(a, F(b, c, d)), _mm_add_epi32(_mm_set1_epi32((int)(k)), m[w])); \
    a = _mm_add_epi32(b, _mm_or_si128(_mm_slli_epi32(a, s), _mm_srli_epi32(a, 32 - (s))));
#define SQ_MD5_STEP(F, a, b, c, d, w, k, s)                 \
    SQ_MD5_HALF_STEP(F, a##0, b##0, c##0, d##0, w, k, s, m0) \
    SQ_MD5_HALF_STEP(F, a##1, b##1, c##1, d##1, w, k, s, m1)

static inline void streamq_md5_lanes8(const uint32_t *blocks, uint32_t *digest) {
    const __m128i ones = _mm_set1_epi32(-1);
    __m128i m0[16], m1[16];
    for (int w = 0; w < 16; w++) {
        m0[w] = _mm_loadu_si128((const __m128i *)(blocks + w * 8));
        m1[w] = _mm_loadu_si128((const __m128i *)(blocks + w * 8 + 4));
    }
    const __m128i a_init = _mm_set1_epi32(0x67452301), b_init = _mm_set1_epi32((int)0xefcdab89u);
    const __m128i c_init = _mm_set1_epi32((int)0x98badcfeu), d_init = _mm_set1_epi32(0x10325476);
    __m128i a0 = a_init, b0 = b_init, c0 = c_init, d0 = d_init;
    __m128i a1 = a_init, b1 = b_init, c1 = c_init, d1 = d_init;
    SQ_MD5_STEP(SQ_MD5_F, a, b, c, d, 0, 0xd76aa478u, 7);
    SQ_MD5_STEP(SQ_MD5_F, d, a, b, c, 1, 0xe8c7b756u, 12);
    SQ_MD5_STEP(SQ_MD5_F, c, d, a, b, 2, 0x242070dbu, 17);
    SQ_MD5_STEP(SQ_MD5_F, b, c, d, a, 3, 0xc1bdceeeu, 22);
    SQ_MD5_STEP(SQ_MD5_F, a, b, c, d, 4, 0xf57c0fafu, 7);
    SQ_MD5_STEP(SQ_MD5_F, d, a, b, c, 5, 0x4787c62au, 12);
    SQ_MD5_STEP(SQ_MD5_F, c, d, a, b, 6, 0xa8304613u, 17);
    SQ_MD5_STEP(SQ_MD5_F, b, c, d, a, 7, 0xfd469501u, 22);
    SQ_MD5_STEP(SQ_MD5_F, a, b, c, d, 8, 0x698098d8u, 7);
    SQ_MD5_STEP(SQ_MD5_F, d, a, b, c, 9, 0x8b44f7afu, 12);
    SQ_MD5_STEP(SQ_MD5_F, c, d, a, b, 10, 0xffff5bb1u, 17);
    SQ_MD5_STEP(SQ_MD5_F, b, c, d, a, 11, 0x895cd7beu, 22);
    SQ_MD5_STEP(SQ_MD5_F, a, b, c, d, 12, 0x6b901122u, 7);
    SQ_MD5_STEP(SQ_MD5_F, d, a, b, c, 13, 0xfd987193u, 12);
    SQ_MD5_STEP(SQ_MD5_F, c, d, a, b, 14, 0xa679438eu, 17);
    SQ_MD5_STEP(SQ_MD5_F, b, c, d, a, 15, 0x49b40821u, 22);
    SQ_MD5_STEP(SQ_MD5_G, a, b, c, d, 1, 0xf61e2562u, 5);
    SQ_MD5_STEP(SQ_MD5_G, d, a, b, c, 6, 0xc040b340u, 9);
    SQ_MD5_STEP(SQ_MD5_G, c, d, a, b, 11, 0x265e5a51u, 14);
    SQ_MD5_STEP(SQ_MD5_G, b, c, d, a, 0, 0xe9b6c7aau, 20);
    SQ_MD5_STEP(SQ_MD5_G, a, b, c, d, 5, 0xd62f105du, 5);
    SQ_MD5_STEP(SQ_MD5_G, d, a, b, c, 10, 0x02441453u, 9);
    SQ_MD5_STEP(SQ_MD5_G, c, d, a, b, 15, 0xd8a1e681u, 14);
    SQ_MD5_STEP(SQ_MD5_G, b, c, d, a, 4, 0xe7d3fbc8u, 20);
    SQ_MD5_STEP(SQ_MD5_G, a, b, c, d, 9, 0x21e1cde6u, 5);
    SQ_MD5_STEP(SQ_MD5_G, d, a, b, c, 14, 0xc33707d6u, 9);
    SQ_MD5_STEP(SQ_MD5_G, c, d, a, b, 3, 0xf4d50d87u, 14);
    SQ_MD5_STEP(SQ_MD5_G, b, c, d, a, 8, 0x455a14edu, 20);
    SQ_MD5_STEP(SQ_MD5_G, a, b, c, d, 13, 0xa9e3e905u, 5);
    SQ_MD5_STEP(SQ_MD5_G, d, a, b, c, 2, 0xfcefa3f8u, 9);
    SQ_MD5_STEP(SQ_MD5_G, c, d, a, b, 7, 0x676f02d9u, 14);
    SQ_MD5_STEP(SQ_MD5_G, b, c, d, a, 12, 0x8d2a4c8au, 20);
    SQ_MD5_STEP(SQ_MD5_H, a, b, c, d, 5, 0xfffa3942u, 4);
    SQ_MD5_STEP(SQ_MD5_H, d, a, b, c, 8, 0x8771f681u, 11);
    SQ_MD5_STEP(SQ_MD5_H, c, d, a, b, 11, 0x6d9d6122u, 16);
    SQ_MD5_STEP(SQ_MD5_H, b, c, d, a, 14, 0xfde5380cu, 23);
    SQ_MD5_STEP(SQ_MD5_H, a, b, c, d, 1, 0xa4beea44u, 4);
    SQ_MD5_STEP(SQ_MD5_H, d, a, b, c, 4, 0x4bdecfa9u, 11);
    SQ_MD5_STEP(SQ_MD5_H, c, d, a, b, 7, 0xf6bb4b60u, 16);
    SQ_MD5_STEP(SQ_MD5_H, b, c, d, a, 10, 0xbebfbc70u, 23);
    SQ_MD5_STEP(SQ_MD5_H, a, b, c, d, 13, 0x289b7ec6u, 4);
    SQ_MD5_STEP(SQ_MD5_H, d, a, b, c, 0, 0xeaa127fau, 11);
    SQ_MD5_STEP(SQ_MD5_H, c, d, a, b, 3, 0xd4ef3085u, 16);
    SQ_MD5_STEP(SQ_MD5_H, b, c, d, a, 6, 0x04881d05u, 23);
    SQ_MD5_STEP(SQ_MD5_H, a, b, c, d, 9, 0xd9d4d039u, 4);
    SQ_MD5_STEP(SQ_MD5_H, d, a, b, c, 12, 0xe6db99e5u, 11);
    SQ_MD5_STEP(SQ_MD5_H, c, d, a, b, 15, 0x1fa27cf8u, 16);
    SQ_MD5_STEP(SQ_MD5_H, b, c, d, a, 2, 0xc4ac5665u, 23);
    SQ_MD5_STEP(SQ_MD5_I, a, b, c, d, 0, 0xf4292244u, 6);
    SQ_MD5_STEP(SQ_MD5_I, d, a, b, c, 7, 0x432aff97u, 10);
    SQ_MD5_STEP(SQ_MD5_I, c, d, a, b, 14, 0xab9423a7u, 15);
    SQ_MD5_STEP(SQ_MD5_I, b, c, d, a, 5, 0xfc93a039u, 21);
    SQ_MD5_STEP(SQ_MD5_I, a, b, c, d, 12, 0x655b59c3u, 6);
    SQ_MD5_STEP(SQ_MD5_I, d, a, b, c, 3, 0x8f0ccc92u, 10);
    SQ_MD5_STEP(SQ_MD5_I, c, d, a, b, 10, 0xffeff47du, 15);
    SQ_MD5_STEP(SQ_MD5_I, b, c, d, a, 1, 0x85845dd1u, 21);
    SQ_MD5_STEP(SQ_MD5_I, a, b, c, d, 8, 0x6fa87e4fu, 6);
    SQ_MD5_STEP(SQ_MD5_I, d, a, b, c, 15, 0xfe2ce6e0u, 10);
    SQ_MD5_STEP(SQ_MD5_I, c, d, a, b, 6, 0xa3014314u, 15);
    SQ_MD5_STEP(SQ_MD5_I, b, c, d, a, 13, 0x4e0811a1u, 21);
    SQ_MD5_STEP(SQ_MD5_I, a, b, c, d, 4, 0xf7537e82u, 6);
    SQ_MD5_STEP(SQ_MD5_I, d, a, b, c, 11, 0xbd3af235u, 10);
    SQ_MD5_STEP(SQ_MD5_I, c, d, a, b, 2, 0x2ad7d2bbu, 15);
    SQ_MD5_STEP(SQ_MD5_I, b, c, d, a, 9, 0xeb86d391u, 21);
    _mm_storeu_si128((__m128i *)(digest + 0), _mm_add_epi32(a0, a_init));
    _mm_storeu_si128((__m128i *)(digest + 4), _mm_add_epi32(a1, a_init));
    _mm_storeu_si128((__m128i *)(digest + 8), _mm_add_epi32(b0, b_init));
    _mm_storeu_si128((__m128i *)(digest + 12), _mm_add_epi32(b1, b_init));
    _mm_storeu_si128((__m128i *)(digest + 16), _mm_add_epi32(c0, c_init));
    _mm_storeu_si128((__m128i *)(digest + 20), _mm_add_epi32(c1, c_init));
    _mm_storeu_si128((__m128i *)(digest + 24), _mm_add_epi32(d0, d_init));
    _mm_storeu_si128((__m128i *)(digest + 28), _mm_add_epi32(d1, d_init));
}

#undef SQ_MD5_STEP
#undef SQ_MD5_HALF_STEP
#undef SQ_MD5_I
#undef SQ_MD5_H
#undef SQ_MD5_G
#undef SQ_MD5_F
#else
static inline uint32_t streamq_md5_rotl(uint32_t x, int s) { return (x << s) | (x >> (32 - s)); }

static inline void streamq_md5_lanes8(const uint32_t *blocks, uint32_t *digest) {
    static const uint32_t k[64] = {
        0xd76aa478u, 0xe8c7b756u, 0x242070dbu, 0xc1bdceeeu, 0xf57c0fafu, 0x4787c62au, 0xa8304613u, 0xfd469501u,
        0x698098d8u, 0x8b44f7afu, 0xffff5bb1u, 0x895cd7beu, 0x6b901122u, 0xfd987193u, 0xa679438eu, 0x49b40821u,
        0xf61e2562u, 0xc040b340u, 0x265e5a51u, 0xe9b6c7aau, 0xd62f105du, 0x02441453u, 0xd8a1e681u, 0xe7d3fbc8u,
        0x21e1cde6u, 0xc33707d6u, 0xf4d50d87u, 0x455a14edu, 0xa9e3e905u, 0xfcefa3f8u, 0x676f02d9u, 0x8d2a4c8au,
        0xfffa3942u, 0x8771f681u, 0x6d9d6122u, 0xfde5380cu, 0xa4beea44u, 0x4bdecfa9u, 0xf6bb4b60u, 0xbebfbc70u,
        0x289b7ec6u, 0xeaa127fau, 0xd4ef3085u, 0x04881d05u, 0xd9d4d039u, 0xe6db99e5u, 0x1fa27cf8u, 0xc4ac5665u,
        0xf4292244u, 0x432aff97u, 0xab9423a7u, 0xfc93a039u, 0x655b59c3u, 0x8f0ccc92u, 0xffeff47du, 0x85845dd1u,
        0x6fa87e4fu, 0xfe2ce6e0u, 0xa3014314u, 0x4e0811a1u, 0xf7537e82u, 0xbd3af235u, 0x2ad7d2bbu, 0xeb86d391u};
    static const int shifts[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};
    for (int lane = 0; lane < 8; lane++) {
        uint32_t a = 0x67452301u, b = 0xefcdab89u, c = 0x98badcfeu, d = 0x10325476u;
        for (int i = 0; i < 64; i++) {
            uint32_t f;
            int w;
            if (i < 16) { f = (b & c) | (~b & d); w = i; }
            else if (i < 32) { f = (d & b) | (~d & c); w = (5 * i + 1) & 15; }
            else if (i < 48) { f = b ^ c ^ d; w = (3 * i + 5) & 15; }
            else { f = c ^ (b | ~d); w = (7 * i) & 15; }
            const uint32_t sum = a + f + k[i] + blocks[w * 8 + lane];
            a = d;
            d = c;
            c = b;
            b = b + streamq_md5_rotl(sum, shifts[(i >> 4) * 4 + (i & 3)]);
        }
        digest[lane] = a + 0x67452301u;
        digest[8 + lane] = b + 0xefcdab89u;
        digest[16 + lane] = c + 0x98badcfeu;
        digest[24 + lane] = d + 0x10325476u;
    }
}
#endif
#endif
