import { decodeAudio, toMono, type STTBackend } from '@llama-pajamas/run-core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sseStart, sseWrite, type RouteContext } from '../context.js';
import { ApiError, toApiError } from '../errors.js';
import type { ServedModel } from '../models.js';
import { beginTask } from '../task-call.js';
import { one, parseTranscribeFields, readAudioForm, type TranscribeRequest } from './audio-form.js';
import { sendTranscript } from './transcript-format.js';
import { transcribeGroup, unwrap } from './transcribe-group.js';

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

/** Streams one transcription as SSE `transcript.text.delta` events (runs on the model's queue). */
async function streamTranscript(
  reply: FastifyReply,
  model: ServedModel<STTBackend>,
  pcm: { samples: Float32Array; sampleRate: number },
  req: TranscribeRequest,
  signal: AbortSignal,
): Promise<void> {
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
      const call = beginTask<STTBackend>(ctx, reply, task, one(form.fields, 'model'), url);
      const { model, signal } = call;
      const req = parseTranscribeFields(form.fields, task, model.backend);
      if (req.stream) {
        const pcm = await decodeToMono(form.file);
        await call.stream(() => streamTranscript(reply, model, pcm, req, signal));
        return reply;
      }
      // Through the model's micro-batcher: concurrent requests with the same options share runs (batchTranscribe).
      const [result] = await call.batch([{ file: form.file, signal }], req.options, (inputs, options) =>
        transcribeGroup(model.backend, inputs, options, (err) =>
          app.log.warn({ err }, 'batchTranscribe failed; the group ran one request at a time'),
        ),
      );
      return sendTranscript(reply, unwrap(result), req);
    },
  );
}

/** Registers `/v1/audio/transcriptions` and `/v1/audio/translations`. */
export function registerTranscriptionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  registerTranscription(app, ctx, 'transcribe');
  registerTranscription(app, ctx, 'translate');
}
