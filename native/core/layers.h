// Dense building blocks with hand-written backward passes. Activations are row-major float
// matrices (rows = samples, set elements or tree nodes). Backward functions accumulate into
// parameter gradients and overwrite input gradients unless stated otherwise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "params.h"
#include "rng.h"

namespace pilotscope {

// y = x W^T + b, W is (out x in) as in PyTorch; initialized like torch.nn.Linear.
struct Linear {
  int in = 0, out = 0;
  size_t w = 0, b = 0;  // offsets into the ParamStore

  Linear() = default;
  Linear(ParamStore& store, const std::string& name, int inDim, int outDim);
  void init(ParamStore& store, Rng& rng) const;
  // y (n x out) = x (n x in) W^T + b
  void forward(const ParamStore& store, const float* x, int n, float* y) const;
  // dW += dy^T x, db += sum(dy); dx (n x in) = dy W when dx != nullptr.
  void backward(ParamStore& store, const float* x, const float* dy, int n, float* dx) const;
};

void reluForward(float* x, size_t n);
// dx *= (y > 0), in place on the gradient.
void reluBackward(const float* y, float* grad, size_t n);

constexpr float kLeakySlope = 0.01f;
void leakyReluForward(float* x, size_t n);
void leakyReluBackward(const float* y, float* grad, size_t n);

float sigmoid(float x);
void sigmoidForward(float* x, size_t n);
void sigmoidBackward(const float* y, float* grad, size_t n);

// Mean over sets given as CSR segments of rows: out[s] = mean(x[offsets[s] .. offsets[s+1])).
// This is masked mean pooling without materialized padding. Every segment must be non-empty.
void segmentMeanForward(const float* x, int dim, const int32_t* offsets, int segments, float* out);
// dx[rows of s] = dout[s] / count(s) (overwrites dx).
void segmentMeanBackward(const float* dout, int dim, const int32_t* offsets, int segments, float* dx);

// Tree convolution on binary trees: node i sees [x_i | x_left(i) | x_right(i)] (a missing child
// is a zero vector). `left`/`right` are row indices into x or -1.
struct TreeConv {
  Linear lin;  // (3*in -> out), columns ordered self | left | right

  TreeConv() = default;
  TreeConv(ParamStore& store, const std::string& name, int inDim, int outDim)
      : lin(store, name, 3 * inDim, outDim) {}
  int in() const { return lin.in / 3; }
  int out() const { return lin.out; }
  // gathered: scratch (n x 3*in), kept for backward.
  void forward(const ParamStore& store, const float* x, const int32_t* left, const int32_t* right, int n,
               float* gathered, float* y) const;
  // dgathered: scratch (n x 3*in); dx (n x in) is overwritten when non-null.
  void backward(ParamStore& store, const float* gathered, const float* dy, const int32_t* left,
                const int32_t* right, int n, float* dgathered, float* dx) const;
};

// Layer norm over each tree (all its nodes and channels, no affine), as upstream's
// LayerNormTree but restricted to the tree's real nodes: y = (x - mean) / (std_unbiased + eps).
// Trees are CSR segments of rows. stats keeps (mean, std) per tree for backward.
constexpr float kTreeNormEps = 1e-6f;
void treeNormForward(const float* x, int dim, const int32_t* offsets, int trees, float* y, float* stats);
// dx from dy, using the normalized output y and stats (dx may alias dy).
void treeNormBackward(const float* y, const float* dy, int dim, const int32_t* offsets, int trees,
                      const float* stats, float* dx);

// Max over each tree's nodes per channel; argmax (first maximum) kept for backward.
void segmentMaxForward(const float* x, int dim, const int32_t* offsets, int segments, float* out,
                       int32_t* argmax);
void segmentMaxBackward(const float* dout, int dim, int segments, const int32_t* argmax, int rows, float* dx);

}  // namespace pilotscope
