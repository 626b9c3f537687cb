#ifndef CMINILMKERNELS_H
#define CMINILMKERNELS_H

#include <stdint.h>

// 8-bit matrix products for MiniLM's dense layers: C = dequantised(A_u8 · B_s8) + bias.
//
// A (activations) is quantised per row to unsigned bytes with a scale and a zero point;
// B (weights) per output column to signed values in [-127, 127] with a scale. Both kernels,
// AVX2 and AVX-VNNI (used where the CPU has it), sum in int32 without ever saturating, so
// they return bit-identical results.

/// Largest magnitude of a quantised weight.
#define MLK_WEIGHT_LIMIT 127
/// Output columns per packed panel.
#define MLK_PANEL_WIDTH 16

/// Quantises `weight` (row-major [n][k], PyTorch's Linear layout; n a multiple of 16, k of 4)
/// into panels of 16 columns, each k/4 groups of 16 columns × 4 consecutive k (64 bytes).
/// Writes each column's scale and the sum of its quantised values.
void mlk_pack_weights(const float *weight, int n, int k, int8_t *packed, float *scales, int32_t *sums);

/// Quantises `m` rows of `k` floats (k a multiple of 32), `lda` apart, to bytes `ldq` apart:
/// x ≈ scale · (q - zero), the row's range (widened to include 0) mapped onto 1…255.
void mlk_quantize_rows(const float *a, int m, int k, int lda, uint8_t *q, int ldq, float *scales, int32_t *zeros);

/// C[i][j] = aScale[i] · bScale[j] · Σ (A[i][l] - aZero[i]) · B[l][j] + bias[j] for the columns
/// of panels `panelBegin..<panelEnd`; `bias` may be NULL.
void mlk_gemm_u8s8(
    int m, int k,
    const uint8_t *a, int lda, const float *aScales, const int32_t *aZeros,
    const int8_t *packed, const float *bScales, const int32_t *bSums, const float *bias,
    int panelBegin, int panelEnd,
    float *c, int ldc);

/// Whether `mlk_gemm_u8s8` runs the AVX-VNNI kernel on this CPU (for the benchmark's report).
int mlk_uses_vnni(void);

/// Lets (1) or stops (0) `mlk_gemm_u8s8` using AVX-VNNI, so that tests and the benchmark can
/// run the AVX2 kernel on a VNNI machine; returns `mlk_uses_vnni()`. Not thread-safe.
int mlk_allow_vnni(int allowed);

#endif
