/* Two SHA-256 messages hashed at once on the SHA extensions (SHA-NI): a prototype measured for docs/performance.md, not part of Bulwark. */
#include <immintrin.h>
#include <stdint.h>
#include <stddef.h>

static const uint32_t K[64] = {
 0x428a2f98,0x71374491,0xb5c0fbcf,0xe9b5dba5,0x3956c25b,0x59f111f1,0x923f82a4,0xab1c5ed5,
 0xd807aa98,0x12835b01,0x243185be,0x550c7dc3,0x72be5d74,0x80deb1fe,0x9bdc06a7,0xc19bf174,
 0xe49b69c1,0xefbe4786,0x0fc19dc6,0x240ca1cc,0x2de92c6f,0x4a7484aa,0x5cb0a9dc,0x76f988da,
 0x983e5152,0xa831c66d,0xb00327c8,0xbf597fc7,0xc6e00bf3,0xd5a79147,0x06ca6351,0x14292967,
 0x27b70a85,0x2e1b2138,0x4d2c6dfc,0x53380d13,0x650a7354,0x766a0abb,0x81c2c92e,0x92722c85,
 0xa2bfe8a1,0xa81a664b,0xc24b8b70,0xc76c51a3,0xd192e819,0xd6990624,0xf40e3585,0x106aa070,
 0x19a4c116,0x1e376c08,0x2748774c,0x34b0bcb5,0x391c0cb3,0x4ed8aa4a,0x5b9cca4f,0x682e6ff3,
 0x748f82ee,0x78a5636f,0x84c87814,0x8cc70208,0x90befffa,0xa4506ceb,0xbef9a3f7,0xc67178f2};

#define TARGET __attribute__((target("sha,sse4.1,ssse3")))

TARGET static inline void load_state(const uint32_t *state, __m128i *s0, __m128i *s1) {
  __m128i tmp = _mm_loadu_si128((const __m128i *)&state[0]);
  __m128i t1 = _mm_loadu_si128((const __m128i *)&state[4]);
  tmp = _mm_shuffle_epi32(tmp, 0xB1);
  t1 = _mm_shuffle_epi32(t1, 0x1B);
  *s0 = _mm_alignr_epi8(tmp, t1, 8);
  *s1 = _mm_blend_epi16(t1, tmp, 0xF0);
}

TARGET static inline void store_state(uint32_t *state, __m128i s0, __m128i s1) {
  __m128i tmp = _mm_shuffle_epi32(s0, 0x1B);
  s1 = _mm_shuffle_epi32(s1, 0xB1);
  s0 = _mm_blend_epi16(tmp, s1, 0xF0);
  s1 = _mm_alignr_epi8(s1, tmp, 8);
  _mm_storeu_si128((__m128i *)&state[0], s0);
  _mm_storeu_si128((__m128i *)&state[4], s1);
}

#define MASK _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL)

/* Four rounds on w (the four message words of this group). */
#define ROUNDS(s0, s1, w, i) do { \
    __m128i m_ = _mm_add_epi32(w, _mm_loadu_si128((const __m128i *)&K[4 * (i)])); \
    s1 = _mm_sha256rnds2_epu32(s1, s0, m_); \
    m_ = _mm_shuffle_epi32(m_, 0x0E); \
    s0 = _mm_sha256rnds2_epu32(s0, s1, m_); } while (0)

#define NEXT(w0, w1, w2, w3) _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(w0, w1), _mm_alignr_epi8(w3, w2, 4)), w3)

TARGET void bw_sha256_blocks(uint32_t *state, const uint8_t *data, size_t blocks) {
  __m128i s0, s1;
  load_state(state, &s0, &s1);
  for (; blocks; blocks--, data += 64) {
    __m128i a0 = s0, a1 = s1, w[4];
    for (int j = 0; j < 4; j++) w[j] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(data + 16 * j)), MASK);
    for (int i = 0; i < 16; i++) {
      ROUNDS(s0, s1, w[i & 3], i);
      if (i < 12) w[i & 3] = NEXT(w[i & 3], w[(i + 1) & 3], w[(i + 2) & 3], w[(i + 3) & 3]);
    }
    s0 = _mm_add_epi32(s0, a0);
    s1 = _mm_add_epi32(s1, a1);
  }
  store_state(state, s0, s1);
}

TARGET void bw_sha256_blocks2(uint32_t *state_a, const uint8_t *a, uint32_t *state_b, const uint8_t *b, size_t blocks) {
  __m128i s0, s1, t0, t1;
  load_state(state_a, &s0, &s1);
  load_state(state_b, &t0, &t1);
  for (; blocks; blocks--, a += 64, b += 64) {
    __m128i a0 = s0, a1 = s1, b0 = t0, b1 = t1, w[4], v[4];
    for (int j = 0; j < 4; j++) {
      w[j] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(a + 16 * j)), MASK);
      v[j] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(b + 16 * j)), MASK);
    }
    for (int i = 0; i < 16; i++) {
      ROUNDS(s0, s1, w[i & 3], i);
      ROUNDS(t0, t1, v[i & 3], i);
      if (i < 12) {
        w[i & 3] = NEXT(w[i & 3], w[(i + 1) & 3], w[(i + 2) & 3], w[(i + 3) & 3]);
        v[i & 3] = NEXT(v[i & 3], v[(i + 1) & 3], v[(i + 2) & 3], v[(i + 3) & 3]);
      }
    }
    s0 = _mm_add_epi32(s0, a0); s1 = _mm_add_epi32(s1, a1);
    t0 = _mm_add_epi32(t0, b0); t1 = _mm_add_epi32(t1, b1);
  }
  store_state(state_a, s0, s1);
  store_state(state_b, t0, t1);
}

int bw_sha256_supported(void) {
  unsigned a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0), "c"(0));
  if (a < 7) return 0;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  if (!(c & (1u << 19)) || !(c & (1u << 9))) return 0; /* SSE4.1, SSSE3 */
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
  return (b >> 29) & 1;
}
