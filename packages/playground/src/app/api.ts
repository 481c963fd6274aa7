/** The page's only way to the server: the public HTTP API, with the API key (if any) kept in memory. */

/** A model as `GET /v1/models` lists it. */
export interface ModelInfo {
  id: string;
  kind: string;
  capabilities: string[];
}

/** An error answered by the API in OpenAI's envelope (or a network failure, status 0). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** One SSE event's parsed `data:` JSON. */
export type SseEvent = Record<string, unknown> & { type?: string };

async function toError(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  let code: string | undefined;
  try {
    const body = (await response.json()) as { error?: { message?: string; code?: string } };
    if (body.error?.message) message = `${response.status}: ${body.error.message}`;
    code = body.error?.code;
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, message, code);
}

/** Splits a `text/event-stream` body into its events' `data:` JSON payloads (`[DONE]` ends the stream). */
export async function* readSse(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        const data = block
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).trimStart())
          .join('\n');
        if (data === '') continue;
        if (data === '[DONE]') return;
        const event = JSON.parse(data) as SseEvent & { error?: { message?: string; code?: string } };
        if (event.error) throw new ApiError(500, event.error.message ?? 'The stream failed.', event.error.code);
        yield event;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Calls the server's API from the page. */
export class ApiClient {
  /** The bearer key, in this page's memory only (never in storage). */
  key: string | undefined;
  /** Called when the server answers 401 (missing or wrong key). */
  onUnauthorized: (error: ApiError) => void = () => undefined;

  constructor(readonly baseUrl: string = location.origin) {}

  /** True once the server has asked for a key. */
  keyRequired = false;

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.key ? { ...extra, authorization: `Bearer ${this.key}` } : extra;
  }

  /** Sends a request; throws {@link ApiError} for non-2xx answers. */
  async fetch(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(path, { ...init, headers: this.headers(init.headers) });
    } catch (error) {
      if (error instanceof DOMException && error.name === 'AbortError') throw error;
      throw new ApiError(0, `The server could not be reached (${String(error)}). Is llama-pajamas still running?`);
    }
    if (!response.ok) {
      const error = await toError(response);
      if (response.status === 401) {
        this.keyRequired = true;
        this.onUnauthorized(error);
      }
      throw error;
    }
    return response;
  }

  /** GET → parsed JSON. */
  async get<T>(path: string): Promise<T> {
    return (await (await this.fetch(path)).json()) as T;
  }

  /** POST a JSON body → the response (read it as JSON, bytes or a stream). */
  postJson(path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    return this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });
  }

  /** POST a multipart form → the response. */
  postForm(path: string, form: FormData, signal?: AbortSignal): Promise<Response> {
    return this.fetch(path, { method: 'POST', body: form, signal });
  }

  /** The served models. */
  async models(): Promise<ModelInfo[]> {
    const list = await this.get<{ data: ModelInfo[] }>('/v1/models');
    return list.data;
  }
}

/** Reads a File/Blob as a `data:` URL (what the image endpoints take). */
export function readAsDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(typeof reader.result === 'string' ? reader.result : '');
    reader.onerror = () => reject(reader.error ?? new Error('The file could not be read.'));
    reader.readAsDataURL(blob);
  });
}
