// Element types, strings and errors: the conversions every file of the addon shares.
#include "common.h"

namespace lpcoreml {

size_t ElementSize(ElementType type) {
  switch (type) {
    case ElementType::Float32: return 4;
    case ElementType::Float16: return 2;
    case ElementType::Float64: return 8;
    case ElementType::Int32: return 4;
    case ElementType::Int64: return 8;
  }
  return 0;
}

const char* ElementTypeName(ElementType type) {
  switch (type) {
    case ElementType::Float32: return "float32";
    case ElementType::Float16: return "float16";
    case ElementType::Float64: return "float64";
    case ElementType::Int32: return "int32";
    case ElementType::Int64: return "int64";
  }
  return "unknown";
}

bool ParseElementType(const std::string& name, ElementType* out) {
  if (name == "float32") *out = ElementType::Float32;
  else if (name == "float16") *out = ElementType::Float16;
  else if (name == "float64") *out = ElementType::Float64;
  else if (name == "int32") *out = ElementType::Int32;
  else return false;
  return true;
}

bool ToMultiArrayDataType(ElementType type, MLMultiArrayDataType* out) {
  switch (type) {
    case ElementType::Float32: *out = MLMultiArrayDataTypeFloat32; return true;
    case ElementType::Float16: *out = MLMultiArrayDataTypeFloat16; return true;
    case ElementType::Float64: *out = MLMultiArrayDataTypeFloat64; return true;
    case ElementType::Int32: *out = MLMultiArrayDataTypeInt32; return true;
    case ElementType::Int64: return false;  // CoreML multi-arrays have no int64
  }
  return false;
}

bool FromMultiArrayDataType(MLMultiArrayDataType type, ElementType* out) {
  switch (type) {
    case MLMultiArrayDataTypeFloat32: *out = ElementType::Float32; return true;
    case MLMultiArrayDataTypeFloat16: *out = ElementType::Float16; return true;
    case MLMultiArrayDataTypeFloat64: *out = ElementType::Float64; return true;
    case MLMultiArrayDataTypeInt32: *out = ElementType::Int32; return true;
    default: return false;
  }
}

const char* MultiArrayDataTypeName(MLMultiArrayDataType type) {
  ElementType element;
  return FromMultiArrayDataType(type, &element) ? ElementTypeName(element) : "unknown";
}

std::string ToStdString(NSString* value) {
  if (value == nil) return std::string();
  const char* utf8 = [value UTF8String];
  return utf8 == nullptr ? std::string() : std::string(utf8);
}

NSString* ToNSString(const std::string& value) {
  return [[NSString alloc] initWithBytes:value.data() length:value.size() encoding:NSUTF8StringEncoding];
}

AddonError ErrorFromNSError(const std::string& code, const std::string& what, NSError* error) {
  AddonError out;
  out.code = code;
  out.message = what;
  if (error != nil) {
    out.message += ": " + ToStdString(error.localizedDescription);
    NSString* reason = error.localizedFailureReason;
    if (reason != nil) out.message += " " + ToStdString(reason);
    out.domain = ToStdString(error.domain);
    out.nsCode = static_cast<int64_t>(error.code);
    out.message += " (" + out.domain + " " + std::to_string(out.nsCode) + ")";
  }
  return out;
}

Napi::Error ToJsError(Napi::Env env, const AddonError& error) {
  Napi::Error js = Napi::Error::New(env, error.message);
  js.Set("code", Napi::String::New(env, error.code));
  if (!error.domain.empty()) {
    js.Set("nsDomain", Napi::String::New(env, error.domain));
    js.Set("nsCode", Napi::Number::New(env, static_cast<double>(error.nsCode)));
  }
  return js;
}

}  // namespace lpcoreml
