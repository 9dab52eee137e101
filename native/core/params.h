// All trainable weights of a model in one flat buffer (with a same-shaped gradient buffer), so
// the optimizer, copying and serialization work on plain arrays.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace pilotscope {

struct ParamSlot {
  std::string name;
  size_t offset;
  size_t size;
};

class ParamStore {
 public:
  // Reserves `size` floats under `name`; returns the offset. Call before finalize().
  size_t add(const std::string& name, size_t size) {
    const size_t offset = total_;
    slots_.push_back({name, offset, size});
    total_ += size;
    return offset;
  }
  void finalize() {
    values_.assign(total_, 0.0f);
    grads_.assign(total_, 0.0f);
  }
  float* value(size_t offset) { return values_.data() + offset; }
  const float* value(size_t offset) const { return values_.data() + offset; }
  float* grad(size_t offset) { return grads_.data() + offset; }
  void zeroGrads() { std::fill(grads_.begin(), grads_.end(), 0.0f); }

  std::vector<float>& values() { return values_; }
  const std::vector<float>& values() const { return values_; }
  std::vector<float>& grads() { return grads_; }
  const std::vector<ParamSlot>& slots() const { return slots_; }
  size_t size() const { return total_; }

 private:
  std::vector<ParamSlot> slots_;
  std::vector<float> values_, grads_;
  size_t total_ = 0;
};

// Adam (Kingma & Ba) over a ParamStore, with bias correction.
class Adam {
 public:
  struct Options {
    float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;
  };
  Adam(size_t size, Options options) : options_(options), m_(size, 0.0f), v_(size, 0.0f) {}
  void step(std::vector<float>& values, const std::vector<float>& grads);

 private:
  Options options_;
  std::vector<float> m_, v_;
  long step_ = 0;
};

}  // namespace pilotscope
