// Exceptions thrown by the core. The binding turns them into JavaScript errors with a code.
#pragma once
#include <stdexcept>
#include <string>

namespace pilotscope {

// Bad input from the caller (shape, dtype, range, NaN): maps to NATIVE_INVALID_ARGUMENT.
class InvalidArgument : public std::runtime_error {
 public:
  explicit InvalidArgument(const std::string& what) : std::runtime_error(what) {}
};

// A model file or buffer that is truncated, corrupted or of another kind/version: MODEL_CORRUPT.
class ModelFormatError : public std::runtime_error {
 public:
  explicit ModelFormatError(const std::string& what) : std::runtime_error(what) {}
};

// Training stopped because the caller cancelled it: INTERRUPTED.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("training was cancelled") {}
};

}  // namespace pilotscope
