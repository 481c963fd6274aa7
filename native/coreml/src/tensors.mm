// Tensors across the JS boundary: JS inputs wrapped as MLMultiArrays without a copy, CoreML outputs copied once
// into memory that JS owns, and whole predictions (tensors and classifier values) handed to JS.
#include "common.h"

#include <cstdlib>
#include <cstring>
#include <limits>

namespace lpcoreml {

static napi_typedarray_type TypedArrayTypeFor(ElementType type) {
  switch (type) {
    case ElementType::Float32: return napi_float32_array;
    case ElementType::Float16: return napi_uint16_array;  // raw IEEE half bits, as run-core stores them
    case ElementType::Float64: return napi_float64_array;
    case ElementType::Int32: return napi_int32_array;
    case ElementType::Int64: return napi_bigint64_array;
  }
  return napi_float32_array;
}

static void ThrowInvalid(Napi::Env env, const std::string& message) {
  Napi::TypeError error = Napi::TypeError::New(env, message);
  error.Set("code", Napi::String::New(env, "ERR_RUN_INVALID_ARGUMENT"));
  throw error;
}

InputTensor ReadInputTensor(Napi::Env env, const std::string& name, Napi::Value value) {
  if (!value.IsObject()) ThrowInvalid(env, "Input '" + name + "' must be a { type, dims, data } tensor.");
  Napi::Object object = value.As<Napi::Object>();
  Napi::Value typeValue = object.Get("type");
  Napi::Value dimsValue = object.Get("dims");
  Napi::Value dataValue = object.Get("data");
  if (!typeValue.IsString() || !dimsValue.IsArray() || !dataValue.IsTypedArray()) {
    ThrowInvalid(env, "Input '" + name + "' must be a { type, dims, data } tensor.");
  }
  InputTensor tensor;
  tensor.name = name;
  std::string type = typeValue.As<Napi::String>().Utf8Value();
  if (!ParseElementType(type, &tensor.type)) {
    ThrowInvalid(env, "Input '" + name + "' has element type " + type +
                          "; CoreML multi-arrays take float32, float16, float64 or int32.");
  }
  Napi::Array dims = dimsValue.As<Napi::Array>();
  size_t count = 1;
  for (uint32_t i = 0; i < dims.Length(); i++) {
    Napi::Value d = dims.Get(i);
    double v = d.IsNumber() ? d.As<Napi::Number>().DoubleValue() : -1;
    if (!(v >= 0) || v != static_cast<double>(static_cast<int64_t>(v))) {
      ThrowInvalid(env, "Input '" + name + "' has a dim that is not a non-negative integer.");
    }
    tensor.dims.push_back(static_cast<int64_t>(v));
    count *= static_cast<size_t>(v);
  }
  Napi::TypedArray data = dataValue.As<Napi::TypedArray>();
  if (data.TypedArrayType() != TypedArrayTypeFor(tensor.type)) {
    ThrowInvalid(env, "Input '" + name + "' data is not the typed array that " + type + " needs.");
  }
  if (data.ElementLength() != count) {
    ThrowInvalid(env, "Input '" + name + "' has " + std::to_string(data.ElementLength()) +
                          " elements but its dims need " + std::to_string(count) + ".");
  }
  tensor.data = static_cast<uint8_t*>(data.ArrayBuffer().Data()) + data.ByteOffset();
  tensor.byteLength = data.ByteLength();
  return tensor;
}

MLMultiArray* WrapInput(const InputTensor& tensor, NSError** error) {
  MLMultiArrayDataType dataType;
  if (!ToMultiArrayDataType(tensor.type, &dataType)) return nil;
  NSMutableArray<NSNumber*>* shape = [NSMutableArray arrayWithCapacity:tensor.dims.size()];
  NSMutableArray<NSNumber*>* strides = [NSMutableArray arrayWithCapacity:tensor.dims.size()];
  for (int64_t d : tensor.dims) [shape addObject:@(d)];
  int64_t stride = 1;
  for (size_t i = tensor.dims.size(); i-- > 0;) {
    [strides insertObject:@(stride) atIndex:0];
    stride *= tensor.dims[i] > 0 ? tensor.dims[i] : 1;
  }
  if (tensor.dims.empty()) {  // a scalar: CoreML wants rank >= 1
    [shape addObject:@1];
    [strides addObject:@1];
  }
  // No copy: CoreML reads the JS typed array's memory, which the worker keeps referenced until it finishes.
  return [[MLMultiArray alloc] initWithDataPointer:tensor.data
                                             shape:shape
                                          dataType:dataType
                                           strides:strides
                                       deallocator:nil
                                             error:error];
}

static void StridedCopy(const uint8_t* src, uint8_t* dst, const std::vector<int64_t>& shape,
                        const std::vector<int64_t>& strides, size_t elementSize, size_t dim, size_t* written) {
  if (dim == shape.size()) {
    std::memcpy(dst + *written * elementSize, src, elementSize);
    (*written)++;
    return;
  }
  for (int64_t i = 0; i < shape[dim]; i++) {
    StridedCopy(src + i * strides[dim] * static_cast<int64_t>(elementSize), dst, shape, strides, elementSize,
                dim + 1, written);
  }
}

bool CopyOutput(const std::string& name, MLMultiArray* array, OutputTensor* out, AddonError* error) {
  ElementType type;
  if (!FromMultiArrayDataType(array.dataType, &type)) {
    error->code = "ERR_RUN_COREML_UNSUPPORTED_FEATURE";
    error->message = "Output '" + name + "' is a multi-array of a data type this binding does not read.";
    return false;
  }
  out->name = name;
  out->type = type;
  std::vector<int64_t> strides;
  bool contiguous = true;
  int64_t expected = 1;
  for (NSNumber* d in array.shape) out->dims.push_back(d.longLongValue);
  for (NSNumber* s in array.strides) strides.push_back(s.longLongValue);
  for (size_t i = out->dims.size(); i-- > 0;) {
    if (strides[i] != expected) contiguous = false;
    expected *= out->dims[i];
  }
  size_t count = static_cast<size_t>(array.count);
  size_t elementSize = ElementSize(type);
  out->byteLength = count * elementSize;
  out->data = std::malloc(out->byteLength > 0 ? out->byteLength : 1);
  if (out->data == nullptr) {
    error->code = "ERR_RUN_COREML_PREDICTION";
    error->message = "Out of memory copying output '" + name + "'.";
    return false;
  }
  __block bool ok = true;
  uint8_t* dst = static_cast<uint8_t*>(out->data);
  size_t byteLength = out->byteLength;
  std::vector<int64_t> dims = out->dims;
  [array getBytesWithHandler:^(const void* bytes, NSInteger size) {
    if (contiguous) {
      if (static_cast<size_t>(size) < byteLength) {
        ok = false;
        return;
      }
      std::memcpy(dst, bytes, byteLength);
    } else {
      size_t written = 0;
      StridedCopy(static_cast<const uint8_t*>(bytes), dst, dims, strides, elementSize, 0, &written);
    }
  }];
  if (!ok) {
    error->code = "ERR_RUN_COREML_PREDICTION";
    error->message = "Output '" + name + "' holds fewer bytes than its shape needs.";
    std::free(out->data);
    out->data = nullptr;
    return false;
  }
  return true;
}

void FreeOutputs(std::vector<OutputTensor>& outputs) {
  for (OutputTensor& t : outputs) {
    std::free(t.data);
    t.data = nullptr;
  }
}

Napi::Object OutputToJs(Napi::Env env, OutputTensor& tensor) {
  size_t length = tensor.byteLength / ElementSize(tensor.type);
  void* data = tensor.data;
  tensor.data = nullptr;  // the ArrayBuffer owns it from here
  Napi::ArrayBuffer buffer =
      Napi::ArrayBuffer::New(env, data, tensor.byteLength, [](Napi::Env, void* bytes) { std::free(bytes); });
  Napi::Value typed;
  switch (tensor.type) {
    case ElementType::Float32: typed = Napi::Float32Array::New(env, length, buffer, 0); break;
    case ElementType::Float16: typed = Napi::Uint16Array::New(env, length, buffer, 0); break;
    case ElementType::Float64: typed = Napi::Float64Array::New(env, length, buffer, 0); break;
    case ElementType::Int32: typed = Napi::Int32Array::New(env, length, buffer, 0); break;
    case ElementType::Int64: typed = Napi::BigInt64Array::New(env, length, buffer, 0); break;
  }
  Napi::Array dims = Napi::Array::New(env, tensor.dims.size());
  for (size_t i = 0; i < tensor.dims.size(); i++) dims.Set(i, Napi::Number::New(env, tensor.dims[i]));
  Napi::Object out = Napi::Object::New(env);
  out.Set("type", Napi::String::New(env, ElementTypeName(tensor.type)));
  out.Set("dims", dims);
  out.Set("data", typed);
  return out;
}

bool ReadPrediction(id<MLFeatureProvider> result, const std::vector<std::string>& wanted, Prediction* out,
                    AddonError* error) {
  NSMutableArray<NSString*>* names = [NSMutableArray array];
  if (wanted.empty()) {
    for (NSString* name in result.featureNames) [names addObject:name];
    [names sortUsingSelector:@selector(compare:)];
  } else {
    for (const std::string& name : wanted) [names addObject:ToNSString(name)];
  }
  for (NSString* nsName in names) {
    std::string name = ToStdString(nsName);
    MLFeatureValue* value = [result featureValueForName:nsName];
    if (value == nil) {
      error->code = "ERR_RUN_COREML_PREDICTION";
      error->message = "The model has no output named '" + name + "'.";
      FreeOutputs(out->tensors);
      return false;
    }
    OutputValue scalar;
    scalar.name = name;
    switch (value.type) {
      case MLFeatureTypeMultiArray: {
        OutputTensor tensor;
        if (!CopyOutput(name, value.multiArrayValue, &tensor, error)) {
          FreeOutputs(out->tensors);
          return false;
        }
        out->tensors.push_back(tensor);
        continue;
      }
      case MLFeatureTypeString:
        scalar.kind = "string";
        scalar.text = ToStdString(value.stringValue);
        break;
      case MLFeatureTypeDouble:
        scalar.kind = "double";
        scalar.number = value.doubleValue;
        break;
      case MLFeatureTypeInt64:
        scalar.kind = "int64";
        scalar.integer = value.int64Value;
        break;
      case MLFeatureTypeDictionary: {
        scalar.kind = "dictionary";
        NSDictionary* dictionary = value.dictionaryValue;
        for (id key in dictionary) {
          NSString* keyText = [key isKindOfClass:[NSString class]] ? (NSString*)key : [key description];
          NSNumber* number = dictionary[key];
          scalar.entries.emplace_back(ToStdString(keyText), number.doubleValue);
        }
        break;
      }
      default:
        error->code = "ERR_RUN_COREML_UNSUPPORTED_FEATURE";
        error->message = "Output '" + name + "' is an image, sequence or state, which this binding does not return.";
        FreeOutputs(out->tensors);
        return false;
    }
    out->values.push_back(scalar);
  }
  return true;
}

Napi::Object PredictionToJs(Napi::Env env, Prediction& prediction) {
  Napi::Object tensors = Napi::Object::New(env);
  for (OutputTensor& tensor : prediction.tensors) tensors.Set(tensor.name, OutputToJs(env, tensor));
  Napi::Object values = Napi::Object::New(env);
  for (const OutputValue& value : prediction.values) {
    if (value.kind == "string") values.Set(value.name, Napi::String::New(env, value.text));
    else if (value.kind == "double") values.Set(value.name, Napi::Number::New(env, value.number));
    else if (value.kind == "int64") values.Set(value.name, Napi::BigInt::New(env, value.integer));
    else {
      Napi::Object dictionary = Napi::Object::New(env);
      for (const auto& entry : value.entries) dictionary.Set(entry.first, Napi::Number::New(env, entry.second));
      values.Set(value.name, dictionary);
    }
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("tensors", tensors);
  out.Set("values", values);
  return out;
}

}  // namespace lpcoreml
