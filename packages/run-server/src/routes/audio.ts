import {
  decodeAudio,
  toMono,
  type STTBackend,
  type TranscribeOptions,
  type TranscriptionResult,
  type TTSBackend,
  type SynthesizeOptions,
} from '@llama-pajamas/run-core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { raceSignal, requestSignal, sseStart, sseWrite, type RouteContext } from '../context.js';
import { ApiError, badParam, toApiError } from '../errors.js';
import { createAudioEncoder, SPEECH_FORMATS, type SpeechFormat } from '../formats/audio-encode.js';
import { languageCode, languageName } from '../formats/languages.js';
import { toSrt, toVtt } from '../formats/subtitles.js';
import type { ServedModel } from '../models.js';

/** Upload extensions OpenAI accepts for audio files. */
export const AUDIO_EXTENSIONS = [
  'flac',
  'mp3',
  'mp4',
  'mpeg',
  'mpga',
  'm4a',
  'ogg',
  'oga',
  'opus',
  'wav',
  'webm',
] as const;
const RESPONSE_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'] as const;
type TranscriptFormat = (typeof RESPONSE_FORMATS)[number];

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

interface AudioForm {
  file: Uint8Array;
  filename: string;
  fields: Map<string, string[]>;
}

async function readAudioForm(request: FastifyRequest, maxBytes: number): Promise<AudioForm> {
  if (!request.isMultipart()) {
    throw new ApiError(
      415,
      "Expected a multipart/form-data body with a 'file' part (the audio) and the other parameters as fields.",
      {
        code: 'unsupported_media_type',
      },
    );
  }
  const fields = new Map<string, string[]>();
  let file: Uint8Array | undefined;
  let filename = '';
  const parts = request.parts({
    limits: { fileSize: maxBytes, files: 1, fields: 32, fieldSize: 64 * 1024, parts: 40, headerPairs: 100 },
  });
  try {
    for await (const part of parts) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file') {
          part.file.resume();
          throw badParam(
            part.fieldname,
            `Unexpected file part '${part.fieldname}': send the audio as the 'file' part.`,
          );
        }
        filename = part.filename;
        const buf = await part.toBuffer();
        file = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      } else {
        const list = fields.get(part.fieldname) ?? [];
        list.push(typeof part.value === 'string' ? part.value : String(part.value));
        fields.set(part.fieldname, list);
      }
    }
  } catch (error) {
    if (error instanceof ApiError || (error as { code?: unknown }).code !== undefined) throw error;
    throw new ApiError(
      400,
      `The multipart body could not be read: ${error instanceof Error ? error.message : String(error)}.`,
      {
        code: 'invalid_multipart',
        cause: error,
      },
    );
  }
  if (!file)
    throw badParam('file', "The 'file' part (the audio to transcribe) is missing.", 'missing_required_parameter');
  if (file.byteLength === 0) throw badParam('file', "The 'file' part is empty.");
  const ext = /\.([a-z0-9]+)$/i.exec(filename)?.[1]?.toLowerCase();
  if (ext !== undefined && !(AUDIO_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new ApiError(415, `Unsupported file format '${ext}'. Supported formats: ${AUDIO_EXTENSIONS.join(', ')}.`, {
      param: 'file',
      code: 'unsupported_file_format',
    });
  }
  return { file, filename, fields };
}

function one(fields: Map<string, string[]>, name: string): string | undefined {
  return fields.get(name)?.[0];
}

interface TranscribeRequest {
  format: TranscriptFormat;
  options: TranscribeOptions;
  stream: boolean;
  words: boolean;
  segments: boolean;
  model: unknown;
}

function parseTranscribeFields(
  fields: Map<string, string[]>,
  task: 'transcribe' | 'translate',
  stt: STTBackend | undefined,
): TranscribeRequest {
  const format = (one(fields, 'response_format') ?? 'json') as TranscriptFormat;
  if (!RESPONSE_FORMATS.includes(format)) {
    throw badParam(
      'response_format',
      `Expected one of ${RESPONSE_FORMATS.join(', ')} for 'response_format' but received '${format}'.`,
    );
  }
  const options: TranscribeOptions = { task };
  const language = one(fields, 'language');
  if (language !== undefined && language !== '') {
    if (task === 'translate')
      throw badParam('language', "'language' is not a parameter of translations (the output is English).");
    const code = languageCode(language);
    if (!code) throw badParam('language', `'${language}' is not an ISO 639-1 language code (e.g. 'en', 'fr').`);
    if (stt && stt.supportedLanguages.length > 0 && !stt.supportedLanguages.includes(code)) {
      throw badParam(
        'language',
        `The model does not know the language '${code}'. It knows: ${stt.supportedLanguages.join(', ')}.`,
        'unsupported_language',
      );
    }
    options.language = code;
  }
  const prompt = one(fields, 'prompt');
  if (prompt !== undefined && prompt !== '') {
    if (prompt.length > 4096) throw badParam('prompt', "'prompt' is longer than 4096 characters.");
    options.prompt = prompt;
  }
  const temperature = one(fields, 'temperature');
  if (temperature !== undefined && temperature !== '') {
    const t = Number(temperature);
    if (!Number.isFinite(t) || t < 0 || t > 1)
      throw badParam('temperature', `Expected a number in [0, 1] for 'temperature' but received '${temperature}'.`);
    options.temperature = t;
  }
  const granularities = [
    ...(fields.get('timestamp_granularities[]') ?? []),
    ...(fields.get('timestamp_granularities') ?? []),
  ];
  for (const g of granularities) {
    if (g !== 'word' && g !== 'segment')
      throw badParam(
        'timestamp_granularities',
        `Expected 'word' or 'segment' in 'timestamp_granularities' but received '${g}'.`,
      );
  }
  if (granularities.length > 0 && format !== 'verbose_json') {
    throw badParam('timestamp_granularities', "'timestamp_granularities' needs response_format 'verbose_json'.");
  }
  const words = granularities.includes('word');
  if (words) options.wordTimestamps = true;
  const streamRaw = one(fields, 'stream');
  if (streamRaw !== undefined && streamRaw !== 'true' && streamRaw !== 'false') {
    throw badParam('stream', `Expected true or false for 'stream' but received '${streamRaw}'.`);
  }
  const stream = streamRaw === 'true';
  if (stream && task === 'translate') throw badParam('stream', 'Translations cannot be streamed.');
  if (stream && format !== 'json' && format !== 'text') {
    throw badParam(
      'stream',
      `Streaming sends transcript.text.delta events; use response_format 'json' or 'text', not '${format}'.`,
    );
  }
  return {
    format,
    options,
    stream,
    words,
    segments: granularities.length === 0 || granularities.includes('segment'),
    model: one(fields, 'model'),
  };
}

function r(n: number, d = 3): number {
  const p = 10 ** d;
  return Math.round(n * p) / p;
}

/** The OpenAI `verbose_json` body (snake_case) of a run-core transcription. */
export function toVerboseJson(result: TranscriptionResult, words: boolean, segments: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = {
    task: result.task,
    language: languageName(result.language),
    duration: r(result.duration, 2),
    text: result.text,
  };
  if (segments) {
    body.segments = result.segments.map((s) => ({
      id: s.id,
      seek: s.seek,
      start: r(s.start, 2),
      end: r(s.end, 2),
      text: s.text,
      tokens: s.tokens,
      temperature: s.temperature,
      avg_logprob: s.avgLogprob,
      compression_ratio: s.compressionRatio,
      no_speech_prob: s.noSpeechProb,
    }));
  }
  if (words) {
    const list = result.words ?? result.segments.flatMap((s) => s.words ?? []);
    body.words = list.map((w) => ({ word: w.word, start: r(w.start, 2), end: r(w.end, 2) }));
  }
  body.usage = { type: 'duration', seconds: Math.ceil(result.duration) };
  return body;
}

function sendTranscript(reply: FastifyReply, result: TranscriptionResult, req: TranscribeRequest): FastifyReply {
  switch (req.format) {
    case 'text':
      return reply.type('text/plain; charset=utf-8').send(result.text);
    case 'srt':
      return reply.type('text/plain; charset=utf-8').send(toSrt(result.segments));
    case 'vtt':
      return reply.type('text/vtt; charset=utf-8').send(toVtt(result.segments));
    case 'verbose_json':
      return reply.send(toVerboseJson(result, req.words, req.segments));
    case 'json':
      return reply.send({ text: result.text, usage: { type: 'duration', seconds: Math.ceil(result.duration) } });
  }
}

/** Decodes the upload to mono PCM at its own rate with run-core's typed errors (ERR_RUN_AUDIO_*). */
async function decodeToMono(bytes: Uint8Array): Promise<{ samples: Float32Array; sampleRate: number }> {
  const decoded = await decodeAudio(bytes);
  return { samples: toMono(decoded.channels), sampleRate: decoded.sampleRate };
}

function* chunkGen(samples: Float32Array, size: number): Iterable<Float32Array> {
  for (let i = 0; i < samples.length; i += size) yield samples.subarray(i, i + size);
}

async function* chunksOf(samples: Float32Array, size: number): AsyncIterable<Float32Array> {
  for (const chunk of chunkGen(samples, size)) yield await Promise.resolve(chunk);
}

async function streamTranscript(
  reply: FastifyReply,
  model: ServedModel<STTBackend>,
  bytes: Uint8Array,
  req: TranscribeRequest,
  signal: AbortSignal,
): Promise<void> {
  const pcm = await decodeToMono(bytes);
  await model.queue.run(async () => {
    let sentText = '';
    try {
      for await (const event of model.backend.transcribeStreaming(chunksOf(pcm.samples, pcm.sampleRate), {
        ...req.options,
        sampleRate: pcm.sampleRate,
        signal,
      })) {
        if (signal.aborted) break;
        if (event.type === 'segment' && event.segment.text.length > 0) {
          sseStart(reply);
          const delta = sentText.length === 0 ? event.segment.text.replace(/^\s+/, '') : event.segment.text;
          sentText += delta;
          sseWrite(reply, { type: 'transcript.text.delta', delta });
        } else if (event.type === 'final') {
          sseStart(reply);
          const text = event.result.text;
          if (sentText.length === 0 && text.length > 0) sseWrite(reply, { type: 'transcript.text.delta', delta: text });
          sseWrite(reply, { type: 'transcript.text.done', text });
        }
      }
    } catch (error) {
      if (!reply.raw.headersSent) throw error;
      const e = toApiError(error);
      sseWrite(reply, e.toBody());
    }
    if (!reply.raw.headersSent)
      throw new ApiError(500, 'The speech model ended without a final result.', { code: 'internal_error' });
    reply.raw.end();
  }, signal);
}

function registerTranscription(app: FastifyInstance, ctx: RouteContext, task: 'transcribe' | 'translate'): void {
  const url = task === 'transcribe' ? '/v1/audio/transcriptions' : '/v1/audio/translations';
  app.post(
    url,
    {
      schema: {
        summary:
          task === 'transcribe'
            ? 'Transcribe audio (OpenAI-compatible)'
            : 'Translate audio to English text (OpenAI-compatible)',
        tags: ['audio'],
        consumes: ['multipart/form-data'],
      },
    },
    async (request, reply) => {
      // 501 before reading the upload when no speech model is loaded.
      if (ctx.models.forTask(task).length === 0) ctx.models.pick(task, undefined, url);
      const form = await readAudioForm(request, ctx.limits.audioBytes);
      const model = ctx.models.pick<STTBackend>(task, one(form.fields, 'model'), url);
      const req = parseTranscribeFields(form.fields, task, model.backend);
      const signal = requestSignal(request, reply, ctx.requestTimeoutMs);
      if (req.stream) {
        await streamTranscript(reply, model, form.file, req, signal);
        return reply;
      }
      const result = await raceSignal(
        model.queue.run(() => model.backend.transcribe(form.file, { ...req.options, signal }), signal),
        signal,
      );
      return sendTranscript(reply, result, req);
    },
  );
}

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
      const model = ctx.models.pick<TTSBackend>('speech', body.model, url);
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
      const signal = requestSignal(request, reply, ctx.requestTimeoutMs);
      options.signal = signal;
      const streamFormat = body.stream_format;
      const encoder = await createAudioEncoder(format, tts.sampleRate, {
        streaming: streamFormat !== undefined,
        ffmpegPath: ctx.options.ffmpegPath,
      });
      if (streamFormat === undefined) {
        const speech = await raceSignal(
          model.queue.run(() => tts.synthesize(body.input, options), signal),
          signal,
        );
        const head = await encoder.push(speech.samples);
        const tail = await encoder.end();
        return reply.type(encoder.contentType).send(Buffer.concat([head, tail]));
      }
      await model.queue.run(async () => {
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
      }, signal);
      return reply;
    },
  );
}

/** Registers `/v1/audio/transcriptions`, `/v1/audio/translations` and `/v1/audio/speech`. */
export function registerAudioRoutes(app: FastifyInstance, ctx: RouteContext): void {
  registerTranscription(app, ctx, 'transcribe');
  registerTranscription(app, ctx, 'translate');
  registerSpeech(app, ctx);
}
