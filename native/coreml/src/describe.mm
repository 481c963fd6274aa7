// Model descriptions: MLFeatureDescription / MLModelDescription (shapes, constraints, states, metadata) as JS.
#include "common.h"

namespace lpcoreml {

static Napi::Array NumberArray(Napi::Env env, NSArray<NSNumber*>* numbers) {
  Napi::Array out = Napi::Array::New(env, numbers.count);
  uint32_t i = 0;
  for (NSNumber* n in numbers) out.Set(i++, Napi::Number::New(env, n.doubleValue));
  return out;
}

static Napi::Object RangeToJs(Napi::Env env, NSRange range) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("min", Napi::Number::New(env, static_cast<double>(range.location)));
  // CoreML reports an unbounded dimension with a length that reaches NSIntegerMax; say -1 as the spec does.
  bool unbounded = range.length >= static_cast<NSUInteger>(std::numeric_limits<int32_t>::max());
  out.Set("max", Napi::Number::New(env, unbounded ? -1 : static_cast<double>(range.location + range.length)));
  return out;
}

static std::string FourCharCode(uint32_t code) {
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    char c = static_cast<char>((code >> shift) & 0xff);
    out.push_back(c >= 32 && c < 127 ? c : '?');
  }
  return out;
}

static const char* FeatureKind(MLFeatureType type) {
  switch (type) {
    case MLFeatureTypeInt64: return "int64";
    case MLFeatureTypeDouble: return "double";
    case MLFeatureTypeString: return "string";
    case MLFeatureTypeImage: return "image";
    case MLFeatureTypeMultiArray: return "multiArray";
    case MLFeatureTypeDictionary: return "dictionary";
    case MLFeatureTypeSequence: return "sequence";
    default: return "state";
  }
}

Napi::Object DescribeFeature(Napi::Env env, MLFeatureDescription* feature) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("name", Napi::String::New(env, ToStdString(feature.name)));
  out.Set("kind", Napi::String::New(env, FeatureKind(feature.type)));
  out.Set("optional", Napi::Boolean::New(env, feature.optional));
  MLMultiArrayConstraint* array = feature.multiArrayConstraint;
  if (feature.type == MLFeatureTypeMultiArray && array != nil) {
    out.Set("type", Napi::String::New(env, MultiArrayDataTypeName(array.dataType)));
    out.Set("dims", NumberArray(env, array.shape));
    MLMultiArrayShapeConstraint* shape = array.shapeConstraint;
    if (shape.type == MLMultiArrayShapeConstraintTypeEnumerated) {
      Napi::Array shapes = Napi::Array::New(env, shape.enumeratedShapes.count);
      uint32_t i = 0;
      for (NSArray<NSNumber*>* s in shape.enumeratedShapes) shapes.Set(i++, NumberArray(env, s));
      out.Set("shapes", shapes);
    } else if (shape.type == MLMultiArrayShapeConstraintTypeRange) {
      Napi::Array ranges = Napi::Array::New(env, shape.sizeRangeForDimension.count);
      uint32_t i = 0;
      for (NSValue* r in shape.sizeRangeForDimension) ranges.Set(i++, RangeToJs(env, r.rangeValue));
      out.Set("ranges", ranges);
    }
  }
  MLImageConstraint* image = feature.imageConstraint;
  if (feature.type == MLFeatureTypeImage && image != nil) {
    Napi::Object info = Napi::Object::New(env);
    info.Set("width", Napi::Number::New(env, static_cast<double>(image.pixelsWide)));
    info.Set("height", Napi::Number::New(env, static_cast<double>(image.pixelsHigh)));
    info.Set("colorSpace", Napi::String::New(env, FourCharCode(image.pixelFormatType)));  // a CoreVideo pixel format code
    MLImageSizeConstraint* size = image.sizeConstraint;
    if (size.type == MLImageSizeConstraintTypeEnumerated) {
      Napi::Array sizes = Napi::Array::New(env, size.enumeratedImageSizes.count);
      uint32_t i = 0;
      for (MLImageSize* s in size.enumeratedImageSizes) {
        Napi::Object entry = Napi::Object::New(env);
        entry.Set("width", Napi::Number::New(env, static_cast<double>(s.pixelsWide)));
        entry.Set("height", Napi::Number::New(env, static_cast<double>(s.pixelsHigh)));
        sizes.Set(i++, entry);
      }
      info.Set("sizes", sizes);
    } else if (size.type == MLImageSizeConstraintTypeRange) {
      info.Set("widthRange", RangeToJs(env, size.pixelsWideRange));
      info.Set("heightRange", RangeToJs(env, size.pixelsHighRange));
    }
    out.Set("image", info);
  }
#if LPCOREML_SDK_HAS_MLSTATE
  if (@available(macOS 15.0, *)) {
    MLStateConstraint* state = feature.stateConstraint;
    if (feature.type == MLFeatureTypeState && state != nil) {
      out.Set("type", Napi::String::New(env, MultiArrayDataTypeName(state.dataType)));
      out.Set("dims", NumberArray(env, state.bufferShape));
    }
  }
#endif
  if (!out.Has("type")) out.Set("type", Napi::String::New(env, "unknown"));
  if (!out.Has("dims")) out.Set("dims", Napi::Array::New(env, 0));
  return out;
}

static Napi::Array DescribeAll(Napi::Env env, NSDictionary<NSString*, MLFeatureDescription*>* features) {
  NSArray<NSString*>* names = [[features allKeys] sortedArrayUsingSelector:@selector(compare:)];
  Napi::Array out = Napi::Array::New(env, names.count);
  uint32_t i = 0;
  for (NSString* name in names) out.Set(i++, DescribeFeature(env, features[name]));
  return out;
}

Napi::Object DescribeModel(Napi::Env env, MLModel* model) {
  MLModelDescription* description = model.modelDescription;
  Napi::Object out = Napi::Object::New(env);
  out.Set("inputs", DescribeAll(env, description.inputDescriptionsByName));
  out.Set("outputs", DescribeAll(env, description.outputDescriptionsByName));
  out.Set("states", Napi::Array::New(env, 0));
#if LPCOREML_SDK_HAS_MLSTATE
  if (@available(macOS 15.0, *)) out.Set("states", DescribeAll(env, description.stateDescriptionsByName));
#endif
  Napi::Object metadata = Napi::Object::New(env);
  NSDictionary<MLModelMetadataKey, id>* meta = description.metadata;
  NSDictionary* userDefined = meta[MLModelCreatorDefinedKey];
  if ([userDefined isKindOfClass:[NSDictionary class]]) {
    for (id key in userDefined) {
      id value = userDefined[key];
      if ([key isKindOfClass:[NSString class]] && [value isKindOfClass:[NSString class]]) {
        metadata.Set(ToStdString((NSString*)key), Napi::String::New(env, ToStdString((NSString*)value)));
      }
    }
  }
  out.Set("metadata", metadata);
  Napi::Object about = Napi::Object::New(env);
  NSString* text = meta[MLModelDescriptionKey];
  if ([text isKindOfClass:[NSString class]]) about.Set("description", Napi::String::New(env, ToStdString(text)));
  text = meta[MLModelAuthorKey];
  if ([text isKindOfClass:[NSString class]]) about.Set("author", Napi::String::New(env, ToStdString(text)));
  text = meta[MLModelLicenseKey];
  if ([text isKindOfClass:[NSString class]]) about.Set("license", Napi::String::New(env, ToStdString(text)));
  text = meta[MLModelVersionStringKey];
  if ([text isKindOfClass:[NSString class]]) about.Set("version", Napi::String::New(env, ToStdString(text)));
  out.Set("about", about);
  if (description.predictedFeatureName != nil) {
    out.Set("predictedFeatureName", Napi::String::New(env, ToStdString(description.predictedFeatureName)));
  }
  return out;
}

}  // namespace lpcoreml
