import type { STTBackend, TranscribeOptions } from '@llama-pajamas/run-core';
import type { FastifyRequest } from 'fastify';
import { ApiError, badParam } from '../errors.js';
import { languageCode } from '../formats/languages.js';

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
/** The `response_format`s of transcriptions and translations. */
export const RESPONSE_FORMATS = ['json', 'text', 'srt', 'verbose_json', 'vtt'] as const;
/** One of {@link RESPONSE_FORMATS}. */
export type TranscriptFormat = (typeof RESPONSE_FORMATS)[number];

/** A multipart audio upload: the file, its name and the other fields. */
export interface AudioForm {
  file: Uint8Array;
  filename: string;
  fields: Map<string, string[]>;
}

/** Reads a multipart upload with one audio `file` part; 415/400/413 for what is not one. */
export async function readAudioForm(request: FastifyRequest, maxBytes: number): Promise<AudioForm> {
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

/** The first value of a form field. */
export function one(fields: Map<string, string[]>, name: string): string | undefined {
  return fields.get(name)?.[0];
}

/** The parsed fields of a transcription or translation request. */
export interface TranscribeRequest {
  format: TranscriptFormat;
  options: TranscribeOptions;
  stream: boolean;
  words: boolean;
  segments: boolean;
  model: unknown;
}

/** Parses and checks the form fields of a transcription (400 naming the field that is wrong). */
export function parseTranscribeFields(
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
