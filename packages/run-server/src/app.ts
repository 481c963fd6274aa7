import Fastify, { type FastifyInstance } from 'fastify';
import type { MultimodalAppConfig } from './options.js';
import { multimodalFastifyOptions, multimodalPlugin } from './plugin.js';

/**
 * Builds the OpenAI-compatible multi-modal HTTP app around backends it is handed (it never loads models): a Fastify
 * instance with {@link multimodalPlugin} registered, ready. To add routes of your own, register the plugin on your
 * own instance instead. Call `app.listen({ port, host })` to serve and `app.close()` to stop after in-flight
 * requests finish.
 * @example
 * const app = await createMultimodalApp({ vision: { yolox: detector }, stt: whisper, options: { apiKey: 'sk-local' } });
 * await app.listen({ port: 8000, host: '127.0.0.1' });
 * // POST /v1/images/detect {"image":"<base64>"} → {"object":"list","model":"yolox","data":[{ "detections": [...] }]}
 */
export async function createMultimodalApp(config: MultimodalAppConfig = {}): Promise<FastifyInstance> {
  const app = Fastify(multimodalFastifyOptions(config.options));
  await app.register(multimodalPlugin, config);
  await app.ready();
  return app;
}
