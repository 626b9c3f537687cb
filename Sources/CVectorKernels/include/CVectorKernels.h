#ifndef CVECTORKERNELS_H
#define CVECTORKERNELS_H

#include <stdint.h>

// Dot products over quantised vectors for PaperboySearch's dense index. In C because Swift's
// SIMD integer-to-float conversions compile to a generic library call per vector here, which
// made them several times slower than these AVX2 loops.

/// sum(a[i] * b[i]) for a float32 query and an 8-bit row.
float pb_dot_f32_i8(const float *a, const int8_t *b, int count);

/// sum(even[j] * (row[j] & 15) + odd[j] * (row[j] >> 4)): a query split into even and odd
/// components against a row of 4-bit pairs.
float pb_dot_nibbles(const uint8_t *row, const float *even, const float *odd, int width);

/// sum(a[i] * b[i]) for two 8-bit vectors, exact in 32 bits for `count` up to 2^17.
int32_t pb_dot_i8(const int8_t *a, const int8_t *b, int count);

#endif
