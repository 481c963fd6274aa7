/** Shared widgets: tab lists (WAI-ARIA keyboard pattern), the code panel, and the image picker. */
import { h, uid } from './dom.js';
import type { Snippet } from './snippets.js';

/** A tab of a {@link TabList}. */
export interface TabItem {
  id: string;
  label: string;
}

/**
 * A WAI-ARIA tab list: arrow keys, Home and End move between tabs; only the selected tab is in the tab order.
 * The caller shows and hides panels in `onSelect`.
 */
export class TabList {
  readonly element: HTMLDivElement;
  readonly buttons = new Map<string, HTMLButtonElement>();
  selected = '';

  constructor(
    label: string,
    items: readonly TabItem[],
    private readonly onSelect: (id: string) => void,
    idPrefix = uid('tabs'),
  ) {
    this.element = h('div', { role: 'tablist', 'aria-label': label, class: 'tablist' });
    for (const item of items) {
      const button = h(
        'button',
        {
          type: 'button',
          role: 'tab',
          id: `${idPrefix}-tab-${item.id}`,
          'aria-controls': `${idPrefix}-panel-${item.id}`,
          'aria-selected': 'false',
          tabindex: '-1',
          'data-tab': item.id,
          onclick: () => this.select(item.id, true),
        },
        item.label,
      );
      this.buttons.set(item.id, button);
      this.element.append(button);
    }
    this.element.addEventListener('keydown', (event) => this.onKey(event));
  }

  /** The id a panel must carry for `aria-controls`. */
  static panelId(prefix: string, id: string): string {
    return `${prefix}-panel-${id}`;
  }

  private onKey(event: KeyboardEvent): void {
    const ids = [...this.buttons.keys()];
    const at = ids.indexOf(this.selected);
    let next = at;
    if (event.key === 'ArrowRight' || event.key === 'ArrowDown') next = (at + 1) % ids.length;
    else if (event.key === 'ArrowLeft' || event.key === 'ArrowUp') next = (at - 1 + ids.length) % ids.length;
    else if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = ids.length - 1;
    else return;
    event.preventDefault();
    const id = ids[next];
    if (id !== undefined) this.select(id, true);
  }

  /** Selects a tab (and focuses it when `focus`). */
  select(id: string, focus = false): void {
    if (!this.buttons.has(id)) return;
    this.selected = id;
    for (const [key, button] of this.buttons) {
      const on = key === id;
      button.setAttribute('aria-selected', String(on));
      button.tabIndex = on ? 0 : -1;
      if (on && focus) button.focus();
    }
    this.onSelect(id);
  }
}

const LANGS: readonly TabItem[] = [
  { id: 'curl', label: 'curl' },
  { id: 'js', label: 'JS SDK' },
  { id: 'python', label: 'Python SDK' },
];

/** "The code of this request": curl, JS SDK and Python SDK, copyable. */
export class CodePanel {
  readonly element: HTMLDetailsElement;
  private snippet: Snippet | undefined;
  private readonly code = h('code');
  private readonly pre = h('pre', { role: 'tabpanel', tabindex: '0', class: 'snippet', id: uid('snippet') }, this.code);
  private readonly copied = h('span', { class: 'copied', role: 'status', 'aria-live': 'polite' });
  private readonly tabs: TabList;
  private lang: keyof Snippet = 'curl';

  constructor() {
    this.tabs = new TabList('Language', LANGS, (id) => this.show(id as keyof Snippet));
    for (const button of this.tabs.buttons.values()) button.setAttribute('aria-controls', this.pre.id);
    const copy = h('button', { type: 'button', class: 'secondary', onclick: () => void this.copy() }, 'Copy');
    this.element = h(
      'details',
      { class: 'code-panel' },
      h('summary', {}, 'Code for this request'),
      h(
        'p',
        { class: 'hint' },
        "The same request from a terminal, or from a program with OpenAI's SDKs (npm/pip openai).",
      ),
      h('div', { class: 'code-head' }, this.tabs.element, copy, this.copied),
      this.pre,
    );
    this.tabs.select('curl');
    this.element.hidden = true;
  }

  private show(lang: keyof Snippet): void {
    this.lang = lang;
    this.pre.setAttribute('aria-labelledby', this.tabs.buttons.get(lang)?.id ?? '');
    this.code.textContent = this.snippet?.[lang] ?? '';
    this.copied.textContent = '';
  }

  /** Shows the code of the request just sent. */
  update(snippet: Snippet): void {
    this.snippet = snippet;
    this.element.hidden = false;
    this.show(this.lang);
  }

  private async copy(): Promise<void> {
    const text = this.snippet?.[this.lang] ?? '';
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      // Not a secure context (plain http on a LAN address): select the text for Ctrl+C instead.
      const range = document.createRange();
      range.selectNodeContents(this.code);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      this.copied.textContent = 'Selected: press Ctrl+C to copy.';
      return;
    }
    this.copied.textContent = 'Copied.';
  }
}

/** A picked image: its bytes and a file name for the code snippets. */
export interface PickedImage {
  blob: Blob;
  name: string;
  url: string;
}

const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
const pickers = new Set<ImagePicker>();

document.addEventListener('paste', (event) => {
  const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
  if (!file) return;
  const visible = [...pickers].filter((p) => p.element.isConnected && p.element.offsetParent !== null);
  const target = visible.find((p) => p.element.contains(document.activeElement)) ?? visible[0];
  if (!target) return;
  event.preventDefault();
  target.take(file, file.name || 'pasted.png');
});

/** Pick, drop or paste an image, or take one with the camera (after the browser asks for permission). */
export class ImagePicker {
  readonly element: HTMLDivElement;
  readonly input: HTMLInputElement;
  private readonly preview: HTMLImageElement | undefined;
  private readonly camera = h('div', { class: 'camera', hidden: true });
  private stream: MediaStream | undefined;
  private readonly message = h('p', { class: 'status error', role: 'alert' });
  current: PickedImage | undefined;
  onImage: (image: PickedImage) => void = () => undefined;

  constructor(label: string, options: { preview?: boolean } = {}) {
    this.input = h('input', { type: 'file', accept: 'image/*', class: 'file' });
    this.input.addEventListener('change', () => {
      const file = this.input.files?.[0];
      if (file) this.take(file, file.name);
    });
    const inputId = uid('image');
    this.input.id = inputId;
    const cameraButton = h(
      'button',
      { type: 'button', class: 'secondary', onclick: () => void this.openCamera() },
      'Use camera',
    );
    if (!navigator.mediaDevices?.getUserMedia) cameraButton.hidden = true;
    if (options.preview) this.preview = h('img', { class: 'thumb', alt: '', hidden: true });
    this.element = h(
      'div',
      { class: 'dropzone', role: 'group', 'aria-label': label },
      h('label', { for: inputId, class: 'drop-label' }, label),
      h('p', { class: 'hint' }, 'Drop an image here, paste one (Ctrl+V), or choose a file.'),
      h('div', { class: 'row' }, this.input, cameraButton),
      this.camera,
      this.preview ?? null,
      this.message,
    );
    this.element.addEventListener('dragover', (event) => {
      event.preventDefault();
      this.element.classList.add('dragging');
    });
    this.element.addEventListener('dragleave', () => this.element.classList.remove('dragging'));
    this.element.addEventListener('drop', (event) => {
      event.preventDefault();
      this.element.classList.remove('dragging');
      const file = [...(event.dataTransfer?.files ?? [])][0];
      if (file) this.take(file, file.name);
    });
    pickers.add(this);
  }

  /** Takes an image (from the file input, a drop, a paste or the camera). */
  take(blob: Blob, name: string): void {
    this.message.textContent = '';
    if (!blob.type.startsWith('image/')) {
      this.message.textContent = `'${name}' is not an image (${blob.type || 'unknown type'}). Choose a JPEG, PNG or WebP file.`;
      return;
    }
    if (blob.size > MAX_IMAGE_BYTES) {
      this.message.textContent = `'${name}' is ${(blob.size / 1048576).toFixed(1)} MiB; the server takes images up to 20 MiB.`;
      return;
    }
    if (this.current) URL.revokeObjectURL(this.current.url);
    this.current = { blob, name, url: URL.createObjectURL(blob) };
    if (this.preview) {
      this.preview.src = this.current.url;
      this.preview.alt = `Chosen image: ${name}`;
      this.preview.hidden = false;
    }
    this.onImage(this.current);
  }

  private async openCamera(): Promise<void> {
    this.message.textContent = '';
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    } catch (error) {
      this.message.textContent = `The camera is not available: ${error instanceof Error ? error.message : String(error)}.`;
      return;
    }
    const video = h('video', { autoplay: true, playsinline: true, muted: true, 'aria-label': 'Camera preview' });
    video.srcObject = this.stream;
    const capture = h('button', { type: 'button', onclick: () => void this.capture(video) }, 'Take photo');
    const cancel = h(
      'button',
      { type: 'button', class: 'secondary', onclick: () => this.closeCamera() },
      'Close camera',
    );
    this.camera.replaceChildren(video, h('div', { class: 'row' }, capture, cancel));
    this.camera.hidden = false;
    capture.focus();
  }

  private async capture(video: HTMLVideoElement): Promise<void> {
    const canvas = h('canvas', { width: video.videoWidth, height: video.videoHeight });
    canvas.getContext('2d')?.drawImage(video, 0, 0);
    const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.92));
    this.closeCamera();
    if (blob) this.take(blob, 'camera.jpg');
  }

  private closeCamera(): void {
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
    this.camera.replaceChildren();
    this.camera.hidden = true;
  }
}

/**
 * A list of labelled bars: scores in 0..1 (top-k predictions), or with `signed` similarities in -1..1 drawn from
 * the middle of the track (left for negative values).
 */
export function bars(
  items: readonly { label: string; value: number; text?: string }[],
  label: string,
  options: { signed?: boolean } = {},
): HTMLOListElement {
  const list = h('ol', { class: options.signed ? 'bars signed' : 'bars', 'aria-label': label });
  for (const item of items) {
    const fill = h('span', { class: item.value < 0 ? 'bar-fill negative' : 'bar-fill' });
    if (options.signed) {
      const v = Math.max(-1, Math.min(1, item.value));
      fill.style.left = `${50 + Math.min(0, v) * 50}%`;
      fill.style.width = `${Math.abs(v) * 50}%`;
    } else {
      fill.style.width = `${Math.max(0, Math.min(1, item.value)) * 100}%`;
    }
    list.append(
      h(
        'li',
        { 'data-label': item.label, 'data-value': item.value },
        h('span', { class: 'bar-label' }, item.label),
        h('span', { class: 'bar-track', 'aria-hidden': 'true' }, fill),
        h('span', { class: 'bar-value' }, item.text ?? item.value.toFixed(3)),
      ),
    );
  }
  return list;
}
