import type { SynthesizeOptions, TTSBackend } from '@llama-pajamas/run-core';
import type { FastifyInstance } from 'fastify';
import { sseStart, sseWrite, type RouteContext } from '../context.js';
import { badParam, toApiError } from '../errors.js';
import { createAudioEncoder, SPEECH_FORMATS, type SpeechFormat } from '../formats/audio-encode.js';
import { beginTask } from '../task-call.js';

/** OpenAI's voice names; mapped in this order onto the voice's speakers (index modulo speaker count). */
export const OPENAI_VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'onyx',
  'nova',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
] as const;

interface SpeechBody {
  model?: string;
  input: string;
  voice?: string | { id: string };
  response_format?: SpeechFormat;
  speed?: number;
  stream_format?: 'audio' | 'sse';
  instructions?: string;
}

/** Maps a request's `voice` onto the loaded voice's speakers. */
export function resolveVoice(voice: SpeechBody['voice'], tts: TTSBackend): number | string {
  if (voice === undefined) return 0;
  const name = (typeof voice === 'string' ? voice : voice.id).trim();
  const lower = name.toLowerCase();
  const byName = tts.speakerNames.findIndex((s) => s.toLowerCase() === lower);
  if (byName >= 0) return byName;
  const openai = (OPENAI_VOICES as readonly string[]).indexOf(lower);
  if (openai >= 0) return openai % Math.max(1, tts.numSpeakers);
  if (/^\d+$/.test(name) && Number(name) < tts.numSpeakers) return Number(name);
  throw badParam(
    'voice',
    `Unknown voice '${name}'. Use one of OpenAI's (${OPENAI_VOICES.join(', ')})${tts.speakerNames.length > 0 ? ` or a speaker of this voice (${tts.speakerNames.slice(0, 20).join(', ')}${tts.speakerNames.length > 20 ? ', …' : ''})` : ''}.`,
  );
}

function registerSpeech(app: FastifyInstance, ctx: RouteContext): void {
  const url = '/v1/audio/speech';
  app.post<{ Body: SpeechBody }>(
    url,
    {
      schema: {
        summary: 'Generate speech from text (OpenAI-compatible)',
        tags: ['audio'],
        body: {
          type: 'object',
          required: ['input'],
          properties: {
            model: { type: 'string' },
            input: { type: 'string', minLength: 1 },
            voice: {
              anyOf: [
                { type: 'string', minLength: 1 },
                { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1 } } },
              ],
            },
            response_format: { type: 'string', enum: [...SPEECH_FORMATS] },
            speed: { type: 'number', minimum: 0.25, maximum: 4 },
            stream_format: { type: 'string', enum: ['audio', 'sse'] },
            instructions: { type: 'string' },
          },
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const call = beginTask<TTSBackend>(ctx, request, reply, 'speech', body.model, url);
      const { model, signal } = call;
      if (body.input.length > ctx.limits.speechChars) {
        throw badParam(
          'input',
          `'input' is ${body.input.length} characters long; the limit is ${ctx.limits.speechChars}. Split the text into several requests.`,
          'string_above_max_length',
        );
      }
      const tts = model.backend;
      const format = body.response_format ?? 'mp3';
      const options: SynthesizeOptions = { speaker: resolveVoice(body.voice, tts), speed: body.speed ?? 1 };
      options.signal = signal;
      const streamFormat = body.stream_format;
      const encoder = await createAudioEncoder(format, tts.sampleRate, {
        streaming: streamFormat !== undefined,
        ffmpegPath: ctx.options.ffmpegPath,
      });
      if (streamFormat === undefined) {
        const speech = await call.run(() => tts.synthesize(body.input, options));
        const head = await encoder.push(speech.samples);
        const tail = await encoder.end();
        return reply.type(encoder.contentType).send(Buffer.concat([head, tail]));
      }
      await call.stream(async () => {
        const write = (bytes: Uint8Array): void => {
          if (bytes.byteLength === 0) return;
          if (streamFormat === 'sse')
            sseWrite(reply, { type: 'speech.audio.delta', audio: Buffer.from(bytes).toString('base64') });
          else reply.raw.write(bytes);
        };
        const start = (): void => {
          if (reply.raw.headersSent) return;
          if (streamFormat === 'sse') return sseStart(reply);
          reply.hijack();
          reply.raw.writeHead(200, {
            'content-type': encoder.contentType,
            'transfer-encoding': 'chunked',
            'x-request-id': String(request.id),
          });
        };
        try {
          for await (const chunk of tts.synthesizeStreaming(body.input, options)) {
            if (signal.aborted) break;
            const bytes = await encoder.push(chunk.samples);
            start();
            write(bytes);
          }
          start();
          write(await encoder.end());
          if (streamFormat === 'sse') {
            const tokens = Math.ceil(body.input.length / 4);
            sseWrite(reply, {
              type: 'speech.audio.done',
              usage: { input_tokens: tokens, output_tokens: 0, total_tokens: tokens },
            });
          }
        } catch (error) {
          if (!reply.raw.headersSent) throw error;
          if (streamFormat === 'sse') sseWrite(reply, toApiError(error).toBody());
          else reply.raw.destroy(error instanceof Error ? error : undefined);
          return;
        }
        reply.raw.end();
      });
      return reply;
    },
  );
}

/** Registers `/v1/audio/speech`. */
export function registerSpeechRoutes(app: FastifyInstance, ctx: RouteContext): void {
  registerSpeech(app, ctx);
}
