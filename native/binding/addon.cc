// N-API entry point of the pilotscope native addon.
#include <napi.h>

#include "convert.h"
#include "gemm.h"

#ifndef PILOTSCOPE_SOURCE_HASH
#define PILOTSCOPE_SOURCE_HASH "unknown"
#endif

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sourceHash", Napi::String::New(env, PILOTSCOPE_SOURCE_HASH));
  exports.Set("gemmKernel", Napi::String::New(env, pilotscope::gemmKernelName()));
  exports.Set("CancelToken", pilotscope::binding::CancelToken::define(env));
  exports.Set("MscnModel", pilotscope::binding::defineMscnModel(env));
  exports.Set("LeroModel", pilotscope::binding::defineLeroModel(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(pilotscope_native, Init)
