// loadModel(path, options) → Model: describe(), predict(), predictBatch(), newState(), close().
// Every load and prediction runs on a libuv worker thread (Napi::AsyncWorker), never on the JS thread.
#include "common.h"

#include <memory>

namespace lpcoreml {

namespace {

struct AddonData {
  Napi::FunctionReference modelConstructor;
  Napi::FunctionReference stateConstructor;
};

/** Holds an Objective-C object across the N-API boundary (ARC keeps it alive while the holder lives). */
struct ObjectHolder {
  id object;
};

/** Reads a `{ name: tensor }` object into InputTensors and keeps each typed array referenced. */
void ReadFeeds(Napi::Env env, Napi::Value value, std::vector<InputTensor>* tensors,
               std::vector<Napi::ObjectReference>* keepAlive) {
  if (!value.IsObject()) throw Napi::TypeError::New(env, "feeds must be an object of tensors");
  Napi::Object feeds = value.As<Napi::Object>();
  Napi::Array names = feeds.GetPropertyNames();
  for (uint32_t i = 0; i < names.Length(); i++) {
    std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    Napi::Value tensor = feeds.Get(name);
    tensors->push_back(ReadInputTensor(env, name, tensor));
    keepAlive->push_back(Napi::Persistent(tensor.As<Napi::Object>().Get("data").As<Napi::Object>()));
  }
}

std::vector<std::string> ReadNames(Napi::Value value) {
  std::vector<std::string> names;
  if (!value.IsArray()) return names;
  Napi::Array array = value.As<Napi::Array>();
  for (uint32_t i = 0; i < array.Length(); i++) names.push_back(array.Get(i).ToString().Utf8Value());
  return names;
}

/** Builds the feature provider of one prediction; nil and *error when CoreML refuses an input. */
id<MLFeatureProvider> MakeProvider(const std::vector<InputTensor>& tensors, AddonError* error) {
  NSMutableDictionary<NSString*, MLFeatureValue*>* values = [NSMutableDictionary dictionary];
  for (const InputTensor& tensor : tensors) {
    NSError* nsError = nil;
    MLMultiArray* array = WrapInput(tensor, &nsError);
    if (array == nil) {
      *error = ErrorFromNSError("ERR_RUN_COREML_PREDICTION", "CoreML refused input '" + tensor.name + "'", nsError);
      return nil;
    }
    values[ToNSString(tensor.name)] = [MLFeatureValue featureValueWithMultiArray:array];
  }
  NSError* nsError = nil;
  MLDictionaryFeatureProvider* provider = [[MLDictionaryFeatureProvider alloc] initWithDictionary:values
                                                                                            error:&nsError];
  if (provider == nil) *error = ErrorFromNSError("ERR_RUN_COREML_PREDICTION", "CoreML refused the inputs", nsError);
  return provider;
}

class LoadWorker : public Napi::AsyncWorker {
 public:
  LoadWorker(Napi::Env env, std::string path, MLComputeUnits units, bool lowPrecisionGpu)
      : Napi::AsyncWorker(env, "lpcoreml.loadModel"),
        deferred_(Napi::Promise::Deferred::New(env)),
        path_(std::move(path)),
        units_(units),
        lowPrecisionGpu_(lowPrecisionGpu) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    @autoreleasepool {
      MLModelConfiguration* config = [[MLModelConfiguration alloc] init];
      config.computeUnits = units_;
      config.allowLowPrecisionAccumulationOnGPU = lowPrecisionGpu_;
      NSError* error = nil;
      model_ = [MLModel modelWithContentsOfURL:[NSURL fileURLWithPath:ToNSString(path_) isDirectory:YES]
                                 configuration:config
                                         error:&error];
      if (model_ == nil) {
        error_ = ErrorFromNSError("ERR_RUN_COREML_LOAD", "CoreML could not load " + path_, error);
        SetError(error_.message);
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    auto* holder = new ObjectHolder{model_};
    model_ = nil;
    Napi::External<ObjectHolder> external =
        Napi::External<ObjectHolder>::New(env, holder, [](Napi::Env, ObjectHolder* h) { delete h; });
    AddonData* data = env.GetInstanceData<AddonData>();
    deferred_.Resolve(data->modelConstructor.New({external}));
  }

  void OnError(const Napi::Error&) override { deferred_.Reject(ToJsError(Env(), error_).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  MLComputeUnits units_;
  bool lowPrecisionGpu_;
  MLModel* model_ = nil;
  AddonError error_;
};

class PredictWorker : public Napi::AsyncWorker {
 public:
  PredictWorker(Napi::Env env, MLModel* model, id state, std::vector<std::vector<InputTensor>> batch,
                std::vector<Napi::ObjectReference> keepAlive, std::vector<std::string> outputNames, bool batched)
      : Napi::AsyncWorker(env, "lpcoreml.predict"),
        deferred_(Napi::Promise::Deferred::New(env)),
        model_(model),
        state_(state),
        batch_(std::move(batch)),
        keepAlive_(std::move(keepAlive)),
        outputNames_(std::move(outputNames)),
        batched_(batched) {}

  ~PredictWorker() override {
    for (Prediction& p : results_) FreeOutputs(p.tensors);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    @autoreleasepool {
      if (batched_) {
        ExecuteBatch();
      } else {
        ExecuteOne();
      }
      if (!error_.code.empty()) SetError(error_.message);
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    keepAlive_.clear();
    if (!batched_) {
      deferred_.Resolve(PredictionToJs(env, results_[0]));
      return;
    }
    Napi::Array out = Napi::Array::New(env, results_.size());
    for (size_t i = 0; i < results_.size(); i++) out.Set(static_cast<uint32_t>(i), PredictionToJs(env, results_[i]));
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error&) override {
    keepAlive_.clear();
    deferred_.Reject(ToJsError(Env(), error_).Value());
  }

 private:
  void ExecuteOne() {
    id<MLFeatureProvider> provider = MakeProvider(batch_[0], &error_);
    if (provider == nil) return;
    NSError* error = nil;
    id<MLFeatureProvider> result = nil;
    if (state_ != nil) {
#if LPCOREML_SDK_HAS_MLSTATE
      if (@available(macOS 15.0, *)) {
        result = [model_ predictionFromFeatures:provider usingState:(MLState*)state_ error:&error];
      } else {
        error_.code = "ERR_RUN_COREML_UNSUPPORTED_FEATURE";
        error_.message = "Stateful prediction needs macOS 15 or newer.";
        return;
      }
#else
      error_.code = "ERR_RUN_COREML_UNSUPPORTED_FEATURE";
      error_.message = "Stateful prediction needs an addon built with the macOS 15 SDK (Xcode 16) or newer.";
      return;
#endif
    } else {
      result = [model_ predictionFromFeatures:provider error:&error];
    }
    if (result == nil) {
      error_ = ErrorFromNSError("ERR_RUN_COREML_PREDICTION", "CoreML prediction failed", error);
      return;
    }
    results_.emplace_back();
    ReadPrediction(result, outputNames_, &results_[0], &error_);
  }

  void ExecuteBatch() {
    NSMutableArray<id<MLFeatureProvider>>* providers = [NSMutableArray arrayWithCapacity:batch_.size()];
    for (const std::vector<InputTensor>& feeds : batch_) {
      id<MLFeatureProvider> provider = MakeProvider(feeds, &error_);
      if (provider == nil) return;
      [providers addObject:provider];
    }
    MLArrayBatchProvider* inputs = [[MLArrayBatchProvider alloc] initWithFeatureProviderArray:providers];
    NSError* error = nil;
    id<MLBatchProvider> outputs = [model_ predictionsFromBatch:inputs error:&error];
    if (outputs == nil) {
      error_ = ErrorFromNSError("ERR_RUN_COREML_PREDICTION", "CoreML batch prediction failed", error);
      return;
    }
    results_.resize(static_cast<size_t>(outputs.count));
    for (NSInteger i = 0; i < outputs.count; i++) {
      if (!ReadPrediction([outputs featuresAtIndex:i], outputNames_, &results_[static_cast<size_t>(i)], &error_)) {
        return;
      }
    }
  }

  Napi::Promise::Deferred deferred_;
  MLModel* model_;
  id state_;
  std::vector<std::vector<InputTensor>> batch_;
  std::vector<Napi::ObjectReference> keepAlive_;
  std::vector<std::string> outputNames_;
  bool batched_;
  std::vector<Prediction> results_;
  AddonError error_;
};

/** A CoreML state (MLState, macOS 15): the KV cache of a stateful model, passed back into predict(). */
class State : public Napi::ObjectWrap<State> {
 public:
  static Napi::Function Define(Napi::Env env) { return DefineClass(env, "CoreMLState", {}); }

  explicit State(const Napi::CallbackInfo& info) : Napi::ObjectWrap<State>(info) {
    if (info.Length() < 1 || !info[0].IsExternal()) {
      throw Napi::TypeError::New(info.Env(), "CoreMLState is made by Model.newState()");
    }
    state_ = info[0].As<Napi::External<ObjectHolder>>().Data()->object;
  }

  id state() const { return state_; }

 private:
  id state_ = nil;
};

class Model : public Napi::ObjectWrap<Model> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "CoreMLModel",
                       {
                           InstanceMethod<&Model::Describe>("describe"),
                           InstanceMethod<&Model::Predict>("predict"),
                           InstanceMethod<&Model::PredictBatch>("predictBatch"),
                           InstanceMethod<&Model::NewState>("newState"),
                           InstanceMethod<&Model::Close>("close"),
                       });
  }

  explicit Model(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Model>(info) {
    if (info.Length() < 1 || !info[0].IsExternal()) {
      throw Napi::TypeError::New(info.Env(), "CoreMLModel is made by loadModel()");
    }
    model_ = (MLModel*)info[0].As<Napi::External<ObjectHolder>>().Data()->object;
  }

 private:
  MLModel* Require(Napi::Env env) {
    if (model_ == nil) {
      Napi::Error error = Napi::Error::New(env, "The CoreML model was closed.");
      error.Set("code", Napi::String::New(env, "ERR_RUN_SESSION_DISPOSED"));
      throw error;
    }
    return model_;
  }

  Napi::Value Describe(const Napi::CallbackInfo& info) {
    @autoreleasepool {
      return DescribeModel(info.Env(), Require(info.Env()));
    }
  }

  // predict(feeds, outputNames?, state?) → Promise<{ tensors, values }>
  Napi::Value Predict(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    MLModel* model = Require(env);
    std::vector<std::vector<InputTensor>> batch(1);
    std::vector<Napi::ObjectReference> keepAlive;
    ReadFeeds(env, info[0], &batch[0], &keepAlive);
    id state = nil;
    if (info.Length() > 2 && info[2].IsObject()) {
      Napi::Object object = info[2].As<Napi::Object>();
      AddonData* data = env.GetInstanceData<AddonData>();
      if (!object.InstanceOf(data->stateConstructor.Value())) {
        throw Napi::TypeError::New(env, "state must come from Model.newState()");
      }
      state = State::Unwrap(object)->state();
    }
    auto* worker = new PredictWorker(env, model, state, std::move(batch), std::move(keepAlive),
                                     ReadNames(info.Length() > 1 ? info[1] : env.Undefined()), false);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  // predictBatch(feedsList, outputNames?) → Promise<Array<{ tensors, values }>>
  Napi::Value PredictBatch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    MLModel* model = Require(env);
    if (info.Length() < 1 || !info[0].IsArray()) throw Napi::TypeError::New(env, "predictBatch(feedsList: object[])");
    Napi::Array list = info[0].As<Napi::Array>();
    std::vector<std::vector<InputTensor>> batch(list.Length());
    std::vector<Napi::ObjectReference> keepAlive;
    for (uint32_t i = 0; i < list.Length(); i++) ReadFeeds(env, list.Get(i), &batch[i], &keepAlive);
    auto* worker = new PredictWorker(env, model, nil, std::move(batch), std::move(keepAlive),
                                     ReadNames(info.Length() > 1 ? info[1] : env.Undefined()), true);
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }

  Napi::Value NewState(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    MLModel* model = Require(env);
#if LPCOREML_SDK_HAS_MLSTATE
    if (@available(macOS 15.0, *)) {
      auto* holder = new ObjectHolder{[model newState]};
      Napi::External<ObjectHolder> external =
          Napi::External<ObjectHolder>::New(env, holder, [](Napi::Env, ObjectHolder* h) { delete h; });
      return env.GetInstanceData<AddonData>()->stateConstructor.New({external});
    }
    Napi::Error error = Napi::Error::New(env, "Stateful CoreML models (MLState) need macOS 15 or newer.");
#else
    (void)model;
    Napi::Error error = Napi::Error::New(
        env, "Stateful CoreML models (MLState) need an addon built with the macOS 15 SDK (Xcode 16) or newer.");
#endif
    error.Set("code", Napi::String::New(env, "ERR_RUN_COREML_UNSUPPORTED_FEATURE"));
    throw error;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    model_ = nil;  // predictions in flight keep their own strong reference
    return info.Env().Undefined();
  }

  MLModel* model_ = nil;
};

// loadModel(compiledPath, { computeUnits, allowLowPrecisionAccumulationOnGPU }) → Promise<Model>
Napi::Value LoadModel(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "loadModel(path: string, options)");
  MLComputeUnits computeUnits = ReadComputeUnits(env, info.Length() > 1 ? info[1] : env.Undefined());
  bool lowPrecisionGpu = false;
  if (info.Length() > 1 && info[1].IsObject()) {
    lowPrecisionGpu = info[1].As<Napi::Object>().Get("allowLowPrecisionAccumulationOnGPU").ToBoolean().Value();
  }
  auto* worker = new LoadWorker(env, info[0].As<Napi::String>().Utf8Value(), computeUnits, lowPrecisionGpu);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

bool ParseComputeUnits(const std::string& name, MLComputeUnits* out) {
  if (name == "all") *out = MLComputeUnitsAll;
  else if (name == "cpuAndNeuralEngine") *out = MLComputeUnitsCPUAndNeuralEngine;
  else if (name == "cpuAndGpu") *out = MLComputeUnitsCPUAndGPU;
  else if (name == "cpuOnly") *out = MLComputeUnitsCPUOnly;
  else return false;
  return true;
}

MLComputeUnits ReadComputeUnits(Napi::Env env, Napi::Value options) {
  std::string units = "all";
  if (options.IsObject() && options.As<Napi::Object>().Get("computeUnits").IsString()) {
    units = options.As<Napi::Object>().Get("computeUnits").As<Napi::String>().Utf8Value();
  }
  MLComputeUnits computeUnits;
  if (!ParseComputeUnits(units, &computeUnits)) {
    Napi::TypeError error = Napi::TypeError::New(
        env, "computeUnits must be all, cpuAndNeuralEngine, cpuAndGpu or cpuOnly, not " + units);
    error.Set("code", Napi::String::New(env, "ERR_RUN_INVALID_ARGUMENT"));
    throw error;
  }
  return computeUnits;
}

void InitModel(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->modelConstructor = Napi::Persistent(Model::Define(env));
  data->stateConstructor = Napi::Persistent(State::Define(env));
  env.SetInstanceData<AddonData>(data);
  exports.Set("loadModel", Napi::Function::New(env, LoadModel, "loadModel"));
}

}  // namespace lpcoreml
