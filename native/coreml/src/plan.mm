// computePlan(compiledPath, { computeUnits }) → where each operation would run (MLComputePlan, macOS 14.4+):
// the way to see whether a model really uses the Neural Engine.
#include "common.h"

#include <future>

namespace lpcoreml {

namespace {

struct PlanOperation {
  std::string name;      // first output (ML Program) or layer name (neural network)
  std::string op;        // operator or layer type
  std::string preferred;  // neuralEngine | gpu | cpu, empty when CoreML reports no usage (constants)
  std::vector<std::string> supported;
  double cost = -1;  // estimated relative cost, -1 when unknown
};

#if LPCOREML_SDK_HAS_COMPUTE_PLAN
API_AVAILABLE(macos(14.4))
std::string DeviceName(id<MLComputeDeviceProtocol> device) {
  if ([(NSObject*)device isKindOfClass:[MLNeuralEngineComputeDevice class]]) return "neuralEngine";
  if ([(NSObject*)device isKindOfClass:[MLGPUComputeDevice class]]) return "gpu";
  if ([(NSObject*)device isKindOfClass:[MLCPUComputeDevice class]]) return "cpu";
  return "unknown";
}

API_AVAILABLE(macos(14.4))
void ReadUsage(MLComputePlanDeviceUsage* usage, PlanOperation* entry) {
  if (usage == nil) return;
  entry->preferred = DeviceName(usage.preferredComputeDevice);
  for (id<MLComputeDeviceProtocol> device in usage.supportedComputeDevices) entry->supported.push_back(DeviceName(device));
}

API_AVAILABLE(macos(14.4))
void WalkBlock(MLComputePlan* plan, MLModelStructureProgramBlock* block, std::vector<PlanOperation>* out) {
  for (MLModelStructureProgramOperation* operation in block.operations) {
    PlanOperation entry;
    entry.op = ToStdString(operation.operatorName);
    if (operation.outputs.count > 0) entry.name = ToStdString(operation.outputs[0].name);
    ReadUsage([plan computeDeviceUsageForMLProgramOperation:operation], &entry);
    MLComputePlanCost* cost = [plan estimatedCostOfMLProgramOperation:operation];
    if (cost != nil) entry.cost = cost.weight;
    out->push_back(entry);
    for (MLModelStructureProgramBlock* inner in operation.blocks) WalkBlock(plan, inner, out);
  }
}

#endif

class PlanWorker : public Napi::AsyncWorker {
 public:
  PlanWorker(Napi::Env env, std::string path, MLComputeUnits units)
      : Napi::AsyncWorker(env, "lpcoreml.computePlan"),
        deferred_(Napi::Promise::Deferred::New(env)),
        path_(std::move(path)),
        units_(units) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
#if LPCOREML_SDK_HAS_COMPUTE_PLAN
    if (@available(macOS 14.4, *)) {
      @autoreleasepool {
        MLModelConfiguration* config = [[MLModelConfiguration alloc] init];
        config.computeUnits = units_;
        auto done = std::make_shared<std::promise<void>>();
        std::future<void> finished = done->get_future();
        __block MLComputePlan* loaded = nil;
        __block NSError* loadError = nil;
        [MLComputePlan loadContentsOfURL:[NSURL fileURLWithPath:ToNSString(path_) isDirectory:YES]
                           configuration:config
                       completionHandler:^(MLComputePlan* plan, NSError* error) {
                         loaded = plan;
                         loadError = error;
                         done->set_value();
                       }];
        finished.wait();
        if (loaded == nil) {
          error_ = ErrorFromNSError("ERR_RUN_COREML_LOAD", "CoreML could not make a compute plan for " + path_, loadError);
        } else if (loaded.modelStructure.program != nil) {
          structure_ = "program";
          for (NSString* name in loaded.modelStructure.program.functions) {
            WalkBlock(loaded, loaded.modelStructure.program.functions[name].block, &operations_);
          }
        } else if (loaded.modelStructure.neuralNetwork != nil) {
          structure_ = "neuralNetwork";
          for (MLModelStructureNeuralNetworkLayer* layer in loaded.modelStructure.neuralNetwork.layers) {
            PlanOperation entry;
            entry.name = ToStdString(layer.name);
            entry.op = ToStdString(layer.type);
            ReadUsage([loaded computeDeviceUsageForNeuralNetworkLayer:layer], &entry);
            operations_.push_back(entry);
          }
        } else {
          structure_ = "other";
        }
      }
    } else {
      error_.code = "ERR_RUN_COREML_UNSUPPORTED_FEATURE";
      error_.message = "MLComputePlan needs macOS 14.4 or newer.";
    }
#else
    (void)units_;
    error_.code = "ERR_RUN_COREML_UNSUPPORTED_FEATURE";
    error_.message = "MLComputePlan needs an addon built with the macOS 14.4 SDK (Xcode 15.3) or newer.";
#endif
    if (!error_.code.empty()) SetError(error_.message);
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::Array operations = Napi::Array::New(env, operations_.size());
    for (size_t i = 0; i < operations_.size(); i++) {
      const PlanOperation& entry = operations_[i];
      Napi::Object item = Napi::Object::New(env);
      item.Set("name", Napi::String::New(env, entry.name));
      item.Set("operator", Napi::String::New(env, entry.op));
      if (!entry.preferred.empty()) item.Set("preferred", Napi::String::New(env, entry.preferred));
      Napi::Array supported = Napi::Array::New(env, entry.supported.size());
      for (size_t j = 0; j < entry.supported.size(); j++) {
        supported.Set(static_cast<uint32_t>(j), Napi::String::New(env, entry.supported[j]));
      }
      item.Set("supported", supported);
      if (entry.cost >= 0) item.Set("cost", Napi::Number::New(env, entry.cost));
      operations.Set(static_cast<uint32_t>(i), item);
    }
    Napi::Object out = Napi::Object::New(env);
    out.Set("structure", Napi::String::New(env, structure_));
    out.Set("operations", operations);
    deferred_.Resolve(out);
  }

  void OnError(const Napi::Error&) override { deferred_.Reject(ToJsError(Env(), error_).Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  std::string path_;
  MLComputeUnits units_;
  std::string structure_;
  std::vector<PlanOperation> operations_;
  AddonError error_;
};

Napi::Value ComputePlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) throw Napi::TypeError::New(env, "computePlan(path: string, options)");
  MLComputeUnits units = ReadComputeUnits(env, info.Length() > 1 ? info[1] : env.Undefined());
  auto* worker = new PlanWorker(env, info[0].As<Napi::String>().Utf8Value(), units);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

void InitPlan(Napi::Env env, Napi::Object exports) {
  exports.Set("computePlan", Napi::Function::New(env, ComputePlan, "computePlan"));
}

}  // namespace lpcoreml
