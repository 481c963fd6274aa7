/**
 * @llama-pajamas/playground — the web playground of `llama-pajamas serve`: a static page that tries every served
 * model through the public HTTP API, and the Fastify plugin that serves it.
 */
export * from './plugin.js';
export * from './assets.js';
export * from './errors.js';
