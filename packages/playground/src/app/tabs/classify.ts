import { readAsDataUrl } from '../api.js';
import { field, formatMs, h, modelSelect, StatusLine, tabLayout } from '../dom.js';
import { imageSnippet } from '../snippets.js';
import { bars, CodePanel, ImagePicker, type PickedImage } from '../widgets.js';
import { hasTextTower, type TabContext, type TabView } from './context.js';

interface ClassifyAnswer {
  data: { predictions: { class_id: number; class_name: string; score: number }[] }[];
}

/** Splits a textarea into its non-empty lines. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}

/** The Classify tab: top-k bars; zero-shot labels on CLIP-style models. */
export function classifyTab(ctx: TabContext): TabView {
  const picker = new ImagePicker('Image to classify', { preview: true });
  const model = modelSelect(ctx.models.map((m) => m.id));
  const topK = h('input', { type: 'number', min: 1, max: 50, value: 5, inputmode: 'numeric' });
  const labels = h('textarea', { rows: 4, placeholder: 'a photo of a dog\na photo of a cat' });
  const labelsField = field(
    'Zero-shot labels (one per line)',
    labels,
    'CLIP-style model: scores the image against these texts instead of its own classes.',
  );
  const status = new StatusLine();
  status.info('Choose an image: its top classes appear here.');
  const results = h('div', { class: 'results' });
  const code = new CodePanel();
  const button = h('button', { type: 'submit' }, 'Classify');

  function syncLabels(): void {
    labelsField.hidden = !hasTextTower(ctx.models.find((m) => m.id === model.value));
  }
  syncLabels();
  model.addEventListener('change', syncLabels);

  async function run(picked: PickedImage | undefined): Promise<void> {
    if (!picked) {
      status.error('Choose an image first.');
      return;
    }
    const zeroShot = labelsField.hidden ? [] : lines(labels.value);
    const body: Record<string, unknown> = { model: model.value, top_k: Number(topK.value) || 5 };
    if (zeroShot.length > 0) body.labels = zeroShot;
    code.update(imageSnippet(ctx.target(), '/v1/images/classify', body, [picked.name]));
    status.info('Classifying…');
    results.replaceChildren();
    try {
      const t0 = performance.now();
      const response = await ctx.api.postJson('/v1/images/classify', {
        ...body,
        image: await readAsDataUrl(picked.blob),
      });
      const answer = (await response.json()) as ClassifyAnswer;
      const ms = performance.now() - t0;
      const predictions = answer.data[0]?.predictions ?? [];
      results.replaceChildren(
        bars(
          predictions.map((p) => ({ label: p.class_name, value: p.score })),
          'Top predictions',
        ),
      );
      status.info(`${predictions.length} predictions in ${formatMs(ms)}.`);
    } catch (error) {
      status.error(error);
    }
  }

  picker.onImage = (picked) => void run(picked);
  const form = h(
    'form',
    { class: 'controls' },
    picker.element,
    field('Model', model),
    field('How many (top k)', topK),
    labelsField,
    button,
  );
  const element = tabLayout(
    form,
    () => void run(picker.current),
    'Predictions',
    [status.element, results],
    code.element,
  );
  return { element };
}
