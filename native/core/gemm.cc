#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

namespace pilotscope {
namespace {

#define PS_INLINE inline __attribute__((always_inline))

// Block sizes: a KC x NR panel of B stays in L1, an MC x KC block of A in L2.
constexpr int KC = 256;
constexpr int MC = 120;
constexpr int NC = 2048;

typedef float v16sf __attribute__((vector_size(64)));
typedef float v8sf __attribute__((vector_size(32)));
typedef float v4sf __attribute__((vector_size(16)));

struct PackBuffers {
  std::vector<float> a, b;
};
thread_local PackBuffers tlsBuffers;

void ensureSize(std::vector<float>& v, size_t n) {
  if (v.size() < n) v.resize(n);
}

PS_INLINE float elementA(Trans ta, const float* A, int lda, int row, int col) {
  return ta == Trans::No ? A[static_cast<size_t>(row) * lda + col] : A[static_cast<size_t>(col) * lda + row];
}

// Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into MR-row panels, k-major, zero-padded.
template <int MR>
PS_INLINE void packA(Trans ta, const float* A, int lda, int i0, int mc, int p0, int kc, float* out) {
  for (int ir = 0; ir < mc; ir += MR) {
    const int mr = std::min(MR, mc - ir);
    for (int k = 0; k < kc; ++k) {
      for (int i = 0; i < MR; ++i) *out++ = i < mr ? elementA(ta, A, lda, i0 + ir + i, p0 + k) : 0.0f;
    }
  }
}

// Packs rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into NR-column panels, zero-padded.
template <int NR>
PS_INLINE void packB(Trans tb, const float* B, int ldb, int p0, int kc, int j0, int nc, float* out) {
  for (int jr = 0; jr < nc; jr += NR) {
    const int nr = std::min(NR, nc - jr);
    for (int k = 0; k < kc; ++k) {
      const int row = p0 + k;
      if (tb == Trans::No) {
        const float* src = B + static_cast<size_t>(row) * ldb + j0 + jr;
        for (int j = 0; j < NR; ++j) *out++ = j < nr ? src[j] : 0.0f;
      } else {
        for (int j = 0; j < NR; ++j)
          *out++ = j < nr ? B[static_cast<size_t>(j0 + jr + j) * ldb + row] : 0.0f;
      }
    }
  }
}

// MR x (NV vectors) register tile: c (+)= a_panel * b_panel over kc.
template <typename V, int MR, int NV>
PS_INLINE void microKernel(int kc, const float* a, const float* b, float* c, int ldc, int mr, int nr,
                           bool accumulate) {
  constexpr int VL = sizeof(V) / sizeof(float);
  constexpr int NR = NV * VL;
  V acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) acc[i][j] = V{};
  for (int k = 0; k < kc; ++k) {
    V bv[NV];
#pragma GCC unroll 4
    for (int j = 0; j < NV; ++j) std::memcpy(&bv[j], b + k * NR + j * VL, sizeof(V));
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      const V av = V{} + a[k * MR + i];
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) acc[i][j] += av * bv[j];
    }
  }
  if (mr == MR && nr == NR) {
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
#pragma GCC unroll 4
      for (int j = 0; j < NV; ++j) {
        float* p = c + static_cast<size_t>(i) * ldc + j * VL;
        V out = acc[i][j];
        if (accumulate) {
          V old;
          std::memcpy(&old, p, sizeof(V));
          out = old + out;
        }
        std::memcpy(p, &out, sizeof(V));
      }
    }
  } else {
    float tile[MR][NR];
    std::memcpy(tile, acc, sizeof(tile));
    for (int i = 0; i < mr; ++i)
      for (int j = 0; j < nr; ++j) {
        float* p = c + static_cast<size_t>(i) * ldc + j;
        *p = accumulate ? *p + tile[i][j] : tile[i][j];
      }
  }
}

// The packed size of a K x N matrix: blocks (jc, pc) in loop order, each kc x roundup(nc, NR).
template <int NR>
size_t packedSize(int K, int N) {
  return static_cast<size_t>(K) * ((N + NR - 1) / NR) * NR;
}

// prepacked: op(B) already packed by packAll (nullptr: pack each block here).
template <typename V, int MR, int NV>
PS_INLINE void blockedGemm(Trans ta, Trans tb, int M, int N, int K, const float* A, int lda, const float* B,
                           int ldb, float* C, int ldc, bool accumulate, const float* prepacked) {
  constexpr int NR = NV * static_cast<int>(sizeof(V) / sizeof(float));
  PackBuffers& buf = tlsBuffers;
  const int ncMax = std::min(NC, N);
  const int mcMax = std::min(MC, M);
  if (!prepacked) ensureSize(buf.b, static_cast<size_t>(KC) * ((ncMax + NR - 1) / NR) * NR);
  ensureSize(buf.a, static_cast<size_t>(KC) * ((mcMax + MR - 1) / MR) * MR);
  size_t packedOffset = 0;
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      const bool acc = accumulate || pc > 0;
      const float* bBlock;
      if (prepacked) {
        bBlock = prepacked + packedOffset;
        packedOffset += static_cast<size_t>(kc) * ((nc + NR - 1) / NR) * NR;
      } else {
        packB<NR>(tb, B, ldb, pc, kc, jc, nc, buf.b.data());
        bBlock = buf.b.data();
      }
      for (int ic = 0; ic < M; ic += MC) {
        const int mc = std::min(MC, M - ic);
        packA<MR>(ta, A, lda, ic, mc, pc, kc, buf.a.data());
        for (int jr = 0; jr < nc; jr += NR) {
          const float* bp = bBlock + static_cast<size_t>(jr / NR) * kc * NR;
          for (int ir = 0; ir < mc; ir += MR) {
            microKernel<V, MR, NV>(kc, buf.a.data() + static_cast<size_t>(ir / MR) * kc * MR, bp,
                                   C + static_cast<size_t>(ic + ir) * ldc + jc + jr, ldc,
                                   std::min(MR, mc - ir), std::min(NR, nc - jr), acc);
          }
        }
      }
    }
  }
}

// Packs all of op(B) in the order blockedGemm consumes it.
template <int NR>
void packAll(Trans tb, int K, int N, const float* B, int ldb, float* out) {
  for (int jc = 0; jc < N; jc += NC) {
    const int nc = std::min(NC, N - jc);
    for (int pc = 0; pc < K; pc += KC) {
      const int kc = std::min(KC, K - pc);
      packB<NR>(tb, B, ldb, pc, kc, jc, nc, out);
      out += static_cast<size_t>(kc) * ((nc + NR - 1) / NR) * NR;
    }
  }
}

using GemmFn = void (*)(Trans, Trans, int, int, int, const float*, int, const float*, int, float*, int, bool,
                        const float*);

__attribute__((target("avx512f,avx512vl,avx512dq,avx2,fma"))) void gemmAvx512(
    Trans ta, Trans tb, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
    bool accumulate, const float* prepacked) {
  blockedGemm<v16sf, 6, 2>(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, accumulate, prepacked);
}

__attribute__((target("avx2,fma"))) void gemmAvx2(Trans ta, Trans tb, int M, int N, int K, const float* A,
                                                   int lda, const float* B, int ldb, float* C, int ldc,
                                                   bool accumulate, const float* prepacked) {
  blockedGemm<v8sf, 6, 2>(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, accumulate, prepacked);
}

void gemmGeneric(Trans ta, Trans tb, int M, int N, int K, const float* A, int lda, const float* B, int ldb,
                 float* C, int ldc, bool accumulate, const float* prepacked) {
  blockedGemm<v4sf, 4, 2>(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, accumulate, prepacked);
}

struct Kernel {
  GemmFn fn;
  const char* name;
  int nr;  // panel width of packed B
};

Kernel pickKernel() {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq"))
    return {gemmAvx512, "avx512", 32};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {gemmAvx2, "avx2", 16};
  return {gemmGeneric, "generic", 8};
}

const Kernel& kernel() {
  static const Kernel k = pickKernel();
  return k;
}

}  // namespace

void gemm(Trans ta, Trans tb, int M, int N, int K, const float* A, int lda, const float* B, int ldb, float* C,
          int ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int i = 0; i < M; ++i) std::fill(C + static_cast<size_t>(i) * ldc, C + static_cast<size_t>(i) * ldc + N, 0.0f);
    return;
  }
  kernel().fn(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, accumulate, nullptr);
}

void packMatrix(Trans tb, int K, int N, const float* B, int ldb, PackedMatrix& out) {
  const int nr = kernel().nr;
  out.K = K;
  out.N = N;
  if (nr == 32) {
    out.data.resize(packedSize<32>(K, N));
    packAll<32>(tb, K, N, B, ldb, out.data.data());
  } else if (nr == 16) {
    out.data.resize(packedSize<16>(K, N));
    packAll<16>(tb, K, N, B, ldb, out.data.data());
  } else {
    out.data.resize(packedSize<8>(K, N));
    packAll<8>(tb, K, N, B, ldb, out.data.data());
  }
}

void gemmPacked(int M, const float* A, int lda, const PackedMatrix& B, float* C, int ldc, bool accumulate) {
  if (M <= 0 || B.N <= 0) return;
  if (B.K <= 0) {
    gemm(Trans::No, Trans::No, M, B.N, 0, A, lda, nullptr, B.N, C, ldc, accumulate);
    return;
  }
  kernel().fn(Trans::No, Trans::No, M, B.N, B.K, A, lda, nullptr, 0, C, ldc, accumulate, B.data.data());
}

const char* gemmKernelName() { return kernel().name; }

}  // namespace pilotscope
