// Single-precision matrix product of our own: C = op(A) * op(B) (+ C), row-major.
//
// Cache-blocked with packed panels and a register-tiled micro-kernel; the widest vector ISA the
// CPU offers (AVX-512, AVX2+FMA, or baseline SSE2) is picked once at run time. Every element of C
// is reduced over k in the same order wherever it sits in the matrix (edge tiles are zero-padded,
// not special-cased), so a row's result never depends on the other rows of the batch.
#pragma once
#include <cstddef>
#include <vector>

namespace pilotscope {

enum class Trans { No, Yes };

// op(A) is M x K, op(B) is K x N, C is M x N. lda/ldb/ldc are the row strides of the stored
// matrices (A stored K x M when transposed). accumulate=false overwrites C.
void gemm(Trans ta, Trans tb, int M, int N, int K, const float* A, int lda, const float* B,
          int ldb, float* C, int ldc, bool accumulate);

// op(B) packed once into the kernel's panel layout, for repeated products with different A
// (inference reuses the weights' packing). Results are bit-identical to gemm() with that B.
struct PackedMatrix {
  int K = 0, N = 0;
  std::vector<float> data;
};
void packMatrix(Trans tb, int K, int N, const float* B, int ldb, PackedMatrix& out);
// C (M x N) (+)= A (M x K, not transposed) * B.
void gemmPacked(int M, const float* A, int lda, const PackedMatrix& B, float* C, int ldc, bool accumulate);

// The name of the kernel in use ("avx512", "avx2", "generic"), for benchmarks.
const char* gemmKernelName();

}  // namespace pilotscope
