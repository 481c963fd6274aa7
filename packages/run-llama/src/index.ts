/**
 * @llama-pajamas/run-llama — GGUF chat models on node-llama-cpp behind run-core's `LLMBackend`: chat, streaming,
 * tool calls, JSON-schema output, prompt-only completion, N parallel requests on one context.
 */
export * from './errors.js';
export { LlamaChatBackend, loadLlamaModel, type LlamaModelOptions } from './llama-backend.js';
export { toGrammarSchema, UNSUPPORTED_SCHEMA_KEYWORDS } from './json-schema.js';
