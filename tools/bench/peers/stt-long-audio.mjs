/**
 * "The 36 s file" of the speech benchmarks (issue #14), made the same way on every machine: the five LibriVox
 * clips of .cache/test-media/speech (tools/test/fetch-test-media.sh; 16 kHz mono 16-bit, 24.73 s together) in
 * file-name order, with 1.0 s of digital silence before the first, 2.3 s between clips, and silence after the
 * last up to exactly 36.000 s (576,000 samples). The clips' PCM bytes are copied as they are (no resampling, no
 * rescaling). Written once to .cache/bench-speech-36s.wav; a file already there is checked by size and reused.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';

const RATE = 16000;
const LEAD_S = 1.0;
const GAP_S = 2.3;
const TOTAL_S = 36;

/** The PCM bytes of a 16 kHz mono 16-bit WAV file's `data` chunk (throws on any other format). */
function pcm16Of(file) {
  const b = readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${file}: not a WAV file`);
  let fmt;
  for (let at = 12; at + 8 <= b.length;) {
    const id = b.toString('ascii', at, at + 4);
    const size = b.readUInt32LE(at + 4);
    const body = b.subarray(at + 8, at + 8 + size);
    if (id === 'fmt ') {
      fmt = {
        format: body.readUInt16LE(0),
        channels: body.readUInt16LE(2),
        rate: body.readUInt32LE(4),
        bits: body.readUInt16LE(14),
      };
    } else if (id === 'data') {
      if (!fmt || fmt.format !== 1 || fmt.channels !== 1 || fmt.rate !== RATE || fmt.bits !== 16) {
        throw new Error(`${file}: expected 16 kHz mono 16-bit PCM, found ${JSON.stringify(fmt)}`);
      }
      return body;
    }
    at += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

/**
 * Path of the 36 s file under `root` (the repository root, or any folder, ending in `/`): `.cache/bench-speech-36s.wav`,
 * written if missing from the clips in `media` (default `<root>.cache/test-media/speech/`).
 */
export function longSpeechFile(root, media = `${root}.cache/test-media/speech/`) {
  const out = `${root}.cache/bench-speech-36s.wav`;
  const dataBytes = TOTAL_S * RATE * 2;
  if (existsSync(out) && statSync(out).size === 44 + dataBytes) return out;
  const dir = media.endsWith('/') ? media : `${media}/`;
  const clips = readdirSync(dir)
    .filter((f) => f.endsWith('.wav'))
    .sort()
    .map((f) => pcm16Of(dir + f));
  mkdirSync(`${root}.cache`, { recursive: true });
  const wav = Buffer.alloc(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVEfmt ', 8, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20); // PCM
  wav.writeUInt16LE(1, 22); // mono
  wav.writeUInt32LE(RATE, 24);
  wav.writeUInt32LE(RATE * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  let at = 44 + LEAD_S * RATE * 2;
  clips.forEach((pcm, i) => {
    if (i > 0) at += Math.round(GAP_S * RATE) * 2;
    if (at + pcm.length > wav.length) throw new Error('the clips do not fit in 36 s');
    pcm.copy(wav, at);
    at += pcm.length;
  });
  writeFileSync(`${out}.tmp`, wav);
  renameSync(`${out}.tmp`, out);
  return out;
}
