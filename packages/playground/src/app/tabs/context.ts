import type { ApiClient, ModelInfo } from '../api.js';
import type { SnippetTarget } from '../snippets.js';

/** What each tab is built from. */
export interface TabContext {
  api: ApiClient;
  /** The models that can do this tab's task, the server's default first. */
  models: ModelInfo[];
  /** Where snippets point, and whether they need the key. */
  target(): SnippetTarget;
}

/** A tab's panel content. */
export interface TabView {
  element: HTMLElement;
  /** Called when the tab is shown. */
  shown?(): void;
}

/** True when the model embeds text too (CLIP-style: zero-shot labels, text embeddings). */
export function hasTextTower(model: ModelInfo | undefined): boolean {
  return model?.capabilities.includes('embed_text') ?? false;
}
