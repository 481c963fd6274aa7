// The one-shot commands, run as a user runs them: the built cli (dist/cli.js) spawned with real models — YOLOX-nano
// and MobileNetV2 that the repository carries, real Whisper tiny.en int8, the real CC0 Piper voice that
// `tools/setup.sh` fetches — on real photos and speech (tools/test/fetch-test-media.sh).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asset } from '../../../tools/test/assets.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const cli = join(root, 'dist/cli.js');
const out = mkdtempSync(join(tmpdir(), 'lp-one-shot-'));
const yolox = asset('models/detection/yolox_nano.onnx');
const classifier = asset('models/classification');
const embedder = asset('models/embedding');
const whisper = join(repo, 'tools/fixtures/models/whisper-tiny.en-int8');
const voice = join(repo, '.cache/voices/en_US-joe-medium/en_US-joe-medium.onnx');
const dog = asset('media/images/dog.jpg');
const speech = asset('media/speech/sense_and_sensibility_01_austen_64kb-0880.wav');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: out });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

// Each case spawns the cli and loads a real model: generous limits for a loaded 2-core machine.
describe.runIf(existsSync(cli))('one-shot commands (built cli)', { timeout: 240_000 }, () => {
  it('detect: labelled boxes as text and --json', async () => {
    const text = await run(['detect', dog, '-m', yolox]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^dog +0\.8\d +\[13\d, 20\d, 32\d, 54\d\]$/m);
    const json = await run(['detect', dog, '-m', yolox, '--json', '--confidence', '0.5', '--classes', 'dog,bicycle']);
    expect(json.code, json.stderr).toBe(0);
    const body = JSON.parse(json.stdout) as { detections: { label: string }[]; imageWidth: number };
    expect(body.detections.map((d) => d.label).sort()).toEqual(['bicycle', 'dog']);
    expect(body.imageWidth).toBe(768);
  });

  it('detect --annotate draws the boxes where the detections are', async () => {
    const file = join(out, 'boxes.png');
    const r = await run(['detect', dog, '-m', yolox, '--annotate', file, '--json', '--classes', 'dog']);
    expect(r.code, r.stderr).toBe(0);
    const [d] = (JSON.parse(r.stdout) as { detections: { box: { x1: number; y1: number; x2: number; y2: number } }[] })
      .detections;
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([768, 576]);
    const px = (x: number, y: number): number[] => {
      const i = (Math.round(y) * info.width + Math.round(x)) * info.channels;
      return [data[i]!, data[i + 1]!, data[i + 2]!];
    };
    // The dog (class 16) gets the first palette colour, #ff3b30, on its left edge halfway down.
    const [r0, g0, b0] = px(d!.box.x1, (d!.box.y1 + d!.box.y2) / 2);
    expect(r0).toBeGreaterThan(200);
    expect(g0).toBeLessThan(110);
    expect(b0).toBeLessThan(110);
  });

  it('classify a model folder; embed an image; the exit code for a text on an image-only model is 5', async () => {
    const c = await run([
      'classify',
      asset('media/images/grace_hopper_512x512.jpg'),
      '-m',
      classifier,
      '-k',
      '2',
      '--json',
    ]);
    expect(c.code, c.stderr).toBe(0);
    const body = JSON.parse(c.stdout) as { predictions: { label: string }[] };
    expect(body.predictions.map((p) => p.label)).toEqual(['military uniform', 'bow tie']);
    const e = await run(['embed', dog, '-m', embedder]);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/^1280 dims \(L2-normalised\): \[/);
    const t = await run(['embed', '--text', 'a dog', '-m', embedder]);
    expect(t.code).toBe(5);
    expect(t.stderr).toMatch(/cannot embed text/);
  });

  it('transcribe: text, and vtt into a file', async () => {
    const text = await run(['transcribe', speech, '-m', whisper, '--dtype', 'int8']);
    expect(text.code, text.stderr).toBe(0);
    // Whisper tiny.en (with VAD, the default) hears "an old-sposed young man" in this clip; without VAD "ill-disposed".
    expect(text.stdout.trim()).toMatch(/^He was not an [a-z-]+ young man\.$/);
    const file = join(out, 'clip.vtt');
    const vtt = await run(['transcribe', speech, '-m', whisper, '--dtype', 'int8', '-f', 'vtt', '-o', file]);
    expect(vtt.code, vtt.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(
      /^WEBVTT\n\n00:00:0\d\.\d{3} --> 00:00:0\d\.\d{3}\nHe was not an [a-z-]+ young man\./,
    );
  });

  it.runIf(existsSync(voice))('speak writes mp3 that transcribes back to the same words', async () => {
    const file = join(out, 'hello.mp3');
    const s = await run(['speak', 'He was not an ill disposed young man.', '-m', voice, '-o', file, '--json']);
    expect(s.code, s.stderr).toBe(0);
    const summary = JSON.parse(s.stdout) as { format: string; seconds: number; sampleRate: number };
    expect(summary).toMatchObject({ format: 'mp3', sampleRate: 22050 });
    expect(summary.seconds).toBeGreaterThan(1.5);
    const back = await run(['transcribe', file, '-m', whisper, '--dtype', 'int8']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout.toLowerCase()).toMatch(/not an ill.disposed young man/);
  });

  describe('inputs from http(s) URLs', () => {
    let url = '';
    const server = createServer((req, res) => {
      if (req.url === '/dog.jpg') res.writeHead(200, { 'content-type': 'image/jpeg' }).end(readFileSync(dog));
      else res.writeHead(404).end('no');
    });
    beforeAll(async () => {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('downloads the image; a 404 is exit 4 with the URL in the message', async () => {
      const ok = await run(['detect', `${url}/dog.jpg`, '-m', yolox, '--json']);
      expect(ok.code, ok.stderr).toBe(0);
      expect((JSON.parse(ok.stdout) as { detections: { label: string }[] }).detections[0]!.label).toBe('dog');
      const missing = await run(['detect', `${url}/cat.jpg`, '-m', yolox]);
      expect(missing.code).toBe(4);
      expect(missing.stderr).toContain(`Could not download ${url}/cat.jpg: HTTP 404`);
    });
  });

  it('exit codes: usage 2, missing model 3, unreadable input 4; --help teaches with examples', async () => {
    expect((await run(['detect', dog])).code).toBe(2);
    expect((await run(['detect', dog, '-m', yolox, '--confidence', '7'])).code).toBe(2);
    const noModel = await run(['detect', dog, '-m', join(out, 'nope.onnx')]);
    expect(noModel.code).toBe(3);
    expect(noModel.stderr).toMatch(/No readable model file or folder at ".*nope\.onnx"/);
    const badImage = await run(['detect', join(out, 'missing.jpg'), '-m', yolox]);
    expect(badImage.code).toBe(4);
    const help = await run(['transcribe', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Examples:\n {2}llama-pajamas transcribe meeting\.mp3/);
  });
});
