import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { TranscriptionResult } from '@llama-pajamas/run-core';
import { loadSpeechToText, loadTextToSpeech } from '@llama-pajamas/run-onnx';
import {
  createAudioEncoder,
  SPEECH_FORMATS,
  toSrt,
  toVerboseJson,
  toVtt,
  type SpeechFormat,
} from '@llama-pajamas/run-server';
import { InvalidArgumentError, type Command } from 'commander';
import { emit, json, numberOption, progressLine, readInput, sessionOptions, withCommonOptions } from './one-shot.js';

/** Transcript formats `llama-pajamas transcribe` writes (the `response_format`s of OpenAI's endpoint). */
export const TRANSCRIPT_FORMATS = ['text', 'json', 'verbose_json', 'srt', 'vtt'] as const;
type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

function oneOf<T extends string>(flag: string, values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`Expected one of ${values.join(', ')} for ${flag}, got '${value}'.`);
    }
    return value as T;
  };
}

/** The transcript in one of the OpenAI response formats. */
export function formatTranscript(result: TranscriptionResult, format: TranscriptFormat, words = false): string {
  switch (format) {
    case 'text':
      return `${result.text.trim()}\n`;
    case 'json':
      return json({ text: result.text });
    case 'verbose_json':
      return json(toVerboseJson(result, words, true));
    case 'srt':
      return toSrt(result.segments);
    case 'vtt':
      return toVtt(result.segments);
  }
}

const clock = (s: number): string => `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')}`;

/** `llama-pajamas transcribe <audio>`: text, json, verbose_json, srt or vtt, with progress on long audio. */
export function registerTranscribeCommand(program: Command): void {
  withCommonOptions(
    program
      .command('transcribe <audio>')
      .description('Transcribe (or translate to English) an audio file: wav, mp3, flac, ogg, opus, m4a, webm.')
      .option(
        '-f, --format <format>',
        `output: ${TRANSCRIPT_FORMATS.join(', ')} (default text)`,
        oneOf('--format', TRANSCRIPT_FORMATS),
      )
      .option('-o, --output <file>', 'write the transcript to a file instead of stdout')
      .option('-l, --language <code>', 'ISO 639-1 language of the audio (default: detected)')
      .option('--translate', 'translate to English (multilingual models)')
      .option('--prompt <text>', 'text that guides spelling and style')
      .option('--beam-size <n>', 'beam search width (default 1 = greedy)', numberOption('--beam-size', 1, 16))
      .option('--word-timestamps', 'word-level times (verbose_json)')
      .option('--no-vad', 'decode silence too (no voice activity detection)')
      .option(
        '--dtype <dtype>',
        'which export to load: fp32, fp16 or int8 (default: what the folder has)',
        oneOf('--dtype', ['fp32', 'fp16', 'int8'] as const),
      ),
    'the speech-to-text model: a Whisper folder (Optimum / transformers.js layout)',
  )
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas transcribe meeting.mp3 -m whisper-base.en/
  llama-pajamas transcribe talk.wav -m whisper-small/ -f srt -o talk.srt
  llama-pajamas transcribe interview.m4a -m whisper-small/ --language de --translate --json`,
    )
    .action(
      async (
        audio: string,
        flags: {
          model: string;
          json?: boolean;
          threads?: number;
          format?: TranscriptFormat;
          output?: string;
          language?: string;
          translate?: boolean;
          prompt?: string;
          beamSize?: number;
          wordTimestamps?: boolean;
          vad: boolean;
          dtype?: 'fp32' | 'fp16' | 'int8';
        },
      ) => {
        const input = await readInput(audio);
        const stt = await loadSpeechToText(flags.model, {
          ...sessionOptions(flags),
          ...(flags.dtype ? { dtype: flags.dtype } : {}),
        });
        const progress = progressLine('transcribing');
        try {
          const result = await stt.transcribe(input, {
            ...(flags.language ? { language: flags.language } : {}),
            ...(flags.translate ? { task: 'translate' as const } : {}),
            ...(flags.prompt ? { prompt: flags.prompt } : {}),
            ...(flags.beamSize ? { beamSize: flags.beamSize } : {}),
            ...(flags.wordTimestamps ? { wordTimestamps: true } : {}),
            vad: flags.vad,
            onProgress: ({ processedSeconds, totalSeconds }) => {
              if (totalSeconds > 30) progress.update(`${clock(processedSeconds)} of ${clock(totalSeconds)}`);
            },
          });
          progress.done();
          const format = flags.json ? 'verbose_json' : (flags.format ?? 'text');
          await emit(formatTranscript(result, format, flags.wordTimestamps), flags.output);
        } finally {
          progress.done();
          await stt.unload();
        }
      },
    );
}

/** Output formats of `llama-pajamas speak` (AAC needs ffmpeg; the others are encoded in-process). */
const SPEAK_FORMATS = SPEECH_FORMATS;

/** `llama-pajamas speak "<text>" -o out.wav`: speech in wav, mp3, opus, flac, aac or pcm. Plays nothing. */
export function registerSpeakCommand(program: Command): void {
  withCommonOptions(
    program
      .command('speak [text]')
      .description('Synthesize speech from text (or --input-file) into an audio file. Plays nothing.')
      .requiredOption('-o, --output <file>', 'the audio file to write (its extension picks the format unless --format)')
      .option(
        '-f, --format <format>',
        `${SPEAK_FORMATS.join(', ')} (default: from --output, else wav)`,
        oneOf('--format', SPEAK_FORMATS),
      )
      .option('--input-file <file>', 'read the text from a file')
      .option('--speaker <id|name>', 'speaker of a multi-speaker voice')
      .option('--speed <x>', 'speaking rate, 0.25-4 (default 1)', numberOption('--speed', 0.25, 4)),
    'the voice: a Piper .onnx (with its .onnx.json beside it)',
  )
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas speak "Hello from llama-pajamas." -m en_US-joe-medium.onnx -o hello.wav
  llama-pajamas speak --input-file chapter.txt -m en_US-joe-medium.onnx -o chapter.mp3 --speed 1.1`,
    )
    .action(
      async (
        text: string | undefined,
        flags: {
          model: string;
          json?: boolean;
          threads?: number;
          output: string;
          format?: SpeechFormat;
          inputFile?: string;
          speaker?: string;
          speed?: number;
        },
      ) => {
        if ((text === undefined) === (flags.inputFile === undefined)) {
          program.error('speak needs the text as an argument or --input-file (one of them).', { exitCode: 2 });
        }
        const input = text ?? (await readFile(flags.inputFile as string, 'utf8'));
        const fromExt = extname(flags.output).slice(1).toLowerCase();
        const format: SpeechFormat =
          flags.format ?? ((SPEAK_FORMATS as readonly string[]).includes(fromExt) ? (fromExt as SpeechFormat) : 'wav');
        const tts = await loadTextToSpeech(flags.model, sessionOptions(flags));
        try {
          const speaker =
            flags.speaker === undefined
              ? undefined
              : /^\d+$/.test(flags.speaker)
                ? Number(flags.speaker)
                : flags.speaker;
          const speech = await tts.synthesize(input, {
            ...(speaker !== undefined ? { speaker } : {}),
            ...(flags.speed !== undefined ? { speed: flags.speed } : {}),
          });
          const encoder = await createAudioEncoder(format, speech.sampleRate);
          const bytes = Buffer.concat([await encoder.push(speech.samples), await encoder.end()]);
          await emit(bytes, flags.output);
          const seconds = speech.samples.length / speech.sampleRate;
          const summary = {
            output: flags.output,
            format,
            seconds: Math.round(seconds * 100) / 100,
            sampleRate: speech.sampleRate,
            bytes: bytes.length,
          };
          if (flags.json) await emit(json(summary));
          else
            process.stderr.write(`wrote ${flags.output}: ${summary.seconds} s of ${format}, ${bytes.length} bytes\n`);
        } finally {
          await tts.unload();
        }
      },
    );
}
