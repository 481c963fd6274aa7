import type { TranscriptionResult } from '@llama-pajamas/run-core';
import type { FastifyReply } from 'fastify';
import { languageName } from '../formats/languages.js';
import { toSrt, toVtt } from '../formats/subtitles.js';
import type { TranscribeRequest } from './audio-form.js';

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

/** Sends a transcription in the request's `response_format`. */
export function sendTranscript(reply: FastifyReply, result: TranscriptionResult, req: TranscribeRequest): FastifyReply {
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
