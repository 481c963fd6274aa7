import { downloadLink, field, formatMs, h, modelSelect, StatusLine, tabLayout } from '../dom.js';
import { speechSnippet } from '../snippets.js';
import { wavFromPcm16, wavLayout } from '../wav.js';
import { CodePanel } from '../widgets.js';
import type { TabContext, TabView } from './context.js';

const FORMATS = ['mp3', 'wav', 'opus', 'flac', 'aac', 'pcm'] as const;
type Format = (typeof FORMATS)[number];
const VOICES = [
  'alloy',
  'ash',
  'ballad',
  'coral',
  'echo',
  'fable',
  'onyx',
  'nova',
  'sage',
  'shimmer',
  'verse',
  'marin',
  'cedar',
];
const MIME: Record<Format, string> = {
  mp3: 'audio/mpeg',
  wav: 'audio/wav',
  opus: 'audio/ogg',
  flac: 'audio/flac',
  aac: 'audio/aac',
  pcm: 'audio/L16',
};
/** `pcm` is raw 24 kHz signed 16-bit little-endian mono (docs/api.md). */
const PCM_RATE = 24_000;

/** Plays 16-bit PCM chunks as they arrive, back to back, with the Web Audio API. */
class PcmPlayer {
  private readonly audio = new AudioContext();
  private at = 0;
  private carry: Uint8Array = new Uint8Array(0);

  constructor(private readonly sampleRate: number) {}

  push(bytes: Uint8Array): void {
    const all = new Uint8Array(this.carry.byteLength + bytes.byteLength);
    all.set(this.carry);
    all.set(bytes, this.carry.byteLength);
    const usable = all.byteLength - (all.byteLength % 2);
    this.carry = all.slice(usable);
    if (usable === 0) return;
    const view = new DataView(all.buffer, 0, usable);
    const samples = new Float32Array(usable / 2);
    for (let i = 0; i < samples.length; i++) samples[i] = view.getInt16(i * 2, true) / 32768;
    const buffer = this.audio.createBuffer(1, samples.length, this.sampleRate);
    buffer.copyToChannel(samples, 0);
    const source = this.audio.createBufferSource();
    source.buffer = buffer;
    source.connect(this.audio.destination);
    this.at = Math.max(this.at, this.audio.currentTime + 0.05);
    source.start(this.at);
    this.at += buffer.duration;
  }

  /** Closes the context once everything queued has played. */
  finish(): void {
    const left = Math.max(0, this.at - this.audio.currentTime);
    setTimeout(() => void this.audio.close(), left * 1000 + 200);
  }
}

/** Feeds mp3 chunks to an `<audio>` element through Media Source Extensions as they arrive. */
class MseFeed {
  private readonly source = new MediaSource();
  private buffer: SourceBuffer | undefined;
  private readonly queue: Uint8Array[] = [];
  private ended = false;
  readonly url = URL.createObjectURL(this.source);

  constructor(mime: string) {
    this.source.addEventListener('sourceopen', () => {
      this.buffer = this.source.addSourceBuffer(mime);
      this.buffer.addEventListener('updateend', () => this.pump());
      this.pump();
    });
  }

  private pump(): void {
    const b = this.buffer;
    if (!b || b.updating) return;
    const next = this.queue.shift();
    if (next) b.appendBuffer(next as Uint8Array<ArrayBuffer>);
    else if (this.ended && this.source.readyState === 'open') this.source.endOfStream();
  }

  push(bytes: Uint8Array): void {
    this.queue.push(bytes);
    this.pump();
  }

  end(): void {
    this.ended = true;
    this.pump();
  }
}

function canStream(format: Format): boolean {
  if (format === 'pcm' || format === 'wav') return typeof AudioContext !== 'undefined';
  if (format === 'mp3') return typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported('audio/mpeg');
  return false;
}

/** The Speak tab: text → audio with voice, speed and format; played, downloadable, streamed where it can be. */
export function speakTab(ctx: TabContext): TabView {
  const text = h(
    'textarea',
    { rows: 4, maxlength: 4096 },
    'Hello from llama pajamas. This voice runs on your own machine.',
  );
  const model = modelSelect(ctx.models.map((m) => m.id));
  const voiceList = h('datalist', { id: 'speak-voices' }, ...VOICES.map((v) => h('option', { value: v })));
  const voice = h('input', { type: 'text', list: voiceList.id, value: 'alloy', autocomplete: 'off' });
  const speed = h('input', { type: 'range', min: 0.25, max: 4, step: 0.05, value: 1, id: 'speak-speed' });
  const speedValue = h('output', { for: speed.id }, '1.00×');
  const format = h('select', {}, ...FORMATS.map((f) => h('option', { value: f }, f)));
  const stream = h('input', { type: 'checkbox', id: 'speak-stream', disabled: true });
  const streamHint = h('small', { class: 'hint', id: 'speak-stream-hint' });
  const status = new StatusLine();
  status.info('Type some text and select Speak.');
  const player = h('audio', { controls: true, hidden: true, 'data-testid': 'speech-audio' });
  const downloads = h('div', { class: 'row downloads' });
  const code = new CodePanel();
  let playerUrl: string | undefined;

  speed.addEventListener('input', () => {
    speedValue.textContent = `${Number(speed.value).toFixed(2)}×`;
  });
  function syncStream(): void {
    const f = format.value as Format;
    const ok = canStream(f);
    // On by default wherever the browser can play the format as it arrives.
    if (ok && stream.disabled) stream.checked = true;
    stream.disabled = !ok;
    if (!ok) stream.checked = false;
    streamHint.textContent = ok
      ? 'Plays while the server is still speaking.'
      : `Streaming playback needs mp3, wav or pcm in this browser; ${f} plays when complete.`;
  }
  stream.setAttribute('aria-describedby', streamHint.id);
  format.addEventListener('change', syncStream);
  syncStream();

  function show(blob: Blob, playable: Blob, stem: string, f: Format): void {
    if (playerUrl) URL.revokeObjectURL(playerUrl);
    playerUrl = URL.createObjectURL(playable);
    player.src = playerUrl;
    player.hidden = false;
    downloads.replaceChildren(downloadLink(blob, `${stem}.${f}`, `Download .${f}`));
  }

  async function speak(): Promise<void> {
    const f = format.value as Format;
    const body: Record<string, unknown> = {
      model: model.value,
      input: text.value,
      voice: voice.value.trim() || 'alloy',
      response_format: f,
      speed: Number(speed.value),
    };
    const streaming = stream.checked && canStream(f);
    if (streaming) body.stream_format = 'audio';
    code.update(speechSnippet(ctx.target(), body, `speech.${f}`));
    status.info('Speaking…');
    downloads.replaceChildren();
    const t0 = performance.now();
    try {
      const response = await ctx.api.postJson('/v1/audio/speech', body);
      if (!streaming || !response.body) {
        const blob = await response.blob();
        const typed = new Blob([blob], { type: MIME[f] });
        const playable = f === 'pcm' ? wavFromPcm16(new Uint8Array(await blob.arrayBuffer()), PCM_RATE) : typed;
        show(typed, playable, 'speech', f);
        status.info(`${(blob.size / 1024).toFixed(1)} KiB of ${f} in ${formatMs(performance.now() - t0)}.`);
        await player.play().catch(() => undefined);
        return;
      }
      const reader = response.body.getReader();
      const chunks: Uint8Array[] = [];
      let first = 0;
      let pcm: PcmPlayer | undefined;
      let mse: MseFeed | undefined;
      let head = new Uint8Array(0);
      let layout: { dataOffset: number; sampleRate: number } | undefined =
        f === 'pcm' ? { dataOffset: 0, sampleRate: PCM_RATE } : undefined;
      if (f === 'mp3') {
        mse = new MseFeed('audio/mpeg');
        player.src = mse.url;
        player.hidden = false;
        void player.play().catch(() => undefined);
      }
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        if (first === 0) first = performance.now() - t0;
        chunks.push(value);
        if (mse) {
          mse.push(value);
          continue;
        }
        let bytes = value;
        if (!layout) {
          // A streamed WAV starts with an open-ended header: play what follows its `data` chunk header.
          const joined = new Uint8Array(head.byteLength + value.byteLength);
          joined.set(head);
          joined.set(value, head.byteLength);
          layout = wavLayout(joined);
          if (!layout) {
            head = joined;
            continue;
          }
          bytes = joined.subarray(layout.dataOffset);
        }
        pcm ??= new PcmPlayer(layout.sampleRate);
        pcm.push(bytes);
      }
      mse?.end();
      pcm?.finish();
      const blob = new Blob(chunks as Uint8Array<ArrayBuffer>[], { type: MIME[f] });
      if (!mse) {
        const all = new Uint8Array(await blob.arrayBuffer());
        const l = layout ?? wavLayout(all);
        const playable = l ? wavFromPcm16(all.subarray(l.dataOffset), l.sampleRate) : blob;
        show(blob, playable, 'speech', f);
      } else {
        downloads.replaceChildren(downloadLink(blob, `speech.${f}`, `Download .${f}`));
      }
      status.info(
        `First audio after ${formatMs(first)}; ${(blob.size / 1024).toFixed(1)} KiB of ${f} in ${formatMs(performance.now() - t0)}.`,
      );
    } catch (error) {
      status.error(error);
    }
  }

  const form = h(
    'form',
    { class: 'controls' },
    field('Text', text, 'Up to 4096 characters.'),
    field('Model', model),
    field('Voice', voice, "OpenAI's names map onto the voice's speakers; a speaker name or number picks one."),
    voiceList,
    h('div', { class: 'field' }, h('label', { for: speed.id }, 'Speed ', speedValue), speed),
    field('Format', format),
    h('div', { class: 'field check' }, stream, h('label', { for: stream.id }, 'Stream playback'), streamHint),
    h('button', { type: 'submit' }, 'Speak'),
  );
  const element = tabLayout(form, () => void speak(), 'Audio', [status.element, player, downloads], code.element);
  return { element };
}
