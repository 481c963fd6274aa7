/** Image input handling shared by every vision family: reading, decoding, resizing, float tensors, box mapping. */
export * from './decode.js';
export * from './geometry.js';
export * from './preprocess-spec.js';
export * from './float-pixels.js';
export * from './preprocess.js';
export * from './base64.js';
