import { Tokenizer } from '@huggingface/tokenizers';
import { ModelUnrecognizedError } from '../../errors.js';

/** Ids of Whisper's special tokens, read from the tokenizer and generation config. */
export interface WhisperSpecialTokens {
  /** `<|endoftext|>`. */
  readonly eot: number;
  /** `<|startoftranscript|>`. */
  readonly sot: number;
  /** `<|startofprev|>` (prompt marker). */
  readonly sotPrev: number;
  /** `<|startoflm|>`, when the vocabulary has it. */
  readonly sotLm: number | undefined;
  /** `<|transcribe|>` (multilingual models). */
  readonly transcribe: number | undefined;
  /** `<|translate|>` (multilingual models). */
  readonly translate: number | undefined;
  /** `<|nospeech|>` or `<|nocaptions|>`: its probability at the first step is `noSpeechProb`. */
  readonly noSpeech: number | undefined;
  /** `<|notimestamps|>`. */
  readonly noTimestamps: number;
  /** `<|0.00|>`: timestamp token i means i * 0.02 s. */
  readonly timestampBegin: number;
}

/**
 * Whisper's tokenizer: the byte-level BPE of `tokenizer.json` (through `@huggingface/tokenizers`) plus the
 * special-token layout Whisper's decoding needs (language, task, timestamp tokens).
 * @example
 * const tok = WhisperTokenizer.fromJson(JSON.parse(readFileSync('tokenizer.json', 'utf8')));
 * tok.encode(' he was not'); // [415, 390, 406]
 * tok.languageToken('fr'); // 50265
 */
export class WhisperTokenizer {
  /** Special-token ids. */
  readonly special: WhisperSpecialTokens;
  /** Language code (`en`) → token id, in vocabulary order; empty for English-only models. */
  readonly languages: ReadonlyMap<string, number>;
  private readonly tokenizer: Tokenizer;
  private readonly idToLanguage = new Map<number, string>();

  private constructor(tokenizer: Tokenizer, special: WhisperSpecialTokens, languages: Map<string, number>) {
    this.tokenizer = tokenizer;
    this.special = special;
    this.languages = languages;
    for (const [code, id] of languages) this.idToLanguage.set(id, code);
  }

  /**
   * Builds the tokenizer from a parsed `tokenizer.json` (and optionally `tokenizer_config.json`).
   * Throws {@link ModelUnrecognizedError} when the vocabulary is not Whisper's.
   */
  static fromJson(tokenizerJson: object, tokenizerConfig: object = {}): WhisperTokenizer {
    let tokenizer: Tokenizer;
    try {
      tokenizer = new Tokenizer(tokenizerJson, tokenizerConfig);
    } catch (e) {
      throw new ModelUnrecognizedError(
        {
          model: 'tokenizer.json',
          found: `it cannot be read as a tokenizer (${(e as Error).message})`,
          hint: 'Use the tokenizer.json exported with the Whisper model.',
        },
        { cause: e },
      );
    }
    const id = (t: string): number | undefined => tokenizer.token_to_id(t);
    const need = (t: string): number => {
      const v = id(t);
      if (v === undefined) {
        throw new ModelUnrecognizedError(
          {
            model: 'tokenizer.json',
            found: `it has no '${t}' token, so it is not a Whisper tokenizer`,
            hint: 'Use the tokenizer.json exported with the Whisper model.',
          },
          { details: { token: t } },
        );
      }
      return v;
    };
    const noTimestamps = need('<|notimestamps|>');
    const zero = id('<|0.00|>');
    const special: WhisperSpecialTokens = {
      eot: need('<|endoftext|>'),
      sot: need('<|startoftranscript|>'),
      sotPrev: need('<|startofprev|>'),
      sotLm: id('<|startoflm|>'),
      transcribe: id('<|transcribe|>'),
      translate: id('<|translate|>'),
      noSpeech: id('<|nospeech|>') ?? id('<|nocaptions|>'),
      noTimestamps,
      timestampBegin: zero ?? noTimestamps + 1,
    };
    const languages = new Map<string, number>();
    // Language tokens sit between <|startoftranscript|> and <|translate|> in every Whisper vocabulary.
    const end = special.translate ?? special.sot + 1;
    for (let i = special.sot + 1; i < end; i++) {
      const t = tokenizer.id_to_token(i);
      const m = t === undefined ? null : /^<\|([a-z]{2,3}|haw|yue)\|>$/.exec(t);
      if (m?.[1]) languages.set(m[1], i);
    }
    return new WhisperTokenizer(tokenizer, special, languages);
  }

  /** Token ids of `text`, without special tokens. */
  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text of the ids; special and timestamp tokens are dropped. */
  decode(ids: readonly number[]): string {
    const text = ids.filter((t) => t < this.special.eot);
    return text.length === 0 ? '' : this.tokenizer.decode(text, { skip_special_tokens: true });
  }

  /** The token of a language code, or undefined when the model does not know it. */
  languageToken(code: string): number | undefined {
    return this.languages.get(code.toLowerCase());
  }

  /** The language code of a language token id. */
  languageOf(tokenId: number): string | undefined {
    return this.idToLanguage.get(tokenId);
  }

  /** True for timestamp tokens (`<|0.00|>` …). */
  isTimestamp(tokenId: number): boolean {
    return tokenId >= this.special.timestampBegin;
  }

  /** The string piece of one token (for word splitting), or '' for special tokens. */
  tokenText(tokenId: number): string {
    if (tokenId >= this.special.eot) return '';
    return this.tokenizer.decode([tokenId], { skip_special_tokens: true });
  }
}
