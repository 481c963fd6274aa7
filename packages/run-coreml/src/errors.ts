import { RunError, type RunErrorOptions } from '@llama-pajamas/run-core';

/** The error codes of run-coreml; each has a row in `docs/errors.md`. */
export const COREML_ERROR_CODES = [
  'ERR_RUN_COREML_UNSUPPORTED_PLATFORM',
  'ERR_RUN_COREML_BINDING_NOT_FOUND',
  'ERR_RUN_COREML_COMPILE',
  'ERR_RUN_COREML_LOAD',
  'ERR_RUN_COREML_PREDICTION',
  'ERR_RUN_COREML_UNSUPPORTED_FEATURE',
  'ERR_RUN_COREML_SPEC_INVALID',
] as const;

/** One of {@link COREML_ERROR_CODES}. */
export type CoreMLErrorCode = (typeof COREML_ERROR_CODES)[number];

/** Where the install page lives in the llama-pajamas repository; the anchors are stable. */
const INSTALL_DOCS = 'docs/install.md';

/** CoreML was asked for on a platform other than macOS; the message names run-onnx as the alternative. */
export class CoreMLUnsupportedPlatformError extends RunError {
  override name = 'CoreMLUnsupportedPlatformError';
  constructor(args: { platform: string; arch: string }, options?: RunErrorOptions) {
    super(
      'ERR_RUN_COREML_UNSUPPORTED_PLATFORM',
      `CoreML runs only on macOS 13 or newer, but this is ${args.platform}-${args.arch}. ` +
        `Use @llama-pajamas/run-onnx here (the registry falls back to it: resolveBackend(['coreml', 'onnx'])). ` +
        `See ${INSTALL_DOCS}#coreml`,
      { ...options, details: { platform: args.platform, arch: args.arch, ...options?.details } },
    );
  }
}

/**
 * The native addon could not be loaded from any place tried. Like sharp's loader error, the message lists
 * each attempt and then "Possible solutions".
 */
export class CoreMLBindingNotFoundError extends RunError {
  override name = 'CoreMLBindingNotFoundError';
  constructor(args: { platform: string; arch: string; attempts: readonly string[] }, options?: RunErrorOptions) {
    const solutions = [
      `- Install with optional dependencies so that @llama-pajamas/run-coreml-${args.platform}-${args.arch} is there: ` +
        `npm install --include=optional @llama-pajamas/run-coreml (pnpm: do not pass --no-optional). ` +
        `See ${INSTALL_DOCS}#coreml-optional-dependencies`,
      `- Build the addon from source (Xcode Command Line Tools): cd native/coreml && npx node-gyp rebuild. ` +
        `See ${INSTALL_DOCS}#building-the-coreml-addon-from-source`,
      `- Not on macOS? CoreML needs macOS 13+; use @llama-pajamas/run-onnx. See ${INSTALL_DOCS}#coreml`,
    ];
    super(
      'ERR_RUN_COREML_BINDING_NOT_FOUND',
      `Could not load the CoreML addon for ${args.platform}-${args.arch}.\n` +
        `Tried:\n${args.attempts.map((a) => `- ${a}`).join('\n')}\n` +
        `Possible solutions:\n${solutions.join('\n')}`,
      { ...options, details: { platform: args.platform, arch: args.arch, attempts: [...args.attempts] } },
    );
  }
}

/** CoreML could not compile an `.mlpackage` / `.mlmodel` into an `.mlmodelc`; `nsError` is CoreML's own text. */
export class CoreMLCompileError extends RunError {
  override name = 'CoreMLCompileError';
  constructor(args: { path: string; nsError: string }, options?: RunErrorOptions) {
    super(
      'ERR_RUN_COREML_COMPILE',
      `CoreML could not compile '${args.path}': ${args.nsError}. Check that the model was converted for ` +
        `macOS 13+ (coremltools minimum_deployment_target) and that the file is a whole .mlpackage folder.`,
      { ...options, details: { path: args.path, nsError: args.nsError, ...options?.details } },
    );
  }
}

/** CoreML could not load a compiled model with the given compute units. */
export class CoreMLLoadError extends RunError {
  override name = 'CoreMLLoadError';
  constructor(args: { path: string; computeUnits: string; nsError: string }, options?: RunErrorOptions) {
    super(
      'ERR_RUN_COREML_LOAD',
      `CoreML could not load '${args.path}' with computeUnits '${args.computeUnits}': ${args.nsError}. ` +
        `Try computeUnits 'cpuOnly' to tell a device problem from a broken model, or delete the compiled-model ` +
        `cache entry to force a recompile.`,
      { ...options, details: { ...args, ...options?.details } },
    );
  }
}

/** A CoreML prediction failed; `nsError` is CoreML's own text. */
export class CoreMLPredictionError extends RunError {
  override name = 'CoreMLPredictionError';
  constructor(args: { model: string; nsError: string }, options?: RunErrorOptions) {
    super(
      'ERR_RUN_COREML_PREDICTION',
      `CoreML prediction on '${args.model}' failed: ${args.nsError}. Check the input shapes against ` +
        `session.inputs (shapes/ranges list what a flexible input accepts).`,
      { ...options, details: { ...args, ...options?.details } },
    );
  }
}

/** The model uses a CoreML feature this binding or this macOS cannot serve (image inputs, MLState before 15). */
export class CoreMLUnsupportedFeatureError extends RunError {
  override name = 'CoreMLUnsupportedFeatureError';
  constructor(args: { feature: string; hint: string }, options?: RunErrorOptions) {
    super('ERR_RUN_COREML_UNSUPPORTED_FEATURE', `${args.feature} is not supported here. ${args.hint}`, {
      ...options,
      details: { feature: args.feature, ...options?.details },
    });
  }
}

/** The model file is not a readable CoreML specification (or an `.mlpackage` without its Manifest.json). */
export class CoreMLSpecInvalidError extends RunError {
  override name = 'CoreMLSpecInvalidError';
  constructor(args: { path: string; reason: string }, options?: RunErrorOptions) {
    super(
      'ERR_RUN_COREML_SPEC_INVALID',
      `'${args.path}' is not a readable CoreML model: ${args.reason}. Expected an .mlpackage folder ` +
        `(Manifest.json + Data/com.apple.CoreML/model.mlmodel), an .mlmodel file or an .mlmodelc folder.`,
      { ...options, details: { path: args.path, reason: args.reason } },
    );
  }
}
