#include "CMiniLMKernels.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

void mlk_pack_weights(const float *weight, int n, int k, int8_t *packed, float *scales, int32_t *sums) {
    for (int j = 0; j < n; j++) {
        const float *row = weight + (size_t)j * k;
        float largest = 0;
        for (int i = 0; i < k; i++) largest = fmaxf(largest, fabsf(row[i]));
        const float scale = largest > 0 ? largest / MLK_WEIGHT_LIMIT : 1;
        int8_t *panel = packed + (size_t)(j / MLK_PANEL_WIDTH) * k * MLK_PANEL_WIDTH;
        const int column = j % MLK_PANEL_WIDTH;
        int32_t sum = 0;
        for (int i = 0; i < k; i++) {
            long q = lrintf(row[i] / scale);
            q = q > MLK_WEIGHT_LIMIT ? MLK_WEIGHT_LIMIT : q < -MLK_WEIGHT_LIMIT ? -MLK_WEIGHT_LIMIT : q;
            panel[(i / 4) * 4 * MLK_PANEL_WIDTH + column * 4 + i % 4] = (int8_t)q;
            sum += (int32_t)q;
        }
        scales[j] = scale;
        sums[j] = sum;
    }
}

/// The scale and zero point that map [min(low, 0), max(high, 0)] onto 1…255. Byte 0 is never
/// used: the AVX2 kernel negates a - 128, and -(-128) does not fit in a signed byte.
static inline void row_range(float low, float high, float *scale, int32_t *zero) {
    low = fminf(low, 0);
    high = fmaxf(high, 0);
    *scale = high > low ? (high - low) / 254 : 1;
    *zero = (int32_t)lrintf(-low / *scale) + 1;
}

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

void mlk_quantize_rows(const float *a, int m, int k, int lda, uint8_t *q, int ldq, float *scales, int32_t *zeros) {
    // packs interleaves its two inputs per 128-bit lane; this puts the 32-bit groups back in order.
    const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const __m256i one = _mm256_set1_epi8(1);
    for (int r = 0; r < m; r++) {
        const float *x = a + (size_t)r * lda;
        __m256 low = _mm256_loadu_ps(x), high = low;
        for (int i = 8; i < k; i += 8) {
            const __m256 v = _mm256_loadu_ps(x + i);
            low = _mm256_min_ps(low, v);
            high = _mm256_max_ps(high, v);
        }
        float lows[8], highs[8];
        _mm256_storeu_ps(lows, low);
        _mm256_storeu_ps(highs, high);
        float rowLow = lows[0], rowHigh = highs[0];
        for (int i = 1; i < 8; i++) {
            rowLow = fminf(rowLow, lows[i]);
            rowHigh = fmaxf(rowHigh, highs[i]);
        }
        row_range(rowLow, rowHigh, &scales[r], &zeros[r]);
        const __m256 inverse = _mm256_set1_ps(1 / scales[r]);
        const __m256i zero = _mm256_set1_epi32(zeros[r]);
        uint8_t *out = q + (size_t)r * ldq;
        for (int i = 0; i < k; i += 32) {
            __m256i v[4];
            for (int j = 0; j < 4; j++) {
                v[j] = _mm256_add_epi32(_mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + i + 8 * j), inverse)), zero);
            }
            // Saturating packs clamp to 0…255, the maximum to 1…255.
            const __m256i bytes = _mm256_packus_epi16(_mm256_packs_epi32(v[0], v[1]), _mm256_packs_epi32(v[2], v[3]));
            _mm256_storeu_si256((__m256i *)(out + i), _mm256_max_epu8(_mm256_permutevar8x32_epi32(bytes, order), one));
        }
    }
}

// vpmaddubsw would saturate on 255 · 127 + 255 · 127, so the AVX2 kernel multiplies signed
// activations a - 128 (the byte with its top bit flipped) by weights: |w| as the unsigned
// operand, a - 128 with w's sign as the signed one; 2 · 127 · 128 = 32512 fits in int16. The
// zero point moves by 128 to match (MLK_ZERO_SHIFT).
#define MLK_NAME(x) avx2_##x
#define MLK_ATTRIBUTES
#define MLK_ROWS 4
#define MLK_SETUP                                     \
    const __m256i ones = _mm256_set1_epi16(1);        \
    const __m256i topBit = _mm256_set1_epi8((char)0x80);
#define MLK_WEIGHTS(w) const __m256i w##Magnitude = _mm256_abs_epi8(w);
#define MLK_ACTIVATIONS(x) _mm256_xor_si256(x, topBit)
#define MLK_DOT(acc, x, w) \
    _mm256_add_epi32(acc, _mm256_madd_epi16(_mm256_maddubs_epi16(w##Magnitude, _mm256_sign_epi8(x, w)), ones))
#define MLK_ZERO_SHIFT 128
#include "GemmKernel.inc"
#undef MLK_NAME
#undef MLK_ATTRIBUTES
#undef MLK_ROWS
#undef MLK_SETUP
#undef MLK_WEIGHTS
#undef MLK_ACTIVATIONS
#undef MLK_DOT
#undef MLK_ZERO_SHIFT

// vpdpbusd adds four u8 · s8 products into int32 without an int16 step: nothing saturates.
#define MLK_NAME(x) vnni_##x
#define MLK_ATTRIBUTES __attribute__((target("avx2,fma,avxvnni")))
#define MLK_ROWS 6
#define MLK_SETUP
#define MLK_WEIGHTS(w)
#define MLK_ACTIVATIONS(x) (x)
#define MLK_DOT(acc, x, w) _mm256_dpbusd_avx_epi32(acc, x, w)
#define MLK_ZERO_SHIFT 0
#include "GemmKernel.inc"

static int vnniAllowed = 1;

int mlk_uses_vnni(void) { return vnniAllowed && __builtin_cpu_supports("avxvnni"); }

int mlk_allow_vnni(int allowed) {
    vnniAllowed = allowed;
    return mlk_uses_vnni();
}

void mlk_gemm_u8s8(
    int m, int k,
    const uint8_t *a, int lda, const float *aScales, const int32_t *aZeros,
    const int8_t *packed, const float *bScales, const int32_t *bSums, const float *bias,
    int panelBegin, int panelEnd,
    float *c, int ldc)
{
    if (mlk_uses_vnni()) {
        vnni_gemm(m, k, a, lda, aScales, aZeros, packed, bScales, bSums, bias, panelBegin, panelEnd, c, ldc);
    } else {
        avx2_gemm(m, k, a, lda, aScales, aZeros, packed, bScales, bSums, bias, panelBegin, panelEnd, c, ldc);
    }
}

#else

// Portable fallback (builds without -mavx2): the same arithmetic, one element at a time.

void mlk_quantize_rows(const float *a, int m, int k, int lda, uint8_t *q, int ldq, float *scales, int32_t *zeros) {
    for (int r = 0; r < m; r++) {
        const float *x = a + (size_t)r * lda;
        float low = x[0], high = x[0];
        for (int i = 1; i < k; i++) {
            low = fminf(low, x[i]);
            high = fmaxf(high, x[i]);
        }
        row_range(low, high, &scales[r], &zeros[r]);
        for (int i = 0; i < k; i++) {
            long v = lrintf(x[i] / scales[r]) + zeros[r];
            q[(size_t)r * ldq + i] = (uint8_t)(v < 1 ? 1 : v > 255 ? 255 : v);
        }
    }
}

int mlk_uses_vnni(void) { return 0; }

int mlk_allow_vnni(int allowed) {
    (void)allowed;
    return 0;
}

void mlk_gemm_u8s8(
    int m, int k,
    const uint8_t *a, int lda, const float *aScales, const int32_t *aZeros,
    const int8_t *packed, const float *bScales, const int32_t *bSums, const float *bias,
    int panelBegin, int panelEnd,
    float *c, int ldc)
{
    for (int panel = panelBegin; panel < panelEnd; panel++) {
        const int8_t *b = packed + (size_t)panel * k * MLK_PANEL_WIDTH;
        for (int r = 0; r < m; r++) {
            for (int column = 0; column < MLK_PANEL_WIDTH; column++) {
                const int j = panel * MLK_PANEL_WIDTH + column;
                int32_t sum = 0;
                for (int i = 0; i < k; i++) {
                    sum += a[(size_t)r * lda + i] * b[(i / 4) * 4 * MLK_PANEL_WIDTH + column * 4 + i % 4];
                }
                const float value = (float)(sum - aZeros[r] * bSums[j]) * aScales[r] * bScales[j];
                c[(size_t)r * ldc + j] = value + (bias ? bias[j] : 0);
            }
        }
    }
}

#endif
