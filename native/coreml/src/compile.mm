// compileModel(source, destination): compiles an .mlpackage / .mlmodel into an .mlmodelc folder, off the JS
// thread. The TypeScript side owns the cache (content hash + OS build); this only compiles and moves.
#include "common.h"

#include <future>

namespace lpcoreml {

namespace {

class CompileWorker : public Napi::AsyncWorker {
 public:
  CompileWorker(Napi::Env env, std::string source, std::string destination)
      : Napi::AsyncWorker(env, "lpcoreml.compileModel"),
        deferred_(Napi::Promise::Deferred::New(env)),
        source_(std::move(source)),
        destination_(std::move(destination)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    @autoreleasepool {
      NSURL* sourceURL = [NSURL fileURLWithPath:ToNSString(source_)];
      NSURL* destinationURL = [NSURL fileURLWithPath:ToNSString(destination_) isDirectory:YES];
      auto done = std::make_shared<std::promise<AddonError>>();
      std::future<AddonError> result = done->get_future();
      // The compiled model lands in a temporary folder that CoreML may delete after the handler returns, so
      // it is moved to the destination inside the handler.
      [MLModel compileModelAtURL:sourceURL
               completionHandler:^(NSURL* compiledURL, NSError* error) {
                 AddonError outcome;
                 if (compiledURL == nil) {
                   outcome = ErrorFromNSError("ERR_RUN_COREML_COMPILE", "CoreML could not compile " + source_, error);
                 } else {
                   NSError* moveError = nil;
                   NSFileManager* files = [NSFileManager defaultManager];
                   if (![files moveItemAtURL:compiledURL toURL:destinationURL error:&moveError]) {
                     outcome = ErrorFromNSError("ERR_RUN_COREML_COMPILE",
                                                "CoreML compiled the model but it could not be moved to " +
                                                    destination_,
                                                moveError);
                   }
                 }
                 done->set_value(outcome);
               }];
      error_ = result.get();
      if (!error_.code.empty()) SetError(error_.message);
    }
  }

  void OnOK() override { deferred_.Resolve(Napi::String::New(Env(), destination_)); }

  void OnError(const Napi::Error&) override { deferred_.Reject(ToJsError(Env(), error_).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string source_;
  std::string destination_;
  AddonError error_;
};

Napi::Value CompileModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsString()) {
    throw Napi::TypeError::New(env, "compileModel(source: string, destination: string)");
  }
  auto* worker =
      new CompileWorker(env, info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::String>().Utf8Value());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

/** The OS version string with its build ("Version 14.4 (Build 23E214)"): part of the compiled-model cache key. */
Napi::Value OsBuild(const Napi::CallbackInfo& info) {
  @autoreleasepool {
    return Napi::String::New(info.Env(), ToStdString([[NSProcessInfo processInfo] operatingSystemVersionString]));
  }
}

}  // namespace

void InitCompile(Napi::Env env, Napi::Object exports) {
  exports.Set("compileModel", Napi::Function::New(env, CompileModel, "compileModel"));
  exports.Set("osBuild", Napi::Function::New(env, OsBuild, "osBuild"));
}

}  // namespace lpcoreml
