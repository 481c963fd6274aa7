import { readSse } from '../api.js';
import { downloadLink, field, formatMs, h, modelSelect, StatusLine, tabLayout } from '../dom.js';
import { transcriptionSnippet } from '../snippets.js';
import { clock, toSrt, toVtt, type Segment } from '../subtitles.js';
import { CodePanel } from '../widgets.js';
import type { TabContext, TabView } from './context.js';

interface VerboseTranscript {
  text: string;
  language: string;
  duration: number;
  segments: Segment[];
}

const MAX_AUDIO_BYTES = 25 * 1024 * 1024;

function baseName(name: string): string {
  return name.replace(/\.[^.]+$/, '') || 'transcript';
}

/**
 * The Transcribe tab: upload or record → the transcript streams in (`transcript.text.delta`), then the segments
 * with timestamps (a `verbose_json` request) that seek the player, and srt/vtt/json downloads.
 */
export function transcribeTab(ctx: TabContext): TabView {
  const file = h('input', { type: 'file', accept: 'audio/*,.wav,.mp3,.flac,.ogg,.opus,.m4a,.webm' });
  const model = modelSelect(ctx.models.map((m) => m.id));
  const language = h('input', { type: 'text', placeholder: 'auto', maxlength: 8, autocomplete: 'off', size: 6 });
  const stream = h('input', { type: 'checkbox', checked: true, id: 'transcribe-stream' });
  const record = h('button', { type: 'button', class: 'secondary' }, 'Record');
  const player = h('audio', { controls: true, preload: 'metadata', hidden: true });
  const status = new StatusLine();
  status.info('Choose a file or record: the transcript streams in here.');
  const transcript = h('p', { class: 'transcript', 'aria-live': 'polite', 'data-state': 'idle' });
  const segmentList = h('ol', { class: 'segments', 'aria-label': 'Segments (select one to play from there)' });
  const downloads = h('div', { class: 'row downloads' });
  const code = new CodePanel();
  let current: { blob: Blob; name: string } | undefined;
  let playerUrl: string | undefined;
  let recorder: MediaRecorder | undefined;
  let run = 0;

  if (typeof MediaRecorder === 'undefined' || !navigator.mediaDevices?.getUserMedia) record.hidden = true;

  function setAudio(blob: Blob, name: string): void {
    if (blob.size > MAX_AUDIO_BYTES) {
      status.error(`'${name}' is ${(blob.size / 1048576).toFixed(1)} MiB; the server takes audio up to 25 MiB.`);
      return;
    }
    current = { blob, name };
    if (playerUrl) URL.revokeObjectURL(playerUrl);
    playerUrl = URL.createObjectURL(blob);
    player.src = playerUrl;
    player.hidden = false;
    void transcribe();
  }

  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f) setAudio(f, f.name);
  });

  record.addEventListener('click', () => void toggleRecording());
  async function toggleRecording(): Promise<void> {
    if (recorder && recorder.state === 'recording') {
      recorder.stop();
      return;
    }
    let media: MediaStream;
    try {
      media = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      status.error(`The microphone is not available: ${error instanceof Error ? error.message : String(error)}.`);
      return;
    }
    const type = ['audio/webm;codecs=opus', 'audio/ogg;codecs=opus', 'audio/webm'].find((t) =>
      MediaRecorder.isTypeSupported(t),
    );
    const rec = new MediaRecorder(media, type ? { mimeType: type } : {});
    const chunks: Blob[] = [];
    rec.addEventListener('dataavailable', (e) => chunks.push(e.data));
    rec.addEventListener('stop', () => {
      for (const track of media.getTracks()) track.stop();
      record.textContent = 'Record';
      record.setAttribute('aria-pressed', 'false');
      const mime = rec.mimeType || 'audio/webm';
      setAudio(new Blob(chunks, { type: mime }), mime.includes('ogg') ? 'recording.ogg' : 'recording.webm');
    });
    rec.start();
    recorder = rec;
    record.textContent = 'Stop recording';
    record.setAttribute('aria-pressed', 'true');
    status.info('Recording… select “Stop recording” to transcribe.');
  }

  function fields(extra: Record<string, string>): Record<string, string> {
    const f: Record<string, string> = { model: model.value };
    if (language.value.trim()) f.language = language.value.trim();
    return { ...f, ...extra };
  }

  function form(source: { blob: Blob; name: string }, f: Record<string, string>): FormData {
    const data = new FormData();
    data.append('file', source.blob, source.name);
    for (const [k, v] of Object.entries(f)) data.append(k, v);
    return data;
  }

  async function transcribe(): Promise<void> {
    const source = current;
    if (!source) {
      status.error('Choose or record audio first.');
      return;
    }
    const mine = ++run;
    transcript.textContent = '';
    segmentList.replaceChildren();
    downloads.replaceChildren();
    const t0 = performance.now();
    try {
      if (stream.checked) {
        const f = fields({ stream: 'true' });
        code.update(transcriptionSnippet(ctx.target(), source.name, f));
        transcript.dataset.state = 'streaming';
        status.info('Transcribing (streaming)…');
        const response = await ctx.api.postForm('/v1/audio/transcriptions', form(source, f));
        if (!response.body) throw new Error('The response has no body to stream.');
        for await (const event of readSse(response.body)) {
          if (mine !== run) return;
          if (event.type === 'transcript.text.delta' && typeof event.delta === 'string') {
            transcript.textContent += event.delta;
          } else if (event.type === 'transcript.text.done' && typeof event.text === 'string') {
            transcript.textContent = event.text;
          }
        }
        transcript.dataset.state = 'done';
        status.info(`Transcribed in ${formatMs(performance.now() - t0)}; finding the segments' timestamps…`);
      } else {
        transcript.dataset.state = 'waiting';
        status.info('Transcribing…');
      }
      const f = fields({ response_format: 'verbose_json', 'timestamp_granularities[]': 'segment' });
      if (!stream.checked) code.update(transcriptionSnippet(ctx.target(), source.name, f));
      const response = await ctx.api.postForm('/v1/audio/transcriptions', form(source, f));
      const verbose = (await response.json()) as VerboseTranscript;
      if (mine !== run) return;
      if (!stream.checked) transcript.textContent = verbose.text;
      transcript.dataset.state = 'done';
      showSegments(verbose, source.name);
      status.info(
        `${verbose.segments.length} segment(s), ${verbose.duration.toFixed(2)} s of ${verbose.language}, in ${formatMs(performance.now() - t0)}.`,
      );
    } catch (error) {
      transcript.dataset.state = 'error';
      status.error(error);
    }
  }

  function showSegments(verbose: VerboseTranscript, name: string): void {
    segmentList.replaceChildren(
      ...verbose.segments.map((s) =>
        h(
          'li',
          {},
          h(
            'button',
            {
              type: 'button',
              class: 'segment',
              'data-start': s.start,
              'data-end': s.end,
              onclick: () => {
                player.currentTime = s.start;
                void player.play().catch(() => undefined);
              },
            },
            h('span', { class: 'time' }, `${clock(s.start)} – ${clock(s.end)}`),
            ' ',
            s.text.trim(),
          ),
        ),
      ),
    );
    const stem = baseName(name);
    downloads.replaceChildren(
      downloadLink(new Blob([toSrt(verbose.segments)], { type: 'text/plain' }), `${stem}.srt`, 'Download .srt'),
      downloadLink(new Blob([toVtt(verbose.segments)], { type: 'text/vtt' }), `${stem}.vtt`, 'Download .vtt'),
      downloadLink(
        new Blob([JSON.stringify(verbose, null, 2)], { type: 'application/json' }),
        `${stem}.json`,
        'Download .json',
      ),
    );
  }

  player.addEventListener('timeupdate', () => {
    for (const b of segmentList.querySelectorAll<HTMLButtonElement>('button.segment')) {
      const on = player.currentTime >= Number(b.dataset.start) && player.currentTime < Number(b.dataset.end);
      if (on) b.setAttribute('aria-current', 'true');
      else b.removeAttribute('aria-current');
    }
  });

  const again = h('button', { type: 'submit' }, 'Transcribe');
  const controls = h(
    'form',
    { class: 'controls' },
    field('Audio file', file, 'wav, mp3, flac, ogg/opus, m4a or webm, up to 25 MiB.'),
    h('div', { class: 'row' }, record),
    field('Model', model),
    field('Language (ISO 639-1)', language, 'Empty: the model decides.'),
    h('div', { class: 'field check' }, stream, h('label', { for: stream.id }, 'Stream the text as it is decoded')),
    again,
  );
  const element = tabLayout(
    controls,
    () => void transcribe(),
    'Transcript',
    [player, status.element, transcript, segmentList, downloads],
    code.element,
  );
  return { element };
}
