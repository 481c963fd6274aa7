// Declarations-only CoreML header for the Linux syntax check of native/coreml (clang -fsyntax-only against
// GNUstep's Foundation). Written from Apple's published CoreML API reference: names, types and availability
// only, no behaviour and nothing to link. It covers exactly what the addon uses; on macOS the real SDK header
// is used instead and this folder is never on the include path.
#pragma once

#import <Foundation/Foundation.h>

#ifndef NS_ASSUME_NONNULL_BEGIN
#define NS_ASSUME_NONNULL_BEGIN _Pragma("clang assume_nonnull begin")
#define NS_ASSUME_NONNULL_END _Pragma("clang assume_nonnull end")
#endif
#ifndef NS_NOESCAPE
#define NS_NOESCAPE __attribute__((noescape))
#endif
#define LP_MACOS(v) __attribute__((availability(macos, introduced = v)))

// The SDK these declarations stand for: macOS 15 unless the check passes an older one
// (-D__MAC_OS_X_VERSION_MAX_ALLOWED=140000 for Xcode 15.0-15.2). As in Apple's SDKs, what is newer than the SDK
// is not declared at all, so code that uses it without an SDK check does not compile.
#ifndef __MAC_OS_X_VERSION_MAX_ALLOWED
#define __MAC_OS_X_VERSION_MAX_ALLOWED 150000
#endif

typedef uint32_t LPOSType;  // OSType (a FourCharCode) from MacTypes.h

NS_ASSUME_NONNULL_BEGIN

typedef NSString* MLModelMetadataKey;
extern MLModelMetadataKey const MLModelDescriptionKey;
extern MLModelMetadataKey const MLModelVersionStringKey;
extern MLModelMetadataKey const MLModelAuthorKey;
extern MLModelMetadataKey const MLModelLicenseKey;
extern MLModelMetadataKey const MLModelCreatorDefinedKey;

typedef NS_ENUM(NSInteger, MLComputeUnits) {
  MLComputeUnitsCPUOnly = 0,
  MLComputeUnitsCPUAndGPU = 1,
  MLComputeUnitsAll = 2,
  MLComputeUnitsCPUAndNeuralEngine LP_MACOS(13.0) = 3,
};

typedef NS_ENUM(NSInteger, MLMultiArrayDataType) {
  MLMultiArrayDataTypeDouble = 0x10000 | 64,
  MLMultiArrayDataTypeFloat64 = 0x10000 | 64,
  MLMultiArrayDataTypeFloat32 = 0x10000 | 32,
  MLMultiArrayDataTypeFloat16 LP_MACOS(12.0) = 0x10000 | 16,
  MLMultiArrayDataTypeFloat = 0x10000 | 32,
  MLMultiArrayDataTypeInt32 = 0x20000 | 32,
};

typedef NS_ENUM(NSInteger, MLFeatureType) {
  MLFeatureTypeInvalid = 0,
  MLFeatureTypeInt64 = 1,
  MLFeatureTypeDouble = 2,
  MLFeatureTypeString = 3,
  MLFeatureTypeImage = 4,
  MLFeatureTypeMultiArray = 5,
  MLFeatureTypeDictionary = 6,
  MLFeatureTypeSequence = 7,
#if __MAC_OS_X_VERSION_MAX_ALLOWED >= 150000
  MLFeatureTypeState LP_MACOS(15.0) = 8,
#endif
};

typedef NS_ENUM(NSInteger, MLMultiArrayShapeConstraintType) {
  MLMultiArrayShapeConstraintTypeUnspecified = 1,
  MLMultiArrayShapeConstraintTypeEnumerated = 2,
  MLMultiArrayShapeConstraintTypeRange = 3,
};

typedef NS_ENUM(NSInteger, MLImageSizeConstraintType) {
  MLImageSizeConstraintTypeUnspecified = 0,
  MLImageSizeConstraintTypeEnumerated = 2,
  MLImageSizeConstraintTypeRange = 3,
};

@interface MLModelConfiguration : NSObject <NSCopying>
@property(readwrite) MLComputeUnits computeUnits;
@property(readwrite) BOOL allowLowPrecisionAccumulationOnGPU;
@end

@interface MLMultiArrayShapeConstraint : NSObject
@property(readonly, nonatomic) MLMultiArrayShapeConstraintType type;
@property(readonly, nonatomic) NSArray<NSValue*>* sizeRangeForDimension;
@property(readonly, nonatomic) NSArray<NSArray<NSNumber*>*>* enumeratedShapes;
@end

@interface MLMultiArrayConstraint : NSObject
@property(readonly, nonatomic) NSArray<NSNumber*>* shape;
@property(readonly, nonatomic) MLMultiArrayDataType dataType;
@property(readonly, nonatomic) MLMultiArrayShapeConstraint* shapeConstraint;
@end

@interface MLImageSize : NSObject
@property(readonly) NSInteger pixelsWide;
@property(readonly) NSInteger pixelsHigh;
@end

@interface MLImageSizeConstraint : NSObject
@property(readonly, nonatomic) MLImageSizeConstraintType type;
@property(readonly, nonatomic) NSRange pixelsWideRange;
@property(readonly, nonatomic) NSRange pixelsHighRange;
@property(readonly, nonatomic) NSArray<MLImageSize*>* enumeratedImageSizes;
@end

@interface MLImageConstraint : NSObject
@property(readonly, nonatomic) NSInteger pixelsHigh;
@property(readonly, nonatomic) NSInteger pixelsWide;
@property(readonly, nonatomic) LPOSType pixelFormatType;
@property(readonly, nonatomic) MLImageSizeConstraint* sizeConstraint;
@end

#if __MAC_OS_X_VERSION_MAX_ALLOWED >= 150000
LP_MACOS(15.0)
@interface MLStateConstraint : NSObject
@property(readonly, nonatomic) NSArray<NSNumber*>* bufferShape;
@property(readonly, nonatomic) MLMultiArrayDataType dataType;
@end
#endif

@interface MLFeatureDescription : NSObject <NSCopying>
@property(readonly, nonatomic) NSString* name;
@property(readonly, nonatomic) MLFeatureType type;
@property(readonly, nonatomic, getter=isOptional) BOOL optional;
@property(readonly, nullable, nonatomic) MLMultiArrayConstraint* multiArrayConstraint;
@property(readonly, nullable, nonatomic) MLImageConstraint* imageConstraint;
#if __MAC_OS_X_VERSION_MAX_ALLOWED >= 150000
@property(readonly, nullable, nonatomic) MLStateConstraint* stateConstraint LP_MACOS(15.0);
#endif
@end

@interface MLModelDescription : NSObject
@property(readonly, nonatomic) NSDictionary<NSString*, MLFeatureDescription*>* inputDescriptionsByName;
@property(readonly, nonatomic) NSDictionary<NSString*, MLFeatureDescription*>* outputDescriptionsByName;
#if __MAC_OS_X_VERSION_MAX_ALLOWED >= 150000
@property(readonly, nonatomic)
    NSDictionary<NSString*, MLFeatureDescription*>* stateDescriptionsByName LP_MACOS(15.0);
#endif
@property(readonly, nullable, nonatomic, copy) NSString* predictedFeatureName;
@property(readonly, nullable, nonatomic, copy) NSString* predictedProbabilitiesName;
@property(readonly, nonatomic) NSDictionary<MLModelMetadataKey, id>* metadata;
@end

@interface MLMultiArray : NSObject
- (nullable instancetype)initWithDataPointer:(void*)dataPointer
                                       shape:(NSArray<NSNumber*>*)shape
                                    dataType:(MLMultiArrayDataType)dataType
                                     strides:(NSArray<NSNumber*>*)strides
                                 deallocator:(void (^_Nullable)(void* bytes))deallocator
                                       error:(NSError**)error;
@property(readonly, nonatomic) MLMultiArrayDataType dataType;
@property(readonly, nonatomic) NSArray<NSNumber*>* shape;
@property(readonly, nonatomic) NSArray<NSNumber*>* strides;
@property(readonly, nonatomic) NSInteger count;
- (void)getBytesWithHandler:(void(NS_NOESCAPE ^)(const void* bytes, NSInteger size))handler LP_MACOS(12.3);
@end

@interface MLFeatureValue : NSObject <NSCopying>
@property(readonly, nonatomic) MLFeatureType type;
@property(readonly, nonatomic, getter=isUndefined) BOOL undefined;
@property(readonly, nonatomic) int64_t int64Value;
@property(readonly, nonatomic) double doubleValue;
@property(readonly, nonatomic) NSString* stringValue;
@property(readonly, nullable, nonatomic) MLMultiArray* multiArrayValue;
// Apple: NSDictionary<id, NSNumber *>; GNUstep bounds NSDictionary's key type by NSCopying.
@property(readonly, nonatomic) NSDictionary<id<NSCopying>, NSNumber*>* dictionaryValue;
+ (instancetype)featureValueWithMultiArray:(MLMultiArray*)value;
@end

@protocol MLFeatureProvider
@property(readonly, nonatomic) NSSet<NSString*>* featureNames;
- (nullable MLFeatureValue*)featureValueForName:(NSString*)featureName;
@end

@interface MLDictionaryFeatureProvider : NSObject <MLFeatureProvider>
- (nullable instancetype)initWithDictionary:(NSDictionary<NSString*, id>*)dictionary error:(NSError**)error;
@end

@protocol MLBatchProvider
@property(readonly, nonatomic) NSInteger count;
- (id<MLFeatureProvider>)featuresAtIndex:(NSInteger)index;
@end

@interface MLArrayBatchProvider : NSObject <MLBatchProvider>
- (instancetype)initWithFeatureProviderArray:(NSArray<id<MLFeatureProvider>>*)array;
@end

#if __MAC_OS_X_VERSION_MAX_ALLOWED >= 150000
LP_MACOS(15.0)
@interface MLState : NSObject
@end
#endif

@interface MLModel : NSObject
@property(readonly, nonatomic) MLModelDescription* modelDescription;
@property(readonly, nonatomic) MLModelConfiguration* configuration;
+ (nullable instancetype)modelWithContentsOfURL:(NSURL*)url
                                  configuration:(MLModelConfiguration*)configuration
                                          error:(NSError**)error;
- (nullable id<MLFeatureProvider>)predictionFromFeatures:(id<MLFeatureProvider>)input error:(NSError**)error;
- (nullable id<MLBatchProvider>)predictionsFromBatch:(id<MLBatchProvider>)inputBatch error:(NSError**)error;
#if __MAC_OS_X_VERSION_MAX_ALLOWED >= 150000
- (MLState*)newState LP_MACOS(15.0);
- (nullable id<MLFeatureProvider>)predictionFromFeatures:(id<MLFeatureProvider>)inputFeatures
                                              usingState:(MLState*)state
                                                   error:(NSError**)error LP_MACOS(15.0);
#endif
+ (void)compileModelAtURL:(NSURL*)modelURL
        completionHandler:(void (^)(NSURL* _Nullable compiledModelURL, NSError* _Nullable error))handler
    LP_MACOS(13.0);
@end

NS_ASSUME_NONNULL_END

// MLComputePlan (macOS 14.4): where each operation of a compiled model would run. The compute devices are in
// the macOS 14.0 SDK; the plan and the model structure only from the 14.4 SDK (Xcode 15.3) on.
NS_ASSUME_NONNULL_BEGIN
#if __MAC_OS_X_VERSION_MAX_ALLOWED >= 140000

@protocol MLComputeDeviceProtocol
@end

LP_MACOS(14.0)
@interface MLCPUComputeDevice : NSObject <MLComputeDeviceProtocol>
@end

LP_MACOS(14.0)
@interface MLGPUComputeDevice : NSObject <MLComputeDeviceProtocol>
@end

LP_MACOS(14.0)
@interface MLNeuralEngineComputeDevice : NSObject <MLComputeDeviceProtocol>
@property(readonly, nonatomic) NSInteger totalCoreCount;
@end
#endif

#if __MAC_OS_X_VERSION_MAX_ALLOWED >= 140400

LP_MACOS(14.4)
@interface MLModelStructureProgramNamedValueType : NSObject
@property(readonly, nonatomic) NSString* name;
@end

@class MLModelStructureProgramBlock;

LP_MACOS(14.4)
@interface MLModelStructureProgramOperation : NSObject
@property(readonly, nonatomic) NSString* operatorName;
@property(readonly, nonatomic) NSArray<MLModelStructureProgramNamedValueType*>* outputs;
@property(readonly, nonatomic) NSArray<MLModelStructureProgramBlock*>* blocks;
@end

LP_MACOS(14.4)
@interface MLModelStructureProgramBlock : NSObject
@property(readonly, nonatomic) NSArray<MLModelStructureProgramOperation*>* operations;
@end

LP_MACOS(14.4)
@interface MLModelStructureProgramFunction : NSObject
@property(readonly, nonatomic) MLModelStructureProgramBlock* block;
@end

LP_MACOS(14.4)
@interface MLModelStructureProgram : NSObject
@property(readonly, nonatomic) NSDictionary<NSString*, MLModelStructureProgramFunction*>* functions;
@end

LP_MACOS(14.4)
@interface MLModelStructureNeuralNetworkLayer : NSObject
@property(readonly, nonatomic) NSString* name;
@property(readonly, nonatomic) NSString* type;
@end

LP_MACOS(14.4)
@interface MLModelStructureNeuralNetwork : NSObject
@property(readonly, nonatomic) NSArray<MLModelStructureNeuralNetworkLayer*>* layers;
@end

LP_MACOS(14.4)
@interface MLModelStructure : NSObject
@property(readonly, nullable, nonatomic) MLModelStructureNeuralNetwork* neuralNetwork;
@property(readonly, nullable, nonatomic) MLModelStructureProgram* program;
@end

LP_MACOS(14.4)
@interface MLComputePlanDeviceUsage : NSObject
@property(readonly, copy, nonatomic) NSArray<id<MLComputeDeviceProtocol>>* supportedComputeDevices;
@property(readonly, strong, nonatomic) id<MLComputeDeviceProtocol> preferredComputeDevice;
@end

LP_MACOS(14.4)
@interface MLComputePlanCost : NSObject
@property(readonly, assign, nonatomic) double weight;
@end

LP_MACOS(14.4)
@interface MLComputePlan : NSObject
+ (void)loadContentsOfURL:(NSURL*)url
            configuration:(MLModelConfiguration*)configuration
        completionHandler:(void (^)(MLComputePlan* _Nullable computePlan, NSError* _Nullable error))handler;
@property(readonly, nonatomic) MLModelStructure* modelStructure;
- (nullable MLComputePlanCost*)estimatedCostOfMLProgramOperation:(MLModelStructureProgramOperation*)operation;
- (nullable MLComputePlanDeviceUsage*)computeDeviceUsageForMLProgramOperation:
    (MLModelStructureProgramOperation*)operation;
- (nullable MLComputePlanDeviceUsage*)computeDeviceUsageForNeuralNetworkLayer:
    (MLModelStructureNeuralNetworkLayer*)layer;
@end

#endif

NS_ASSUME_NONNULL_END
