/**
 * Word error rate of Whisper tiny.en int8 (tools/fixtures/models) with its encoder as exported and with the encoder
 * self-attention fused (`rewriteGraph: { encoderAttention: false | true }`), side by side on the same audio (prints
 * figures; not a test). Speech:
 * - the five LibriVox clips of .cache/test-media/speech (tools/test/fetch-test-media.sh), real;
 * - the five pocketsphinx "cards" clips (tools/bench/wer-corpus.sh), real;
 * - the fortune sentences of tools/bench/wer-corpus.sh spoken by the Piper voice en_US-joe-medium
 *   (.cache/voices, tools/test/setup-test-deps.sh) with its default noise, at speeds 0.9 / 1.0 / 1.15 in turn,
 *   written once to .cache/bench-wer/tts/ (later runs reuse the same audio).
 * Each file is transcribed by both variants (temperature 0, no VAD, greedy and beam 5); WER uses a plain normalizer
 * (tools/test/wer.ts: lower case, numbers up to 99 spelled out, hyphens to spaces, punctuation dropped). Also printed: how many transcripts are identical between the
 * variants, and the ones that differ. Run:
 *   bash tools/bench/wer-corpus.sh
 *   cd packages/run-onnx && node --conditions=@llama-pajamas/source --import tsx ../../tools/bench/stt-wer.ts
 * `BENCH_LIMIT` (sentences, default all), `BENCH_BEAMS` (default 1,5).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeWav } from '../../packages/run-core/src/index.js';
import { loadSpeechToText, loadTextToSpeech } from '../../packages/run-onnx/src/index.js';
import { normalizeWords, wordEdits } from '../test/wer.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const corpus = join(root, '.cache/bench-wer');
const beams = (process.env.BENCH_BEAMS ?? '1,5').split(',').map(Number);
const limit = Number(process.env.BENCH_LIMIT ?? Infinity);
const SPEEDS = [0.9, 1.0, 1.15];

interface Clip {
  readonly set: string;
  readonly file: string;
  readonly text: string;
}

/** "file.wav<TAB>text" lines of a folder's transcripts.tsv, as clips. */
function tsvClips(set: string, dir: string): Clip[] {
  return readFileSync(join(dir, 'transcripts.tsv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [file, text] = line.split('\t') as [string, string];
      return { set, file: join(dir, file), text };
    });
}

/** The fortune sentences as speech (synthesized on the first run). */
async function ttsClips(): Promise<Clip[]> {
  const sentences = readFileSync(join(corpus, 'sentences.txt'), 'utf8').split('\n').filter(Boolean).slice(0, limit);
  const dir = join(corpus, 'tts');
  mkdirSync(dir, { recursive: true });
  const clips = sentences.map((text, i) => ({
    set: 'piper',
    file: join(dir, `${String(i).padStart(3, '0')}.wav`),
    text,
  }));
  const missing = clips.filter((c) => !existsSync(c.file));
  if (missing.length > 0) {
    const voice = join(root, '.cache/voices/en_US-joe-medium/en_US-joe-medium.onnx');
    const tts = await loadTextToSpeech(voice);
    for (const c of missing) {
      const i = clips.indexOf(c);
      const audio = await tts.synthesize(c.text, { speed: SPEEDS[i % SPEEDS.length] as number });
      writeFileSync(c.file, encodeWav(audio));
    }
    await tts.unload();
    console.log(`synthesized ${missing.length} sentences into ${dir}`);
  }
  return clips;
}

const words = (text: string): string[] => normalizeWords(text, { spellNumbers: true });

const clips = [
  ...tsvClips('librivox', join(root, '.cache/test-media/speech')),
  ...tsvClips('cards', join(corpus, 'cards')),
  ...(await ttsClips()),
];
const model = join(root, 'tools/fixtures/models/whisper-tiny.en-int8');
const variants = {
  'as exported': await loadSpeechToText(model, { vad: false, rewriteGraph: { encoderAttention: false } }),
  'fused attention': await loadSpeechToText(model, { vad: false, rewriteGraph: { encoderAttention: true } }),
};
const names = Object.keys(variants) as (keyof typeof variants)[];
const sets = [...new Set(clips.map((c) => c.set))];
const seconds = new Map<string, number>();
console.log('| decoding | speech | clips (audio) | WER as exported | WER fused attention | identical transcripts |');
console.log('| --- | --- | --- | --- | --- | --- |');
const differing: string[] = [];
for (const beamSize of beams) {
  const decoding = beamSize === 1 ? 'greedy' : `beam ${beamSize}`;
  const total = { words: 0, same: 0, n: 0, errors: new Map(names.map((n) => [n, 0])) };
  for (const set of sets) {
    const inSet = clips.filter((c) => c.set === set);
    const errors = new Map(names.map((n) => [n, 0]));
    let refWords = 0;
    let same = 0;
    let audio = 0;
    for (const c of inSet) {
      const ref = words(c.text);
      refWords += ref.length;
      const texts = new Map<string, string>();
      for (const name of names) {
        const r = await variants[name].transcribe(c.file, { beamSize, temperature: 0, language: 'en' });
        texts.set(name, r.text.trim());
        errors.set(name, (errors.get(name) as number) + wordEdits(ref, words(r.text)));
        if (!seconds.has(c.file)) seconds.set(c.file, r.duration ?? 0);
      }
      audio += seconds.get(c.file) ?? 0;
      const [a, b] = names.map((n) => texts.get(n) as string);
      if (a === b) same++;
      else
        differing.push(`${decoding}, ${c.file.slice(root.length)}: ref "${c.text}" | exported "${a}" | fused "${b}"`);
    }
    const wer = (n: string): string => `${((100 * (errors.get(n) as number)) / refWords).toFixed(2)} %`;
    console.log(
      `| ${decoding} | ${set} | ${inSet.length} (${audio.toFixed(0)} s) | ${wer(names[0] as string)} | ${wer(names[1] as string)} | ${same}/${inSet.length} |`,
    );
    total.words += refWords;
    total.same += same;
    total.n += inSet.length;
    for (const n of names) total.errors.set(n, (total.errors.get(n) as number) + (errors.get(n) as number));
  }
  const w = (n: string): string => `${((100 * (total.errors.get(n) as number)) / total.words).toFixed(2)} %`;
  console.log(
    `| ${decoding} | all | ${total.n} | ${w(names[0] as string)} | ${w(names[1] as string)} | ${total.same}/${total.n} |`,
  );
}
for (const d of differing) console.log(`- ${d}`);
for (const v of Object.values(variants)) await v.unload();
