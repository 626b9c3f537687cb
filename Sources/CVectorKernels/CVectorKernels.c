#include "CVectorKernels.h"

#include <math.h>

/// pb_nearest_i8 one row and one centroid at a time: any dimension, any CPU.
static void nearest_one_by_one(const int8_t *const *rows, int n, const int8_t *centroids, const float *scales,
                               int k, int dimension, int32_t *out) {
    for (int r = 0; r < n; r++) {
        int best = 0;
        float best_score = -INFINITY;
        for (int c = 0; c < k; c++) {
            float score = (float)pb_dot_i8(rows[r], centroids + (long)c * dimension, dimension) * scales[c];
            if (score > best_score) { best_score = score; best = c; }
        }
        out[r] = best;
    }
}

void pb_bitplane_table(const float *query, int groups, float *table) {
    for (int g = 0; g < groups; g++) {
        float *t = table + 256 * g;
        const float *q = query + 8 * g;
        t[0] = 0;
        // Each mask's sum is a smaller mask's (without its lowest bit) plus one component.
        for (int m = 1; m < 256; m++) t[m] = t[m & (m - 1)] + q[__builtin_ctz(m)];
    }
}

float pb_dot_bitplanes3(const uint8_t *row, const float *table, int groups) {
    float sum0 = 0, sum1 = 0, sum2 = 0;
    for (int g = 0; g < groups; g++) {
        const float *t = table + 256 * g;
        sum0 += t[row[g]];
        sum1 += t[row[groups + g]];
        sum2 += t[row[2 * groups + g]];
    }
    return sum0 + 2 * sum1 + 4 * sum2;
}

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

static inline float horizontal_sum(__m256 v) {
    __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
    sum = _mm_add_ss(sum, _mm_shuffle_ps(sum, sum, 1));
    return _mm_cvtss_f32(sum);
}

float pb_dot_f32_i8(const float *a, const int8_t *b, int count) {
    __m256 sum0 = _mm256_setzero_ps(), sum1 = _mm256_setzero_ps();
    int i = 0;
    for (; i + 16 <= count; i += 16) {
        __m128i bytes = _mm_loadu_si128((const __m128i *)(b + i));
        __m256 low = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(bytes));
        __m256 high = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(bytes, 8)));
        sum0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), low, sum0);
        sum1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), high, sum1);
    }
    float total = horizontal_sum(_mm256_add_ps(sum0, sum1));
    for (; i < count; i++) total += a[i] * (float)b[i];
    return total;
}

int32_t pb_dot_i8(const int8_t *a, const int8_t *b, int count) {
    __m256i sum0 = _mm256_setzero_si256(), sum1 = _mm256_setzero_si256();
    int i = 0;
    for (; i + 32 <= count; i += 32) {
        __m256i a0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i)));
        __m256i b0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i)));
        __m256i a1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(a + i + 16)));
        __m256i b1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(b + i + 16)));
        sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(a0, b0));
        sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(a1, b1));
    }
    __m256i sum = _mm256_add_epi32(sum0, sum1);
    __m128i half = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
    half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(1, 0, 3, 2)));
    half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(2, 3, 0, 1)));
    int32_t total = _mm_cvtsi128_si32(half);
    for (; i < count; i++) total += (int32_t)a[i] * (int32_t)b[i];
    return total;
}

void pb_dots_i8(const int8_t *query, const int8_t *rows, int n, int dimension, int32_t *out) {
    if (dimension % 32 != 0 || dimension > 1024) {
        for (int r = 0; r < n; r++) out[r] = pb_dot_i8(query, rows + (long)r * dimension, dimension);
        return;
    }
    __m256i wide[64];  // the query as 16-bit lanes, 16 per register
    for (int i = 0; i < dimension; i += 16) {
        wide[i / 16] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(query + i)));
    }
    for (int r = 0; r < n; r++) {
        const int8_t *row = rows + (long)r * dimension;
        _mm_prefetch((const char *)(row + 4 * dimension), _MM_HINT_T0);
        _mm_prefetch((const char *)(row + 4 * dimension + 192), _MM_HINT_T0);
        __m256i sum0 = _mm256_setzero_si256(), sum1 = _mm256_setzero_si256();
        for (int i = 0; i < dimension; i += 32) {
            __m256i x0 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(row + i)));
            __m256i x1 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(row + i + 16)));
            sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(x0, wide[i / 16]));
            sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(x1, wide[i / 16 + 1]));
        }
        __m256i sum = _mm256_add_epi32(sum0, sum1);
        __m128i half = _mm_add_epi32(_mm256_castsi256_si128(sum), _mm256_extracti128_si256(sum, 1));
        half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(1, 0, 3, 2)));
        half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(2, 3, 0, 1)));
        out[r] = _mm_cvtsi128_si32(half);
    }
}


void pb_nearest_i8(const int8_t *const *rows, int n, const int8_t *centroids, const float *scales, int k,
                   int dimension, int32_t *out) {
    if (dimension % 16 != 0 || dimension > 1024) {
        nearest_one_by_one(rows, n, centroids, scales, k, dimension, out);
        return;
    }
    int16_t wide[4][1024] __attribute__((aligned(32)));
    for (int r = 0; r < n; r += 4) {
        int group = n - r < 4 ? n - r : 4;
        for (int g = 0; g < 4; g++) {
            const int8_t *row = rows[r + (g < group ? g : 0)];
            for (int i = 0; i < dimension; i += 16)
                _mm256_store_si256((__m256i *)(wide[g] + i), _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(row + i))));
        }
        int best[4] = {0, 0, 0, 0};
        float best_score[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
        for (int c = 0; c < k; c++) {
            const int8_t *centroid = centroids + (long)c * dimension;
            __m256i sum0 = _mm256_setzero_si256(), sum1 = _mm256_setzero_si256();
            __m256i sum2 = _mm256_setzero_si256(), sum3 = _mm256_setzero_si256();
            for (int i = 0; i < dimension; i += 16) {
                __m256i x = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(centroid + i)));
                sum0 = _mm256_add_epi32(sum0, _mm256_madd_epi16(x, _mm256_load_si256((const __m256i *)(wide[0] + i))));
                sum1 = _mm256_add_epi32(sum1, _mm256_madd_epi16(x, _mm256_load_si256((const __m256i *)(wide[1] + i))));
                sum2 = _mm256_add_epi32(sum2, _mm256_madd_epi16(x, _mm256_load_si256((const __m256i *)(wide[2] + i))));
                sum3 = _mm256_add_epi32(sum3, _mm256_madd_epi16(x, _mm256_load_si256((const __m256i *)(wide[3] + i))));
            }
            __m256i sums[4] = {sum0, sum1, sum2, sum3};
            for (int g = 0; g < 4; g++) {
                __m128i half = _mm_add_epi32(_mm256_castsi256_si128(sums[g]), _mm256_extracti128_si256(sums[g], 1));
                half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(1, 0, 3, 2)));
                half = _mm_add_epi32(half, _mm_shuffle_epi32(half, _MM_SHUFFLE(2, 3, 0, 1)));
                float score = (float)_mm_cvtsi128_si32(half) * scales[c];
                if (score > best_score[g]) { best_score[g] = score; best[g] = c; }
            }
        }
        for (int g = 0; g < group; g++) out[r + g] = best[g];
    }
}

#else  // portable fallback (other CPUs, or a build without the flags)

float pb_dot_f32_i8(const float *a, const int8_t *b, int count) {
    float total = 0;
    for (int i = 0; i < count; i++) total += a[i] * (float)b[i];
    return total;
}

int32_t pb_dot_i8(const int8_t *a, const int8_t *b, int count) {
    int32_t total = 0;
    for (int i = 0; i < count; i++) total += (int32_t)a[i] * (int32_t)b[i];
    return total;
}

void pb_dots_i8(const int8_t *query, const int8_t *rows, int n, int dimension, int32_t *out) {
    for (int r = 0; r < n; r++) out[r] = pb_dot_i8(query, rows + (long)r * dimension, dimension);
}


void pb_nearest_i8(const int8_t *const *rows, int n, const int8_t *centroids, const float *scales, int k,
                   int dimension, int32_t *out) {
    nearest_one_by_one(rows, n, centroids, scales, k, dimension, out);
}

#endif
