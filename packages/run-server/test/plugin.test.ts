/**
 * The plugin path: a caller registers `multimodalPlugin` on its own Fastify instance and adds routes before
 * `ready()`; the API-key hook and the error envelope cover those routes too. The task table drives `/v1/models`,
 * `/health` and the model table. Real YOLOX-Nano over a real loopback server.
 */
import { readFileSync } from 'node:fs';
import { RunError, type VisionBackend } from '@llama-pajamas/run-core';
import { loadVisionModel } from '@llama-pajamas/run-onnx';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import * as server from '../src/index.js';
import {
  MODEL_KINDS,
  multimodalFastifyOptions,
  multimodalPlugin,
  SERVE_FLAGS,
  serveFlagFor,
  type BackendOf,
  type MultimodalAppConfig,
  type ServedTask,
  type ServeFlag,
} from '../src/index.js';
import { ApiError } from '../src/errors.js';
import { ModelTable } from '../src/models.js';
import { fixtures } from './fixtures/index.js';

let yolox: VisionBackend;

beforeAll(async () => {
  yolox = await loadVisionModel(fixtures.yolox, { labels: fixtures.coco80 });
});
afterAll(async () => {
  await yolox?.unload();
});

const auth = { authorization: 'Bearer sk-plugin' };

describe('multimodalPlugin', () => {
  it("covers a caller's own routes with the API key and the error envelope", async () => {
    const options = { apiKey: 'sk-plugin' };
    const app = Fastify(multimodalFastifyOptions(options));
    await app.register(multimodalPlugin, { vision: { yolox }, options });
    app.get('/v1/hello', () => ({ hello: 'world' }));
    app.get('/v1/teapot', () => {
      throw new ApiError(418, 'I am a teapot.', { code: 'teapot' });
    });
    app.get('/page', { config: { apiKey: false } }, (_request, reply) => reply.type('text/html').send('<h1>hi</h1>'));
    const base = await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const denied = await fetch(`${base}/v1/hello`);
      expect(denied.status).toBe(401);
      expect(await denied.json()).toEqual({
        error: {
          message: "Missing API key. Send it as 'Authorization: Bearer <key>'.",
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      });
      expect((await fetch(`${base}/v1/hello`, { headers: { authorization: 'Bearer nope' } })).status).toBe(401);
      const ok = await fetch(`${base}/v1/hello`, { headers: auth });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-request-id')).toBeTruthy();
      expect(await ok.json()).toEqual({ hello: 'world' });

      const teapot = await fetch(`${base}/v1/teapot`, { headers: auth });
      expect(teapot.status).toBe(418);
      expect(((await teapot.json()) as { error: { code: string } }).error.code).toBe('teapot');

      // A route marked `apiKey: false` and /health answer without the key; unknown routes still need it.
      expect(await (await fetch(`${base}/page`)).text()).toBe('<h1>hi</h1>');
      expect((await fetch(`${base}/health?verbose=1`)).status).toBe(200);
      expect((await fetch(`${base}/nowhere`)).status).toBe(401);
      expect((await fetch(`${base}/nowhere`, { headers: auth })).status).toBe(404);

      // The plugin's own routes work on the caller's instance, and the OpenAPI document lists the caller's route.
      const detect = await fetch(`${base}/v1/images/detect`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify({ image: readFileSync(fixtures.dog).toString('base64') }),
      });
      expect(detect.status).toBe(200);
      const doc = (await (await fetch(`${base}/openapi.json`, { headers: auth })).json()) as { paths: object };
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/hello', '/v1/images/detect']));
    } finally {
      await app.close();
    }
  });

  it('lists models and health from the task table', async () => {
    const app = await server.createMultimodalApp({ vision: [yolox] });
    try {
      const models = (await app.inject({ url: '/v1/models' })).json<{ data: unknown[] }>();
      expect(models.data).toEqual([
        expect.objectContaining({ id: yolox.modelId, kind: 'vision', capabilities: ['detect'] }),
      ]);
      const health = (await app.inject({ url: '/health' })).json<{ models: unknown[] }>();
      expect(health.models).toEqual([expect.objectContaining({ kind: 'vision', loaded: true, queued: 0 })]);
      // A task with no model is a 501 that names the serve flag from the table.
      const speech = await app.inject({ method: 'POST', url: '/v1/audio/speech', payload: { input: 'hi' } });
      expect(speech.statusCode).toBe(501);
      expect(speech.json<{ error: { message: string } }>().error.message).toContain('llama-pajamas serve --tts');
    } finally {
      await app.close();
    }
  });
});

describe('the task table', () => {
  it('names every kind, task and serve flag once', () => {
    expect(Object.keys(MODEL_KINDS)).toEqual(['vision', 'stt', 'tts', 'llm']);
    expect(SERVE_FLAGS.map((f) => `${f.kind}:${f.flag}`)).toEqual([
      'vision:detect',
      'vision:classify',
      'vision:embed',
      'stt:stt',
      'tts:tts',
      'llm:chat',
    ]);
    const tasks = Object.values(MODEL_KINDS).flatMap((k) => [...k.tasks]);
    expect(new Set(tasks).size).toBe(tasks.length);
    for (const task of tasks) expect(serveFlagFor(task), task).toBeDefined();
    expect(serveFlagFor('translate')).toBe('stt');
    expect(serveFlagFor('embed_text')).toBe('embed');
    // The types follow the table: config keys, backend types, task and flag names.
    expectTypeOf<ServeFlag>().toEqualTypeOf<'detect' | 'classify' | 'embed' | 'stt' | 'tts' | 'chat'>();
    expectTypeOf<ServedTask>().toEqualTypeOf<
      'detect' | 'classify' | 'embed' | 'embed_text' | 'transcribe' | 'translate' | 'speech' | 'chat'
    >();
    expectTypeOf<BackendOf<'vision'>>().toEqualTypeOf<VisionBackend>();
    expectTypeOf<keyof MultimodalAppConfig>().toEqualTypeOf<'vision' | 'stt' | 'tts' | 'llm' | 'options'>();
  });

  it('refuses two models with one name with a typed error', () => {
    let error: unknown;
    try {
      new ModelTable({ vision: { same: yolox }, stt: new Map([['same', yolox as never]]) }, {});
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunError);
    expect(error).toMatchObject({ code: 'ERR_RUN_INVALID_ARGUMENT' });
    expect((error as Error).message).toContain("the vision model 'same' has it");
  });
});

describe('the public entry', () => {
  it('exports these runtime names (growth is a reviewed decision)', () => {
    expect(Object.keys(server).sort()).toMatchInlineSnapshot(`
      [
        "ApiError",
        "MODEL_KINDS",
        "MODEL_KIND_NAMES",
        "PCM_SAMPLE_RATE",
        "RUN_ERROR_STATUS",
        "SERVE_FLAGS",
        "SPEECH_CONTENT_TYPES",
        "SPEECH_FORMATS",
        "WHISPER_LANGUAGES",
        "WorkQueue",
        "badParam",
        "createAudioEncoder",
        "createMultimodalApp",
        "defineModelKind",
        "describeModelRuntime",
        "fetchUrlSafely",
        "hasFfmpeg",
        "isAddressAllowed",
        "languageCode",
        "languageName",
        "multimodalFastifyOptions",
        "multimodalPlugin",
        "resolveLimits",
        "runtimeHealthFields",
        "serveFlagFor",
        "toApiError",
        "toSrt",
        "toVerboseJson",
        "toVtt",
      ]
    `);
  });
});
