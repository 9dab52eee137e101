#include "convert.h"

#include <cmath>

#include "errors.h"

namespace pilotscope::binding {
namespace {

const char* typedArrayName(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
  }
  return "typed array";
}

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) return typedArrayName(v.As<Napi::TypedArray>().TypedArrayType());
  if (v.IsArray()) return "an Array";
  if (v.IsNumber()) return "a number";
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsFunction()) return "a function";
  return "an object";
}

template <typename T>
View<T> typedView(const Napi::Value& v, napi_typedarray_type type, const std::string& name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type)
    throwError(v.Env(), "NATIVE_INVALID_ARGUMENT",
               name + " must be a " + typedArrayName(type) + " (got " + describe(v) + ")");
  Napi::TypedArrayOf<T> array = v.As<Napi::TypedArrayOf<T>>();
  return View<T>(array.Data(), array.ElementLength());
}

}  // namespace

Napi::Error makeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

void throwError(Napi::Env env, const char* code, const std::string& message) { throw makeError(env, code, message); }

Napi::Error translate(Napi::Env env, const std::exception& e) {
  if (dynamic_cast<const InvalidArgument*>(&e)) return makeError(env, "NATIVE_INVALID_ARGUMENT", e.what());
  if (dynamic_cast<const ModelFormatError*>(&e)) return makeError(env, "MODEL_CORRUPT", e.what());
  if (dynamic_cast<const Cancelled*>(&e)) return makeError(env, "INTERRUPTED", e.what());
  if (dynamic_cast<const std::bad_alloc*>(&e)) return makeError(env, "NATIVE_INVALID_ARGUMENT", "out of memory: the input is too large");
  return makeError(env, "INTERNAL", std::string("native error: ") + e.what());
}

Napi::Object requireObject(const Napi::Value& v, const std::string& name) {
  if (!v.IsObject() || v.IsArray() || v.IsFunction())
    throwError(v.Env(), "NATIVE_INVALID_ARGUMENT", name + " must be an object (got " + describe(v) + ")");
  return v.As<Napi::Object>();
}

std::vector<std::string> stringArray(const Napi::Object& obj, const char* key, const std::string& owner) {
  const Napi::Value v = obj.Get(key);
  const std::string name = owner + "." + key;
  if (!v.IsArray()) throwError(obj.Env(), "NATIVE_INVALID_ARGUMENT", name + " must be an array of strings (got " + describe(v) + ")");
  const Napi::Array a = v.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const Napi::Value item = a.Get(i);
    if (!item.IsString())
      throwError(obj.Env(), "NATIVE_INVALID_ARGUMENT",
                 name + "[" + std::to_string(i) + "] must be a string (got " + describe(item) + ")");
    out.push_back(item.As<Napi::String>().Utf8Value());
  }
  return out;
}

Napi::Array toJsStrings(Napi::Env env, const std::vector<std::string>& values) {
  Napi::Array a = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) a.Set(static_cast<uint32_t>(i), Napi::String::New(env, values[i]));
  return a;
}

double numberField(const Napi::Object& obj, const char* key, const std::string& owner, double fallback, bool required) {
  const Napi::Value v = obj.Get(key);
  const std::string name = owner + "." + key;
  if (v.IsUndefined() && !required) return fallback;
  if (!v.IsNumber()) throwError(obj.Env(), "NATIVE_INVALID_ARGUMENT", name + " must be a number (got " + describe(v) + ")");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d)) throwError(obj.Env(), "NATIVE_INVALID_ARGUMENT", name + " must be a finite number");
  return d;
}

int intField(const Napi::Object& obj, const char* key, const std::string& owner, int fallback, int min, int max) {
  const double d = numberField(obj, key, owner, fallback, false);
  if (d != std::floor(d) || d < min || d > max)
    throwError(obj.Env(), "NATIVE_INVALID_ARGUMENT",
               owner + "." + key + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) +
                   "], got " + std::to_string(d));
  return static_cast<int>(d);
}

uint64_t seedField(const Napi::Object& obj, const char* key, const std::string& owner, uint64_t fallback) {
  const double d = numberField(obj, key, owner, static_cast<double>(fallback), false);
  if (d != std::floor(d) || d < 0 || d > 9007199254740991.0)
    throwError(obj.Env(), "NATIVE_INVALID_ARGUMENT", owner + "." + key + " must be a non-negative safe integer");
  return static_cast<uint64_t>(d);
}

View<int32_t> int32Value(const Napi::Value& v, const std::string& name) { return typedView<int32_t>(v, napi_int32_array, name); }
View<double> float64Value(const Napi::Value& v, const std::string& name) { return typedView<double>(v, napi_float64_array, name); }
View<int32_t> int32Field(const Napi::Object& obj, const char* key, const std::string& owner) {
  return int32Value(obj.Get(key), owner + "." + key);
}
View<double> float64Field(const Napi::Object& obj, const char* key, const std::string& owner) {
  return float64Value(obj.Get(key), owner + "." + key);
}

std::string pathArgument(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsString() || info[index].As<Napi::String>().Utf8Value().empty())
    throwError(info.Env(), "NATIVE_INVALID_ARGUMENT", "path must be a non-empty string");
  return info[index].As<Napi::String>().Utf8Value();
}

Napi::Value bufferFromBytes(Napi::Env env, const std::vector<uint8_t>& bytes) {
  return Napi::Buffer<uint8_t>::Copy(env, bytes.data(), bytes.size());
}

View<uint8_t> bytesArgument(const Napi::Value& v, const std::string& name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throwError(v.Env(), "NATIVE_INVALID_ARGUMENT", name + " must be a Buffer or Uint8Array (got " + describe(v) + ")");
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  return View<uint8_t>(a.Data(), a.ElementLength());
}

Napi::FunctionReference* CancelToken::constructor = nullptr;

Napi::Function CancelToken::define(Napi::Env env) {
  Napi::Function f = DefineClass(env, "CancelToken",
                                 {InstanceMethod("cancel", &CancelToken::cancel),
                                  InstanceAccessor("cancelled", &CancelToken::cancelled, nullptr)});
  constructor = new Napi::FunctionReference(Napi::Persistent(f));
  return f;
}

CancelToken::CancelToken(const Napi::CallbackInfo& info) : Napi::ObjectWrap<CancelToken>(info) {}

Napi::Value CancelToken::cancel(const Napi::CallbackInfo& info) {
  flag_->store(true);
  return info.Env().Undefined();
}

Napi::Value CancelToken::cancelled(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), flag_->load()); }

std::shared_ptr<std::atomic<bool>> CancelToken::fromValue(const Napi::Value& v) {
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  if (!v.IsObject() || !v.As<Napi::Object>().InstanceOf(constructor->Value()))
    throwError(v.Env(), "NATIVE_INVALID_ARGUMENT", "cancel must be a CancelToken from the addon (got " + describe(v) + ")");
  return Napi::ObjectWrap<CancelToken>::Unwrap(v.As<Napi::Object>())->flag();
}

}  // namespace pilotscope::binding
