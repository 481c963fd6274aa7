import type Koffi from 'koffi';
import { InferenceError, PhonemizerNotFoundError, RunError, invalidParameter } from '../../errors.js';
import { EspeakPhonemizer, checkEspeakVoiceName, cleanEspeakLine, type Phonemizer } from './espeak.js';

/** Where the espeak-ng shared library is looked for, per platform (the system's loader paths, then Homebrew). */
const LIBRARY_NAMES: Readonly<Record<string, readonly string[]>> = {
  linux: ['libespeak-ng.so.1', 'libespeak-ng.so'],
  darwin: [
    'libespeak-ng.1.dylib',
    'libespeak-ng.dylib',
    '/opt/homebrew/lib/libespeak-ng.1.dylib',
    '/usr/local/lib/libespeak-ng.1.dylib',
  ],
  win32: ['libespeak-ng.dll', 'espeak-ng.dll'],
};

/** Environment variable naming the espeak-ng shared library to use (a path or a name the loader finds). */
export const ESPEAK_LIBRARY_ENV = 'LLAMA_PAJAMAS_ESPEAK_LIBRARY';

// espeak-ng's speak_lib.h: AUDIO_OUTPUT_SYNCHRONOUS, espeakINITIALIZE_DONT_EXIT, espeakCHARS_UTF8,
// espeakPHONEMES_IPA, EE_OK.
const AUDIO_OUTPUT_SYNCHRONOUS = 2;
const INITIALIZE_DONT_EXIT = 0x8000;
const CHARS_UTF8 = 1;
const PHONEMES_IPA = 0x02;
const EE_OK = 0;

/** The three functions of libespeak-ng that phonemizing needs, bound through koffi. */
interface EspeakLibrary {
  readonly path: string;
  /** The voice last set (espeak-ng keeps one per process, shared by every phonemizer on it). */
  voice: string | undefined;
  setVoiceByName(name: string): number;
  /** `espeak_TextToPhonemes`: phonemes of the first clause of `text[0]`, which it advances (null at the end). */
  textToPhonemes(text: [string | null], textMode: number, phonemeMode: number): string | null;
}

/** Result of opening the library: it, or why not. */
type Opened = { library: EspeakLibrary } | { reason: string };

let opened: Promise<Opened> | undefined;

/** The library names tried, in order: `LLAMA_PAJAMAS_ESPEAK_LIBRARY` first, then the platform's usual names. */
function libraryCandidates(): string[] {
  const fromEnv = process.env[ESPEAK_LIBRARY_ENV];
  const names = LIBRARY_NAMES[process.platform] ?? LIBRARY_NAMES.linux!;
  return fromEnv ? [fromEnv] : [...names];
}

async function openLibrary(): Promise<Opened> {
  let koffi: typeof Koffi;
  try {
    koffi = (await import('koffi')).default;
  } catch {
    return { reason: 'the optional package koffi (MIT, an FFI) is not installed' };
  }
  const tried = libraryCandidates();
  for (const path of tried) {
    let lib: ReturnType<typeof koffi.load>;
    try {
      lib = koffi.load(path);
    } catch {
      continue;
    }
    try {
      const initialize = lib.func('int espeak_Initialize(int output, int buflength, const char *path, int options)');
      const setVoiceByName = lib.func('int espeak_SetVoiceByName(const char *name)');
      const textToPhonemes = lib.func(
        'const char *espeak_TextToPhonemes(_Inout_ const char **textptr, int textmode, int phonememode)',
      );
      const rate = initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, null, INITIALIZE_DONT_EXIT) as number;
      if (!(rate > 0)) return { reason: `${path} failed to initialise (espeak_Initialize returned ${rate})` };
      return {
        library: {
          path,
          voice: undefined,
          setVoiceByName: (name) => setVoiceByName(name) as number,
          textToPhonemes: (text, textMode, phonemeMode) => textToPhonemes(text, textMode, phonemeMode) as string | null,
        },
      };
    } catch (cause) {
      return { reason: `${path} is not a usable espeak-ng library (${(cause as Error).message})` };
    }
  }
  return { reason: `no espeak-ng library was found (tried ${tried.join(', ')})` };
}

/** Opens libespeak-ng once per process (espeak-ng keeps one global state); later calls get the same result. */
function openOnce(): Promise<Opened> {
  opened ??= openLibrary();
  return opened;
}

/**
 * espeak-ng phonemizer on the system's `libespeak-ng` shared library (GPL-3.0-or-later, installed by the user,
 * e.g. `apt-get install libespeak-ng1` or `brew install espeak-ng`), called through the `koffi` FFI (MIT):
 * initialised once per process, then one `espeak_TextToPhonemes` call per clause in IPA mode, the lines the
 * espeak-ng command line prints with `--ipa`. Voices the library does not have (older espeak-ng data) go to
 * `fallback`. Open it with {@link NativeEspeakPhonemizer.open}.
 * @example
 * const espeak = await NativeEspeakPhonemizer.open();
 * if (espeak) await espeak.phonemize('Hello, world!', 'en-us'); // ['həlˈoʊ', 'wˈɜːld']
 */
export class NativeEspeakPhonemizer implements Phonemizer {
  readonly name = 'libespeak-ng';
  readonly #missingVoices = new Set<string>();

  private constructor(
    /** The bound library. */
    private readonly library: EspeakLibrary,
    /** Used for voices the library lacks (default: the WASM {@link EspeakPhonemizer}). */
    private readonly fallback: Phonemizer,
  ) {}

  /** The library file or name that was loaded. */
  get libraryPath(): string {
    return this.library.path;
  }

  /**
   * Opens the library (once per process) or returns `undefined` when it or koffi is missing, with the reason in
   * `onMissing`.
   */
  static async open(
    options: { fallback?: Phonemizer; onMissing?: (reason: string) => void } = {},
  ): Promise<NativeEspeakPhonemizer | undefined> {
    const result = await openOnce();
    if ('reason' in result) {
      options.onMissing?.(result.reason);
      return undefined;
    }
    return new NativeEspeakPhonemizer(result.library, options.fallback ?? new EspeakPhonemizer());
  }

  phonemize(text: string, voice: string): Promise<string[]> {
    checkEspeakVoiceName(voice);
    if (typeof text !== 'string') return Promise.reject(invalidParameter('text', 'a string', text));
    if (this.#missingVoices.has(voice)) return this.fallback.phonemize(text, voice);
    try {
      const lib = this.library;
      if (lib.voice !== voice) {
        lib.voice = undefined;
        if (lib.setVoiceByName(voice) !== EE_OK) {
          this.#missingVoices.add(voice);
          return this.fallback.phonemize(text, voice);
        }
        lib.voice = voice;
      }
      const cursor: [string | null] = [text.replace(/\s+/g, ' ')];
      const lines: string[] = [];
      // Each call consumes one clause; the bound keeps a misbehaving library from looping.
      for (let guard = cursor[0]!.length + 1; cursor[0] !== null && cursor[0].length > 0 && guard > 0; guard--) {
        const phonemes = this.library.textToPhonemes(cursor, CHARS_UTF8, PHONEMES_IPA);
        if (phonemes === null) break;
        const line = cleanEspeakLine(phonemes);
        if (line.length > 0) lines.push(line);
      }
      return Promise.resolve(lines);
    } catch (cause) {
      if (cause instanceof RunError) return Promise.reject(cause);
      return Promise.reject(
        new InferenceError(`libespeak-ng failed: ${(cause as Error)?.message ?? String(cause)}`, { cause }),
      );
    }
  }
}

/** Which phonemizer a Piper voice should use: `auto` (the native library when present, else WASM) or one of them. */
export type PhonemizerChoice = 'auto' | 'libespeak-ng' | 'espeak-ng-wasm';

/**
 * Picks the espeak-ng phonemizer: with `auto`, {@link NativeEspeakPhonemizer} when koffi and libespeak-ng are
 * installed, else the WASM {@link EspeakPhonemizer} (the `espeak-ng` package). `libespeak-ng` throws
 * `ERR_RUN_PHONEMIZER_NOT_FOUND` (with the reason) when the library cannot be used.
 * @example
 * const p = await selectPhonemizer('auto');
 * p.name; // 'libespeak-ng' or 'espeak-ng-wasm'
 */
export async function selectPhonemizer(choice: PhonemizerChoice = 'auto'): Promise<Phonemizer> {
  if (choice === 'espeak-ng-wasm') return new EspeakPhonemizer();
  if (choice !== 'auto' && choice !== 'libespeak-ng') {
    throw invalidParameter('phonemizer', "'auto', 'libespeak-ng', 'espeak-ng-wasm' or a Phonemizer", choice);
  }
  let why = '';
  const native = await NativeEspeakPhonemizer.open({ onMissing: (reason) => (why = reason) });
  if (native) return native;
  if (choice === 'auto') return new EspeakPhonemizer();
  throw new PhonemizerNotFoundError(
    `The native espeak-ng phonemizer was asked for, but ${why}. Install the library (Debian/Ubuntu: ` +
      '`apt-get install libespeak-ng1`; macOS: `brew install espeak-ng`) and the koffi package, set ' +
      `${ESPEAK_LIBRARY_ENV} to the library's path, or use phonemizer 'auto'. ` +
      'See docs/errors.md#err_run_phonemizer_not_found.',
    { details: { package: 'libespeak-ng', reason: why } },
  );
}
