import { readSse } from '../api.js';
import { field, formatMs, h, modelSelect, StatusLine, tabLayout } from '../dom.js';
import { chatSnippet } from '../snippets.js';
import { CodePanel } from '../widgets.js';
import type { TabContext, TabView } from './context.js';

interface Message {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** The Chat tab (when a chat model is served): a conversation with streaming answers. */
export function chatTab(ctx: TabContext): TabView {
  const model = modelSelect(ctx.models.map((m) => m.id));
  const system = h('input', { type: 'text', placeholder: 'You are a helpful assistant.', autocomplete: 'off' });
  const input = h('textarea', { rows: 3, placeholder: 'Ask something…' });
  const log = h('ol', { class: 'chat-log', 'aria-label': 'Conversation', 'aria-live': 'polite' });
  const status = new StatusLine();
  status.info('Ask something: the answer streams in.');
  const send = h('button', { type: 'submit' }, 'Send');
  const stop = h('button', { type: 'button', class: 'secondary', disabled: true }, 'Stop');
  const clear = h('button', { type: 'button', class: 'secondary' }, 'New chat');
  const code = new CodePanel();
  const history: Message[] = [];
  let abort: AbortController | undefined;

  function bubble(role: Message['role'], text: string): HTMLParagraphElement {
    const p = h('p', { class: 'chat-text' }, text);
    log.append(
      h('li', { class: `chat-${role}` }, h('span', { class: 'chat-role' }, role === 'user' ? 'You' : 'Model'), p),
    );
    return p;
  }

  async function ask(): Promise<void> {
    const question = input.value.trim();
    if (!question || abort) return;
    input.value = '';
    history.push({ role: 'user', content: question });
    bubble('user', question);
    const messages: Message[] = system.value.trim()
      ? [{ role: 'system', content: system.value.trim() }, ...history]
      : [...history];
    code.update(chatSnippet(ctx.target(), model.value, messages));
    const out = bubble('assistant', '');
    out.dataset.state = 'streaming';
    abort = new AbortController();
    send.disabled = true;
    stop.disabled = false;
    status.info('Thinking…');
    const t0 = performance.now();
    try {
      const response = await ctx.api.postJson(
        '/v1/chat/completions',
        { model: model.value, messages, stream: true },
        abort.signal,
      );
      if (!response.body) throw new Error('The response has no body to stream.');
      for await (const event of readSse(response.body)) {
        const choices = (event as { choices?: { delta?: { content?: string } }[] }).choices;
        const delta = choices?.[0]?.delta?.content;
        if (delta) out.textContent += delta;
      }
      status.info(`Answered in ${formatMs(performance.now() - t0)}.`);
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') status.info('Stopped.');
      else status.error(error);
    } finally {
      out.dataset.state = 'done';
      history.push({ role: 'assistant', content: out.textContent ?? '' });
      abort = undefined;
      send.disabled = false;
      stop.disabled = true;
    }
  }

  stop.addEventListener('click', () => abort?.abort());
  clear.addEventListener('click', () => {
    abort?.abort();
    history.length = 0;
    log.replaceChildren();
    status.clear();
  });
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey) {
      event.preventDefault();
      void ask();
    }
  });
  const form = h(
    'form',
    { class: 'controls' },
    field('Model', model),
    field('System prompt', system),
    field('Message', input, 'Enter sends; Shift+Enter adds a line.'),
    h('div', { class: 'row' }, send, stop, clear),
  );
  const element = tabLayout(form, () => void ask(), 'Conversation', [log, status.element], code.element);
  return { element };
}
