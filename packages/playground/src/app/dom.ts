/** Tiny DOM helpers: the page is a handful of forms, so plain elements beat a framework here. */

type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined;
export type Attrs = Record<string, AttrValue | ((event: Event) => void)>;

function apply(el: Element, attrs: Attrs): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === 'function') {
      el.addEventListener(key.replace(/^on/, '').toLowerCase(), value);
    } else if (value === true) {
      el.setAttribute(key, '');
    } else if (value !== false && value !== null && value !== undefined) {
      el.setAttribute(key, String(value));
    }
  }
}

function append(el: Element, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'number' ? String(c) : c);
  }
}

/** Creates an HTML element with attributes (`on*` functions become listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

/** Creates an SVG element with attributes and children. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  apply(el, attrs);
  append(el, children);
  return el;
}

let counter = 0;
/** A page-unique id for label/for and aria pairs. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled form field: `<div class="field"><label for>…</label>control hint</div>`. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLDivElement {
  if (!control.id) control.id = uid('f');
  const children: Child[] = [h('label', { for: control.id }, label), control];
  if (hint) {
    const hintId = `${control.id}-hint`;
    control.setAttribute('aria-describedby', hintId);
    children.push(h('small', { id: hintId, class: 'hint' }, hint));
  }
  return h('div', { class: 'field' }, ...children);
}

/** A `<select>` of models, the task's default first. */
export function modelSelect(ids: readonly string[]): HTMLSelectElement {
  return h('select', {}, ...ids.map((id) => h('option', { value: id }, id)));
}

/** Formats milliseconds for people: `84 ms`, `1.3 s`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

/** A status line that screen readers announce (role=status) and that shows errors (role=alert inside). */
export class StatusLine {
  readonly element = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' });

  /** Shows a progress or result message. */
  info(text: string): void {
    this.element.classList.remove('error');
    this.element.textContent = text;
  }

  /** Shows an error message. */
  error(error: unknown): void {
    this.element.classList.add('error');
    this.element.textContent = error instanceof Error ? error.message : String(error);
  }

  /** Empties the line. */
  clear(): void {
    this.info('');
  }
}

/** A link that downloads `blob` as `name`. */
export function downloadLink(blob: Blob, name: string, text: string): HTMLAnchorElement {
  return h('a', { href: URL.createObjectURL(blob), download: name, class: 'button secondary' }, text);
}

/**
 * A tab's layout: its form (submitting it calls `onSubmit`, no page load) beside the results titled `title`, and
 * the code panel below.
 */
export function tabLayout(
  form: HTMLFormElement,
  onSubmit: () => void,
  title: string,
  results: readonly HTMLElement[],
  code: HTMLElement,
): HTMLDivElement {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onSubmit();
  });
  return h(
    'div',
    { class: 'tab-body' },
    h('div', { class: 'columns' }, form, h('div', {}, h('h3', {}, title), ...results)),
    code,
  );
}
