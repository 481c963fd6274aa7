/**
 * llama-pajamas — the command (`llama-pajamas serve`) and its building blocks: the only package that composes
 * run-onnx backends with run-server.
 */
export * from './serve.js';
export * from './model-refs.js';
