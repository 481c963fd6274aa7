/**
 * @llama-pajamas/run-server — the OpenAI-compatible multi-modal HTTP layer (Fastify). It is handed backends and
 * never builds them: only the `llama-pajamas` cli composes runtimes.
 */
export * from './app.js';
export * from './plugin.js';
export * from './tasks.js';
export * from './options.js';
export * from './errors.js';
export * from './queue.js';
export * from './url-fetch.js';
export * from './runtime-info.js';
export * from './formats/audio-encode.js';
export * from './formats/subtitles.js';
export * from './formats/languages.js';
export type { ServedModel } from './models.js';
export type { RouteContext } from './context.js';
/** OpenAI's `verbose_json` transcription body: the server's route and the cli's `transcribe --json` share it. */
export { toVerboseJson } from './routes/transcript-format.js';
