// Non-owning views of caller buffers (typed arrays from JavaScript, vectors in C++ tests) and
// the checks every batch input goes through before use.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "errors.h"

namespace pilotscope {

template <typename T>
struct View {
  const T* data = nullptr;
  size_t size = 0;

  View() = default;
  View(const T* d, size_t n) : data(d), size(n) {}
  View(const std::vector<T>& v) : data(v.data()), size(v.size()) {}  // NOLINT: implicit on purpose
  const T& operator[](size_t i) const { return data[i]; }
};

// offsets must have n+1 entries, start at 0, never decrease, and end at `total`.
inline void checkOffsets(const View<int32_t>& offsets, size_t n, size_t total, const std::string& name,
                         const std::string& what) {
  if (offsets.size != n + 1)
    throw InvalidArgument(name + " must have " + std::to_string(n + 1) + " entries (one per " + what +
                          " plus one), got " + std::to_string(offsets.size));
  if (offsets[0] != 0) throw InvalidArgument(name + "[0] must be 0, got " + std::to_string(offsets[0]));
  for (size_t i = 0; i < n; ++i)
    if (offsets[i + 1] < offsets[i])
      throw InvalidArgument(name + " must not decrease: " + name + "[" + std::to_string(i + 1) + "] = " +
                            std::to_string(offsets[i + 1]) + " < " + std::to_string(offsets[i]));
  if (static_cast<size_t>(offsets[n]) != total)
    throw InvalidArgument(name + "[" + std::to_string(n) + "] must equal the length of the array it indexes (" +
                          std::to_string(total) + "), got " + std::to_string(offsets[n]));
}

// Ids are -1 (explicitly unknown) or in [0, vocabularySize).
inline void checkIds(const View<int32_t>& ids, int32_t vocabularySize, const std::string& name,
                     const std::string& vocabulary) {
  for (size_t i = 0; i < ids.size; ++i)
    if (ids[i] < -1 || ids[i] >= vocabularySize)
      throw InvalidArgument(name + "[" + std::to_string(i) + "] = " + std::to_string(ids[i]) +
                            " is out of range: use an index into the model's " + vocabulary + " (0.." +
                            std::to_string(vocabularySize - 1) + ") or -1 for unknown");
}

inline void checkFinite(const View<double>& values, const std::string& name) {
  for (size_t i = 0; i < values.size; ++i)
    if (!std::isfinite(values[i]))
      throw InvalidArgument(name + "[" + std::to_string(i) + "] is " + std::to_string(values[i]) +
                            ": values must be finite numbers (no NaN or Infinity)");
}

inline void checkLength(size_t actual, size_t expected, const std::string& name) {
  if (actual != expected)
    throw InvalidArgument(name + " must have " + std::to_string(expected) + " entries, got " + std::to_string(actual));
}

}  // namespace pilotscope
