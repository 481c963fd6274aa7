// Shared declarations of the llama-pajamas CoreML addon (Objective-C++, ARC).
#pragma once

#import <CoreML/CoreML.h>
#import <Foundation/Foundation.h>

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

// Apple's SDK defines API_AVAILABLE; the Linux syntax check (GNUstep) does not need it.
#ifndef API_AVAILABLE
#define API_AVAILABLE(...)
#endif

// What the SDK that builds the addon declares (the build SDK, not the OS it runs on: `@available` checks that).
// Xcode 15.x (the macOS 14 SDKs, the default on GitHub's macos-14 runners) has no MLState, and before 15.3 (the
// 14.4 SDK) no MLComputePlan: built with those, the addon reports the feature as unsupported instead of failing
// to compile.
#if defined(__MAC_OS_X_VERSION_MAX_ALLOWED) && __MAC_OS_X_VERSION_MAX_ALLOWED >= 150000
#define LPCOREML_SDK_HAS_MLSTATE 1
#else
#define LPCOREML_SDK_HAS_MLSTATE 0
#endif
#if defined(__MAC_OS_X_VERSION_MAX_ALLOWED) && __MAC_OS_X_VERSION_MAX_ALLOWED >= 140400
#define LPCOREML_SDK_HAS_COMPUTE_PLAN 1
#else
#define LPCOREML_SDK_HAS_COMPUTE_PLAN 0
#endif

namespace lpcoreml {

/** The element types that cross the JS boundary, as run-core's TensorType names them. */
enum class ElementType { Float32, Float16, Float64, Int32, Int64 };

/** A tensor handed from JS: its bytes stay owned by the JS typed array, which the worker keeps referenced. */
struct InputTensor {
  std::string name;
  ElementType type;
  std::vector<int64_t> dims;
  void* data;
  size_t byteLength;
};

/** A tensor produced by CoreML and copied once (off the JS thread) into memory that JS will own. */
struct OutputTensor {
  std::string name;
  ElementType type;
  std::vector<int64_t> dims;
  void* data = nullptr;  // malloc'd; ownership moves to a JS ArrayBuffer
  size_t byteLength = 0;
};

/** A failure with the CoreML NSError text and the code string the JS side maps to a typed RunError. */
struct AddonError {
  std::string code;     // ERR_RUN_COREML_*
  std::string message;  // includes the NSError's localizedDescription
  std::string domain;   // NSError domain, empty when not from an NSError
  int64_t nsCode = 0;
};

size_t ElementSize(ElementType type);
const char* ElementTypeName(ElementType type);
bool ParseElementType(const std::string& name, ElementType* out);
bool ToMultiArrayDataType(ElementType type, MLMultiArrayDataType* out);
bool FromMultiArrayDataType(MLMultiArrayDataType type, ElementType* out);
const char* MultiArrayDataTypeName(MLMultiArrayDataType type);

/** "<what>: <localizedDescription> (<domain> <code>)" — the NSError text kept whole for the JS error. */
AddonError ErrorFromNSError(const std::string& code, const std::string& what, NSError* error);
/** Makes a JS Error with `code`, `nsDomain` and `nsCode` properties. */
Napi::Error ToJsError(Napi::Env env, const AddonError& error);

/** Reads `{ type, dims, data }` from JS; throws a JS TypeError (with code) when the value is malformed. */
InputTensor ReadInputTensor(Napi::Env env, const std::string& name, Napi::Value value);
/** Wraps JS memory as an MLMultiArray without copying (row-major strides). Returns nil and sets *error. */
MLMultiArray* WrapInput(const InputTensor& tensor, NSError** error);
/** Copies an MLMultiArray into malloc'd row-major memory (strided copy when CoreML padded it). */
bool CopyOutput(const std::string& name, MLMultiArray* array, OutputTensor* out, AddonError* error);
/** Turns a copied output into `{ type, dims, data }`; the ArrayBuffer takes ownership of the memory. */
Napi::Object OutputToJs(Napi::Env env, OutputTensor& tensor);
void FreeOutputs(std::vector<OutputTensor>& outputs);

/** A non-tensor output (classifier label, probability dictionary, scalar), converted off the JS thread. */
struct OutputValue {
  std::string name;
  std::string kind;  // "string" | "double" | "int64" | "dictionary"
  std::string text;
  double number = 0;
  int64_t integer = 0;
  std::vector<std::pair<std::string, double>> entries;
};

/** All outputs of one prediction. */
struct Prediction {
  std::vector<OutputTensor> tensors;
  std::vector<OutputValue> values;
};

/** Converts every wanted feature of a CoreML result; false and *error on failure (frees what it made). */
bool ReadPrediction(id<MLFeatureProvider> result, const std::vector<std::string>& wanted, Prediction* out,
                    AddonError* error);
/** `{ tensors: { name: { type, dims, data } }, values: { name: value } }`; moves the memory into JS. */
Napi::Object PredictionToJs(Napi::Env env, Prediction& prediction);

/** `{ name, kind, type, dims, shapes?, ranges?, image?, optional }` for one feature. */
Napi::Object DescribeFeature(Napi::Env env, MLFeatureDescription* feature);
/** `{ inputs, outputs, states, metadata, predictedFeatureName? }` for a loaded model. */
Napi::Object DescribeModel(Napi::Env env, MLModel* model);

std::string ToStdString(NSString* value);
NSString* ToNSString(const std::string& value);

/** Parses all | cpuAndNeuralEngine | cpuAndGpu | cpuOnly. */
bool ParseComputeUnits(const std::string& name, MLComputeUnits* out);
/** Reads `{ computeUnits }` from an options object; throws a coded JS TypeError for an unknown name. */
MLComputeUnits ReadComputeUnits(Napi::Env env, Napi::Value options);

/** Registers computePlan (MLComputePlan, macOS 14.4). */
void InitPlan(Napi::Env env, Napi::Object exports);
/** Registers the compile functions (compileModel, osBuild). */
void InitCompile(Napi::Env env, Napi::Object exports);
/** Registers loadModel and the Model/State classes. */
void InitModel(Napi::Env env, Napi::Object exports);

}  // namespace lpcoreml
