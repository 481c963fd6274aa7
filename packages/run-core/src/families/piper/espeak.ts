// eslint-disable-next-line @typescript-eslint/triple-slash-reference -- ambient types of untyped dependencies; a reference (not tsconfig) so that other packages' tsc, which compile this source, see them too
/// <reference path="../../audio/vendor.d.ts" />
import type EspeakNg from 'espeak-ng';
import {
  InferenceError,
  InvalidArgumentError,
  LanguageUnsupportedError,
  PhonemizerNotFoundError,
  RunError,
} from '../../errors.js';

/** Turns text into IPA phonemes, one string per clause, the way espeak-ng's `--ipa` output gives them. */
export interface Phonemizer {
  /** Which implementation this is (`libespeak-ng`, `espeak-ng-wasm`, …), as the TTS backend reports it. */
  readonly name?: string;
  /** IPA phonemes of `text` with the espeak-ng voice `voice` (e.g. `en-us`), one entry per clause. */
  phonemize(text: string, voice: string): Promise<string[]>;
}

type EspeakFactory = typeof EspeakNg;

let factoryPromise: Promise<EspeakFactory> | undefined;

/** Loads the optional `espeak-ng` package once; throws {@link PhonemizerNotFoundError} when it is missing. */
async function loadFactory(): Promise<EspeakFactory> {
  factoryPromise ??= import('espeak-ng').then(
    (mod) => mod.default,
    (cause: unknown) => {
      factoryPromise = undefined;
      throw new PhonemizerNotFoundError(
        'Piper voices need espeak-ng for phonemes, and the optional package `espeak-ng` (GPL-3.0-or-later, WASM) ' +
          'could not be loaded. Install it next to llama-pajamas: `npm install espeak-ng@1.0.2`. ' +
          'See docs/errors.md#err_run_phonemizer_not_found.',
        { cause, details: { package: 'espeak-ng' } },
      );
    },
  );
  return factoryPromise;
}

const VOICE_RE = /^[A-Za-z0-9_+-]{1,40}$/;

/** Throws a typed error unless `voice` looks like an espeak-ng voice name (`en-us`, `en-gb-x-rp`, `de`). */
export function checkEspeakVoiceName(voice: string): void {
  if (typeof voice !== 'string' || !VOICE_RE.test(voice)) {
    throw new InvalidArgumentError(
      `Expected an espeak-ng voice name like 'en-us' but received ${JSON.stringify(voice)}.`,
      {
        details: { param: 'voice' },
      },
    );
  }
}

/** One clause of espeak-ng IPA as Piper wants it: language-switch marks such as `(en)` removed, spaces collapsed. */
export function cleanEspeakLine(line: string): string {
  return line
    .replace(/\([a-z]{2,3}(?:-[a-z0-9]+)?\)/gi, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * espeak-ng phonemizer on the `espeak-ng` npm package (the espeak-ng 1.52-dev command line compiled to WASM, all
 * languages; GPL-3.0-or-later, so an optional peer dependency loaded only when a Piper voice first speaks).
 * It runs `espeak-ng -q --ipa -v <voice>`, as piper-phonemize does through the library: IPA with stress marks,
 * one line per clause; language-switch marks such as `(en)` are removed. Calls are serialised.
 * @example
 * await new EspeakPhonemizer().phonemize('Hello, world!', 'en-us');
 * // ['həlˈoʊ', 'wˈɜːld']
 */
export class EspeakPhonemizer implements Phonemizer {
  readonly name = 'espeak-ng-wasm';
  #queue: Promise<unknown> = Promise.resolve();

  phonemize(text: string, voice: string): Promise<string[]> {
    checkEspeakVoiceName(voice);
    const task = async (): Promise<string[]> => {
      const factory = await loadFactory();
      const errors: string[] = [];
      let output: string;
      try {
        // A leading space keeps text that starts with '-' from being read as an option.
        const instance = await factory({
          arguments: ['--phonout', 'out', '-q', '--ipa', '-v', voice, ` ${text.replace(/\s+/g, ' ')}`],
          print: () => undefined,
          printErr: (line) => errors.push(line),
        });
        output = errors.some((e) => e.startsWith('Error')) ? '' : instance.FS.readFile('out', { encoding: 'utf8' });
      } catch (cause) {
        if (cause instanceof RunError) throw cause;
        throw new InferenceError(`espeak-ng failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
      }
      const voiceError = errors.find((e) => /voice does not exist/i.test(e));
      if (voiceError !== undefined) {
        throw new LanguageUnsupportedError(
          `espeak-ng has no voice '${voice}' (the voice's espeak.voice setting). Check the voice's .onnx.json.`,
          { details: { voice } },
        );
      }
      return output
        .split('\n')
        .map(cleanEspeakLine)
        .filter((line) => line.length > 0);
    };
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}
