// Entry point of the llama-pajamas CoreML addon (loaded by @llama-pajamas/run-coreml in init(), never on import).
#include "common.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  lpcoreml::InitCompile(env, exports);
  lpcoreml::InitModel(env, exports);
  lpcoreml::InitPlan(env, exports);
  exports.Set("bindingVersion", Napi::Number::New(env, 1));
  return exports;
}

}  // namespace

NODE_API_MODULE(llama_pajamas_coreml, Init)
