import { loadAudio, type TranscribeProgress, type TranscriptionResult } from '@llama-pajamas/run-core';
import { toSrt, toVerboseJson, toVtt } from '@llama-pajamas/run-server';
import type { Command } from 'commander';
import { EXIT_CODES_HELP, withExitCodes } from '../exit-codes.js';
import { dtypeOption, MODEL_HELP, readInput, resolveTaskModel, writeOutput, choiceOption } from './one-shot.js';
import { addRuntimeOptions, loadForCommand, type RuntimeFlags } from './runtime-flags.js';

const FORMATS = ['text', 'json', 'srt', 'vtt', 'verbose_json'] as const;
type TranscriptFormat = (typeof FORMATS)[number];

/** Audio longer than this is transcribed as a stream, printing each segment to stderr as it is ready. */
const PROGRESS_AFTER_S = 30;

interface TranscribeFlags extends RuntimeFlags {
  model?: string;
  dtype?: 'fp32' | 'fp16' | 'int8';
  format: TranscriptFormat;
  output?: string;
  language?: string;
  json?: boolean;
  wordTimestamps?: boolean;
}

const formatOption = choiceOption<TranscriptFormat>(FORMATS);

function clock(s: number): string {
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}

/** Renders a transcript the way `/v1/audio/transcriptions` does for `response_format`. */
export function renderTranscript(result: TranscriptionResult, format: TranscriptFormat, words: boolean): string {
  switch (format) {
    case 'text':
      return `${result.text.trim()}\n`;
    case 'json':
      return `${JSON.stringify({ text: result.text })}\n`;
    case 'srt':
      return toSrt(result.segments);
    case 'vtt':
      return toVtt(result.segments);
    case 'verbose_json':
      return `${JSON.stringify(toVerboseJson(result, words, true), null, 2)}\n`;
  }
}

/** Registers `llama-pajamas transcribe <audio|URL>`. */
export function registerTranscribeCommand(program: Command): void {
  const cmd = program
    .command('transcribe')
    .argument(
      '<audio>',
      'an audio file or http(s) URL: wav, mp3, ogg/opus, flac, m4a/aac, webm (what the server takes)',
    )
    .description('Speech to text with Whisper. Long audio prints progress on stderr after each 30 s window.')
    .option('--model <ref>', MODEL_HELP)
    .option(
      '--dtype <dtype>',
      'weights precision (fp32, fp16, int8); a folder with one kind is picked up as it is',
      dtypeOption,
    )
    .option('--format <format>', `output: ${FORMATS.join(', ')}`, formatOption, 'text')
    .option('-o, --output <file>', 'write the transcript to a file instead of stdout')
    .option('--language <code>', 'spoken language (ISO 639-1, e.g. en); default: detected')
    .option('--word-timestamps', 'word-level times (verbose_json)')
    .option('--json', 'same as --format verbose_json')
    .addHelpText(
      'after',
      `
Examples:
  llama-pajamas transcribe meeting.mp3                          # default model (whisper-tiny.en), plain text
  llama-pajamas transcribe talk.wav --format srt -o talk.srt
  llama-pajamas transcribe https://example.com/clip.ogg --model whisper-base.en --json${EXIT_CODES_HELP}`,
    );
  addRuntimeOptions(cmd).action(
    withExitCodes(cmd, async (audioRef: string, flags: TranscribeFlags) => {
      const format: TranscriptFormat = flags.json ? 'verbose_json' : flags.format;
      const bytes = await readInput(audioRef);
      const audio = await loadAudio(bytes, { sampleRate: 16_000 });
      const model = await resolveTaskModel('stt', flags.model, flags.dtype);
      const stt = await loadForCommand('stt', model.path, { ...(model.dtype ? { dtype: model.dtype } : {}) }, flags);
      try {
        const options = { language: flags.language, wordTimestamps: flags.wordTimestamps === true || undefined };
        const seconds = audio.samples.length / audio.sampleRate;
        // Past 30 s, a progress line on stderr after each decoded window (the result is the same as without it).
        const progress =
          seconds <= PROGRESS_AFTER_S
            ? undefined
            : ({ processedSeconds, totalSeconds }: TranscribeProgress): void => {
                process.stderr.write(
                  `decoded ${clock(processedSeconds)} of ${clock(totalSeconds)} (${Math.round((processedSeconds / Math.max(totalSeconds, 1e-9)) * 100)}%)\n`,
                );
              };
        if (progress) process.stderr.write(`transcribing ${clock(seconds)} of audio…\n`);
        const result: TranscriptionResult = await stt.transcribe(audio, {
          ...options,
          ...(progress ? { onProgress: progress } : {}),
        });
        await writeOutput(flags.output, renderTranscript(result, format, flags.wordTimestamps === true));
      } finally {
        await stt.unload();
      }
    }),
  );
}
