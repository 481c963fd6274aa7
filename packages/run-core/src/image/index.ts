/** Image input handling shared by every vision family: reading, decoding, resizing, float tensors, box mapping. */
export * from './decode.js';
export * from './geometry.js';
export * from './preprocess.js';
