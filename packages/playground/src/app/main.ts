/**
 * The llama-pajamas playground: one tab per task the server has a model for (from `GET /v1/models`). The page
 * uses only the public HTTP API, so each request it sends is also shown as curl / JS / Python code.
 */
import { ApiClient, ApiError, type ModelInfo } from './api.js';
import { h } from './dom.js';
import { chatTab } from './tabs/chat.js';
import { classifyTab } from './tabs/classify.js';
import type { TabContext, TabView } from './tabs/context.js';
import { detectTab } from './tabs/detect.js';
import { embedTab } from './tabs/embed.js';
import { speakTab } from './tabs/speak.js';
import { transcribeTab } from './tabs/transcribe.js';
import { TabList } from './widgets.js';

interface TabSpec {
  id: string;
  label: string;
  /** The capability in `/v1/models` that a model needs for this tab. */
  capability: string;
  build: (ctx: TabContext) => TabView;
}

const TABS: readonly TabSpec[] = [
  { id: 'detect', label: 'Detect', capability: 'detect', build: detectTab },
  { id: 'classify', label: 'Classify', capability: 'classify', build: classifyTab },
  { id: 'embed', label: 'Embed', capability: 'embed', build: embedTab },
  { id: 'transcribe', label: 'Transcribe', capability: 'transcribe', build: transcribeTab },
  { id: 'speak', label: 'Speak', capability: 'speech', build: speakTab },
  { id: 'chat', label: 'Chat', capability: 'chat', build: chatTab },
];

const api = new ApiClient();
const main = document.getElementById('main') ?? document.body;
const keyForm = document.getElementById('key-form') as HTMLFormElement | null;
const keyInput = document.getElementById('api-key') as HTMLInputElement | null;
const keyMessage = document.getElementById('key-message');
const serverInfo = document.getElementById('server-info');

function askForKey(message: string): void {
  if (serverInfo) serverInfo.textContent = 'Waiting for the API key.';
  if (document.body.dataset.ready !== 'true') {
    main.replaceChildren(h('p', { class: 'status' }, 'Enter the API key above to see what this server serves.'));
  }
  if (!keyForm || !keyInput) return;
  keyForm.hidden = false;
  // The flag name in <code> so that it never breaks at its dashes.
  const [before, after] = message.split('--api-key');
  keyMessage?.replaceChildren(before ?? message, ...(after === undefined ? [] : [h('code', {}, '--api-key'), after]));
  keyInput.focus();
}

api.onUnauthorized = (error) => {
  askForKey(
    error.code === 'invalid_api_key' && api.key
      ? 'That key was refused. Enter the key the server was started with (--api-key).'
      : 'This server needs an API key (it was started with --api-key).',
  );
};

keyForm?.addEventListener('submit', (event) => {
  event.preventDefault();
  api.key = keyInput?.value.trim() || undefined;
  void boot();
});

function supports(model: ModelInfo, capability: string): boolean {
  return model.capabilities.includes(capability) || (capability === 'chat' && model.kind === 'llm');
}

function render(models: ModelInfo[]): void {
  const tabs = TABS.filter((t) => models.some((m) => supports(m, t.capability)));
  if (serverInfo) {
    serverInfo.textContent = `${models.length} model${models.length === 1 ? '' : 's'}: ${models.map((m) => m.id).join(', ')}`;
  }
  if (tabs.length === 0) {
    main.replaceChildren(
      h(
        'p',
        { class: 'empty' },
        'This server has no models loaded. Start it with --detect, --classify, --embed, --stt or --tts.',
      ),
    );
    return;
  }
  const prefix = 'task';
  const panels = new Map<string, { element: HTMLElement; view?: TabView; spec: TabSpec }>();
  const list = new TabList(
    'Tasks',
    tabs,
    (id) => {
      for (const [key, panel] of panels) {
        const on = key === id;
        if (on && !panel.view) {
          const view = panel.spec.build({
            api,
            models: models.filter((m) => supports(m, panel.spec.capability)),
            target: () => ({ origin: location.origin, keyRequired: api.keyRequired }),
          });
          panel.view = view;
          panel.element.append(view.element);
        }
        panel.element.hidden = !on;
        if (on) panel.view?.shown?.();
      }
      if (location.hash !== `#${id}`) history.replaceState(null, '', `#${id}`);
    },
    prefix,
  );
  for (const spec of tabs) {
    const element = h('section', {
      role: 'tabpanel',
      id: TabList.panelId(prefix, spec.id),
      'aria-labelledby': `${prefix}-tab-${spec.id}`,
      class: 'panel',
      'data-panel': spec.id,
      hidden: true,
    });
    element.append(h('h2', { class: 'visually-hidden' }, spec.label));
    panels.set(spec.id, { element, spec });
  }
  main.replaceChildren(list.element, ...[...panels.values()].map((p) => p.element));
  const wanted = location.hash.slice(1);
  list.select(panels.has(wanted) ? wanted : (tabs[0]?.id ?? ''));
  document.body.dataset.ready = 'true';
}

async function boot(): Promise<void> {
  try {
    const models = await api.models();
    if (keyForm) keyForm.hidden = !api.keyRequired;
    if (keyMessage) keyMessage.textContent = api.keyRequired ? 'Key accepted (kept in this page only).' : '';
    render(models);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return;
    main.replaceChildren(
      h('p', { class: 'status error', role: 'alert' }, error instanceof Error ? error.message : String(error)),
    );
  }
}

void boot();
