#ifndef CVECTORKERNELS_H
#define CVECTORKERNELS_H

#include <stdint.h>

// Dot products over quantised vectors for PaperboySearch's dense index. In C because Swift's
// SIMD integer-to-float conversions compile to a generic library call per vector here, which
// made them several times slower than these AVX2 loops.

/// sum(a[i] * b[i]) for a float32 query and an 8-bit row.
float pb_dot_f32_i8(const float *a, const int8_t *b, int count);

/// Fills `table` (256 * `groups` floats) so that table[256 g + m] is the sum of the query's
/// components 8g + j for the bits j set in m: the partial sums `pb_dot_bitplanes3` looks up.
/// `query` holds 8 * `groups` floats.
void pb_bitplane_table(const float *query, int groups, float *table);

/// sum(query[i] * code[i]) for a row of 3-bit codes stored as three bit planes of `groups`
/// bytes each (plane b, byte g, bit j: bit b of code 8g + j), from the query's table
/// (`pb_bitplane_table`): three lookups per eight components.
float pb_dot_bitplanes3(const uint8_t *row, const float *table, int groups);

/// sum(a[i] * b[i]) for two 8-bit vectors, exact in 32 bits for `count` up to 2^17.
int32_t pb_dot_i8(const int8_t *a, const int8_t *b, int count);

/// out[r] = dot(query, row r) for `n` rows stored one after another (`dimension` bytes
/// each): a cluster's list in one call, the query widened once instead of once per row.
void pb_dots_i8(const int8_t *query, const int8_t *rows, int n, int dimension, int32_t *out);

/// For each of the `n` rows (`dimension` bytes each), the index of the centroid (`k` rows of
/// `centroids`) with the largest `scales[c] * dot(row, centroid c)`, written to `out`. Rows go
/// four at a time, so each centroid is read once per four rows.
void pb_nearest_i8(const int8_t *const *rows, int n, const int8_t *centroids, const float *scales, int k,
                   int dimension, int32_t *out);

#endif
