// Conversions between JavaScript values and core types, and the mapping of core exceptions to
// JavaScript errors carrying a `code` (NATIVE_INVALID_ARGUMENT, MODEL_CORRUPT, INTERRUPTED).
#pragma once
#include <napi.h>

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "view.h"

namespace pilotscope::binding {

[[noreturn]] void throwError(Napi::Env env, const char* code, const std::string& message);
Napi::Error makeError(Napi::Env env, const char* code, const std::string& message);

Napi::Error translate(Napi::Env env, const std::exception& e);

// Runs fn, turning core exceptions into JavaScript errors with a code.
template <typename Fn>
auto guard(Napi::Env env, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw translate(env, e);
  }
}

Napi::Object requireObject(const Napi::Value& v, const std::string& name);
std::vector<std::string> stringArray(const Napi::Object& obj, const char* key, const std::string& owner);
Napi::Array toJsStrings(Napi::Env env, const std::vector<std::string>& values);
double numberField(const Napi::Object& obj, const char* key, const std::string& owner, double fallback, bool required);
int intField(const Napi::Object& obj, const char* key, const std::string& owner, int fallback, int min, int max);
uint64_t seedField(const Napi::Object& obj, const char* key, const std::string& owner, uint64_t fallback);

// Zero-copy views of typed-array fields (byteOffset and length respected). Throws a
// NATIVE_INVALID_ARGUMENT error naming the field and the expected type.
View<int32_t> int32Field(const Napi::Object& obj, const char* key, const std::string& owner);
View<double> float64Field(const Napi::Object& obj, const char* key, const std::string& owner);
View<int32_t> int32Value(const Napi::Value& v, const std::string& name);
View<double> float64Value(const Napi::Value& v, const std::string& name);

std::string pathArgument(const Napi::CallbackInfo& info, size_t index);

// A cancellation handle shared between JavaScript and a training worker.
class CancelToken : public Napi::ObjectWrap<CancelToken> {
 public:
  static Napi::Function define(Napi::Env env);
  explicit CancelToken(const Napi::CallbackInfo& info);
  std::shared_ptr<std::atomic<bool>> flag() const { return flag_; }
  static std::shared_ptr<std::atomic<bool>> fromValue(const Napi::Value& v);

 private:
  Napi::Value cancel(const Napi::CallbackInfo& info);
  Napi::Value cancelled(const Napi::CallbackInfo& info);
  std::shared_ptr<std::atomic<bool>> flag_ = std::make_shared<std::atomic<bool>>(false);
  static Napi::FunctionReference* constructor;
};

Napi::Function defineMscnModel(Napi::Env env);
Napi::Function defineLeroModel(Napi::Env env);

Napi::Value bufferFromBytes(Napi::Env env, const std::vector<uint8_t>& bytes);
View<uint8_t> bytesArgument(const Napi::Value& v, const std::string& name);

}  // namespace pilotscope::binding
