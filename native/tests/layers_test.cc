// Finite-difference gradient checks for every layer: loss = sum(w .* output) with fixed random w.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "layers.h"
#include "test_util.h"

namespace pilotscope {
namespace {

using testing::checkCoordinate;
using testing::expectGoodCheck;
using testing::GradCheckResult;
using testing::randomVector;

double weighted(const std::vector<float>& out, const std::vector<float>& w) {
  double s = 0;
  for (size_t i = 0; i < out.size(); ++i) s += static_cast<double>(out[i]) * w[i];
  return s;
}

TEST(Layers, LinearGradients) {
  Rng rng(1);
  ParamStore store;
  Linear lin(store, "l", 5, 4);
  store.finalize();
  lin.init(store, rng);
  const int n = 3;
  auto x = randomVector(n * 5, rng), w = randomVector(n * 4, rng);
  std::vector<float> y(n * 4), dx(n * 5);
  auto loss = [&] { lin.forward(store, x.data(), n, y.data()); return weighted(y, w); };
  loss();
  store.zeroGrads();
  lin.backward(store, x.data(), w.data(), n, dx.data());
  GradCheckResult r;
  for (size_t i = 0; i < x.size(); ++i) checkCoordinate(loss, &x[i], dx[i], r);
  for (size_t i = 0; i < store.size(); ++i) checkCoordinate(loss, &store.values()[i], store.grads()[i], r);
  expectGoodCheck(r, static_cast<int>(x.size() + store.size()));
}

template <typename Fwd, typename Bwd>
void checkActivation(Fwd fwd, Bwd bwd, float lo, float hi) {
  Rng rng(2);
  auto x = randomVector(40, rng, lo, hi), w = randomVector(40, rng);
  for (auto& v : x)
    if (std::fabs(v) < 0.05f) v = 0.3f;  // stay away from the kink at 0
  std::vector<float> y(40);
  auto loss = [&] { y = x; fwd(y.data(), y.size()); return weighted(y, w); };
  loss();
  std::vector<float> g = w;
  bwd(y.data(), g.data(), g.size());
  GradCheckResult r;
  for (size_t i = 0; i < x.size(); ++i) checkCoordinate(loss, &x[i], g[i], r);
  expectGoodCheck(r, 40);
}

TEST(Layers, ReluGradients) { checkActivation(reluForward, reluBackward, -2, 2); }
TEST(Layers, LeakyReluGradients) { checkActivation(leakyReluForward, leakyReluBackward, -2, 2); }
TEST(Layers, SigmoidGradients) { checkActivation(sigmoidForward, sigmoidBackward, -4, 4); }

TEST(Layers, SegmentMeanGradientsAndValues) {
  Rng rng(3);
  const int dim = 3;
  std::vector<int32_t> offsets = {0, 2, 3, 7};
  auto x = randomVector(7 * dim, rng), w = randomVector(3 * dim, rng);
  std::vector<float> out(3 * dim), dx(7 * dim);
  auto loss = [&] { segmentMeanForward(x.data(), dim, offsets.data(), 3, out.data()); return weighted(out, w); };
  loss();
  EXPECT_NEAR(out[0], (x[0] + x[3]) / 2, 1e-6);
  segmentMeanBackward(w.data(), dim, offsets.data(), 3, dx.data());
  GradCheckResult r;
  for (size_t i = 0; i < x.size(); ++i) checkCoordinate(loss, &x[i], dx[i], r);
  expectGoodCheck(r, static_cast<int>(x.size()));
}

TEST(Layers, TreeConvGradients) {
  Rng rng(4);
  ParamStore store;
  TreeConv conv(store, "c", 4, 5);
  store.finalize();
  conv.lin.init(store, rng);
  // Two trees: 0(1,2) and 3(4,-) ; 4(-,5)
  std::vector<int32_t> left = {1, -1, -1, 4, -1, -1}, right = {2, -1, -1, -1, 5, -1};
  const int n = 6;
  auto x = randomVector(n * 4, rng), w = randomVector(n * 5, rng);
  std::vector<float> g(n * 12), y(n * 5), dg(n * 12), dx(n * 4);
  auto loss = [&] { conv.forward(store, x.data(), left.data(), right.data(), n, g.data(), y.data()); return weighted(y, w); };
  loss();
  store.zeroGrads();
  conv.backward(store, g.data(), w.data(), left.data(), right.data(), n, dg.data(), dx.data());
  GradCheckResult r;
  for (size_t i = 0; i < x.size(); ++i) checkCoordinate(loss, &x[i], dx[i], r);
  for (size_t i = 0; i < store.size(); ++i) checkCoordinate(loss, &store.values()[i], store.grads()[i], r);
  expectGoodCheck(r, static_cast<int>(x.size() + store.size()));
}

TEST(Layers, TreeNormGradientsAndStatistics) {
  Rng rng(5);
  const int dim = 4;
  std::vector<int32_t> offsets = {0, 3, 8};
  auto x = randomVector(8 * dim, rng, -2, 3), w = randomVector(8 * dim, rng);
  std::vector<float> y(8 * dim), stats(4), dx(8 * dim);
  auto loss = [&] { treeNormForward(x.data(), dim, offsets.data(), 2, y.data(), stats.data()); return weighted(y, w); };
  loss();
  double mean = 0, sq = 0;
  for (int i = 0; i < 3 * dim; ++i) mean += y[i];
  for (int i = 0; i < 3 * dim; ++i) sq += y[i] * y[i];
  EXPECT_NEAR(mean / (3 * dim), 0.0, 1e-5);
  EXPECT_NEAR(std::sqrt(sq / (3 * dim - 1)), 1.0, 1e-4);
  treeNormBackward(y.data(), w.data(), dim, offsets.data(), 2, stats.data(), dx.data());
  GradCheckResult r;
  for (size_t i = 0; i < x.size(); ++i) checkCoordinate(loss, &x[i], dx[i], r);
  expectGoodCheck(r, static_cast<int>(x.size()));
}

TEST(Layers, SegmentMaxGradients) {
  Rng rng(6);
  const int dim = 3;
  std::vector<int32_t> offsets = {0, 4, 6};
  auto x = randomVector(6 * dim, rng), w = randomVector(2 * dim, rng);
  std::vector<float> out(2 * dim), dx(6 * dim);
  std::vector<int32_t> arg(2 * dim);
  auto loss = [&] { segmentMaxForward(x.data(), dim, offsets.data(), 2, out.data(), arg.data()); return weighted(out, w); };
  loss();
  segmentMaxBackward(w.data(), dim, 2, arg.data(), 6, dx.data());
  GradCheckResult r;
  for (size_t i = 0; i < x.size(); ++i) checkCoordinate(loss, &x[i], dx[i], r);
  expectGoodCheck(r, 15);
}

TEST(Layers, AdamMovesAgainstTheGradient) {
  std::vector<float> p = {1.0f, -1.0f}, g = {0.5f, -2.0f};
  Adam adam(2, {0.1f, 0.9f, 0.999f, 1e-8f});
  adam.step(p, g);
  // First step of Adam moves each parameter by lr in the direction of -sign(g).
  EXPECT_NEAR(p[0], 0.9f, 1e-5);
  EXPECT_NEAR(p[1], -0.9f, 1e-5);
}

}  // namespace
}  // namespace pilotscope
