import { readAsDataUrl } from '../api.js';
import { CodePanel, ImagePicker, type PickedImage } from '../widgets.js';
import { field, formatMs, h, modelSelect, StatusLine, svg } from '../dom.js';
import { imageSnippet } from '../snippets.js';
import type { TabContext, TabView } from './context.js';

/** A detection as `/v1/images/detect` answers it. */
export interface ApiDetection {
  class_id: number;
  class_name: string;
  confidence: number;
  box: { x1: number; y1: number; x2: number; y2: number };
}

interface DetectAnswer {
  model: string;
  data: { width: number; height: number; detections: ApiDetection[] }[];
}

/** The request asks for everything above this; the slider then filters in the page without a new request. */
const REQUEST_FLOOR = 0.05;

// Distinct hues, each dark enough behind white label text (contrast ≥ 4.5:1).
const PALETTE = [
  '#0B5FBF',
  '#B34700',
  '#00785A',
  '#A1246E',
  '#6B4FBB',
  '#8A6200',
  '#C0283B',
  '#00707F',
  '#5A6B00',
  '#7A3E9D',
  '#9C4A1A',
  '#2F5D8A',
];
/** Label text height on screen, in CSS pixels (the overlay's units are image pixels). */
const LABEL_PX = 13;

interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

function labelText(d: ApiDetection): string {
  return `${d.class_name} ${(d.confidence * 100).toFixed(0)}%`;
}

const LABEL_FONT = `600 ${LABEL_PX}px system-ui, sans-serif`;
let measurer: CanvasRenderingContext2D | null | undefined;
/** The on-screen width of a label, in CSS pixels. */
function measure(text: string): number {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return text.length * LABEL_PX * 0.62;
  measurer.font = LABEL_FONT;
  return measurer.measureText(text).width;
}

/** The Detect tab: boxes and labels drawn over the picked image, a confidence slider, the JSON, the time. */
export function detectTab(ctx: TabContext): TabView {
  const picker = new ImagePicker('Image to detect objects in');
  const model = modelSelect(ctx.models.map((m) => m.id));
  const slider = h('input', {
    type: 'range',
    min: REQUEST_FLOOR,
    max: 1,
    step: 0.01,
    value: 0.25,
    id: 'detect-confidence',
  });
  const sliderValue = h('output', {}, '0.25');
  const status = new StatusLine();
  status.info('Pick, drop or paste an image, or use the camera: the boxes are drawn on it.');
  const image = h('img', { class: 'stage-image', alt: '' });
  const overlay = svg('svg', { class: 'overlay', 'aria-hidden': 'true', preserveAspectRatio: 'none' });
  const stage = h('div', { class: 'stage', hidden: true }, image, overlay);
  const list = h('ol', { class: 'detections', 'aria-label': 'Detected objects' });
  const json = h('pre', { class: 'json', tabindex: '0', 'aria-label': 'Response JSON' });
  const code = new CodePanel();
  const timing = h('p', { class: 'timing', 'data-testid': 'timing' });
  let answer: DetectAnswer | undefined;
  // Labels keep their on-screen size when the image is shown smaller (phones) or larger.
  new ResizeObserver(() => draw()).observe(image);

  slider.addEventListener('input', () => {
    sliderValue.textContent = Number(slider.value).toFixed(2);
    draw();
  });
  sliderValue.setAttribute('for', slider.id);

  function draw(): void {
    const item = answer?.data[0];
    overlay.replaceChildren();
    list.replaceChildren();
    if (!item) return;
    const threshold = Number(slider.value);
    const kept = item.detections.filter((d) => d.confidence >= threshold);
    // Lowest confidence first, so the surest boxes and labels are drawn on top.
    const drawOrder = [...kept].sort((p, q) => p.confidence - q.confidence);
    overlay.setAttribute('viewBox', `0 0 ${item.width} ${item.height}`);
    overlay.dataset.width = String(item.width);
    overlay.dataset.height = String(item.height);
    const shownWidth = image.clientWidth || item.width;
    const scale = item.width / shownWidth;
    const font = LABEL_PX * scale;
    const labelH = font * 1.35;
    // Place labels surest first, each where it does not cover a label already placed.
    const placed: Rect[] = [];
    const labels = new Map<ApiDetection, Rect>();
    for (const d of [...drawOrder].reverse()) {
      const w = (measure(labelText(d)) + 8) * scale;
      const x = Math.max(0, Math.min(d.box.x1, item.width - w));
      const candidates = [d.box.y1 - labelH, d.box.y1, d.box.y2, d.box.y2 - labelH]
        .filter((y) => y >= 0 && y + labelH <= item.height)
        .map((y) => ({ x, y, w, h: labelH }));
      const rect = candidates.find((c) => !placed.some((p) => overlaps(c, p))) ??
        candidates[0] ?? { x, y: Math.max(0, d.box.y1), w, h: labelH };
      placed.push(rect);
      labels.set(d, rect);
    }
    for (const d of drawOrder) {
      const colour = PALETTE[d.class_id % PALETTE.length] ?? '#0072B2';
      const { x1, y1, x2, y2 } = d.box;
      const label = labels.get(d) ?? { x: x1, y: y1, w: 0, h: labelH };
      overlay.append(
        svg(
          'g',
          {
            class: 'detection',
            'data-label': d.class_name,
            'data-confidence': d.confidence,
            'data-x1': x1,
            'data-y1': y1,
            'data-x2': x2,
            'data-y2': y2,
          },
          svg('rect', { class: 'box', x: x1, y: y1, width: x2 - x1, height: y2 - y1, stroke: colour }),
          svg('rect', { class: 'label-bg', x: label.x, y: label.y, width: label.w, height: label.h, fill: colour }),
          svg('text', { x: label.x + 4 * scale, y: label.y + font * 1.05, 'font-size': font }, labelText(d)),
        ),
      );
      list.append(
        h(
          'li',
          {},
          h('span', { class: 'swatch', 'aria-hidden': 'true', 'data-colour': colour }),
          `${d.class_name} ${(d.confidence * 100).toFixed(1)}%: (${Math.round(x1)}, ${Math.round(y1)}) to (${Math.round(x2)}, ${Math.round(y2)})`,
        ),
      );
    }
    list.replaceChildren(...[...list.children].reverse());
    for (const swatch of list.querySelectorAll<HTMLElement>('.swatch')) {
      swatch.style.backgroundColor = swatch.dataset.colour ?? '';
    }
    status.info(
      `${kept.length} of ${item.detections.length} objects at confidence ≥ ${threshold.toFixed(2)} (${item.width}×${item.height} px).`,
    );
  }

  async function run(picked: PickedImage): Promise<void> {
    answer = undefined;
    draw();
    image.src = picked.url;
    image.alt = `${picked.name}, with the detected objects outlined`;
    stage.hidden = false;
    status.info('Detecting…');
    json.textContent = '';
    timing.textContent = '';
    const body = { model: model.value, confidence: REQUEST_FLOOR };
    code.update(imageSnippet(ctx.target(), '/v1/images/detect', body, [picked.name]));
    try {
      const t0 = performance.now();
      const response = await ctx.api.postJson('/v1/images/detect', {
        ...body,
        image: await readAsDataUrl(picked.blob),
      });
      answer = (await response.json()) as DetectAnswer;
      const ms = performance.now() - t0;
      json.textContent = JSON.stringify(answer, null, 2);
      draw();
      timing.textContent = `Answered in ${formatMs(ms)}.`;
    } catch (error) {
      status.error(error);
    }
  }

  picker.onImage = (picked) => void run(picked);
  model.addEventListener('change', () => {
    if (picker.current) void run(picker.current);
  });

  const controls = h(
    'div',
    { class: 'controls' },
    picker.element,
    field('Model', model),
    h(
      'div',
      { class: 'field' },
      h('label', { for: slider.id }, 'Confidence at least ', sliderValue),
      slider,
      h('small', { class: 'hint' }, 'Filters the boxes in the page; no new request.'),
    ),
  );
  const element = h(
    'div',
    { class: 'tab-body' },
    h(
      'div',
      { class: 'columns' },
      h(
        'div',
        {},
        controls,
        h('figure', { class: 'figure' }, stage, h('figcaption', {}, status.element, timing)),
        list,
      ),
      h('div', {}, h('h3', {}, 'Response'), json),
    ),
    code.element,
  );
  return { element };
}
