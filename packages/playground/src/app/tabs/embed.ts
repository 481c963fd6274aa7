import { readAsDataUrl } from '../api.js';
import { field, formatMs, h, modelSelect, StatusLine, tabLayout } from '../dom.js';
import { embeddingsSnippet, imageSnippet, type Snippet } from '../snippets.js';
import { bars, CodePanel, ImagePicker } from '../widgets.js';
import { lines } from './classify.js';
import { hasTextTower, type TabContext, type TabView } from './context.js';

interface EmbedAnswer {
  data: { embedding: number[]; source: string }[];
}

/** Cosine similarity of two vectors. */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** The Embed tab: an image's embedding, two images' cosine, and (CLIP) image-to-text similarity. */
export function embedTab(ctx: TabContext): TabView {
  const a = new ImagePicker('Image A', { preview: true });
  const b = new ImagePicker('Image B (to compare)', { preview: true });
  const model = modelSelect(ctx.models.map((m) => m.id));
  const texts = h('textarea', { rows: 3, placeholder: 'a photo of a dog\na bicycle' });
  const textsField = field(
    'Texts to compare with image A (one per line)',
    texts,
    'CLIP-style model: embeds the texts with /v1/embeddings.',
  );
  const status = new StatusLine();
  status.info('Choose image A and B to compare them (or type texts for a CLIP model).');
  const results = h('div', { class: 'results' });
  const code = new CodePanel();

  function syncTexts(): void {
    textsField.hidden = !hasTextTower(ctx.models.find((m) => m.id === model.value));
  }
  syncTexts();
  model.addEventListener('change', syncTexts);

  async function run(): Promise<void> {
    const images = [a.current, b.current].filter((x) => x !== undefined);
    const textList = textsField.hidden ? [] : lines(texts.value);
    if (images.length === 0 && textList.length === 0) {
      status.error('Choose image A (and B to compare), or type texts.');
      return;
    }
    status.info('Embedding…');
    results.replaceChildren();
    const snippets: Snippet[] = [];
    try {
      const t0 = performance.now();
      let vectors: number[][] = [];
      if (images.length > 0) {
        const body = { model: model.value };
        snippets.push(
          imageSnippet(
            ctx.target(),
            '/v1/images/embed',
            body,
            images.map((i) => i.name),
          ),
        );
        const dataUrls = await Promise.all(images.map((i) => readAsDataUrl(i.blob)));
        const response = await ctx.api.postJson('/v1/images/embed', {
          ...body,
          image: dataUrls.length === 1 ? dataUrls[0] : dataUrls,
        });
        vectors = ((await response.json()) as EmbedAnswer).data.map((d) => d.embedding);
      }
      let textVectors: number[][] = [];
      if (textList.length > 0) {
        snippets.push(embeddingsSnippet(ctx.target(), model.value, textList));
        const response = await ctx.api.postJson('/v1/embeddings', { model: model.value, input: textList });
        textVectors = ((await response.json()) as EmbedAnswer).data.map((d) => d.embedding);
      }
      const ms = performance.now() - t0;
      const [va, vb] = vectors;
      const parts: HTMLElement[] = [];
      const dims = (va ?? textVectors[0] ?? []).length;
      parts.push(h('p', {}, `${dims} dimensions.`));
      if (va) {
        parts.push(
          h(
            'p',
            { class: 'mono' },
            `A: [${va
              .slice(0, 6)
              .map((x) => x.toFixed(4))
              .join(', ')}, …]`,
          ),
        );
      }
      if (va && vb) {
        const c = cosine(va, vb);
        parts.push(
          h('h4', {}, 'Image A vs image B'),
          bars([{ label: 'cosine(A, B)', value: c, text: c.toFixed(4) }], 'Image similarity', { signed: true }),
        );
        parts[parts.length - 1]?.setAttribute('data-testid', 'cosine');
      }
      if (va && textVectors.length > 0) {
        parts.push(
          h('h4', {}, 'Image A vs texts'),
          bars(
            textList.map((t, i) => {
              const c = cosine(va, textVectors[i] ?? []);
              return { label: t, value: c, text: c.toFixed(4) };
            }),
            'Image-to-text similarity',
            { signed: true },
          ),
        );
      }
      results.replaceChildren(...parts);
      status.info(`Embedded ${images.length} image(s) and ${textList.length} text(s) in ${formatMs(ms)}.`);
      const first = snippets[0];
      if (first) {
        const second = snippets[1];
        code.update(
          second
            ? {
                curl: `${first.curl}\n\n${second.curl}`,
                js: `${first.js}\n\n${second.js}`,
                python: `${first.python}\n\n${second.python}`,
              }
            : first,
        );
      }
    } catch (error) {
      status.error(error);
    }
  }

  a.onImage = () => void run();
  b.onImage = () => void run();
  const form = h(
    'form',
    { class: 'controls' },
    field('Model', model),
    h('div', { class: 'pair' }, a.element, b.element),
    textsField,
    h('button', { type: 'submit' }, 'Embed'),
  );
  const element = tabLayout(form, () => void run(), 'Similarity', [status.element, results], code.element);
  return { element };
}
