// N-API entry point of the pilotscope native addon.
#include <napi.h>

#ifndef PILOTSCOPE_SOURCE_HASH
#define PILOTSCOPE_SOURCE_HASH "unknown"
#endif

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("sourceHash", Napi::String::New(env, PILOTSCOPE_SOURCE_HASH));
  return exports;
}

}  // namespace

NODE_API_MODULE(pilotscope_native, Init)
