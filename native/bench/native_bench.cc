// Native micro-benchmarks of the core (no Node): GEMM throughput on the model's shapes.
// The figures the team tracks come from bench/native.ts; this one is for kernel work.
#include <chrono>
#include <cstdio>
#include <vector>

#include "gemm.h"
#include "rng.h"

using namespace pilotscope;

int main() {
  Rng rng(1);
  struct Shape { int M, N, K; const char* what; };
  const Shape shapes[] = {{2560, 128, 768, "lero conv2 (128 plans x 20 nodes)"},
                          {2560, 256, 96, "lero conv1"},
                          {4096, 256, 256, "mscn set mlp2 (4096 elements)"},
                          {512, 512, 512, "square 512"}};
  for (const Shape& s : shapes) {
    std::vector<float> A(static_cast<size_t>(s.M) * s.K), B(static_cast<size_t>(s.N) * s.K), C(static_cast<size_t>(s.M) * s.N);
    for (auto& x : A) x = rng.uniform(-1, 1);
    for (auto& x : B) x = rng.uniform(-1, 1);
    gemm(Trans::No, Trans::Yes, s.M, s.N, s.K, A.data(), s.K, B.data(), s.K, C.data(), s.N, false);
    const int reps = 20;
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) gemm(Trans::No, Trans::Yes, s.M, s.N, s.K, A.data(), s.K, B.data(), s.K, C.data(), s.N, false);
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-40s %s %.1f GFLOP/s\n", s.what, gemmKernelName(), 2.0 * s.M * s.N * s.K * reps / sec / 1e9);
  }
}
