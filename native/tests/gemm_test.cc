#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gemm.h"
#include "rng.h"

namespace pilotscope {
namespace {

std::vector<float> naive(Trans ta, Trans tb, int M, int N, int K, const std::vector<float>& A,
                         const std::vector<float>& B) {
  std::vector<float> C(static_cast<size_t>(M) * N);
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      double s = 0;
      for (int k = 0; k < K; ++k) {
        const float a = ta == Trans::No ? A[i * K + k] : A[k * M + i];
        const float b = tb == Trans::No ? B[k * N + j] : B[j * K + k];
        s += static_cast<double>(a) * b;
      }
      C[i * N + j] = static_cast<float>(s);
    }
  return C;
}

TEST(Gemm, MatchesNaiveProductForAllTransposesAndOddShapes) {
  Rng rng(3);
  for (Trans ta : {Trans::No, Trans::Yes})
    for (Trans tb : {Trans::No, Trans::Yes})
      for (auto [M, N, K] : {std::tuple{1, 1, 1}, {7, 13, 5}, {37, 70, 300}, {130, 33, 513}}) {
        std::vector<float> A(static_cast<size_t>(M) * K), B(static_cast<size_t>(K) * N);
        for (auto& x : A) x = rng.uniform(-1, 1);
        for (auto& x : B) x = rng.uniform(-1, 1);
        const int lda = ta == Trans::No ? K : M, ldb = tb == Trans::No ? N : K;
        std::vector<float> C(static_cast<size_t>(M) * N, 5.0f);
        gemm(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C.data(), N, false);
        const auto expected = naive(ta, tb, M, N, K, A, B);
        for (size_t i = 0; i < C.size(); ++i) ASSERT_NEAR(C[i], expected[i], 1e-4 * std::sqrt(K)) << i;
        // accumulate adds onto C
        gemm(ta, tb, M, N, K, A.data(), lda, B.data(), ldb, C.data(), N, true);
        for (size_t i = 0; i < C.size(); ++i) ASSERT_NEAR(C[i], 2 * expected[i], 2e-4 * std::sqrt(K));
      }
}

TEST(Gemm, RowResultDoesNotDependOnOtherRows) {
  Rng rng(5);
  const int N = 45, K = 300;
  std::vector<float> B(static_cast<size_t>(N) * K);
  for (auto& x : B) x = rng.uniform(-1, 1);
  std::vector<float> row(K);
  for (auto& x : row) x = rng.uniform(-1, 1);
  std::vector<float> alone(N);
  gemm(Trans::No, Trans::Yes, 1, N, K, row.data(), K, B.data(), K, alone.data(), N, false);
  for (int M : {2, 7, 131}) {
    std::vector<float> A(static_cast<size_t>(M) * K);
    for (auto& x : A) x = rng.uniform(-1, 1);
    const int at = M / 2;
    std::copy(row.begin(), row.end(), A.begin() + static_cast<size_t>(at) * K);
    std::vector<float> C(static_cast<size_t>(M) * N);
    gemm(Trans::No, Trans::Yes, M, N, K, A.data(), K, B.data(), K, C.data(), N, false);
    for (int j = 0; j < N; ++j) ASSERT_EQ(C[static_cast<size_t>(at) * N + j], alone[j]) << "M=" << M << " j=" << j;
  }
}

TEST(Gemm, ZeroInnerDimensionClearsOrKeeps) {
  std::vector<float> C(6, 3.0f);
  gemm(Trans::No, Trans::No, 2, 3, 0, nullptr, 1, nullptr, 3, C.data(), 3, true);
  EXPECT_EQ(C[0], 3.0f);
  gemm(Trans::No, Trans::No, 2, 3, 0, nullptr, 1, nullptr, 3, C.data(), 3, false);
  EXPECT_EQ(C[5], 0.0f);
}

}  // namespace
}  // namespace pilotscope

namespace pilotscope {
namespace {

TEST(Gemm, PrepackedMatrixGivesTheSameBits) {
  Rng rng(9);
  const int N = 70, K = 300, M = 13;
  std::vector<float> W(static_cast<size_t>(N) * K), A(static_cast<size_t>(M) * K);
  for (auto& x : W) x = rng.uniform(-1, 1);
  for (auto& x : A) x = rng.uniform(-1, 1);
  std::vector<float> direct(static_cast<size_t>(M) * N), packed(static_cast<size_t>(M) * N);
  gemm(Trans::No, Trans::Yes, M, N, K, A.data(), K, W.data(), K, direct.data(), N, false);
  PackedMatrix p;
  packMatrix(Trans::Yes, K, N, W.data(), K, p);
  gemmPacked(M, A.data(), K, p, packed.data(), N, false);
  EXPECT_EQ(direct, packed);
}

}  // namespace
}  // namespace pilotscope
