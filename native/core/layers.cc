#include "layers.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "gemm.h"

namespace pilotscope {

void Adam::step(std::vector<float>& values, const std::vector<float>& grads) {
  ++step_;
  const float b1 = options_.beta1, b2 = options_.beta2;
  const float c1 = 1.0f - static_cast<float>(std::pow(static_cast<double>(b1), static_cast<double>(step_)));
  const float c2 = 1.0f - static_cast<float>(std::pow(static_cast<double>(b2), static_cast<double>(step_)));
  const float stepSize = options_.lr / c1;
  const float invSqrtC2 = 1.0f / std::sqrt(c2);
  const size_t n = values.size();
  float* __restrict p = values.data();
  const float* __restrict g = grads.data();
  float* __restrict m = m_.data();
  float* __restrict v = v_.data();
  for (size_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    p[i] -= stepSize * m[i] / (std::sqrt(v[i]) * invSqrtC2 + options_.eps);
  }
}

Linear::Linear(ParamStore& store, const std::string& name, int inDim, int outDim) : in(inDim), out(outDim) {
  w = store.add(name + ".weight", static_cast<size_t>(inDim) * outDim);
  b = store.add(name + ".bias", static_cast<size_t>(outDim));
}

void Linear::init(ParamStore& store, Rng& rng) const {
  // torch.nn.Linear: kaiming_uniform(a=sqrt(5)) gives U(-1/sqrt(in), 1/sqrt(in)) for both.
  const float bound = 1.0f / std::sqrt(static_cast<float>(in));
  float* wp = store.value(w);
  for (size_t i = 0; i < static_cast<size_t>(in) * out; ++i) wp[i] = rng.uniform(-bound, bound);
  float* bp = store.value(b);
  for (int i = 0; i < out; ++i) bp[i] = rng.uniform(-bound, bound);
}

void Linear::forward(const ParamStore& store, const float* x, int n, float* y) const {
  const float* bias = store.value(b);
  for (int r = 0; r < n; ++r) std::memcpy(y + static_cast<size_t>(r) * out, bias, sizeof(float) * out);
  gemm(Trans::No, Trans::Yes, n, out, in, x, in, store.value(w), in, y, out, true);
}

void Linear::backward(ParamStore& store, const float* x, const float* dy, int n, float* dx) const {
  gemm(Trans::Yes, Trans::No, out, in, n, dy, out, x, in, store.grad(w), in, true);
  float* db = store.grad(b);
  for (int r = 0; r < n; ++r) {
    const float* row = dy + static_cast<size_t>(r) * out;
    for (int j = 0; j < out; ++j) db[j] += row[j];
  }
  if (dx) gemm(Trans::No, Trans::No, n, in, out, dy, out, store.value(w), in, dx, in, false);
}

void reluForward(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
}
void reluBackward(const float* y, float* grad, size_t n) {
  for (size_t i = 0; i < n; ++i) grad[i] = y[i] > 0.0f ? grad[i] : 0.0f;
}

void leakyReluForward(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = x[i] > 0.0f ? x[i] : kLeakySlope * x[i];
}
void leakyReluBackward(const float* y, float* grad, size_t n) {
  for (size_t i = 0; i < n; ++i) grad[i] = y[i] > 0.0f ? grad[i] : kLeakySlope * grad[i];
}

float sigmoid(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + std::exp(-x));
  const float e = std::exp(x);
  return e / (1.0f + e);
}
void sigmoidForward(float* x, size_t n) {
  for (size_t i = 0; i < n; ++i) x[i] = sigmoid(x[i]);
}
void sigmoidBackward(const float* y, float* grad, size_t n) {
  for (size_t i = 0; i < n; ++i) grad[i] *= y[i] * (1.0f - y[i]);
}

void segmentMeanForward(const float* x, int dim, const int32_t* offsets, int segments, float* out) {
  for (int s = 0; s < segments; ++s) {
    float* o = out + static_cast<size_t>(s) * dim;
    std::fill(o, o + dim, 0.0f);
    const int begin = offsets[s], end = offsets[s + 1];
    for (int r = begin; r < end; ++r) {
      const float* row = x + static_cast<size_t>(r) * dim;
      for (int j = 0; j < dim; ++j) o[j] += row[j];
    }
    const float inv = 1.0f / static_cast<float>(end - begin);
    for (int j = 0; j < dim; ++j) o[j] *= inv;
  }
}

void segmentMeanBackward(const float* dout, int dim, const int32_t* offsets, int segments, float* dx) {
  for (int s = 0; s < segments; ++s) {
    const float* g = dout + static_cast<size_t>(s) * dim;
    const int begin = offsets[s], end = offsets[s + 1];
    const float inv = 1.0f / static_cast<float>(end - begin);
    for (int r = begin; r < end; ++r) {
      float* row = dx + static_cast<size_t>(r) * dim;
      for (int j = 0; j < dim; ++j) row[j] = g[j] * inv;
    }
  }
}

void TreeConv::forward(const ParamStore& store, const float* x, const int32_t* left, const int32_t* right, int n,
                       float* gathered, float* y) const {
  const int d = in();
  const size_t rowBytes = sizeof(float) * d;
  for (int i = 0; i < n; ++i) {
    float* g = gathered + static_cast<size_t>(i) * 3 * d;
    std::memcpy(g, x + static_cast<size_t>(i) * d, rowBytes);
    if (left[i] >= 0) std::memcpy(g + d, x + static_cast<size_t>(left[i]) * d, rowBytes);
    else std::fill(g + d, g + 2 * d, 0.0f);
    if (right[i] >= 0) std::memcpy(g + 2 * d, x + static_cast<size_t>(right[i]) * d, rowBytes);
    else std::fill(g + 2 * d, g + 3 * d, 0.0f);
  }
  lin.forward(store, gathered, n, y);
}

void TreeConv::backward(ParamStore& store, const float* gathered, const float* dy, const int32_t* left,
                        const int32_t* right, int n, float* dgathered, float* dx) const {
  lin.backward(store, gathered, dy, n, dx ? dgathered : nullptr);
  if (!dx) return;
  const int d = in();
  for (int i = 0; i < n; ++i) std::memcpy(dx + static_cast<size_t>(i) * d, dgathered + static_cast<size_t>(i) * 3 * d, sizeof(float) * d);
  // Scatter the child parts in node order (a fixed reduction order).
  for (int i = 0; i < n; ++i) {
    const float* g = dgathered + static_cast<size_t>(i) * 3 * d;
    if (left[i] >= 0) {
      float* t = dx + static_cast<size_t>(left[i]) * d;
      for (int j = 0; j < d; ++j) t[j] += g[d + j];
    }
    if (right[i] >= 0) {
      float* t = dx + static_cast<size_t>(right[i]) * d;
      for (int j = 0; j < d; ++j) t[j] += g[2 * d + j];
    }
  }
}

void treeNormForward(const float* x, int dim, const int32_t* offsets, int trees, float* y, float* stats) {
  for (int t = 0; t < trees; ++t) {
    const size_t begin = static_cast<size_t>(offsets[t]) * dim, end = static_cast<size_t>(offsets[t + 1]) * dim;
    const size_t m = end - begin;
    double sum = 0.0;
    for (size_t i = begin; i < end; ++i) sum += x[i];
    const double mean = sum / static_cast<double>(m);
    double sq = 0.0;
    for (size_t i = begin; i < end; ++i) {
      const double c = x[i] - mean;
      sq += c * c;
    }
    const double std = m > 1 ? std::sqrt(sq / static_cast<double>(m - 1)) : 0.0;
    const double inv = 1.0 / (std + kTreeNormEps);
    for (size_t i = begin; i < end; ++i) y[i] = static_cast<float>((x[i] - mean) * inv);
    stats[2 * t] = static_cast<float>(mean);
    stats[2 * t + 1] = static_cast<float>(std);
  }
}

void treeNormBackward(const float* y, const float* dy, int dim, const int32_t* offsets, int trees,
                      const float* stats, float* dx) {
  for (int t = 0; t < trees; ++t) {
    const size_t begin = static_cast<size_t>(offsets[t]) * dim, end = static_cast<size_t>(offsets[t + 1]) * dim;
    const size_t m = end - begin;
    const double std = stats[2 * t + 1];
    const double denom = std + kTreeNormEps;
    double sumDy = 0.0, sumDyY = 0.0;
    for (size_t i = begin; i < end; ++i) {
      sumDy += dy[i];
      sumDyY += static_cast<double>(dy[i]) * y[i];
    }
    const double meanDy = sumDy / static_cast<double>(m);
    // d std / d x_i = xc_i / ((m-1) std) and xc_i = y_i * denom.
    const double coef = (m > 1 && std > 0.0) ? sumDyY / (static_cast<double>(m - 1) * std) : 0.0;
    for (size_t i = begin; i < end; ++i) dx[i] = static_cast<float>((dy[i] - meanDy) / denom - coef * y[i]);
  }
}

void segmentMaxForward(const float* x, int dim, const int32_t* offsets, int segments, float* out,
                       int32_t* argmax) {
  for (int s = 0; s < segments; ++s) {
    float* o = out + static_cast<size_t>(s) * dim;
    int32_t* a = argmax + static_cast<size_t>(s) * dim;
    const int begin = offsets[s], end = offsets[s + 1];
    std::memcpy(o, x + static_cast<size_t>(begin) * dim, sizeof(float) * dim);
    for (int j = 0; j < dim; ++j) a[j] = begin;
    for (int r = begin + 1; r < end; ++r) {
      const float* row = x + static_cast<size_t>(r) * dim;
      for (int j = 0; j < dim; ++j)
        if (row[j] > o[j]) {
          o[j] = row[j];
          a[j] = r;
        }
    }
  }
}

void segmentMaxBackward(const float* dout, int dim, int segments, const int32_t* argmax, int rows, float* dx) {
  std::fill(dx, dx + static_cast<size_t>(rows) * dim, 0.0f);
  for (int s = 0; s < segments; ++s)
    for (int j = 0; j < dim; ++j) {
      const size_t k = static_cast<size_t>(s) * dim + j;
      dx[static_cast<size_t>(argmax[k]) * dim + j] += dout[k];
    }
}

}  // namespace pilotscope
