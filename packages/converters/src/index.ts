export * from './errors.js';
export { ensureConverterEnv, converterVenvDir, cacheRoot, findPython, PYTHON_DIR, REQUIREMENTS_FILE } from './env.js';
export type { ConverterEnv, ConvertProgress, EnsureEnvOptions } from './env.js';
export { convert, convertArgs } from './convert.js';
export type { ConvertOptions, ConvertResult, ConvertQuantize, OnnxDtype } from './convert.js';
export { inspectPackage, verifyCoreML } from './inspect.js';
export type { PackageSpec } from './inspect.js';
export type { ConvertFamily, ConvertedManifest, ConversionInfo, ConvertedFile, ParityFigures } from './manifest.js';
